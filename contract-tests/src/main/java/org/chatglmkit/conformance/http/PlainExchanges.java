package org.chatglmkit.conformance.http;

import io.restassured.RestAssured;
import io.restassured.config.EncoderConfig;
import io.restassured.config.HttpClientConfig;
import io.restassured.config.RestAssuredConfig;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.apache.http.impl.client.DefaultHttpClient;
import org.apache.http.impl.client.DefaultHttpRequestRetryHandler;
import org.apache.http.impl.conn.BasicClientConnectionManager;
import org.chatglmkit.mockserver.client.Target;

/**
 * One plain request and its answer through REST Assured, bounded whole by an {@link ExchangeGuard}:
 * whatever the target does, the exchange ends by its timeout or its byte cap, and ends as an {@link
 * Exchange} (with the reason when no complete answer came), never an exception.
 */
final class PlainExchanges {
  /**
   * Bodies above this size are sent with {@code Expect: 100-continue}, so a server can refuse them
   * before they are sent.
   */
  private static final int LARGE_BODY_BYTES = 256 * 1024;

  private static final int MAX_TRANSCRIPT_CHARS = 8 * 1024;

  /**
   * REST Assured's HTTP client, on guarded sockets, without retries: a request the target did not
   * answer is reported, never sent again behind the check's back.
   */
  private static DefaultHttpClient httpClient() {
    DefaultHttpClient client =
        new DefaultHttpClient(new BasicClientConnectionManager(GuardedSockets.registry()));
    client.setHttpRequestRetryHandler(new DefaultHttpRequestRetryHandler(0, false));
    return client;
  }

  /** Apache's client logs every I/O failure it meets through JUL; the gate reports them itself. */
  private static final java.util.logging.Logger APACHE_LOG =
      java.util.logging.Logger.getLogger("org.apache.http");

  static {
    APACHE_LOG.setLevel(java.util.logging.Level.SEVERE);
  }

  private final Target target;
  private final Secrets secrets;
  private final long maxBytes;
  private final RestAssuredConfig config;
  private final RestAssuredConfig largeBodyConfig;

  PlainExchanges(Target target, Secrets secrets, ChatGlmClient.Limits limits) {
    this.target = target;
    this.secrets = secrets;
    this.maxBytes = limits.maxBytes();
    int millis = (int) Math.min(Integer.MAX_VALUE, limits.timeout().toMillis());
    this.config =
        RestAssuredConfig.config()
            .encoderConfig(
                EncoderConfig.encoderConfig()
                    .appendDefaultContentCharsetToContentTypeIfUndefined(false))
            .httpClient(
                HttpClientConfig.httpClientConfig()
                    .httpClientFactory(PlainExchanges::httpClient)
                    .setParam("http.connection.timeout", Math.min(millis, 5_000))
                    .setParam("http.socket.timeout", millis));
    this.largeBodyConfig =
        config.httpClient(
            config.getHttpClientConfig().setParam("http.protocol.expect-continue", true));
  }

  /** Sends {@code call} with {@code body} and {@code headers}, for at most {@code timeout}. */
  Exchange send(Call call, byte[] body, Map<String, String> headers, Duration timeout) {
    String request = call.describe();
    RequestSpecification spec =
        RestAssured.given()
            .config(body != null && body.length > LARGE_BODY_BYTES ? largeBodyConfig : config)
            .baseUri(target.baseUrl())
            .urlEncodingEnabled(false)
            .headers(headers);
    if (call.contentType() != null) {
      spec.contentType(call.contentType());
    }
    if (body != null) {
      spec.body(body);
    }
    try (ExchangeGuard guard = ExchangeGuard.open(timeout, maxBytes)) {
      try {
        Response response = spec.request(call.method(), call.path());
        String text = new String(response.asByteArray(), StandardCharsets.UTF_8);
        String contentType = response.header("Content-Type");
        return new Exchange(
            request,
            response.statusCode(),
            contentType,
            text,
            response.header("Retry-After"),
            null,
            transcript(call, headers, body, response.getStatusLine(), response, text));
      } catch (Exception e) { // REST Assured (Groovy) throws checked exceptions undeclared
        String why = guard.tripped() != null ? guard.tripped() : describe(e);
        if (guard.writeFailure() != null) {
          why = why + "; " + guard.writeFailure();
        }
        return Exchange.failed(request, secrets.mask(why));
      }
    }
  }

  private String transcript(
      Call call,
      Map<String, String> headers,
      byte[] body,
      String statusLine,
      Response response,
      String answer) {
    StringBuilder text = new StringBuilder();
    text.append(call.method()).append(' ').append(target.url(call.path())).append('\n');
    headers.forEach((name, value) -> text.append(name).append(": ").append(value).append('\n'));
    if (call.contentType() != null) {
      text.append("Content-Type: ").append(call.contentType()).append('\n');
    }
    text.append('\n')
        .append(body == null ? "(no body)" : clip(new String(body, StandardCharsets.UTF_8)))
        .append("\n\n");
    text.append(statusLine).append('\n');
    response
        .getHeaders()
        .forEach(h -> text.append(h.getName()).append(": ").append(h.getValue()).append('\n'));
    text.append('\n').append(clip(answer));
    return secrets.mask(text.toString());
  }

  private static String describe(Throwable failure) {
    Throwable cause = failure;
    while (cause.getCause() != null && cause.getCause() != cause) {
      cause = cause.getCause();
    }
    String message = cause.getMessage();
    return cause.getClass().getSimpleName() + (message == null ? "" : ": " + message);
  }

  private static String clip(String text) {
    return text.length() <= MAX_TRANSCRIPT_CHARS
        ? text
        : text.substring(0, MAX_TRANSCRIPT_CHARS) + "… (" + text.length() + " characters)";
  }
}
