package org.chatglmkit.load;

import io.gatling.javaapi.http.HttpDsl;
import io.gatling.javaapi.http.HttpProtocolBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Comparator;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.chatglmkit.mockserver.client.OpenTarget;
import org.chatglmkit.mockserver.client.Reachability;
import org.chatglmkit.mockserver.client.Target;
import org.chatglmkit.mockserver.client.TargetClient;
import org.chatglmkit.mockserver.client.TargetSettings;
import org.chatglmkit.mockserver.core.LatencyProfile;
import org.chatglmkit.mockserver.settings.Settings;

/**
 * One load run, from its plan to its report: it reaches the target (or starts the embedded
 * reference server), learns its model and key scheme, and wires the parts a simulation drives: the
 * users' {@link Sessions}, the metrics, the conformance checks, the schedule and the progress line.
 * A simulation opens it when Gatling builds it and calls {@link #finish} in {@code after()}, which
 * writes the report and leaves it for the command.
 *
 * <pre>{@code
 * private final LoadRun run = LoadRun.open("StreamingChatSimulation");
 * ... scenario(...).feed(run.feeder()).exec(run.sessions()::begin) ...
 * public void after() { run.finish(); }
 * }</pre>
 */
public final class LoadRun {
  /**
   * The embedded server's documented latency profile: 200 ms to the first token, then 20 ms per
   * token, as in the streaming benchmark.
   */
  public static final LatencyProfile EMBEDDED_LATENCY = new LatencyProfile(200, 20, 0);

  private final LoadPlan plan;
  private final OpenTarget open;
  private final Target target;
  private final String modelSource;
  private final Metrics metrics;
  private final Conformance conformance;
  private final ScheduleKeeper schedule;
  private final AgentStats agent = new AgentStats();
  private final Sessions sessions;
  private final Progress progress;
  private final long startedMillis = System.currentTimeMillis();

  private LoadRun(LoadPlan plan, OpenTarget open) {
    this.plan = plan;
    this.open = open;
    // The model list also tells the key's scheme: a target that refuses API-KEY and takes a bearer
    // token gets the bearer token on every request of the run.
    TargetClient.Connection connection = TargetClient.connect(open.target(), Duration.ofSeconds(5));
    connection.lines().forEach(System.out::println);
    this.target = connection.target();
    this.modelSource = connection.modelSource();
    LoadConfig config = plan.config();
    this.metrics = new Metrics(config.slo());
    // Checks and the reading of finished streams run on one thread of their own.
    this.conformance = new Conformance(target.profile(), metrics, config.validate(), true);
    this.schedule =
        new ScheduleKeeper(plan.workload().schedule(), metrics, config.warmup().toNanos());
    this.sessions = new Sessions(plan, target, metrics, conformance, schedule, agent);
    this.progress = new Progress(config, metrics, sessions, schedule);
  }

  /**
   * Opens the run of {@code scenario}: the plan the command left (see {@link Handoff}), or one
   * resolved from the system properties (the Maven path); then reaches or starts the target.
   */
  public static LoadRun open(String scenario) {
    LoadPlan plan =
        Handoff.take(scenario)
            .orElseGet(() -> LoadPlan.resolve(Settings.system(), scenario, false));
    TargetSettings settings = plan.target();
    try {
      if (!settings.embedded()) {
        Optional<String> problem = Reachability.problem(settings.url());
        if (problem.isPresent()) {
          // One plain line first: Gatling wraps what follows in its own stack traces.
          System.err.println("chatglm load run: " + problem.get());
          throw new IllegalStateException("chatglm load run: " + problem.get());
        }
      }
      OpenTarget open =
          settings.open(
              TargetSettings.embeddedServer()
                  .latency(EMBEDDED_LATENCY)
                  .faults(plan.embeddedFaults())
                  .build());
      return new LoadRun(plan, open);
    } catch (RuntimeException e) {
      plan.close();
      throw e;
    }
  }

  public LoadConfig config() {
    return plan.config();
  }

  /** The target, naming the model it lists when none was given. */
  public Target target() {
    return target;
  }

  public Metrics metrics() {
    return metrics;
  }

  /** What the scenarios call for each user. */
  public Sessions sessions() {
    return sessions;
  }

  /** The arrival schedule (seconds from the start), or {@code null} for the closed model. */
  public double[] schedule() {
    return plan.workload().schedule();
  }

  /** An endless feeder: the arrival index of each user, in the order users start. */
  public Iterator<Map<String, Object>> feeder() {
    return schedule.feeder();
  }

  /**
   * The HTTP protocol every simulation uses: the target's root, the key in the scheme the target
   * takes, and extra headers.
   */
  public HttpProtocolBuilder protocol() {
    return HttpDsl.http
        .baseUrl(target.baseUrl())
        .headers(target.requestHeaders())
        .contentTypeHeader("application/json");
  }

  /**
   * The longest the simulation may run: the last arrival (or the closed model's duration), then one
   * stream timeout for the last requests, and a little for the machinery. Gatling stops every user
   * at this point, whatever the target does (a server that hangs or freezes cannot hold the run).
   */
  public Duration maxDuration() {
    double[] schedule = plan.workload().schedule();
    Duration load =
        schedule == null || schedule.length == 0
            ? plan.config().warmup().plus(plan.config().duration())
            : Duration.ofNanos(Math.round(schedule[schedule.length - 1] * 1e9));
    return load.plus(plan.config().streamTimeout()).plusSeconds(2);
  }

  /**
   * Ends the run: stops the embedded server, writes and prints the report, and leaves it for the
   * command. On the Maven path (no command) a breached threshold fails the simulation.
   */
  public Report finish() {
    progress.close();
    // Users that Gatling stopped at maxDuration() never finished their request.
    sessions.failUnfinished();
    progress.print(System.out);
    conformance.drain();
    metrics.finish();
    open.close();
    plan.close();
    Path dir = reportDirectory();
    Report report =
        Report.of(
            plan.scenario(),
            plan.config(),
            target,
            metrics,
            schedule.figures(),
            plan.workload().description());
    report.summary().put("checked_after_the_load", conformance.deferred());
    report.summary().put("model", target.model());
    report.summary().put("model_source", modelSource);
    if (agent.any()) {
      report.summary().set("agent", agent.summary());
    }
    report.write(dir);
    report.print(System.out, dir);
    if (agent.any()) {
      System.out.println(agent.line());
    }
    Handoff.finished(plan.scenario(), report);
    if (!plan.commandDecides()) {
      report.requirePassed();
    }
    return report;
  }

  /**
   * Gatling's own run directory ({@code <simulation>-<timestamp>} under the results folder, made
   * when this run started), so that {@code summary.json} sits beside its HTML report; a new
   * directory of the same pattern when Gatling runs elsewhere.
   */
  private Path reportDirectory() {
    Path root = plan.reportDir();
    String prefix = plan.scenario().toLowerCase(Locale.ROOT) + "-";
    try (Stream<Path> dirs = Files.list(root)) {
      Optional<Path> gatling =
          dirs.filter(dir -> dir.getFileName().toString().startsWith(prefix))
              .filter(dir -> Files.exists(dir.resolve("simulation.log")))
              .filter(dir -> dir.toFile().lastModified() >= startedMillis - 5_000)
              .max(Comparator.comparingLong(dir -> dir.toFile().lastModified()));
      if (gatling.isPresent()) {
        return gatling.get();
      }
    } catch (IOException e) {
      // no results folder yet: fall through
    }
    String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMddHHmmssSSS"));
    return root.resolve(prefix + stamp);
  }
}
