package org.chatglmkit.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatling.javaapi.core.Session;
import io.gatling.javaapi.http.HttpDsl;
import io.gatling.javaapi.http.HttpProtocolBuilder;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.stream.Stream;
import org.HdrHistogram.Histogram;
import org.chatglmkit.load.workload.Conversation;
import org.chatglmkit.mockserver.core.FaultPolicy;
import org.chatglmkit.mockserver.core.Json;
import org.chatglmkit.mockserver.core.LatencyProfile;
import org.chatglmkit.mockserver.settings.Settings;
import org.chatglmkit.mockserver.target.ModelDiscovery;
import org.chatglmkit.mockserver.target.OpenTarget;
import org.chatglmkit.mockserver.target.Reachability;
import org.chatglmkit.mockserver.target.Target;
import org.chatglmkit.mockserver.target.TargetSettings;
import org.chatglmkit.mockserver.target.ToolCalls;
import org.chatglmkit.schemas.Shape;

/**
 * One load run: the target (the embedded reference server when none is given), the workload, the
 * metrics and the conformance checks. Simulations open it when Gatling builds them, call it from
 * their scenario, and close it in {@code after()}, which writes and checks the report.
 *
 * <p>Each virtual user plays one conversation: {@link #begin} (its arrival, against the schedule),
 * then for each turn {@link #body}, {@link #sending}, the request, and {@link #streamFinished} or
 * {@link #answered}; each answer joins the next turn's context.
 */
public final class LoadRun {
  /**
   * The embedded server's documented latency profile: 200 ms to the first token, then 20 ms per
   * token, as in the streaming benchmark.
   */
  public static final LatencyProfile EMBEDDED_LATENCY = new LatencyProfile(200, 20, 0);

  private static volatile LoadRun current;
  private static volatile Report last;
  private static volatile boolean commandDecides;

  private final String simulation;
  private final LoadConfig config;
  private final OpenTarget open;
  private final Target target;
  private final String modelSource;
  private final boolean bearer;
  private final ClientTokenizer tokenizer;
  private final Workload workload;
  private final Metrics metrics;
  private final Conformance conformance;
  private final StreamTracker streams;
  private final AgentStats agent = new AgentStats();
  private final Map<Long, UserSession> sessions = new ConcurrentHashMap<>();
  private final AtomicLong arrivals = new AtomicLong();
  private final AtomicLong sent = new AtomicLong();
  private final AtomicLong finished = new AtomicLong();
  private final AtomicLongArray arrivedAt;
  private final long startedMillis = System.currentTimeMillis();
  private final ScheduledExecutorService ticker;
  private volatile long origin = -1;
  private volatile long lastArrival;

  private static final class UserSession {
    final Conversation conversation;
    final ArrayNode earlier;
    int turn;
    boolean broken;
    long tokenizerInput = -1;
    long sentAt;
    boolean measured;
    boolean pending;
    // The agent loop of the current turn: its round, the calls and results so far, its start.
    int round;
    ArrayNode rounds = Json.MAPPER.createArrayNode();
    boolean roundDue;
    long turnStart;

    UserSession(Conversation conversation) {
      this.conversation = conversation;
      this.earlier = conversation.context().deepCopy();
    }
  }

  private LoadRun(
      String simulation,
      LoadConfig config,
      OpenTarget open,
      ClientTokenizer tokenizer,
      Workload workload) {
    this.simulation = simulation;
    this.config = config;
    this.open = open;
    Target given = open.target();
    // The model list also tells the key's scheme: a target that refuses API-KEY and takes a bearer
    // token there gets the bearer token on every request of the run.
    ModelDiscovery.Discovery discovery =
        given.embedded()
            ? new ModelDiscovery.Discovery(Optional.empty(), false, null)
            : ModelDiscovery.discover(given, Duration.ofSeconds(5));
    Optional<String> listed = given.model() != null ? Optional.empty() : discovery.model();
    this.target = listed.map(given::withModel).orElse(given);
    this.bearer = discovery.bearer();
    this.modelSource =
        given.model() != null ? "given" : listed.isPresent() ? ModelDiscovery.SOURCE : "none";
    if (listed.isPresent()) {
      System.out.println("model: " + listed.get() + " (" + ModelDiscovery.SOURCE + ")");
    } else if (given.model() == null && !given.embedded()) {
      System.out.println(
          "model: none sent (GET /v1/models: "
              + discovery.problem()
              + "); a target that requires one refuses every request: give --model");
    }
    if (bearer) {
      System.out.println("key: sent as Authorization: Bearer (the target refused API-KEY)");
    }
    this.tokenizer = tokenizer;
    this.workload = workload;
    this.metrics = new Metrics(config.slo());
    // Checks and the reading of finished streams run on one thread of their own.
    this.conformance = new Conformance(target.profile(), metrics, config.validate(), true);
    this.streams = new StreamTracker(metrics, conformance);
    this.arrivedAt =
        new AtomicLongArray(workload.schedule() == null ? 0 : workload.schedule().length);
    this.ticker =
        Executors.newSingleThreadScheduledExecutor(
            task -> {
              Thread thread = new Thread(task, "chatglm-load-progress");
              thread.setDaemon(true);
              return thread;
            });
    long every = config.progress().toMillis();
    if (every > 0) {
      ticker.scheduleAtFixedRate(() -> progress(System.out), every, every, TimeUnit.MILLISECONDS);
    }
  }

  /**
   * Opens the run for a simulation: reads the settings and the workload (a bad dataset line stops
   * here, before any load), then reaches or starts the target.
   */
  public static LoadRun open(String simulation) {
    LoadConfig config = LoadConfig.fromSystemProperties();
    TargetSettings settings = TargetSettings.fromEnvironment();
    ClientTokenizer tokenizer = ClientTokenizer.open(config.tokenizer());
    Workload workload = Workload.of(config, tokenizer);
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
    LoadRun run = new LoadRun(simulation, config, open, tokenizer, workload);
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

  /**
   * When set (by the command), {@link #finish} leaves the verdict to the caller instead of failing
   * the simulation, which Gatling would print as a stack trace.
   */
  public static void commandDecides(boolean decides) {
    commandDecides = decides;
  }

  /** Whether the command, not the simulation, turns breaches into the exit code. */
  public static boolean commandDecides() {
    return commandDecides;
  }

  /** The report of the run that finished last in this JVM (for the command), if any. */
  public static Optional<Report> lastReport() {
    return Optional.ofNullable(last);
  }

  public LoadConfig config() {
    return config;
  }

  /** The target, naming the model it lists when none was given. */
  public Target target() {
    return target;
  }

  public Metrics metrics() {
    return metrics;
  }

  /** The arrival schedule (seconds from the start), or {@code null} for the closed model. */
  public double[] schedule() {
    return workload.schedule();
  }

  /**
   * The HTTP protocol every simulation uses: the target's root, the key in the scheme the target
   * takes, and extra headers.
   */
  public HttpProtocolBuilder protocol() {
    return HttpDsl.http
        .baseUrl(target().baseUrl())
        .header(
            bearer ? "Authorization" : "API-KEY",
            bearer ? "Bearer " + target().apiKey() : target().apiKey())
        .headers(target().headers())
        .contentTypeHeader("application/json");
  }

  /** An endless feeder: the arrival index of each user, in the order users start. */
  public Iterator<Map<String, Object>> feeder() {
    return new Iterator<>() {
      @Override
      public boolean hasNext() {
        return true;
      }

      @Override
      public Map<String, Object> next() {
        return Map.of("arrival", arrivals.getAndIncrement());
      }
    };
  }

  // ---- called from the scenarios ----

  /** A user arrives: its lag behind the schedule is measured, its conversation chosen. */
  public Session begin(Session session) {
    long now = System.nanoTime();
    long index = session.getLong("arrival");
    double[] schedule = workload.schedule();
    double due = schedule == null ? 0 : schedule[(int) Math.min(index, schedule.length - 1)];
    synchronized (this) {
      if (origin < 0) {
        origin = now - Math.round(due * 1e9);
        metrics.origin(origin + config.warmup().toNanos());
      }
    }
    if (index < arrivedAt.length()) {
      arrivedAt.set((int) index, now);
    }
    lastArrival = now;
    sessions.put(session.userId(), new UserSession(workload.conversation(index)));
    return session;
  }

  /** The number of turns of the user's conversation. */
  public int turns(Session session) {
    UserSession user = sessions.get(session.userId());
    return user == null ? 0 : Math.min(config.turns(), user.conversation.turns().size());
  }

  /** A turn starts: its first round is due. */
  public Session startTurn(Session session) {
    UserSession user = sessions.get(session.userId());
    if (user != null) {
      user.roundDue = !user.broken;
    }
    return session;
  }

  /**
   * Whether the turn needs another request: its first, or one that answers the calls of the last
   * (agent loops).
   */
  public boolean roundDue(Session session) {
    UserSession user = sessions.get(session.userId());
    return user != null && user.roundDue && !user.broken;
  }

  /** The tools the user's current turn offers, or {@code null}. */
  private ArrayNode tools(UserSession user) {
    return config.agent().toolsFor(user.conversation.turns().get(user.turn).tools());
  }

  /** The request body of the user's next turn (or of its next round). */
  public String body(Session session, boolean stream) {
    UserSession user = sessions.get(session.userId());
    Conversation.Turn turn = user.conversation.turns().get(user.turn);
    ArrayNode messages = turn.messages().deepCopy().addAll(user.rounds);
    ArrayNode all = user.earlier.deepCopy().addAll(messages);
    user.tokenizerInput = tokenizer == null ? -1 : tokenizer.prompt(all);
    int maxTokens = turn.maxTokens() != null ? turn.maxTokens() : config.maxTokens();
    return Requests.body(
        user.earlier,
        messages,
        maxTokens,
        config.temperature(),
        stream,
        target().modelName().orElse(null),
        target().profile(),
        tools(user));
  }

  /** The user's request is about to be written. */
  public Session sending(Session session, boolean stream) {
    long now = System.nanoTime();
    UserSession user = sessions.get(session.userId());
    user.sentAt = now;
    if (user.round == 0) {
      user.turnStart = now;
    }
    user.measured = origin >= 0 && now - origin >= config.warmup().toNanos();
    user.pending = true;
    sent.incrementAndGet();
    if (stream) {
      streams.start(session.userId(), now, user.measured, user.tokenizerInput);
    }
    return session;
  }

  /** One SSE message of a user's stream; {@code true} when the stream is done. */
  public boolean streamMessage(long userId, String message) {
    return streams.onMessage(userId, message);
  }

  /** The user's stream ended; {@code failed} is Gatling's verdict. */
  public Session streamFinished(Session session) {
    UserSession user = sessions.get(session.userId());
    boolean calling = user != null && tools(user) != null;
    StreamTracker.Outcome outcome =
        streams.finish(
            session.userId(),
            session.isFailed(),
            tokenizer == null ? null : tokenizer::text,
            turns(session) > 1 || calling);
    turnDone(
        session.userId(),
        outcome.ok(),
        outcome.answer(),
        outcome.calls(),
        outcome.firstNanos(),
        outcome.outputTokens());
    return session;
  }

  /**
   * An unstreamed answer: status, body and Retry-After as Gatling saved them ({@code status}
   * missing when no answer came).
   */
  public Session answered(Session session) {
    long end = System.nanoTime();
    UserSession user = sessions.get(session.userId());
    Integer status = session.contains("status") ? session.getInt("status") : null;
    String body = session.contains("answer") ? session.getString("answer") : null;
    String retryAfter = session.contains("retryAfter") ? session.getString("retryAfter") : null;
    JsonNode json = StreamTracker.parse(body == null ? "null" : body);
    String answer = "";
    boolean ok = false;
    ToolCalls calls = null;
    long outputTokens = -1;
    if (status == null) {
      record(user, () -> metrics.failure(user.sentAt, "no-answer"));
    } else if (status != 200) {
      conformance.checkError(status, json, retryAfter);
      record(user, () -> metrics.failure(user.sentAt, "http-" + status));
    } else if (!json.isObject()) {
      conformance.check(Shape.COMPLETION, json);
      record(user, () -> metrics.failure(user.sentAt, "answer-not-json"));
    } else {
      conformance.check(Shape.COMPLETION, json, body);
      answer = json.path("choices").path(0).path("message").path("content").asText("");
      JsonNode usage = json.path("usage");
      String text = answer;
      Metrics.Tokens tokens =
          new Metrics.Tokens(
              usage.path("prompt_tokens").asLong(-1),
              usage.path("completion_tokens").asLong(-1),
              user.tokenizerInput,
              tokenizer == null ? -1 : tokenizer.text(text),
              -1,
              text.isBlank() ? 0 : text.strip().split("\\s+").length);
      record(user, () -> metrics.success(user.sentAt, List.of(end), end, tokens));
      ok = true;
      calls = ToolCalls.ofCompletion(json);
      outputTokens = usage.path("completion_tokens").asLong(-1);
    }
    turnDone(session.userId(), ok, answer, calls, end - user.sentAt, outputTokens);
    return session;
  }

  private void record(UserSession user, Runnable measure) {
    if (user.measured) {
      measure.run();
    } else {
      metrics.warmup();
    }
  }

  /**
   * A request of the user's turn ended. An answer that calls, to a turn that offers tools, is
   * checked (arguments that parse and fit the function's parameters) and answered with the tool
   * results, and the turn goes on, up to {@code --max-tool-rounds} requests; otherwise the turn
   * ends and its messages join the conversation.
   */
  private void turnDone(
      long userId, boolean ok, String answer, ToolCalls calls, long firstNanos, long outputTokens) {
    finished.incrementAndGet();
    UserSession user = sessions.get(userId);
    if (user == null) {
      return;
    }
    user.pending = false;
    user.roundDue = false;
    if (!ok) {
      user.broken = true;
      return;
    }
    ArrayNode tools = tools(user);
    boolean atLimit = false;
    if (tools != null && calls != null && calls.any()) {
      if (user.measured) {
        agent.called(calls.calls().size(), firstNanos, outputTokens);
      }
      conformance.checkCalls(calls, tools);
      if (user.round + 1 < config.agent().maxRounds()) {
        user.rounds.addAll(config.agent().answer(calls));
        user.round++;
        user.roundDue = true;
        return;
      }
      atLimit = true;
    }
    if (tools != null && user.measured) {
      agent.turn(user.round + 1, System.nanoTime() - user.turnStart, atLimit);
    }
    Conversation.Turn turn = user.conversation.turns().get(user.turn);
    user.earlier.addAll(turn.messages());
    user.earlier.addAll(user.rounds);
    ObjectNode reply = user.earlier.addObject();
    reply.put("role", "assistant");
    reply.put("content", answer);
    user.turn++;
    user.round = 0;
    user.rounds = Json.MAPPER.createArrayNode();
  }

  /** Whether the user's conversation stops here (a turn failed). */
  public boolean broken(Session session) {
    UserSession user = sessions.get(session.userId());
    return user == null || user.broken;
  }

  /** The user leaves. */
  public Session end(Session session) {
    sessions.remove(session.userId());
    return session;
  }

  // ---- progress and the end ----

  void progress(PrintStream out) {
    if (origin < 0) {
      return;
    }
    double elapsed = (System.nanoTime() - origin) / 1e9;
    double measured = Math.max(1e-9, elapsed - config.warmup().toNanos() / 1e9);
    out.printf(
        Locale.ROOT,
        "[%5.0fs] in flight %d, completed %d, failed %d, TTFT p50 %.0f ms p99 %.0f ms, output %.1f"
            + " tok/s%s%n",
        elapsed,
        Math.max(0, sent.get() - finished.get()),
        metrics.completed.sum(),
        metrics.failed.sum(),
        metrics.ttft.getTotalCount() == 0 ? 0 : metrics.ttft.getValueAtPercentile(50) / 1000.0,
        metrics.ttft.getTotalCount() == 0 ? 0 : metrics.ttft.getValueAtPercentile(99) / 1000.0,
        metrics.outputTokens.sum() / measured,
        measured < 1e-3 ? " (warming up)" : "");
  }

  /**
   * How the generator kept to its schedule (open model only). Each arrival's lag is how much later
   * than due it started, measured against the arrival that kept to the schedule best (the one
   * started earliest relative to when it was due): the generator's own delays, not the time it took
   * Gatling to begin.
   */
  ObjectNode scheduleFigures() {
    ObjectNode figures = Json.MAPPER.createObjectNode();
    double[] schedule = workload.schedule();
    long started = Math.min(arrivals.get(), schedule == null ? arrivals.get() : schedule.length);
    figures.put("arrivals_started", started);
    if (schedule == null) {
      figures.put("model", "closed (concurrency): no schedule");
      return figures;
    }
    figures.put("arrivals_planned", schedule.length);
    long best = Long.MAX_VALUE;
    for (int i = 0; i < arrivedAt.length(); i++) {
      if (arrivedAt.get(i) != 0) {
        best = Math.min(best, arrivedAt.get(i) - Math.round(schedule[i] * 1e9));
      }
    }
    Histogram scheduleLag = new Histogram(3);
    for (int i = 0; i < arrivedAt.length(); i++) {
      if (arrivedAt.get(i) != 0) {
        scheduleLag.recordValue((arrivedAt.get(i) - Math.round(schedule[i] * 1e9) - best) / 1_000);
      }
    }
    double span = schedule.length > 1 ? schedule[schedule.length - 1] - schedule[0] : 0;
    double requested = span > 0 ? (schedule.length - 1) / span : 0;
    double actualSpan = started > 1 ? (lastArrival - origin) / 1e9 - schedule[0] : 0;
    double achieved = actualSpan > 0 ? (started - 1) / actualSpan : 0;
    figures.put("requested_rate", Report.round(requested));
    figures.put("achieved_rate", Report.round(achieved));
    figures.put("lag_p50_ms", Report.round(scheduleLag.getValueAtPercentile(50) / 1000.0));
    figures.put("lag_p99_ms", Report.round(scheduleLag.getValueAtPercentile(99) / 1000.0));
    figures.put("lag_max_ms", Report.round(scheduleLag.getMaxValue() / 1000.0));
    boolean behind =
        started < schedule.length
            || scheduleLag.getValueAtPercentile(99) > 50_000
            || (requested > 0 && achieved < 0.95 * requested);
    figures.put("generator_behind", behind);
    return figures;
  }

  /**
   * The longest the simulation may run: the last arrival (or the closed model's duration), then one
   * stream timeout for the last requests, and a little for the machinery. Gatling stops every user
   * at this point, whatever the target does (a server that hangs or freezes cannot hold the run).
   */
  public Duration maxDuration() {
    double[] schedule = workload.schedule();
    Duration load =
        schedule == null || schedule.length == 0
            ? config.warmup().plus(config.duration())
            : Duration.ofNanos(Math.round(schedule[schedule.length - 1] * 1e9));
    return load.plus(config.streamTimeout()).plusSeconds(2);
  }

  /** Ends the run: stops the embedded server, writes and prints the report. */
  public Report finish() {
    ticker.shutdownNow();
    // Users that Gatling stopped at maxDuration() never finished their request.
    sessions
        .values()
        .forEach(
            user -> {
              if (user.pending && user.measured) {
                metrics.failure(user.sentAt, "unfinished-at-end");
              }
            });
    progress(System.out);
    conformance.drain();
    metrics.finish();
    open.close();
    if (tokenizer != null) {
      tokenizer.close();
    }
    Path dir = reportDirectory();
    Report report =
        Report.of(simulation, config, target(), metrics, scheduleFigures(), workload.description());
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
    current = null;
    last = report;
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
}
