package org.chatglmkit.mockserver.target;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import org.chatglmkit.mockserver.core.Json;

/**
 * The model a target serves, for servers that require {@code model} in every request (the official
 * ChatGLM demos, vLLM, FastChat): the first one {@code GET /v1/models} lists, asked with the key as
 * {@code API-KEY} and, when that is refused, as a bearer token.
 */
public final class ModelDiscovery {
  private ModelDiscovery() {}

  /** Where a discovered model came from, for reports. */
  public static final String SOURCE = "the first model listed at GET /v1/models";

  /** The first listed model, or empty when the target lists none, refuses, or does not answer. */
  public static Optional<String> firstListed(Target target, Duration timeout) {
    HttpClient client = HttpClient.newBuilder().connectTimeout(timeout).build();
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
            client.send(request.GET().build(), HttpResponse.BodyHandlers.ofString());
        if (answer.statusCode() == 200) {
          JsonNode id = Json.MAPPER.readTree(answer.body()).path("data").path(0).path("id");
          return id.isTextual() && !id.asText().isBlank()
              ? Optional.of(id.asText())
              : Optional.empty();
        }
        if (answer.statusCode() != 401 && answer.statusCode() != 403) {
          return Optional.empty();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return Optional.empty();
      } catch (Exception e) {
        return Optional.empty();
      }
    }
    return Optional.empty();
  }
}
