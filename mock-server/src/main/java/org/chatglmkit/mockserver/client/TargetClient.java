package org.chatglmkit.mockserver.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.chatglmkit.mockserver.core.Json;

/**
 * What the gate and the load command both learn about a target before a run: which model it serves
 * and which key scheme it takes. Both come from {@code GET /v1/models}: the first model listed (for
 * servers that require {@code model}: the official ChatGLM demos, vLLM, FastChat), asked with the
 * key as {@code API-KEY} and, when that is refused, as a bearer token, which then is the scheme of
 * every request of the run. The gate sends these requests through its own recording client (a
 * {@link Transport}); the load command through {@link #connect}, which speaks HTTP/1.1 as curl does
 * to an {@code http://} target (an offer to upgrade to HTTP/2, {@code Upgrade: h2c}, is answered
 * 400 by older servers such as Debian 12's uvicorn 0.17).
 *
 * <pre>{@code
 * TargetClient.Connection connection = TargetClient.connect(target, Duration.ofSeconds(5));
 * connection.lines().forEach(System.out::println); // what was found, or why not, one line each
 * Target ready = connection.target();              // its model named, its key scheme set
 * }</pre>
 */
public final class TargetClient {
  private TargetClient() {}

  /** Where a discovered model came from, for reports. */
  public static final String MODEL_SOURCE = "the first model listed at GET /v1/models";

  /** The most of an answer that is read. */
  static final int MAX_BYTES = 256 * 1024;

  /**
   * One answer of the target.
   *
   * @param status the HTTP status, or 0 when no answer came
   * @param body the body (capped), or empty
   * @param failure why no answer came, or {@code null}
   */
  public record Answer(int status, String body, String failure) {
    public Answer {
      body = body == null ? "" : body;
    }

    static Answer none(String failure) {
      return new Answer(0, "", failure);
    }

    boolean refused() {
      return status == 401 || status == 403;
    }

    /** The status and what the target said, in a few words. */
    public String brief() {
      if (status == 0) {
        return "no answer (" + failure + ")";
      }
      String text = body.replaceAll("\\s+", " ").strip();
      if (text.length() > 120) {
        text = text.substring(0, 120) + "…";
      }
      return text.isEmpty() ? String.valueOf(status) : status + " " + text;
    }
  }

  /** Sends one request with the key in {@code scheme}; never throws for what the target does. */
  @FunctionalInterface
  public interface Transport {
    Answer send(String method, String path, String jsonBody, KeyScheme scheme);
  }

  /**
   * What asking the target found.
   *
   * @param target the target with the model it lists named (when none was given) and the key scheme
   *     it takes
   * @param modelSource {@code given}, {@link #MODEL_SOURCE} or {@code none}
   * @param problem why no model was found (the status and what the target said), or {@code null}
   * @param models the model list's answer that decided, or {@code null} when none was asked for
   * @param hint what the user should do, when a first request showed it, or {@code null}
   */
  public record Connection(
      Target target, String modelSource, String problem, Answer models, String hint) {
    /** What a run prints about it: the model and where it came from, the key scheme if unusual. */
    public List<String> lines() {
      List<String> lines = new ArrayList<>();
      if (modelSource.equals(MODEL_SOURCE)) {
        lines.add("model: " + target.model() + " (" + MODEL_SOURCE + ")");
      } else if (target.model() == null && problem != null) {
        lines.add(
            "model: none sent (GET /v1/models: "
                + problem
                + "); a target that requires one refuses every request: give --model");
      }
      if (target.scheme() == KeyScheme.BEARER) {
        lines.add("key: sent as Authorization: Bearer (the target refused API-KEY)");
      }
      if (hint != null) {
        lines.add("hint: " + hint);
      }
      return lines;
    }
  }

  /**
   * Asks {@code GET /v1/models} through {@code transport}: the model (when {@code target} names
   * none) and the key scheme (a target that refuses {@code API-KEY} there and takes a bearer token
   * gets bearer tokens).
   */
  public static Connection discover(Target target, Transport transport) {
    Answer answer = transport.send("GET", "/v1/models", null, target.scheme());
    Target found = target;
    if (answer.refused() && !target.apiKey().isEmpty() && target.scheme() == KeyScheme.API_KEY) {
      Answer bearer = transport.send("GET", "/v1/models", null, KeyScheme.BEARER);
      if (bearer.status() == 200) {
        answer = bearer;
        found = target.withScheme(KeyScheme.BEARER);
      }
    }
    if (target.model() != null) {
      return new Connection(found, "given", null, answer, null);
    }
    if (answer.status() != 200) {
      return new Connection(found, "none", answer.brief(), answer, null);
    }
    String listed = firstListed(answer.body());
    return listed == null
        ? new Connection(found, "none", "200 with no model listed", answer, null)
        : new Connection(found.withModel(listed), MODEL_SOURCE, null, answer, null);
  }

  /**
   * When the model list did not settle the key scheme (the target lists no models), one small chat
   * request does: a target that refuses {@code API-KEY} and takes a bearer token gets bearer
   * tokens. When that request is refused for want of a {@code model}, the connection carries the
   * hint.
   */
  public static Connection settleScheme(Connection connection, Transport transport) {
    Target target = connection.target();
    if (connection.models() != null && connection.models().status() == 200) {
      return connection;
    }
    ObjectNode probe = Json.MAPPER.createObjectNode();
    if (target.model() != null) {
      probe.put("model", target.model());
    }
    probe.putArray("messages").addObject().put("role", "user").put("content", "hi");
    probe.put("max_tokens", 1);
    String body = probe.toString();
    Answer answer = transport.send("POST", "/v1/chat/completions", body, target.scheme());
    if (answer.refused() && !target.apiKey().isEmpty() && target.scheme() == KeyScheme.API_KEY) {
      Answer bearer = transport.send("POST", "/v1/chat/completions", body, KeyScheme.BEARER);
      if (bearer.status() != 0 && !bearer.refused()) {
        target = target.withScheme(KeyScheme.BEARER);
        answer = bearer;
      }
    }
    String hint = modelHint(answer.status(), answer.body(), target.model() != null).orElse(null);
    return new Connection(
        target, connection.modelSource(), connection.problem(), connection.models(), hint);
  }

  /**
   * Everything a run learns before it starts, over HTTP/1.1: the model list, then (when the target
   * lists none) one small chat request for the key scheme and whether {@code model} is required.
   * The embedded reference server is taken as it is. A target that hangs, or sends a body that
   * never ends, costs at most {@code timeout} and {@link #MAX_BYTES} per request.
   */
  public static Connection connect(Target target, Duration timeout) {
    if (target.embedded()) {
      return new Connection(target, target.model() == null ? "none" : "given", null, null, null);
    }
    ExecutorService pool =
        Executors.newCachedThreadPool(
            task -> {
              Thread thread = new Thread(task, "chatglm-target-client");
              thread.setDaemon(true);
              return thread;
            });
    try {
      HttpClient client =
          HttpClient.newBuilder()
              .version(HttpClient.Version.HTTP_1_1)
              .connectTimeout(timeout)
              .executor(pool)
              .build();
      Transport transport =
          (method, path, body, scheme) ->
              send(client, target.withScheme(scheme), timeout, method, path, body);
      return settleScheme(discover(target, transport), transport);
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * The hint for an answer that refuses a request naming no model because of it (400 or 422 that
   * speaks of {@code model}), or empty.
   */
  public static Optional<String> modelHint(int status, String body, boolean modelNamed) {
    return !modelNamed
            && (status == 422 || status == 400)
            && body != null
            && body.toLowerCase(Locale.ROOT).contains("model")
        ? Optional.of("the target seems to require \"model\": give --model NAME")
        : Optional.empty();
  }

  /** The first model id of a {@code GET /v1/models} body, or {@code null}. */
  static String firstListed(String body) {
    try {
      JsonNode id = Json.MAPPER.readTree(body).path("data").path(0).path("id");
      return id.isTextual() && !id.asText().isBlank() ? id.asText() : null;
    } catch (IOException e) {
      return null;
    }
  }

  private static Answer send(
      HttpClient client, Target target, Duration timeout, String method, String path, String body) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(target.url(path))).timeout(timeout);
    target.requestHeaders().forEach(request::header);
    if (body != null) {
      request.header("Content-Type", "application/json");
      request.method(method, HttpRequest.BodyPublishers.ofString(body));
    } else {
      request.method(method, HttpRequest.BodyPublishers.noBody());
    }
    try {
      HttpResponse<String> answer =
          client
              .sendAsync(
                  request.build(),
                  info ->
                      HttpResponse.BodySubscribers.mapping(
                          HttpResponse.BodySubscribers.ofInputStream(), TargetClient::capped))
              .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      return new Answer(answer.statusCode(), answer.body(), null);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Answer.none("interrupted");
    } catch (Exception e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      return Answer.none(cause.getClass().getSimpleName() + ": " + cause.getMessage());
    }
  }

  /** At most {@link #MAX_BYTES} of a body, then the stream is closed (which stops the transfer). */
  private static String capped(InputStream in) {
    try (in) {
      return new String(in.readNBytes(MAX_BYTES), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    }
  }
}
