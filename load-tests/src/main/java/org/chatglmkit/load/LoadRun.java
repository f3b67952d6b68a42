package org.chatglmkit.load;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatling.javaapi.http.HttpDsl;
import io.gatling.javaapi.http.HttpProtocolBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Stream;
import org.chatglmkit.mockserver.core.FaultPolicy;
import org.chatglmkit.mockserver.core.Json;
import org.chatglmkit.mockserver.core.LatencyProfile;
import org.chatglmkit.mockserver.settings.Settings;
import org.chatglmkit.mockserver.target.OpenTarget;
import org.chatglmkit.mockserver.target.Reachability;
import org.chatglmkit.mockserver.target.Target;
import org.chatglmkit.mockserver.target.TargetSettings;
import org.chatglmkit.schemas.Shape;

/**
 * One load run: the target (the embedded reference server when none is given), the prompts, the
 * metrics and the conformance checks. Simulations open it in {@code before()}, feed it from their
 * scenario, and close it in {@code after()}, which writes and checks the report.
 */
public final class LoadRun {
  /**
   * The embedded server's documented latency profile: 200 ms to the first token, then 20 ms per
   * token, as in the streaming benchmark.
   */
  public static final LatencyProfile EMBEDDED_LATENCY = new LatencyProfile(200, 20, 0);

  private static volatile LoadRun current;

  private final String simulation;
  private final LoadConfig config;
  private final OpenTarget open;
  private final Metrics metrics;
  private final Conformance conformance;
  private final StreamTracker streams;
  private final long startedMillis = System.currentTimeMillis();

  private LoadRun(String simulation, LoadConfig config, OpenTarget open) {
    this.simulation = simulation;
    this.config = config;
    this.open = open;
    this.metrics = new Metrics(config.slo());
    this.conformance = new Conformance(open.target().profile(), metrics, config.validate());
    this.streams = new StreamTracker(metrics, conformance);
  }

  /** Opens the run for a simulation; the target comes from {@code chatglm.target.*}. */
  public static LoadRun open(String simulation) {
    LoadConfig config = LoadConfig.fromSystemProperties();
    TargetSettings settings = TargetSettings.fromEnvironment();
    if (!settings.embedded()) {
      Reachability.problem(settings.url())
          .ifPresent(
              problem -> {
                // One plain line first: Gatling wraps what follows in its own stack traces.
                System.err.println("chatglm load run: " + problem);
                throw new IllegalStateException("chatglm load run: " + problem);
              });
    }
    OpenTarget open =
        settings.open(
            TargetSettings.embeddedServer()
                .latency(EMBEDDED_LATENCY)
                .faults(embeddedFaults())
                .build());
    LoadRun run = new LoadRun(simulation, config, open);
    current = run;
    return run;
  }

  /**
   * Faults for the embedded server, e.g. {@code -Dchatglm.load.embedded-faults=429=0.1,stall=0.05},
   * to see how a run copes with them; stalls last {@code chatglm.load.embedded-stall-ms} (5000).
   */
  private static FaultPolicy embeddedFaults() {
    Settings settings = Settings.system();
    String rates = settings.text("chatglm.load.embedded-faults", "");
    long stall = settings.whole("chatglm.load.embedded-stall-ms", 5_000);
    return new FaultPolicy(FaultPolicy.parseRates(rates), 1, stall);
  }

  public static LoadRun current() {
    if (current == null) {
      throw new IllegalStateException("no load run is open");
    }
    return current;
  }

  public LoadConfig config() {
    return config;
  }

  public Target target() {
    return open.target();
  }

  public Metrics metrics() {
    return metrics;
  }

  /** The HTTP protocol every simulation uses: the target's root, key and extra headers. */
  public HttpProtocolBuilder protocol() {
    return HttpDsl.http
        .baseUrl(target().baseUrl())
        .header("API-KEY", target().apiKey())
        .headers(target().headers())
        .contentTypeHeader("application/json");
  }

  /** The run's prompts as request bodies, streamed or not. */
  public Prompts prompts(boolean stream) {
    return Prompts.load(
        config.dataset(),
        config.maxTokens(),
        config.temperature(),
        stream,
        target().modelName().orElse(null));
  }

  // ---- called from the scenarios ----

  /** Marks the start of a user's stream. */
  public void streamStarted(long userId) {
    streams.start(userId);
  }

  /** One SSE message of a user's stream; {@code true} when the stream is done. */
  public boolean streamMessage(long userId, String message) {
    return streams.onMessage(userId, message);
  }

  public void streamFinished(long userId, boolean failed) {
    streams.finish(userId, failed);
  }

  /**
   * An unstreamed answer.
   *
   * @param sent when the request was sent ({@link System#nanoTime()})
   * @param status the HTTP status, or {@code null} when no answer came
   * @param body the body, or {@code null}
   * @param retryAfter the Retry-After header, or {@code null}
   */
  public void answered(long sent, Integer status, String body, String retryAfter) {
    long end = System.nanoTime();
    if (status == null) {
      metrics.failure(sent, "no-answer");
      return;
    }
    JsonNode json = parse(body);
    if (status != 200) {
      conformance.checkError(status, json, retryAfter);
      metrics.failure(sent, "http-" + status);
      return;
    }
    conformance.check(Shape.COMPLETION, json);
    JsonNode usage = json.path("usage");
    long tokens = usage.path("completion_tokens").asLong(-1);
    if (tokens < 0) {
      String content = json.path("choices").path(0).path("message").path("content").asText("");
      tokens = content.isEmpty() ? 0 : content.split("\\s+").length;
    }
    metrics.success(sent, List.of(end), end, usage.path("prompt_tokens").asLong(-1), tokens);
  }

  /** Ends the run: stops the embedded server, writes and prints the report, checks thresholds. */
  public Report finish() {
    metrics.finish();
    open.close();
    Path dir = reportDirectory();
    Report report = Report.of(simulation, config, target(), metrics);
    report.write(dir);
    report.print(System.out, dir);
    current = null;
    return report;
  }

  /**
   * Gatling's own run directory ({@code <simulation>-<timestamp>} under the results folder, made
   * when this run started), so that {@code summary.json} sits beside its HTML report; a new
   * directory of the same pattern when Gatling runs elsewhere.
   */
  private Path reportDirectory() {
    Path root = Path.of(Settings.system().text("chatglm.load.report-dir", "reports/load"));
    String prefix = simulation.toLowerCase(Locale.ROOT) + "-";
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

  private static JsonNode parse(String body) {
    try {
      return body == null ? Json.MAPPER.nullNode() : Json.MAPPER.readTree(body);
    } catch (Exception e) {
      return Json.MAPPER.nullNode();
    }
  }
}
