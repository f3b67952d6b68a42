package org.chatglmkit.conformance.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.chatglmkit.conformance.checks.RunContext;
import org.chatglmkit.conformance.fuzz.FuzzSettings;
import org.chatglmkit.conformance.run.ConformanceRun;
import org.chatglmkit.conformance.run.RunReport;
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
 * The conformance gate as a command: checks a target rule by rule and exits 0 (every applicable
 * rule passes), 1 (a rule fails) or 2 (usage error, or the target cannot be reached).
 */
@Command(
    name = "chatglm-conformance",
    mixinStandardHelpOptions = true,
    version = "chatglm-conformance 0.1.0",
    description = {
      "Checks a ChatGLM chat-completions server against the documented API, rule by rule.",
      "Without --target (or CHATGLM_TARGET_URL) it starts the embedded reference server and checks"
          + " that.",
      "Exit codes: 0 every applicable rule passes (or is waived), 1 a rule fails or is blocked by"
          + " a failed baseline, 2 usage error, or a target that cannot be judged (unreachable, no"
          + " answer to the baseline, --max-time ran out)."
    })
public final class ConformanceCli implements Callable<Integer> {
  static final int USAGE = 2;

  /** How long past --max-time the command waits for a run to write its reports. */
  static final long GRACE_SECONDS = 20;

  @Spec CommandSpec spec;

  @Mixin TargetOptions targetOptions = new TargetOptions();

  @Option(
      names = "--forbidden-key",
      paramLabel = "KEY",
      descriptionKey = TargetSettings.FORBIDDEN_KEY,
      description = "A key the target refuses with 403; without it that rule is skipped.")
  String forbiddenKey;

  @Option(
      names = "--api-profile",
      paramLabel = "PROFILE",
      descriptionKey = TargetSettings.PROFILE,
      defaultValue = "openai",
      description = "documented or openai: which reading of the API the target is held to.")
  String profile;

  @Option(
      names = "--report-dir",
      paramLabel = "DIR",
      descriptionKey = "chatglm.report-dir",
      defaultValue = "reports/conformance",
      description = "Where JUnit XML, Allure results and summary.json go.")
  Path reportDir;

  @Option(
      names = "--timeout",
      paramLabel = "TIME",
      descriptionKey = RunContext.TIMEOUT,
      defaultValue = "60s",
      description =
          "Longest one exchange may take, whole: connect, headers, body, the entire stream.")
  Duration timeout;

  @Option(
      names = "--max-time",
      paramLabel = "TIME",
      descriptionKey = RunContext.MAX_TIME,
      defaultValue = "10m",
      description = "Longest the whole run may take; past it nothing more is sent and it exits 2.")
  Duration maxTime;

  @Option(
      names = "--concurrency",
      paramLabel = "N",
      descriptionKey = RunContext.CONCURRENCY,
      defaultValue = "8",
      description = "Exchanges under way at once.")
  Integer concurrency;

  @Option(
      names = "--waive",
      paramLabel = "RULE-ID=REASON",
      descriptionKey = RunContext.WAIVERS,
      description =
          "Accept a failing rule for now, with the reason; repeatable (one per line in the"
              + " property). It shows as WAIVED and does not change the exit code.")
  List<String> waivers = new ArrayList<>();

  @Option(
      names = "--require",
      paramLabel = "WHAT",
      descriptionKey = RunContext.REQUIRE,
      description =
          "What the target must support, beyond what it may: 'tools' fails the tool rules of a"
              + " target that never calls a tool (they are skipped otherwise).")
  List<String> required = new ArrayList<>();

  @Option(
      names = "--baseline",
      paramLabel = "SUMMARY.JSON",
      descriptionKey = ConformanceRun.PREVIOUS_SUMMARY,
      description =
          "The summary.json of an earlier run: only rules that passed there and fail now break"
              + " the build.")
  Path previousSummary;

  @Option(
      names = "--min-stream-spread",
      paramLabel = "TIME",
      descriptionKey = RunContext.MIN_STREAM_SPREAD,
      defaultValue = "10ms",
      description = "How long before a stream's end its first content event must arrive.")
  Duration minStreamSpread;

  @Option(
      names = "--fuzz",
      paramLabel = "N",
      descriptionKey = FuzzSettings.CASES,
      defaultValue = "0",
      description =
          "Also send N requests generated from the request schema (valid ones, and ones that break"
              + " one rule), judge every answer, and shrink each finding to a minimal request (0:"
              + " off).")
  Integer fuzzCases;

  @Option(
      names = "--seed",
      paramLabel = "S",
      descriptionKey = FuzzSettings.SEED,
      description =
          "The fuzzing seed; the same seed sends the same requests (default: drawn and printed).")
  Long fuzzSeed;

  @Option(
      names = "--fuzz-time",
      paramLabel = "TIME",
      descriptionKey = FuzzSettings.TIME,
      defaultValue = "2m",
      description = "Longest fuzzing may take, shrinking included; it also ends with --max-time.")
  Duration fuzzTime;

  @Option(
      names = "--fuzz-max-prompt-bytes",
      paramLabel = "BYTES",
      descriptionKey = FuzzSettings.MAX_PROMPT_BYTES,
      defaultValue = "1800",
      description =
          "The most message text in one generated request, so that every valid one fits the"
              + " model's context (1800 fits a 2k-token context).")
  Integer fuzzMaxPromptBytes;

  @Option(
      names = "--fuzz-max-tokens",
      paramLabel = "N",
      descriptionKey = FuzzSettings.MAX_TOKENS,
      defaultValue = "32",
      description =
          "The usual max_tokens of generated requests is at most N; one in ten leaves it out and a"
              + " few sit at its overflow edges, where answers run to the model's stop.")
  Integer fuzzMaxTokens;

  // Old spellings: each keeps working, says once what it is called now, and wins over the new
  // option's default.
  private String oldProfile;
  private Duration oldTimeout;
  private Duration oldMinStreamSpread;

  @Option(names = "--profile", hidden = true, paramLabel = "PROFILE")
  void oldProfile(String value) {
    CommandLines.renamed("--profile", "--api-profile");
    oldProfile = value;
  }

  @Option(names = "--timeout-s", hidden = true, paramLabel = "SECONDS")
  void oldTimeout(String seconds) {
    CommandLines.renamed("--timeout-s", "--timeout");
    oldTimeout = Durations.parse(seconds, "s");
  }

  @Option(names = "--min-stream-spread-ms", hidden = true, paramLabel = "MS")
  void oldMinStreamSpread(String millis) {
    CommandLines.renamed("--min-stream-spread-ms", "--min-stream-spread");
    oldMinStreamSpread = Durations.parse(millis, "ms");
  }

  public static void main(String[] args) {
    // The embedded server's Jetty and WireMock talk at start-up; the table is what matters here.
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "error");
    System.exit(CommandLines.create(new ConformanceCli()).execute(args));
  }

  @Override
  public Integer call() {
    // Every option names its setting; the old spellings are added here.
    Map<String, String> parameters = CommandLines.given(spec);
    put(parameters, TargetSettings.PROFILE, oldProfile);
    put(parameters, RunContext.TIMEOUT, oldTimeout == null ? null : oldTimeout.toMillis() + "ms");
    put(
        parameters,
        RunContext.MIN_STREAM_SPREAD,
        oldMinStreamSpread == null ? null : oldMinStreamSpread.toMillis() + "ms");
    TargetSettings settings;
    long maxSeconds;
    try {
      settings = TargetSettings.resolve(parameters::get);
      maxSeconds = RunContext.maxTime(Settings.of(parameters)).toSeconds();
      FuzzSettings.of(Settings.of(parameters));
    } catch (IllegalArgumentException e) {
      return usage(e.getMessage());
    }
    if (!settings.embedded()) {
      Optional<String> problem = Reachability.problem(settings.url());
      if (problem.isPresent()) {
        return usage(problem.get());
      }
      if (settings.apiKey() == null) {
        return usage("no API key: give --api-key or set CHATGLM_API_KEY");
      }
    }
    System.out.println(
        "ChatGLM conformance: "
            + (settings.embedded() ? "embedded reference server" : settings.url())
            + ", profile "
            + settings.profile().id());
    RunReport report;
    try {
      report = withinTime(() -> ConformanceRun.run(parameters, reportDir), maxSeconds);
    } catch (IllegalArgumentException e) {
      return usage(e.getMessage());
    } catch (TimeoutException e) {
      return usage("the run did not end within --max-time " + Durations.format(maxTime));
    } catch (RuntimeException e) {
      // A fault of the gate itself (or of the embedded server): one line, still no stack trace.
      return usage("the run failed: " + e);
    }
    if (report.aborted() != null
        && report.baseline() != null
        && report.baseline().unanswered().isPresent()) {
      return usage(report.aborted());
    }
    System.out.println("Target: " + report.target());
    if (report.target().model() != null) {
      System.out.println(
          "Model: " + report.target().model() + " (" + report.baseline().modelSource() + ")");
    }
    report.print(System.out);
    if (report.aborted() != null) {
      System.err.println("chatglm-conformance: " + report.aborted());
    }
    return report.exitCode();
  }

  /**
   * Runs {@code run} and waits for it a little longer than the run's own limit, which stops sending
   * at {@code maxSeconds}: a run that still has not ended (a library stuck where no limit reaches)
   * must not hold a CI job.
   */
  private static RunReport withinTime(Callable<RunReport> run, long maxSeconds)
      throws TimeoutException {
    FutureTask<RunReport> task = new FutureTask<>(run);
    Thread thread = new Thread(task, "chatglm-conformance-run");
    thread.setDaemon(true);
    thread.start();
    try {
      return task.get(maxSeconds + GRACE_SECONDS, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException runtime) {
        throw runtime;
      }
      throw new IllegalStateException(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new TimeoutException("interrupted");
    }
  }

  private static void put(Map<String, String> parameters, String name, Object value) {
    if (value != null) {
      parameters.put(name, value.toString());
    }
  }

  private static int usage(String message) {
    System.err.println("chatglm-conformance: " + message);
    return USAGE;
  }
}
