package org.chatglmkit.load.cli;

import io.gatling.app.Gatling$;
import io.gatling.shared.cli.GatlingCliOptions;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.chatglmkit.load.AgentLoop;
import org.chatglmkit.load.Handoff;
import org.chatglmkit.load.LoadConfig;
import org.chatglmkit.load.LoadPlan;
import org.chatglmkit.load.Report;
import org.chatglmkit.mockserver.client.Reachability;
import org.chatglmkit.mockserver.client.TargetOptions;
import org.chatglmkit.mockserver.client.TargetSettings;
import org.chatglmkit.mockserver.settings.CommandLines;
import org.chatglmkit.mockserver.settings.Durations;
import org.chatglmkit.mockserver.settings.Settings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The load suite as a command: drives a target with a load profile through Gatling (in this
 * process), prints progress and the figures, writes the report, and exits 0 (every threshold held),
 * 1 (a threshold or a conformance check was breached) or 2 (usage error, a dataset that cannot be
 * read, a target that cannot be reached).
 *
 * <p>Every option sets one of the settings the Maven path reads ({@code chatglm.load.*}, {@code
 * chatglm.slo.*}, {@code chatglm.assert.*}, {@code chatglm.target.*}), so the two agree.
 */
@Command(
    name = "chatglm-load",
    mixinStandardHelpOptions = true,
    version = "chatglm-load 0.1.0",
    sortOptions = false,
    description = {
      "Drives a ChatGLM chat-completions server with a load profile and reports TTFT, ITL, TPOT,"
          + " E2E, throughput and goodput, checking every answer against the schemas.",
      "Without --target (or CHATGLM_TARGET_URL) it starts the embedded reference server (TTFT"
          + " 200 ms, 20 ms per token) and measures that.",
      "Exit codes: 0 every threshold held, 1 a threshold or a schema check was breached, 2 usage"
          + " error, unreadable dataset or unreachable target."
    })
public final class LoadCli implements Callable<Integer> {
  static final int PASSED = 0;
  static final int BREACHED = 1;
  static final int USAGE = 2;

  @Option(
      names = "--api-profile",
      descriptionKey = TargetSettings.PROFILE,
      paramLabel = "PROFILE",
      description =
          "documented or openai (default): which schemas answers are held to, and where earlier"
              + " turns go (history, or messages).")
  String apiProfile;

  @Spec CommandSpec spec;

  @Mixin TargetOptions targetOptions = new TargetOptions();

  @Option(
      names = "--scenario",
      descriptionKey = "chatglm.load.scenario",
      paramLabel = "stream|chat",
      defaultValue = "stream",
      description = "Streamed requests (default) or unstreamed ones.")
  String scenario;

  @Option(
      names = "--load-profile",
      descriptionKey = "chatglm.load.profile",
      paramLabel = "NAME",
      description = "smoke (default), rate, ramp, steps, sweep, concurrency or soak.")
  String profile;

  @Option(
      names = "--rate",
      descriptionKey = "chatglm.load.rate",
      paramLabel = "R",
      description = "Requests started per second (rate, soak; the first level of ramp, steps).")
  Double rate;

  @Option(
      names = "--ramp-to",
      descriptionKey = "chatglm.load.ramp-to",
      paramLabel = "R",
      description = "The rate a ramp ends at.")
  Double rampTo;

  @Option(
      names = "--steps",
      descriptionKey = "chatglm.load.steps",
      paramLabel = "N",
      description = "Levels of a step sweep (5).")
  Integer steps;

  @Option(
      names = "--step-rate",
      descriptionKey = "chatglm.load.step-rate",
      paramLabel = "R",
      description = "What each level adds (2).")
  Double stepRate;

  @Option(
      names = "--burstiness",
      descriptionKey = "chatglm.load.burstiness",
      paramLabel = "B",
      description =
          "Shape of the gamma-distributed gaps between arrivals: 1 Poisson (default), below 1"
              + " burstier, above 1 more even.")
  Double burstiness;

  @Option(
      names = "--users",
      descriptionKey = "chatglm.load.users",
      paramLabel = "N",
      description = "Requests in flight at all times (profile concurrency; default 8).")
  Integer users;

  @Option(
      names = "--duration",
      descriptionKey = "chatglm.load.duration",
      paramLabel = "TIME",
      description = "How long the measured load lasts (each level of a sweep), e.g. 60s, 2m.")
  String duration;

  @Option(
      names = "--warmup",
      descriptionKey = "chatglm.load.warmup",
      paramLabel = "TIME",
      description =
          "Load sent before measuring starts, e.g. 5s (default 0): answered and checked, not"
              + " measured.")
  String warmup;

  @Option(
      names = "--seed",
      descriptionKey = "chatglm.load.seed",
      paramLabel = "S",
      description = "Seed of arrivals and prompts (1).")
  Long seed;

  @Option(
      names = "--max-tokens",
      descriptionKey = "chatglm.load.max-tokens",
      paramLabel = "N",
      description = "max_tokens (default 64).")
  Integer maxTokens;

  @Option(
      names = "--temperature",
      descriptionKey = "chatglm.load.temperature",
      paramLabel = "T",
      description = "temperature (default 0.7).")
  Double temperature;

  @Option(
      names = "--dataset",
      descriptionKey = "chatglm.load.dataset",
      paramLabel = "FILE",
      description =
          "ShareGPT JSON/JSONL (conversations with from/value) or chat JSONL (messages, history,"
              + " max_tokens); default: the bundled prompts.")
  Path dataset;

  @Option(
      names = "--turns",
      descriptionKey = "chatglm.load.turns",
      paramLabel = "N",
      description =
          "Turns per session (default 1). Above 1 each user plays a conversation, sending every"
              + " answer back with the next turn.")
  Integer turns;

  @Option(
      names = "--tools",
      descriptionKey = AgentLoop.TOOLS,
      paramLabel = "FILE",
      description =
          "Offer these tools (a JSON array, OpenAI's form) with every request; a dataset line may"
              + " carry its own. An answer that calls is answered with tool results and asked"
              + " again (an agent loop), and its arguments are checked against the tools.")
  Path tools;

  @Option(
      names = "--max-tool-rounds",
      descriptionKey = AgentLoop.MAX_ROUNDS,
      paramLabel = "N",
      description = "Requests one agent turn may take, the first included (default 4).")
  Integer maxToolRounds;

  @Option(
      names = "--tool-result",
      descriptionKey = AgentLoop.RESULT,
      paramLabel = "TEXT",
      description =
          "The result sent back for every call: 'echo' (the default) sends its arguments back;"
              + " anything else is sent as it is.")
  String toolResult;

  @Option(
      names = "--input-tokens",
      descriptionKey = "chatglm.load.input-tokens",
      paramLabel = "LEN",
      description =
          "Synthetic prompts of this many tokens: N, uniform:MIN:MAX or normal:MEAN:STDDEV.")
  String inputTokens;

  @Option(
      names = "--output-tokens",
      descriptionKey = "chatglm.load.output-tokens",
      paramLabel = "LEN",
      description = "Synthetic answer lengths (max_tokens per request), same forms.")
  String outputTokens;

  @Option(
      names = "--trace",
      descriptionKey = "chatglm.load.trace",
      paramLabel = "FILE",
      description =
          "Replay an arrival trace: JSONL with timestamp (ms) and input_length/output_length"
              + " (Mooncake), or Timestamp (s) and Request tokens/Response tokens (BurstGPT).")
  Path trace;

  @Option(
      names = "--speed",
      descriptionKey = "chatglm.load.speed",
      paramLabel = "X",
      description = "How much faster than recorded a trace plays (default 1).")
  Double speed;

  @Option(
      names = "--tokenizer",
      descriptionKey = "chatglm.load.tokenizer",
      paramLabel = "PATH",
      description =
          "A ChatGLM checkpoint directory or tokenizer.model: input tokens counted on the client"
              + " (with the chat template) where answers carry no usage, and both kept where they"
              + " do.")
  Path tokenizer;

  @Option(
      names = "--slo",
      descriptionKey = "chatglm.slo.{ttft,tpot,e2e}-ms",
      paramLabel = "ttft=500ms,tpot=50ms,e2e=10s",
      description = "Objectives a request must meet to count towards goodput (any subset).")
  String slo;

  @Option(
      names = "--threshold",
      descriptionKey =
          "chatglm.assert.{p99-ttft-ms,p99-itl-ms,p99-e2e-ms,error-rate,violations,buffered-share}",
      paramLabel = "p99-ttft=2s,...",
      description =
          "Limits that fail the run (exit 1): p99-ttft, p99-itl, p99-e2e (times), error-rate"
              + " (fraction), violations (count; default 0), buffered-share (the share of streams"
              + " whose content came all at once; smoke default 0.5).")
  String threshold;

  @Option(
      names = "--timeout",
      descriptionKey = "chatglm.load.stream-timeout",
      paramLabel = "TIME",
      description =
          "Longest one exchange may take, whole (a stream to its end), before it counts as stalled"
              + " (30s).")
  String streamTimeout;

  @Option(
      names = "--validate",
      negatable = true,
      descriptionKey = "chatglm.load.validate",
      defaultValue = "true",
      fallbackValue = "true",
      description = "Check every answer against the schemas (--no-validate: do not).")
  boolean validate = true;

  @Option(
      names = "--report-dir",
      descriptionKey = "chatglm.load.report-dir",
      paramLabel = "DIR",
      defaultValue = "reports/load",
      description =
          "Where summary.json, the report page and Gatling's report go (${DEFAULT-VALUE}).")
  Path reportDir;

  @Option(
      names = "--injectors",
      descriptionKey = "chatglm.load.injectors",
      paramLabel = "N",
      description = "Injectors sharing the load (default 1): this one runs 1/N of it.")
  Integer injectors;

  @Option(
      names = "--injector-index",
      descriptionKey = "chatglm.load.injector-index",
      paramLabel = "I",
      description = "This injector's index, 0 to N-1 (default 0, or JOB_COMPLETION_INDEX).")
  Integer injectorIndex;

  @Option(
      names = "--progress",
      descriptionKey = "chatglm.load.progress",
      paramLabel = "TIME",
      description = "How often a progress line is printed (5s; 0 for never).")
  String progress;

  @Option(
      names = "--embedded-backend",
      descriptionKey = TargetSettings.BACKEND,
      paramLabel = "reference|djl",
      description = "The embedded server's backend when no target is given (reference).")
  String embeddedBackend;

  @Option(
      names = "--embedded-model",
      descriptionKey = TargetSettings.MODEL,
      paramLabel = "DIR",
      description = "The checkpoint of the embedded djl backend (default: a tiny generated one).")
  String embeddedModel;

  // Old spellings: each keeps working, says once what it is called now, and wins over a setting.
  private String oldProfile;
  private String oldStreamTimeout;

  @Option(names = "--profile", hidden = true, paramLabel = "NAME")
  void oldProfile(String value) {
    CommandLines.renamed("--profile", "--load-profile");
    oldProfile = value;
  }

  @Option(names = "--stream-timeout", hidden = true, paramLabel = "TIME")
  void oldStreamTimeout(String value) {
    CommandLines.renamed("--stream-timeout", "--timeout");
    oldStreamTimeout = value;
  }

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs the command and returns its exit code. */
  public static int run(String... args) {
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "error");
    return CommandLines.create(new LoadCli()).execute(args);
  }

  @Override
  public Integer call() {
    String simulation =
        "chat".equals(scenario) ? "ChatCompletionSimulation" : "StreamingChatSimulation";
    LoadPlan plan;
    try {
      // Options, properties and variables are resolved once, and the dataset, the trace and the
      // tokenizer read once, here: a bad line stops the run before any load.
      plan = LoadPlan.resolve(Settings.of(settings()), simulation, true);
    } catch (IllegalArgumentException | UncheckedIOException e) {
      return usage(e.getMessage());
    }
    LoadConfig config = plan.config();
    TargetSettings targetSettings = plan.target();
    if (!targetSettings.embedded()) {
      Optional<String> problem = Reachability.problem(targetSettings.url());
      if (problem.isPresent()) {
        plan.close();
        return usage(problem.get());
      }
    }
    // Gatling's own configuration: a request or a stream never outlives the timeout, whatever the
    // target does; and the command prints its own progress line, which Gatling's console summary
    // would repeat.
    System.setProperty(
        "gatling.http.requestTimeout", String.valueOf(config.streamTimeout().toMillis()));
    System.setProperty("gatling.data.writers.0", "file");
    System.out.printf(
        Locale.ROOT,
        "ChatGLM load: %s, %s, profile %s, %s measured%s%n",
        targetSettings.embedded() ? "embedded reference server" : targetSettings.url(),
        "chat".equals(scenario) ? "unstreamed" : "streamed",
        config.profile(),
        Durations.format(config.duration()),
        config.warmup().isZero() ? "" : " after " + Durations.format(config.warmup()) + " warm-up");
    Handoff.offer(plan);
    int gatling = -1;
    String gatlingReportProblem = null;
    Optional<Report> report = Optional.empty();
    try {
      gatling =
          Gatling$.MODULE$.fromArgs(
              new String[] {
                GatlingCliOptions.Simulation.shortOption(),
                "org.chatglmkit.load.scenarios." + simulation,
                GatlingCliOptions.ResultsFolder.shortOption(),
                reportDir.toString()
              });
    } catch (RuntimeException e) {
      report = Handoff.report(simulation);
      if (report.isEmpty()) {
        return usage("the run failed: " + e);
      }
      // The run ended and its verdict is written; only Gatling's own HTML report is missing
      // (Gatling refuses to write one when no request ended, as against a server that hangs).
      gatlingReportProblem = String.valueOf(e.getMessage());
    } finally {
      Handoff.withdraw(simulation); // a plan no simulation took (Gatling failed first) is closed
    }
    if (report.isEmpty()) {
      report = Handoff.report(simulation);
    }
    if (report.isEmpty()) {
      return usage("the run did not start (Gatling status " + gatling + "); see the lines above");
    }
    List<String> breaches = report.get().breaches();
    System.out.println();
    System.out.println(
        gatlingReportProblem == null
            ? "Gatling's table above counts three entries per stream (opening it, the wait for its"
                + " events, closing it), timed by Gatling's own rules; TTFT, ITL, TPOT and E2E are"
                + " the figures printed before it, in summary.json and report.html."
            : "Gatling wrote no report of its own (\""
                + gatlingReportProblem
                + "\"); the run's figures and verdict are in summary.json and report.html.");
    System.out.println(
        breaches.isEmpty()
            ? "chatglm-load: PASSED"
            : "chatglm-load: FAILED: " + String.join("; ", breaches));
    return breaches.isEmpty() ? PASSED : BREACHED;
  }

  /** The options as settings, by the names the Maven path uses. */
  Map<String, String> settings() {
    // Every option names its setting; the old spellings and the spread ones are added here.
    Map<String, String> map = CommandLines.given(spec);
    String load = LoadConfig.PREFIX;
    put(map, load + "profile", oldProfile);
    put(map, load + "stream-timeout", oldStreamTimeout);
    if (injectorIndex == null) {
      String jobIndex = System.getenv("JOB_COMPLETION_INDEX");
      if (jobIndex != null && !jobIndex.isBlank()) {
        map.put(load + "injector-index", Integer.valueOf(jobIndex.strip()).toString());
      }
    }
    if (slo != null) {
      pairs(slo, "--slo", List.of("ttft", "tpot", "e2e"))
          .forEach((name, value) -> map.put("chatglm.slo." + name + "-ms", millis(value)));
    }
    if (threshold != null) {
      pairs(
              threshold,
              "--threshold",
              List.of(
                  "p99-ttft", "p99-itl", "p99-e2e", "error-rate", "violations", "buffered-share"))
          .forEach(
              (name, value) ->
                  map.put(
                      "chatglm.assert." + name + (name.startsWith("p99") ? "-ms" : ""),
                      name.startsWith("p99") ? millis(value) : number(value, name)));
    }
    return map;
  }

  /** {@code a=1,b=2} into a map, each name one of {@code names}. */
  static Map<String, String> pairs(String text, String option, List<String> names) {
    Map<String, String> map = new LinkedHashMap<>();
    for (String pair : text.split(",")) {
      String[] parts = pair.split("=", 2);
      String name = parts[0].strip().toLowerCase(Locale.ROOT).replace('_', '-');
      if (parts.length != 2 || !names.contains(name)) {
        throw new IllegalArgumentException(
            option + ": '" + pair.strip() + "' is not NAME=VALUE with NAME one of " + names);
      }
      map.put(name, parts[1].strip());
    }
    return map;
  }

  private static String millis(String value) {
    return String.valueOf(Durations.millis(value));
  }

  private static String number(String value, String name) {
    try {
      return String.valueOf(Double.parseDouble(value));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + ": '" + value + "' is not a number");
    }
  }

  private static void put(Map<String, String> map, String name, Object value) {
    if (value != null) {
      map.put(name, value.toString());
    }
  }

  private static int usage(String message) {
    System.err.println("chatglm-load: " + message);
    return USAGE;
  }
}
