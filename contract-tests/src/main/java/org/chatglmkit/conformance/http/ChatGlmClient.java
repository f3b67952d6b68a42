package org.chatglmkit.conformance.http;

import io.qameta.allure.Allure;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.chatglmkit.mockserver.client.KeyScheme;
import org.chatglmkit.mockserver.client.Target;

/**
 * The suite's only way to talk to a target: REST Assured for plain requests, {@link StreamClient}
 * for streams. Every exchange is bounded whole by the {@link Limits} (time and bytes), names the
 * target's model and carries its extra headers; 429 and 529 answers are retried after their
 * Retry-After (a few times), and every error met is kept for the checks of section 5.
 *
 * <pre>{@code
 * ChatGlmClient client = new ChatGlmClient(target, Limits.of(Duration.ofSeconds(60)));
 * Exchange answer = client.chat("{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
 * }</pre>
 */
public final class ChatGlmClient implements AutoCloseable {
  public static final String CHAT_PATH = "/v1/chat/completions";

  static final int MAX_RETRIES = 3;

  private static final long MAX_RETRY_WAIT_MILLIS = 10_000;
  private static final long DEFAULT_RETRY_WAIT_MILLIS = 200;

  /**
   * How far the client may go.
   *
   * @param timeout the longest one exchange may take, from connecting to the last byte
   * @param maxBytes the most bytes one answer or stream may carry
   * @param concurrency how many exchanges may be under way at once
   * @param deadlineNanos {@link System#nanoTime()} after which nothing more is sent (the run's time
   *     limit)
   */
  public record Limits(Duration timeout, long maxBytes, int concurrency, long deadlineNanos) {
    public static final long DEFAULT_MAX_BYTES = 8L * 1024 * 1024;
    public static final int DEFAULT_CONCURRENCY = 8;

    public static Limits of(Duration timeout) {
      return new Limits(
          timeout,
          DEFAULT_MAX_BYTES,
          DEFAULT_CONCURRENCY,
          System.nanoTime() + Duration.ofHours(1).toNanos());
    }
  }

  private final Target target;
  private final Secrets secrets;
  private final Limits limits;
  private final PlainExchanges plain;
  private final StreamClient streams;
  private final ExecutorService pool;
  private final List<ObservedError> observed;

  public ChatGlmClient(Target target, Limits limits) {
    this(target, limits, null, new CopyOnWriteArrayList<>());
  }

  private ChatGlmClient(
      Target target, Limits limits, ExecutorService sharedPool, List<ObservedError> observed) {
    this.target = target;
    this.limits = limits;
    this.observed = observed;
    List<String> keys = new ArrayList<>(List.of(target.apiKey()));
    target.forbidden().ifPresent(keys::add);
    keys.addAll(target.secretHeaderValues());
    this.secrets = new Secrets(keys.toArray(String[]::new));
    this.plain = new PlainExchanges(target, secrets, limits);
    this.streams = new StreamClient(limits.maxBytes());
    AtomicInteger threads = new AtomicInteger();
    this.pool =
        sharedPool != null
            ? sharedPool
            : Executors.newFixedThreadPool(
                Math.max(1, limits.concurrency()),
                task -> {
                  Thread thread = new Thread(task, "chatglm-gate-" + threads.incrementAndGet());
                  thread.setDaemon(true);
                  return thread;
                });
  }

  public Target target() {
    return target;
  }

  /** A client for {@code other} that shares this one's threads and record of errors. */
  public ChatGlmClient withTarget(Target other) {
    return new ChatGlmClient(other, limits, pool, observed);
  }

  /** A client that sends the user's key as a bearer token (for targets that take no other). */
  public ChatGlmClient withBearer() {
    return withTarget(target.withScheme(KeyScheme.BEARER));
  }

  public Secrets secrets() {
    return secrets;
  }

  public Limits limits() {
    return limits;
  }

  /** The key the user gave, in the target's scheme ({@code API-KEY} unless it takes bearers). */
  public Auth auth() {
    return auth(target.apiKey());
  }

  /** Another key, sent the way this client sends the user's. */
  public Auth auth(String key) {
    return Auth.of(target.scheme(), key);
  }

  /** A chat request with the user's key. */
  public Exchange chat(String json) {
    return chat(json, auth());
  }

  public Exchange chat(String json, Auth auth) {
    return send(Call.chat(json, auth));
  }

  public Exchange get(String path, Auth auth) {
    return send(new Call("GET", path, auth, null, null, null));
  }

  public Exchange send(String method, String path, Auth auth, String contentType, byte[] body) {
    return send(new Call(method, path, auth, contentType, body, null));
  }

  /** Sends on this thread and attaches the exchange to the running check's report. */
  public Exchange send(Call call) {
    return attach(exchange(call));
  }

  /** Sends on the client's pool; {@link #await} the answer from the check that uses it. */
  public CompletableFuture<Exchange> later(Call call) {
    return CompletableFuture.supplyAsync(() -> exchange(call), pool);
  }

  /** A stream on the client's pool. */
  public CompletableFuture<StreamResult> streamLater(String json) {
    return CompletableFuture.supplyAsync(() -> streamExchange(json), pool);
  }

  /** Sends every call at once (bounded by the client's concurrency), answers in call order. */
  public List<Exchange> sendAll(List<Call> calls) {
    List<CompletableFuture<Exchange>> futures = calls.stream().map(this::later).toList();
    return futures.stream().map(this::await).toList();
  }

  /** The answer of an earlier {@link #later}, attached to the running check's report. */
  public Exchange await(CompletableFuture<Exchange> answer) {
    return attach(answer.join());
  }

  /** The stream of an earlier {@link #streamLater}, attached to the running check's report. */
  public StreamResult awaitStream(CompletableFuture<StreamResult> answer) {
    StreamResult result = answer.join();
    if (Allure.getLifecycle().getCurrentTestCaseOrStep().isPresent()) {
      Allure.addAttachment(
          "stream POST " + CHAT_PATH + " → " + result.status(),
          "text/plain",
          secrets.mask(result.transcript()),
          ".txt");
    }
    return result;
  }

  /** A {@code stream: true} request with the user's key, read event by event, on this thread. */
  public StreamResult stream(String json) {
    return awaitStream(CompletableFuture.completedFuture(streamExchange(json)));
  }

  private Exchange attach(Exchange exchange) {
    if (exchange.transcript() != null
        && Allure.getLifecycle().getCurrentTestCaseOrStep().isPresent()) {
      Allure.addAttachment(
          exchange.request() + " → " + (exchange.status() == 0 ? "no answer" : exchange.status()),
          "text/plain",
          exchange.transcript(),
          ".txt");
    }
    return exchange;
  }

  /** Any request; 429 and 529 answers are retried after their Retry-After. */
  private Exchange exchange(Call call) {
    for (int attempt = 0; ; attempt++) {
      Exchange exchange = sendOnce(call);
      if (exchange.status() >= 400) {
        observed.add(
            new ObservedError(
                exchange.request(),
                exchange.status(),
                exchange.contentType(),
                secrets.mask(exchange.body()),
                exchange.retryAfter(),
                false,
                0,
                call.mistake() != null,
                call.mistake()));
      }
      if (!isBusy(exchange.status()) || attempt == MAX_RETRIES || !pause(exchange.retryAfter())) {
        return exchange;
      }
    }
  }

  private Exchange sendOnce(Call call) {
    Duration timeout = timeLeft();
    if (timeout.isZero()) {
      return Exchange.failed(call.describe(), Exchange.TIME_LIMIT + " ran out");
    }
    return plain.send(call, withModel(call), headers(call.auth()), timeout);
  }

  private Map<String, String> headers(Auth auth) {
    Map<String, String> headers = new LinkedHashMap<>(target.headers());
    if (auth.present()) {
      headers.put(auth.header(), auth.value());
    }
    return headers;
  }

  private byte[] withModel(Call call) {
    return call.path().equals(CHAT_PATH) ? call.bodyNaming(target.model()) : call.body();
  }

  private StreamResult streamExchange(String json) {
    for (int attempt = 0; ; attempt++) {
      Duration timeout = timeLeft();
      if (timeout.isZero()) {
        return StreamResult.notSent(Exchange.TIME_LIMIT + " ran out");
      }
      byte[] body = withModel(Call.chat(json, auth()));
      StreamResult result =
          streams.post(
              URI.create(target.url(CHAT_PATH)),
              headers(auth()),
              new String(body, StandardCharsets.UTF_8),
              timeout);
      int errorEvent = result.errorEventIndex();
      if (result.status() >= 400) {
        observed.add(
            ObservedError.answer(
                "POST " + CHAT_PATH + " (stream)",
                result.status(),
                result.contentType(),
                secrets.mask(result.body()),
                result.retryAfter()));
      } else if (errorEvent >= 0) {
        observed.add(
            new ObservedError(
                "POST " + CHAT_PATH + " (stream)",
                result.status(),
                "text/event-stream",
                secrets.mask(result.events().get(errorEvent).data()),
                null,
                true,
                eventsAfter(result, errorEvent),
                false,
                null));
      }
      boolean retry = isBusy(result.status()) || (result.status() == 200 && errorEvent >= 0);
      if (!retry || attempt == MAX_RETRIES || !pause(result.retryAfter())) {
        return result;
      }
    }
  }

  private static int eventsAfter(StreamResult result, int index) {
    int count = 0;
    for (int i = index + 1; i < result.events().size(); i++) {
      if (!result.events().get(i).isDone()) {
        count++;
      }
    }
    return count;
  }

  /** Every error answer and error event met so far, keys masked. */
  public List<ObservedError> observed() {
    return List.copyOf(observed);
  }

  /** The time one exchange may take now: the timeout, or less when the run's limit is nearer. */
  private Duration timeLeft() {
    long left = limits.deadlineNanos() - System.nanoTime();
    if (left <= 0) {
      return Duration.ZERO;
    }
    return left < limits.timeout().toNanos() ? Duration.ofNanos(left) : limits.timeout();
  }

  private static boolean isBusy(int status) {
    return status == 429 || status == 529;
  }

  /** Waits as Retry-After asks, within the run's limit; false when there is no time for it. */
  private boolean pause(String retryAfter) {
    long millis = DEFAULT_RETRY_WAIT_MILLIS;
    if (retryAfter != null) {
      try {
        millis = Math.min(MAX_RETRY_WAIT_MILLIS, Long.parseLong(retryAfter.strip()) * 1000);
      } catch (NumberFormatException e) {
        millis = DEFAULT_RETRY_WAIT_MILLIS;
      }
    }
    if (timeLeft().toMillis() <= millis) {
      return false;
    }
    try {
      Thread.sleep(Math.max(0, millis));
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  @Override
  public void close() {
    pool.shutdownNow();
  }
}
