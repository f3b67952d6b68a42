package org.chatglmkit.conformance.broken;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.chatglmkit.conformance.broken.Distortion.Request;
import org.chatglmkit.mockserver.core.FaultKind;
import org.chatglmkit.mockserver.core.Json;

/**
 * Servers that call tools wrongly, each in one way: by the reference server's own call-breaking
 * faults (asked for by header on every request that offers functions), or by a proxy that changes
 * requests or answers.
 */
final class ToolDistortions {
  private ToolDistortions() {}

  /** Every request that offers functions asks the reference server for {@code fault}. */
  static Distortion fault(FaultKind fault) {
    return Distortion.none()
        .withRequest(
            request -> {
              String body = new String(request.body(), StandardCharsets.UTF_8);
              if (!body.contains("\"tools\"") && !body.contains("\"functions\"")) {
                return request;
              }
              Map<String, String> headers = new LinkedHashMap<>(request.headers());
              headers.put(FaultKind.HEADER.toLowerCase(Locale.ROOT), fault.id());
              return new Request(request.method(), request.path(), headers, request.body());
            });
  }

  /** {@code tool_choice: "none"} is dropped, so the server calls as under {@code auto}. */
  static Distortion ignoresToolChoiceNone() {
    return Distortion.none()
        .withRequest(
            request ->
                Distortions.rewriteBody(
                    request,
                    body -> {
                      if (body.path("tool_choice").asText("").equals("none")) {
                        ((ObjectNode) body).remove("tool_choice");
                      }
                      return body;
                    }));
  }

  /** Unstreamed calls carry arguments that the function's parameters refuse. */
  static Distortion argumentsOutsideTheSchema() {
    return Distortions.completions(
        node -> {
          for (JsonNode call : node.path("choices").path(0).path("message").path("tool_calls")) {
            ((ObjectNode) call.path("function")).put("arguments", "{\"unit\": \"kelvin\"}");
          }
          return node;
        });
  }

  /**
   * Legal: every unstreamed call's arguments are the same JSON object with its keys in reverse
   * order, pretty-printed (whitespace and newlines inside the string).
   */
  static Distortion argumentsReordered() {
    return Distortions.completions(
        node -> {
          for (JsonNode call : node.path("choices").path(0).path("message").path("tool_calls")) {
            ObjectNode function = (ObjectNode) call.path("function");
            try {
              JsonNode arguments = Json.MAPPER.readTree(function.path("arguments").asText());
              ObjectNode reversed = Json.MAPPER.createObjectNode();
              List<String> names = new ArrayList<>();
              arguments.fieldNames().forEachRemaining(names::add);
              Collections.reverse(names);
              names.forEach(name -> reversed.set(name, arguments.get(name)));
              function.put(
                  "arguments",
                  Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(reversed));
            } catch (IOException e) {
              throw new UncheckedIOException(e);
            }
          }
          return node;
        });
  }

  /** Every call of an unstreamed answer has the same id. */
  static Distortion reusedCallIds() {
    return Distortions.completions(
        node -> {
          for (JsonNode call : node.path("choices").path(0).path("message").path("tool_calls")) {
            ((ObjectNode) call).put("id", "call_same");
          }
          return node;
        });
  }

  /**
   * A lenient server: it drops what it cannot use of broken tool input (a function without a name
   * or with parameters that are no object schema, a tool_choice naming a function not offered, a
   * tool message without its call) and answers the rest.
   */
  static Distortion takesBrokenToolInput() {
    return Distortion.none()
        .withRequest(request -> Distortions.rewriteBody(request, ToolDistortions::repaired));
  }

  private static JsonNode repaired(JsonNode body) {
    ObjectNode request = (ObjectNode) body;
    Set<String> offered = new HashSet<>();
    if (request.path("tools").isArray()) {
      ArrayNode kept = request.arrayNode();
      for (JsonNode tool : request.path("tools")) {
        JsonNode function = tool.path("function");
        boolean usable =
            function.path("name").isTextual()
                && (function.path("parameters").isMissingNode()
                    || function.path("parameters").path("type").asText("").equals("object"));
        if (usable) {
          kept.add(tool);
          offered.add(function.path("name").asText());
        }
      }
      request.set("tools", kept);
    }
    JsonNode named = request.path("tool_choice").path("function").path("name");
    if (named.isTextual() && !offered.contains(named.asText())) {
      request.remove("tool_choice");
    }
    Set<String> called = new HashSet<>();
    ArrayNode messages = request.arrayNode();
    for (JsonNode message : request.path("messages")) {
      message.path("tool_calls").forEach(call -> called.add(call.path("id").asText()));
      boolean answersACall =
          called.contains(message.path("tool_call_id").asText(""))
              && message.path("content").isTextual();
      if (!message.path("role").asText().equals("tool") || answersACall) {
        messages.add(message);
      }
    }
    request.set("messages", messages);
    return request;
  }

  /** 400 for {@code tool_choice: "required"}, which the server does not support. */
  static Distortion refusesToolChoiceRequired() {
    return answerWhen(
        "\"tool_choice\"\\s*:\\s*\"required\"",
        Distortions.error(400, "invalid_request_error", "tool_choice: not supported"));
  }

  /**
   * 500 for a conversation with a function message, as the ChatGLM3 demo's prompt builder fails.
   */
  static Distortion failsOnFunctionMessages() {
    return answerWhen(
        "\"role\"\\s*:\\s*\"function\"",
        Distortions.error(500, "api_error", "NoneType has no attribute split"));
  }

  /** {@code answer} to every request whose body holds a match of {@code pattern}. */
  private static Distortion answerWhen(String pattern, Distortion.Answer answer) {
    Pattern body = Pattern.compile(pattern);
    return Distortion.none()
        .withShortCircuit(
            request ->
                body.matcher(new String(request.body(), StandardCharsets.UTF_8)).find()
                    ? answer
                    : null);
  }
}
