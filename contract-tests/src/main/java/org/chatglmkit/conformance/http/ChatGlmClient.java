package org.chatglmkit.conformance.http;

import io.qameta.allure.Allure;
import io.restassured.RestAssured;
import io.restassured.config.EncoderConfig;
import io.restassured.config.HttpClientConfig;
import io.restassured.config.RestAssuredConfig;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.chatglmkit.mockserver.target.Target;

/**
 * The suite's only way to talk to a target: REST Assured for plain requests, {@link StreamClient}
 * for streams. It retries 429 and 529 answers after their Retry-After (a few times), and a stream
 * that ended in an error event, and keeps every error it met for the checks of section 5.
 *
 * <pre>{@code
 * ChatGlmClient client = new ChatGlmClient(target, Duration.ofSeconds(60));
 * Exchange answer = client.chat("{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
 * }</pre>
 */
public final class ChatGlmClient {
  public static final String CHAT_PATH = "/v1/chat/completions";

  static final int MAX_RETRIES = 3;

  /**
   * Bodies above this size are sent with {@code Expect: 100-continue}, so a server can refuse them
   * before they are sent.
   */
  private static final int LARGE_BODY_BYTES = 256 * 1024;

  private static final long MAX_RETRY_WAIT_MILLIS = 10_000;
  private static final long DEFAULT_RETRY_WAIT_MILLIS = 200;

  private final Target target;
  private final Secrets secrets;
  private final RestAssuredConfig config;
  private final RestAssuredConfig largeBodyConfig;
  private final AllureExchangeFilter attachments;
  private final StreamClient streams;
  private final List<ObservedError> observed = new CopyOnWriteArrayList<>();

  public ChatGlmClient(Target target, Duration timeout) {
    this.target = target;
    this.secrets = new Secrets(target.apiKey(), target.forbiddenKey());
    int millis = (int) timeout.toMillis();
    this.config =
        RestAssuredConfig.config()
            .encoderConfig(
                EncoderConfig.encoderConfig()
                    .appendDefaultContentCharsetToContentTypeIfUndefined(false))
            .httpClient(
                HttpClientConfig.httpClientConfig()
                    .setParam("http.connection.timeout", 5_000)
                    .setParam("http.socket.timeout", millis));
    this.largeBodyConfig =
        config.httpClient(
            config.getHttpClientConfig().setParam("http.protocol.expect-continue", true));
    this.attachments = new AllureExchangeFilter(secrets);
    this.streams = new StreamClient(timeout);
  }

  public Target target() {
    return target;
  }

  public Secrets secrets() {
    return secrets;
  }

  /** The key the user gave, in the {@code API-KEY} header. */
  public Auth auth() {
    return Auth.apiKey(target.apiKey());
  }

  /** A chat request with the user's key. */
  public Exchange chat(String json) {
    return chat(json, auth());
  }

  public Exchange chat(String json, Auth auth) {
    return send("POST", CHAT_PATH, auth, "application/json", json.getBytes(StandardCharsets.UTF_8));
  }

  public Exchange get(String path, Auth auth) {
    return send("GET", path, auth, null, null);
  }

  /** Any request; 429 and 529 answers are retried after their Retry-After. */
  public Exchange send(String method, String path, Auth auth, String contentType, byte[] body) {
    for (int attempt = 0; ; attempt++) {
      Exchange exchange = sendOnce(method, path, auth, contentType, body);
      if (exchange.status() >= 400) {
        observed.add(
            ObservedError.answer(
                exchange.request(),
                exchange.status(),
                exchange.contentType(),
                secrets.mask(exchange.body()),
                exchange.retryAfter()));
      }
      if (!isBusy(exchange.status()) || attempt == MAX_RETRIES) {
        return exchange;
      }
      pause(exchange.retryAfter());
    }
  }

  private Exchange sendOnce(
      String method, String path, Auth auth, String contentType, byte[] body) {
    RequestSpecification spec =
        RestAssured.given()
            .config(body != null && body.length > LARGE_BODY_BYTES ? largeBodyConfig : config)
            .baseUri(target.baseUrl())
            .urlEncodingEnabled(false)
            .filter(attachments);
    if (auth.present()) {
      spec.header(auth.header(), auth.value());
    }
    if (contentType != null) {
      spec.contentType(contentType);
    }
    if (body != null) {
      spec.body(body);
    }
    Response response = spec.request(method, path);
    return new Exchange(
        method + " " + path,
        response.statusCode(),
        response.header("Content-Type"),
        new String(response.asByteArray(), StandardCharsets.UTF_8),
        response.header("Retry-After"));
  }

  /**
   * A {@code stream: true} request with the user's key, read event by event. A 429 or 529, or a
   * stream cut by an error event, is recorded and retried.
   */
  public StreamResult stream(String json) {
    for (int attempt = 0; ; attempt++) {
      StreamResult result = streams.post(URI.create(target.url(CHAT_PATH)), auth(), json);
      Allure.addAttachment(
          "stream POST " + CHAT_PATH + " → " + result.status(),
          "text/plain",
          secrets.mask(result.transcript()),
          ".txt");
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
                eventsAfter(result, errorEvent)));
      }
      boolean retry = isBusy(result.status()) || (result.status() == 200 && errorEvent >= 0);
      if (!retry || attempt == MAX_RETRIES) {
        return result;
      }
      pause(result.retryAfter());
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

  private static boolean isBusy(int status) {
    return status == 429 || status == 529;
  }

  private static void pause(String retryAfter) {
    long millis = DEFAULT_RETRY_WAIT_MILLIS;
    if (retryAfter != null) {
      try {
        millis = Math.min(MAX_RETRY_WAIT_MILLIS, Long.parseLong(retryAfter.strip()) * 1000);
      } catch (NumberFormatException e) {
        millis = DEFAULT_RETRY_WAIT_MILLIS;
      }
    }
    try {
      Thread.sleep(Math.max(0, millis));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
