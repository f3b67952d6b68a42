package org.chatglmkit.conformance.checks;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.chatglmkit.conformance.fuzz.FuzzCampaign;
import org.chatglmkit.conformance.fuzz.FuzzReport;
import org.chatglmkit.conformance.fuzz.FuzzSettings;
import org.chatglmkit.conformance.http.Auth;
import org.chatglmkit.conformance.http.Call;
import org.chatglmkit.conformance.http.ChatGlmClient;
import org.chatglmkit.conformance.http.Exchange;
import org.chatglmkit.conformance.http.StreamResult;
import org.chatglmkit.mockserver.client.KeyScheme;
import org.chatglmkit.mockserver.client.OpenTarget;
import org.chatglmkit.mockserver.client.Target;
import org.chatglmkit.mockserver.client.TargetClient;
import org.chatglmkit.mockserver.client.TargetSettings;
import org.chatglmkit.mockserver.settings.Settings;
import org.chatglmkit.schemas.Profile;
import org.chatglmkit.schemas.RuleCatalogue;

/**
 * What every check of one run shares: the target (the embedded server is started once), the client
 * and its record of errors, the baseline exchange, the answers several checks judge (sent at once,
 * up front), the waivers, and the run's tunables.
 */
public final class RunContext implements AutoCloseable {
  public static final String TIMEOUT = "chatglm.timeout";
  public static final String MAX_TIME = "chatglm.max-time";
  public static final String CONCURRENCY = "chatglm.concurrency";
  public static final String MAX_ANSWER_BYTES = "chatglm.max-answer-bytes";
  public static final String MIN_STREAM_SPREAD = "chatglm.stream.min-spread";
  public static final String OVERSIZED_BYTES = "chatglm.oversized-bytes";

  /** The batches of requests sent up front, each judged by one check. */
  static final String REFUSALS = "refusals";

  static final String LEGAL_VARIATIONS = "legal-variations";
  static final String TOOL_REFUSALS = "tool-refusals";

  /** How the reason of a tool rule skipped for a target that never called a tool starts. */
  public static final String NO_TOOL_CALLS = "the target did not call tools";

  /** What the target must support, beyond what it may: {@code tools}. */
  public static final String REQUIRE = "chatglm.require";

  static final String MISTAKES = "mistakes";

  /** Waived rules, one {@code RULE-ID=reason} per line. */
  public static final String WAIVERS = "chatglm.waive";

  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);
  public static final Duration DEFAULT_MAX_TIME = Duration.ofSeconds(600);
  public static final Duration DEFAULT_MIN_STREAM_SPREAD = Duration.ofMillis(10);
  public static final int DEFAULT_CONCURRENCY = ChatGlmClient.Limits.DEFAULT_CONCURRENCY;

  /** Runs opened by {@code ConformanceRun}, by id, for the checks to find. */
  private static final Map<String, RunContext> OPEN = new ConcurrentHashMap<>();

  private final OpenTarget open;
  private final ChatGlmClient client;
  private final Baseline baseline;
  private final long minStreamSpreadMillis;
  private final int oversizedBytes;
  private final Duration maxTime;
  private final long deadlineNanos;
  private final Map<String, String> waivers;
  private final Prefetch prefetch;
  private final FuzzSettings fuzzSettings;
  private final Set<String> required;
  private FuzzReport fuzzReport;

  private RunContext(
      OpenTarget open,
      ChatGlmClient client,
      Baseline baseline,
      Settings settings,
      Duration maxTime,
      long deadlineNanos,
      Map<String, String> waivers,
      Prefetch prefetch,
      FuzzSettings fuzzSettings) {
    this.open = open;
    this.prefetch = prefetch;
    this.client = client;
    this.baseline = baseline;
    this.minStreamSpreadMillis =
        settings.duration(MIN_STREAM_SPREAD, DEFAULT_MIN_STREAM_SPREAD).toMillis();
    this.oversizedBytes = (int) settings.whole(OVERSIZED_BYTES, 2 * 1024 * 1024 + 1);
    this.maxTime = maxTime;
    this.deadlineNanos = deadlineNanos;
    this.waivers = waivers;
    this.fuzzSettings = fuzzSettings;
    this.required = required(settings);
  }

  /** The supports {@code --require} names; only {@code tools} is known. */
  private static Set<String> required(Settings settings) {
    Set<String> names = new TreeSet<>();
    for (String line : settings.lines(REQUIRE)) {
      for (String name : line.split(",")) {
        String wanted = name.strip().toLowerCase(Locale.ROOT);
        if (wanted.isEmpty()) {
          continue;
        }
        if (!wanted.equals("tools")) {
          throw new IllegalArgumentException(
              "--require knows only 'tools', not '" + name.strip() + "'");
        }
        names.add(wanted);
      }
    }
    return Set.copyOf(names);
  }

  /** Whether the run was told that the target must support {@code what} ({@code --require}). */
  public boolean requires(String what) {
    return required.contains(what);
  }

  /**
   * Opens the target, finds its model when none was given, and makes the baseline exchange, with
   * every exchange the checks judge sent right behind it (see {@link Prefetch}).
   *
   * @throws IllegalArgumentException for settings that make no sense
   */
  public static RunContext open(Settings settings) {
    Duration timeout = settings.duration(TIMEOUT, DEFAULT_TIMEOUT);
    Duration maxTime = maxTime(settings);
    int concurrency = (int) settings.whole(CONCURRENCY, DEFAULT_CONCURRENCY);
    long maxBytes = settings.whole(MAX_ANSWER_BYTES, ChatGlmClient.Limits.DEFAULT_MAX_BYTES);
    if (timeout.isZero() || timeout.isNegative() || maxTime.isZero() || maxTime.isNegative()) {
      throw new IllegalArgumentException("--timeout and --max-time must be above 0");
    }
    if (concurrency < 1 || maxBytes < 1024) {
      throw new IllegalArgumentException(
          "--concurrency must be at least 1 and --max-answer-bytes at least 1024");
    }
    Map<String, String> waivers = waivers(settings);
    FuzzSettings fuzz = FuzzSettings.of(settings);
    long deadline = System.nanoTime() + maxTime.toNanos();
    TargetSettings targetSettings = TargetSettings.resolve(settings);
    OpenTarget open = targetSettings.open();
    try {
      ChatGlmClient client =
          new ChatGlmClient(
              open.target(), new ChatGlmClient.Limits(timeout, maxBytes, concurrency, deadline));
      // The model list tells the model (when none was given) and the key scheme; every exchange
      // of it is kept, for the checks of GET /v1/models.
      List<Exchange> asked = new ArrayList<>();
      ChatGlmClient asking = client;
      TargetClient.Connection connection =
          TargetClient.discover(
              open.target(),
              (method, path, body, scheme) -> {
                Exchange answer = asking.get(path, Auth.of(scheme, asking.target().apiKey()));
                asked.add(answer);
                return new TargetClient.Answer(answer.status(), answer.body(), answer.failure());
              });
      // The baseline's first chat request carries the key in API-KEY whatever the model list
      // took: that answer is what AUTH-API-KEY-HEADER judges. Refused, the run goes on with the
      // bearer token (below), as the load command does from the model list.
      client = client.withTarget(connection.target().withScheme(KeyScheme.API_KEY));
      String source = connection.modelSource().equals("none") ? null : connection.modelSource();
      Exchange models =
          open.target().model() != null
              ? null
              : asked.isEmpty() ? null : asked.get(asked.size() - 1);
      if (models != null && models.status() == 0) {
        Baseline none = new Baseline(models, null, null, Exchange.failedToStart(), null, null);
        return new RunContext(
            open, client, none, settings, maxTime, deadline, waivers, Prefetch.none(), fuzz);
      }
      // The baseline goes first; everything the checks judge follows at once, on the chance that
      // the baseline succeeds (when it does not, the blocked checks never wait for it).
      CompletableFuture<Exchange> plain =
          client.later(Call.chat(Requests.minimal(), client.auth()));
      CompletableFuture<StreamResult> streamed = baselineStream(client);
      Prefetch prefetch = Prefetch.send(client);
      Baseline baseline =
          new Baseline(
              models, client.target().model(), source, plain.join(), join(streamed), plain.join());
      Exchange apiKey = baseline.unstreamed();
      if (apiKey.status() == 401 || apiKey.status() == 403) {
        // Some servers take the key only as a bearer token: try it once, and go on with it.
        ChatGlmClient bearer = client.withBearer();
        CompletableFuture<Exchange> again =
            bearer.later(Call.chat(Requests.minimal(), bearer.auth()));
        CompletableFuture<StreamResult> streamedAgain = baselineStream(bearer);
        if (again.join().status() == 200) {
          baseline =
              new Baseline(
                  models,
                  client.target().model(),
                  source,
                  again.join(),
                  join(streamedAgain),
                  apiKey);
          client = bearer;
          prefetch = Prefetch.send(client);
        }
      }
      return new RunContext(
          open, client, baseline, settings, maxTime, deadline, waivers, prefetch, fuzz);
    } catch (RuntimeException e) {
      open.close();
      throw e;
    }
  }

  private static CompletableFuture<StreamResult> baselineStream(ChatGlmClient client) {
    return client.target().profile() == Profile.OPENAI
        ? client.streamLater(Requests.minimalStream())
        : null;
  }

  private static StreamResult join(CompletableFuture<StreamResult> stream) {
    return stream == null ? null : stream.join();
  }

  /** A shared answer sent at the start: {@code full}, {@code cut} or {@code bearer}. */
  Exchange shared(String name) {
    CompletableFuture<Exchange> answer = prefetch.answers().get(name);
    if (answer == null) {
      throw new IllegalStateException("no shared answer " + name + ": the baseline failed");
    }
    return client.await(answer);
  }

  /** The shared 32-token greedy stream. */
  StreamResult sharedStream() {
    if (prefetch.stream() == null) {
      throw new IllegalStateException("no shared stream: the profile has no streaming");
    }
    return client.awaitStream(prefetch.stream());
  }

  /** The shared stream of the named tool call, or {@code null} outside the openai profile. */
  StreamResult sharedToolStream() {
    return prefetch.toolStream() == null ? null : client.awaitStream(prefetch.toolStream());
  }

  /** The answers of a batch sent up front, in call order (sent now if it was not). */
  List<Exchange> batch(String name) {
    List<CompletableFuture<Exchange>> sent = prefetch.batches().get(name);
    if (sent == null) {
      throw new IllegalStateException("no batch " + name + ": the baseline got no answer");
    }
    return sent.stream().map(client::await).toList();
  }

  private static Map<String, String> waivers(Settings settings) {
    Map<String, String> waivers = new LinkedHashMap<>();
    for (String line : settings.lines(WAIVERS)) {
      int equals = line.indexOf('=');
      String rule = (equals < 0 ? line : line.substring(0, equals)).strip();
      String reason = equals < 0 ? "" : line.substring(equals + 1).strip();
      if (RuleCatalogue.get().find(rule).isEmpty()) {
        throw new IllegalArgumentException("--waive names no rule of the catalogue: " + rule);
      }
      if (reason.isEmpty()) {
        throw new IllegalArgumentException("--waive " + rule + " needs a reason: RULE-ID=reason");
      }
      waivers.put(rule, reason);
    }
    return Map.copyOf(waivers);
  }

  /** The run's time limit ({@code --max-time}) as {@code settings} give it. */
  public static Duration maxTime(Settings settings) {
    return settings.duration(MAX_TIME, DEFAULT_MAX_TIME);
  }

  /** Registers this run for the checks; they find it by the returned id. */
  public String register() {
    String id = Integer.toHexString(System.identityHashCode(this));
    OPEN.put(id, this);
    return id;
  }

  static Optional<RunContext> registered(String id) {
    return Optional.ofNullable(id == null ? null : OPEN.get(id));
  }

  public ChatGlmClient client() {
    return client;
  }

  public Target target() {
    return client.target();
  }

  public Baseline baseline() {
    return baseline;
  }

  public long minStreamSpreadMillis() {
    return minStreamSpreadMillis;
  }

  public int oversizedBytes() {
    return oversizedBytes;
  }

  public Duration maxTime() {
    return maxTime;
  }

  /** Whether the run's time limit has passed. */
  public boolean outOfTime() {
    return System.nanoTime() - deadlineNanos >= 0;
  }

  /**
   * The fuzzing campaign's report, run on first use within the run's time limit; empty when fuzzing
   * was not asked for.
   */
  public synchronized Optional<FuzzReport> fuzz() {
    if (!fuzzSettings.enabled()) {
      return Optional.empty();
    }
    if (fuzzReport == null) {
      fuzzReport = FuzzCampaign.run(client, fuzzSettings, deadlineNanos);
    }
    return Optional.of(fuzzReport);
  }

  /** Whether fuzzing was asked for ({@code --fuzz N}). */
  public boolean fuzzEnabled() {
    return fuzzSettings.enabled();
  }

  /** The fuzzing report, when a campaign ran. */
  public synchronized Optional<FuzzReport> fuzzReport() {
    return Optional.ofNullable(fuzzReport);
  }

  /** Waived rules and their reasons. */
  public Map<String, String> waivers() {
    return waivers;
  }

  @Override
  public void close() {
    OPEN.values().remove(this);
    client.close();
    open.close();
  }
}
