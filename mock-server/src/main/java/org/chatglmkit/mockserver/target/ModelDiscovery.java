package org.chatglmkit.mockserver.target;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.chatglmkit.mockserver.core.Json;

/**
 * The model a target serves, for servers that require {@code model} in every request (the official
 * ChatGLM demos, vLLM, FastChat): the first one {@code GET /v1/models} lists, asked with the key as
 * {@code API-KEY} and, when that is refused, as a bearer token (which then is the scheme the target
 * takes). It speaks HTTP/1.1, as curl does to an {@code http://} target: an offer to upgrade to
 * HTTP/2 ({@code Upgrade: h2c}) is answered 400 by older servers (uvicorn 0.17, Debian 12's). A
 * server that hangs, or sends a body that never ends, costs at most the timeout and {@link
 * #MAX_BYTES} of reading.
 */
public final class ModelDiscovery {
  private ModelDiscovery() {}

  /** Where a discovered model came from, for reports. */
  public static final String SOURCE = "the first model listed at GET /v1/models";

  /** The most of a model list that is read. */
  static final int MAX_BYTES = 256 * 1024;

  /**
   * What asking the target's model list found.
   *
   * @param model the first model listed, or empty
   * @param bearer whether the target refused the key as {@code API-KEY} and took it as a bearer
   *     token
   * @param problem why no model was found, in a few words (the status and what the target said), or
   *     {@code null} when one was
   */
  public record Discovery(Optional<String> model, boolean bearer, String problem) {}

  /** The first listed model, or empty when the target lists none, refuses, or does not answer. */
  public static Optional<String> firstListed(Target target, Duration timeout) {
    return discover(target, timeout).model();
  }

  /** Asks {@code GET /v1/models}; never throws for anything the target does. */
  public static Discovery discover(Target target, Duration timeout) {
    ExecutorService pool =
        Executors.newCachedThreadPool(
            task -> {
              Thread thread = new Thread(task, "chatglm-model-discovery");
              thread.setDaemon(true);
              return thread;
            });
    try {
      return ask(
          HttpClient.newBuilder()
              .version(HttpClient.Version.HTTP_1_1)
              .connectTimeout(timeout)
              .executor(pool)
              .build(),
          target,
          timeout);
    } finally {
      pool.shutdownNow();
    }
  }

  private static Discovery ask(HttpClient client, Target target, Duration timeout) {
    String problem = "no answer";
    for (boolean bearer : new boolean[] {false, true}) {
      HttpRequest.Builder request =
          HttpRequest.newBuilder(URI.create(target.baseUrl() + "/v1/models")).timeout(timeout);
      target.headers().forEach(request::header);
      if (!target.apiKey().isEmpty()) {
        if (bearer) {
          request.header("Authorization", "Bearer " + target.apiKey());
        } else {
          request.header("API-KEY", target.apiKey());
        }
      }
      try {
        HttpResponse<String> answer =
            client
                .sendAsync(
                    request.GET().build(),
                    info ->
                        HttpResponse.BodySubscribers.mapping(
                            HttpResponse.BodySubscribers.ofInputStream(), ModelDiscovery::capped))
                .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (answer.statusCode() == 200) {
          JsonNode id = Json.MAPPER.readTree(answer.body()).path("data").path(0).path("id");
          return id.isTextual() && !id.asText().isBlank()
              ? new Discovery(Optional.of(id.asText()), bearer, null)
              : new Discovery(Optional.empty(), bearer, "200 with no model listed");
        }
        problem = answer.statusCode() + " " + clip(answer.body());
        if (answer.statusCode() != 401 && answer.statusCode() != 403) {
          return new Discovery(Optional.empty(), false, problem);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return new Discovery(Optional.empty(), false, "interrupted");
      } catch (Exception e) {
        Throwable cause = e.getCause() == null ? e : e.getCause();
        return new Discovery(
            Optional.empty(),
            false,
            "no answer (" + cause.getClass().getSimpleName() + ": " + cause.getMessage() + ")");
      }
    }
    return new Discovery(Optional.empty(), false, problem);
  }

  private static String clip(String body) {
    String text = body.replaceAll("\\s+", " ").strip();
    return text.length() > 120 ? text.substring(0, 120) + "…" : text;
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
