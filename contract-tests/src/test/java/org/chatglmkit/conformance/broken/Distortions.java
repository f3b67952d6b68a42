package org.chatglmkit.conformance.broken;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.chatglmkit.conformance.broken.Distortion.Answer;
import org.chatglmkit.conformance.broken.Distortion.Request;
import org.chatglmkit.mockserver.client.TargetSettings;
import org.chatglmkit.mockserver.core.Json;
import org.chatglmkit.mockserver.server.ServerConfig;

/** The broken (and the oddly conforming) servers the suite is tested against. */
final class Distortions {
  private Distortions() {}

  // ---- conforming, but unlike the reference server ----

  /** Every legal variation of section 4 and of the list, all at once. */
  static Distortion legalVariations() {
    return Distortion.none()
        .withAnswer(
            (request, answer) ->
                isJson(answer)
                    ? json(answer, Distortions::decorate, "application/json; charset=utf-8", true)
                    : answer)
        .withEvent(
            data ->
                data.equals("[DONE]")
                    ? List.of(data)
                    : List.of(write(stripNullFinish(decorate(read(data))), false)))
        .withCrlfAndPings();
  }

  /** A server that does exactly what the document shows: no id, no usage, no model list. */
  static Distortion documentedOnly() {
    return Distortion.none()
        .withShortCircuit(
            request ->
                request.path().startsWith("/v1/models")
                    ? error(404, "not_found_error", "no such path")
                    : null)
        .withAnswer(
            (request, answer) ->
                answer.status() == 200 && isJson(answer)
                    ? json(answer, node -> without(node, "id", "usage"), null, false)
                    : answer)
        .withEvent(
            data ->
                data.equals("[DONE]")
                    ? List.of(data)
                    : List.of(write(without(read(data), "id", "created", "model"), false)));
  }

  // ---- broken in one way each ----

  static Distortion acceptsMissingKey() {
    return Distortion.none()
        .withRequest(
            request -> {
              if (request.hasKey()) {
                return request;
              }
              Map<String, String> headers = new LinkedHashMap<>(request.headers());
              headers.put("api-key", ServerConfig.DEVELOPMENT_KEY);
              return new Request(request.method(), request.path(), headers, request.body());
            });
  }

  static Distortion echoesTheKey() {
    return Distortion.none()
        .withAnswer(
            (request, answer) -> {
              if (answer.status() != 401 || !request.hasKey()) {
                return answer;
              }
              String sent =
                  request.header("api-key") != null
                      ? request.header("api-key")
                      : request.header("authorization");
              return error(401, "authentication_error", "unknown key: " + sent);
            });
  }

  /**
   * A lenient server: every request passes through {@code repair} first (what it does not
   * understand of one kind, it fixes or drops), so requests that break that rule get a 200.
   */
  static Distortion repairs(UnaryOperator<JsonNode> repair) {
    return Distortion.none().withRequest(request -> rewriteBody(request, repair));
  }

  /** Each message of messages and history, as {@code change} makes it. */
  static UnaryOperator<JsonNode> eachMessage(UnaryOperator<JsonNode> change) {
    return body -> {
      for (String list : List.of("messages", "history")) {
        JsonNode messages = body.path(list);
        if (messages instanceof ArrayNode array) {
          for (int i = 0; i < array.size(); i++) {
            array.set(i, change.apply(array.get(i)));
          }
        }
      }
      return body;
    };
  }

  /** {@code field} dropped when {@code wrong} says its value is. */
  static UnaryOperator<JsonNode> drops(String field, java.util.function.Predicate<JsonNode> wrong) {
    return body -> {
      if (body.has(field) && wrong.test(body.get(field))) {
        ((ObjectNode) body).remove(field);
      }
      return body;
    };
  }

  static Distortion clampsTemperature() {
    return Distortion.none().withRequest(request -> rewriteBody(request, Distortions::clamp));
  }

  static Distortion vagueErrors() {
    return instead(400, error(400, "invalid_request_error", "bad request"));
  }

  static Distortion wrongObject() {
    return completions(node -> ((ObjectNode) node).put("object", "chat.completions"));
  }

  static Distortion neverLength() {
    return completions(
        node -> {
          for (JsonNode choice : node.path("choices")) {
            ((ObjectNode) choice).put("finish_reason", "stop");
          }
          return node;
        });
  }

  static Distortion wrongUsageTotal() {
    return completions(
        node -> {
          ObjectNode usage = (ObjectNode) node.path("usage");
          usage.put("total_tokens", usage.path("total_tokens").asInt() + 1);
          return node;
        });
  }

  static Distortion plainTextCompletions() {
    return Distortion.none()
        .withAnswer(
            (request, answer) ->
                answer.status() == 200 && isJson(answer)
                    ? new Answer(200, Map.of("Content-Type", "text/plain"), answer.body())
                    : answer);
  }

  static Distortion bufferedStream() {
    return Distortion.none().buffered();
  }

  static Distortion noDone() {
    return Distortion.none().withEvent(data -> data.equals("[DONE]") ? List.of() : List.of(data));
  }

  static Distortion streamDiffers() {
    return Distortion.none()
        .withEvent(
            data -> {
              if (data.equals("[DONE]")) {
                return List.of(data);
              }
              JsonNode chunk = read(data);
              JsonNode delta = chunk.path("choices").path(0).path("delta");
              if (delta.path("content").isTextual()) {
                ((ObjectNode) delta).put("content", delta.path("content").asText().toUpperCase());
              }
              return List.of(write(chunk, false));
            });
  }

  static Distortion htmlNotFound() {
    return Distortion.none()
        .withAnswer(
            (request, answer) ->
                answer.status() == 404
                    ? new Answer(
                        404,
                        Map.of("Content-Type", "text/html"),
                        "<html><h1>Not Found</h1></html>".getBytes(StandardCharsets.UTF_8))
                    : answer);
  }

  static Distortion serverErrorForOversizedBodies() {
    return Distortion.none()
        .withAnswer(
            (request, answer) ->
                answer.status() == 413 ? error(500, "api_error", "request failed") : answer);
  }

  static Distortion serverErrorForMalformedJson() {
    return Distortion.none()
        .withShortCircuit(
            request -> {
              try {
                Json.MAPPER.readTree(request.body());
                return null;
              } catch (IOException e) {
                return request.method().equals("POST")
                    ? error(500, "api_error", "cannot parse")
                    : null;
              }
            });
  }

  /** Optional request fields that OpenAI's API declares nullable. */
  static final Set<String> NULLABLE =
      Set.of(
          "temperature",
          "max_tokens",
          "stream",
          "top_p",
          "stop",
          "n",
          "seed",
          "presence_penalty",
          "frequency_penalty",
          "tools",
          "tool_choice");

  /**
   * A strict server: 400 for {@code null} in a field that OpenAI's API declares nullable, and for a
   * message whose content is {@code null}, where the openai reading takes {@code null} as "not
   * given".
   */
  static Distortion refusesNull() {
    return Distortion.none()
        .withShortCircuit(
            request -> {
              JsonNode body;
              try {
                body = Json.MAPPER.readTree(request.body());
              } catch (IOException | RuntimeException e) {
                return null;
              }
              return holdsANull(body)
                  ? error(400, "invalid_request_error", "null is not allowed")
                  : null;
            });
  }

  /**
   * Whether a request holds a nullable field set to {@code null}, or a message content {@code
   * null}.
   */
  static boolean holdsANull(JsonNode body) {
    if (body == null || !body.isObject()) {
      return false;
    }
    for (String field : NULLABLE) {
      if (body.path(field).isNull()) {
        return true;
      }
    }
    for (JsonNode message : body.path("messages")) {
      if (message.path("content").isNull()) {
        return true;
      }
    }
    return false;
  }

  /**
   * A server that rate-limits one kind of request for good: every request whose temperature is not
   * a number from 0 to 2 gets 429 with Retry-After, however often it is retried.
   */
  static Distortion busyForBadTemperatures() {
    return Distortion.none()
        .withShortCircuit(
            request -> {
              JsonNode temperature;
              try {
                temperature = Json.MAPPER.readTree(request.body()).path("temperature");
              } catch (IOException | RuntimeException e) {
                return null;
              }
              boolean bad =
                  !temperature.isMissingNode()
                      && !(temperature.isNumber()
                          && temperature.asDouble() >= 0
                          && temperature.asDouble() <= 2);
              if (!bad) {
                return null;
              }
              Answer busy = error(429, "rate_limit_error", "slow down");
              Map<String, String> headers = new LinkedHashMap<>(busy.headers());
              headers.put("Retry-After", "0");
              return new Answer(429, headers, busy.body());
            });
  }

  /** Every seventh request gets a 429, with or without Retry-After. */
  static Distortion busy(boolean retryAfter) {
    AtomicInteger count = new AtomicInteger();
    return Distortion.none()
        .withShortCircuit(
            request -> {
              if (count.incrementAndGet() % 7 != 0) {
                return null;
              }
              Answer busy = error(429, "rate_limit_error", "slow down");
              if (!retryAfter) {
                return busy;
              }
              Map<String, String> headers = new LinkedHashMap<>(busy.headers());
              headers.put("Retry-After", "0");
              return new Answer(429, headers, busy.body());
            });
  }

  /**
   * The first stream gets an error event after its second content event; then it either ends (as
   * the contract says) or goes on as if nothing happened. Later streams are untouched.
   */
  static Distortion errorEventInFirstStream(boolean continueAfterIt) {
    // The first stream to send an event is the one that breaks; streams running beside it (the
    // gate runs checks concurrently) pass untouched.
    AtomicBoolean taken = new AtomicBoolean();
    String error =
        new String(error(500, "api_error", "generation failed").body(), StandardCharsets.UTF_8);
    return Distortion.none()
        .withEventPerStream(
            () -> {
              int[] seen = {0};
              boolean[] mine = {false};
              boolean[] broken = {false};
              return data -> {
                if (broken[0]) {
                  return continueAfterIt ? List.of(data) : List.of();
                }
                if (seen[0]++ == 0) {
                  mine[0] = taken.compareAndSet(false, true);
                }
                if (!mine[0] || data.equals("[DONE]") || seen[0] < 2) {
                  return List.of(data);
                }
                broken[0] = true;
                return List.of(data, error);
              };
            });
  }

  static Distortion refusesTheApiKeyHeader() {
    return refusingHeader("api-key", "use Authorization: Bearer");
  }

  static Distortion refusesBearerTokens() {
    return refusingHeader("authorization", "use the API-KEY header");
  }

  /** Any key at all is taken for the known one. */
  static Distortion acceptsUnknownKeys() {
    return Distortion.none()
        .withRequest(
            request -> {
              String sent =
                  request.header("api-key") != null
                      ? request.header("api-key")
                      : String.valueOf(request.header("authorization")).replace("Bearer ", "");
              if (!request.hasKey() || sent.equals(TargetSettings.EMBEDDED_FORBIDDEN_KEY)) {
                return request;
              }
              Map<String, String> headers = new LinkedHashMap<>(request.headers());
              headers.remove("authorization");
              headers.put("api-key", ServerConfig.DEVELOPMENT_KEY);
              return new Request(request.method(), request.path(), headers, request.body());
            });
  }

  static Distortion unauthorisedInsteadOfForbidden() {
    return instead(403, error(401, "authentication_error", "unknown key"));
  }

  /** Empty messages are filled in instead of refused. */
  static Distortion acceptsEmptyMessages() {
    return Distortion.none()
        .withRequest(
            request ->
                rewriteBody(
                    request,
                    body -> {
                      if (body.path("messages").isArray() && body.path("messages").isEmpty()) {
                        ((com.fasterxml.jackson.databind.node.ArrayNode) body.get("messages"))
                            .addObject()
                            .put("role", "user")
                            .put("content", "hi");
                      }
                      return body;
                    }));
  }

  /** Names of 64 characters are refused as too long. */
  static Distortion refusesLongestName() {
    return Distortion.none()
        .withShortCircuit(
            request ->
                new String(request.body(), StandardCharsets.UTF_8).contains("n".repeat(64))
                    ? error(400, "invalid_request_error", "messages[0].name is too long")
                    : null);
  }

  static Distortion numericModel() {
    return completions(node -> ((ObjectNode) node).put("model", 6));
  }

  static Distortion noChoices() {
    return completions(
        node -> {
          ((ObjectNode) node).putArray("choices");
          return node;
        });
  }

  static Distortion negativeIndex() {
    return completions(
        node -> {
          ((ObjectNode) node.path("choices").path(0)).put("index", -1);
          return node;
        });
  }

  static Distortion botMessages() {
    return completions(
        node -> {
          ((ObjectNode) node.path("choices").path(0).path("message")).put("role", "bot");
          return node;
        });
  }

  static Distortion finishedDone() {
    return completions(
        node -> {
          ((ObjectNode) node.path("choices").path(0)).put("finish_reason", "done");
          return node;
        });
  }

  static Distortion createdInMilliseconds() {
    return completions(
        node -> ((ObjectNode) node).put("created", node.path("created").asLong() * 1000));
  }

  static Distortion noCreated() {
    return completions(node -> without(node, "created"));
  }

  static Distortion usageOverMaxTokens() {
    return completions(
        node -> {
          ObjectNode usage = (ObjectNode) node.path("usage");
          usage.put("completion_tokens", usage.path("completion_tokens").asInt() + 40);
          usage.put("total_tokens", usage.path("total_tokens").asInt() + 40);
          return node;
        });
  }

  static Distortion streamAsPlainText() {
    return Distortion.none().withStreamType("text/plain");
  }

  static Distortion chunksCalledCompletions() {
    return streamChunks(chunk -> ((ObjectNode) chunk).put("object", "chat.completion"));
  }

  static Distortion noFinishInTheLastChunk() {
    return streamChunks(
        chunk -> {
          for (JsonNode choice : chunk.path("choices")) {
            ((ObjectNode) choice).remove("finish_reason");
          }
          return chunk;
        });
  }

  /**
   * The whole answer in one content event, then the finish chunk and [DONE]. Each stream collects
   * its own content: streams run side by side through the proxy, and a buffer they shared gave one
   * stream's first token to another that finished at that moment.
   */
  static Distortion oneEventStream() {
    return Distortion.none()
        .withEventPerStream(
            () -> {
              StringBuilder content = new StringBuilder();
              return data -> {
                if (data.equals("[DONE]")) {
                  return List.of(data);
                }
                JsonNode chunk = read(data);
                JsonNode delta = chunk.path("choices").path(0).path("delta");
                JsonNode finish = chunk.path("choices").path(0).path("finish_reason");
                if (delta.path("content").isTextual()
                    && (finish.isNull() || finish.isMissingNode())) {
                  content.append(delta.path("content").asText());
                  return List.of();
                }
                if (finish.isTextual()) {
                  ObjectNode whole = chunk.deepCopy();
                  ((ObjectNode) whole.path("choices").path(0)).putNull("finish_reason");
                  ((ObjectNode) whole.path("choices").path(0).path("delta"))
                      .put("content", content.toString());
                  content.setLength(0);
                  return List.of(write(whole, false), data);
                }
                return List.of(data);
              };
            });
  }

  /** 200 application/json with an HTML page for every chat completion. */
  static Distortion htmlCompletions() {
    return completions(node -> node)
        .withAnswer(
            (request, answer) ->
                answer.status() == 200 && isJson(answer) && request.path().contains("chat")
                    ? new Answer(
                        200,
                        Map.of("Content-Type", "application/json"),
                        "<html><body><h1>Welcome to the gateway</h1></body></html>"
                            .getBytes(StandardCharsets.UTF_8))
                    : answer);
  }

  /** Every chat request gets FastAPI's 422, as a server that requires a field the gate lacks. */
  static Distortion unprocessableChat() {
    return Distortion.none()
        .withShortCircuit(
            request ->
                request.path().startsWith("/v1/chat/completions")
                    ? new Answer(
                        422,
                        Map.of("Content-Type", "application/json"),
                        "{\"detail\":[{\"loc\":[\"body\",\"tenant\"],\"msg\":\"field required\"}]}"
                            .getBytes(StandardCharsets.UTF_8))
                    : null);
  }

  /** Streams never end: after the answer the last content event comes again and again. */
  static Distortion endlessStreams() {
    return Distortion.none().endlessStreams();
  }

  /** 401 answers say they are invalid requests. */
  static Distortion wrongErrorType() {
    return instead(401, error(401, "invalid_request_error", "unknown key"));
  }

  /** An unknown key gets a 500: a client's mistake met by the auth checks. */
  static Distortion serverErrorForUnknownKeys() {
    return Distortion.none()
        .withAnswer(
            (request, answer) ->
                answer.status() == 401 && request.hasKey()
                    ? error(500, "api_error", "key lookup failed")
                    : answer);
  }

  /** Unknown paths answer 404 with a body of 9 MiB. */
  static Distortion hugeNotFound() {
    byte[] huge = new byte[9 * 1024 * 1024];
    java.util.Arrays.fill(huge, (byte) 'x');
    return instead(404, new Answer(404, Map.of("Content-Type", "application/json"), huge));
  }

  // ---- helpers ----

  /** A 401 for every request that carries {@code header}. */
  private static Distortion refusingHeader(String header, String message) {
    return Distortion.none()
        .withShortCircuit(
            request ->
                request.header(header) != null
                    ? error(401, "authentication_error", message)
                    : null);
  }

  /** Every answer with {@code status} replaced by {@code replacement}. */
  private static Distortion instead(int status, Answer replacement) {
    return Distortion.none()
        .withAnswer((request, answer) -> answer.status() == status ? replacement : answer);
  }

  private static Distortion streamChunks(UnaryOperator<JsonNode> change) {
    return Distortion.none()
        .withEvent(
            data ->
                data.equals("[DONE]")
                    ? List.of(data)
                    : List.of(write(change.apply(read(data)), false)));
  }

  static Distortion completions(UnaryOperator<JsonNode> change) {
    return Distortion.none()
        .withAnswer(
            (request, answer) ->
                answer.status() == 200
                        && isJson(answer)
                        && read(answer.body()).path("object").asText().equals("chat.completion")
                    ? json(answer, change, null, false)
                    : answer);
  }

  static Answer error(int status, String type, String message) {
    ObjectNode body = Json.MAPPER.createObjectNode();
    body.putObject("error").put("message", message).put("type", type);
    return new Answer(
        status,
        Map.of("Content-Type", "application/json"),
        write(body, false).getBytes(StandardCharsets.UTF_8));
  }

  private static boolean isJson(Answer answer) {
    return answer.contentType().startsWith("application/json") && answer.body().length > 0;
  }

  private static Answer json(
      Answer answer, UnaryOperator<JsonNode> change, String contentType, boolean pretty) {
    Map<String, String> headers = new LinkedHashMap<>(answer.headers());
    if (contentType != null) {
      headers.put("Content-Type", contentType);
    }
    JsonNode changed = change.apply(read(answer.body()));
    return new Answer(
        answer.status(), headers, write(changed, pretty).getBytes(StandardCharsets.UTF_8));
  }

  static Request rewriteBody(Request request, UnaryOperator<JsonNode> change) {
    try {
      JsonNode body = Json.MAPPER.readTree(request.body());
      if (!(body instanceof ObjectNode)) {
        return request;
      }
      byte[] changed = write(change.apply(body), false).getBytes(StandardCharsets.UTF_8);
      return new Request(request.method(), request.path(), request.headers(), changed);
    } catch (IOException e) {
      return request;
    }
  }

  private static JsonNode clamp(JsonNode body) {
    JsonNode temperature = body.path("temperature");
    if (temperature.isNumber() && temperature.asDouble() > 2) {
      ((ObjectNode) body).put("temperature", 2);
    }
    return body;
  }

  /** Extra fields everywhere and every object's keys in reverse order. */
  private static JsonNode decorate(JsonNode node) {
    if (node.isArray()) {
      node.forEach(Distortions::decorate);
      return node;
    }
    if (!node.isObject()) {
      return node;
    }
    ObjectNode object = (ObjectNode) node;
    List<String> names = new ArrayList<>();
    object.fieldNames().forEachRemaining(names::add);
    Collections.reverse(names);
    Map<String, JsonNode> values = new LinkedHashMap<>();
    for (String name : names) {
      values.put(name, decorate(object.get(name)));
    }
    object.removeAll();
    values.forEach(object::set);
    object.putObject("x_vendor").put("note", "extra fields are legal").putArray("list").add(1);
    return object;
  }

  private static JsonNode stripNullFinish(JsonNode chunk) {
    for (JsonNode choice : chunk.path("choices")) {
      if (choice.path("finish_reason").isNull()) {
        ((ObjectNode) choice).remove("finish_reason");
      }
    }
    return chunk;
  }

  private static JsonNode without(JsonNode node, String... names) {
    if (node instanceof ObjectNode object) {
      for (String name : names) {
        object.remove(name);
      }
    }
    return node;
  }

  private static JsonNode read(String text) {
    return read(text.getBytes(StandardCharsets.UTF_8));
  }

  private static JsonNode read(byte[] bytes) {
    try {
      return Json.MAPPER.readTree(bytes);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String write(JsonNode node, boolean pretty) {
    try {
      return pretty
          ? Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(node)
          : Json.MAPPER.writeValueAsString(node);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
