package org.chatglmkit.conformance.targets;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Optional;
import java.util.Set;

/**
 * What the official demos' pydantic request models accept: {@code model} and {@code messages}
 * required; each message an object with a role of the enum and a string content (required by
 * ChatGLM2, optional for ChatGLM3); {@code temperature}, {@code max_tokens} and {@code stream}
 * optional, coerced as pydantic does (v1 for ChatGLM2, v2 lax mode for ChatGLM3); anything else
 * ignored.
 */
final class Pydantic {
  private static final Set<String> TRUTHY = Set.of("true", "yes", "on", "1", "y", "t");
  private static final Set<String> FALSY = Set.of("false", "no", "off", "0", "n", "f");

  private Pydantic() {}

  /** The 422 body for what the model refuses, or empty. */
  static Optional<String> validate(JsonNode request, boolean v1) {
    if (request == null) {
      return Optional.of(OfficialDemoServer.detail("missing", "[\"body\"]", "Field required"));
    }
    if (!request.isObject()) {
      return Optional.of(
          OfficialDemoServer.detail(
              "model_attributes_type", "[\"body\"]", "Input should be a valid dictionary"));
    }
    if (!request.path("model").isTextual()) {
      return Optional.of(missing("model"));
    }
    JsonNode messages = request.path("messages");
    if (!messages.isArray()) {
      return Optional.of(missing("messages"));
    }
    for (int i = 0; i < messages.size(); i++) {
      JsonNode message = messages.get(i);
      String loc = "[\"body\", \"messages\", " + i;
      if (!message.isObject()) {
        return Optional.of(
            OfficialDemoServer.detail(
                "model_type", loc + "]", "Input should be a valid dictionary"));
      }
      String role = message.path("role").isTextual() ? message.path("role").asText() : "";
      boolean known =
          Set.of("user", "assistant", "system").contains(role) || (!v1 && role.equals("function"));
      if (!known) {
        return Optional.of(
            OfficialDemoServer.detail(
                "literal_error",
                loc + ", \"role\"]",
                "Input should be 'user', 'assistant' or 'system'"));
      }
      JsonNode content = message.path("content");
      // ChatGLM2 (v1): content required, numbers coerced to text. ChatGLM3 (v2): defaults to None.
      boolean accepted =
          content.isMissingNode() ? !v1 : content.isTextual() || (v1 && content.isNumber());
      if (!accepted) {
        return Optional.of(
            OfficialDemoServer.detail(
                "string_type", loc + ", \"content\"]", "Input should be a valid string"));
      }
    }
    JsonNode temperature = request.path("temperature");
    if (!temperature.isMissingNode() && !temperature.isNull() && !number(temperature)) {
      return Optional.of(invalid("temperature", "float_parsing"));
    }
    JsonNode maxTokens = request.path("max_tokens");
    if (!maxTokens.isMissingNode() && !maxTokens.isNull() && !integer(maxTokens, v1)) {
      return Optional.of(invalid("max_tokens", "int_parsing"));
    }
    JsonNode stream = request.path("stream");
    if (!stream.isMissingNode() && !stream.isNull() && !bool(stream)) {
      return Optional.of(invalid("stream", "bool_parsing"));
    }
    return Optional.empty();
  }

  static boolean truthy(JsonNode stream) {
    return stream.isBoolean()
        ? stream.asBoolean()
        : stream.isNumber() ? stream.asInt() == 1 : TRUTHY.contains(stream.asText().toLowerCase());
  }

  private static boolean number(JsonNode value) {
    if (value.isNumber()) {
      return true;
    }
    try {
      Double.parseDouble(value.asText());
      return value.isTextual();
    } catch (NumberFormatException e) {
      return false;
    }
  }

  private static boolean integer(JsonNode value, boolean v1) {
    if (value.isIntegralNumber()) {
      return true;
    }
    if (value.isNumber()) {
      // v1 truncates 1.5 to 1; v2 refuses a fraction.
      return v1 || value.asDouble() == Math.rint(value.asDouble());
    }
    return value.isTextual() && value.asText().strip().matches("-?\\d+");
  }

  private static boolean bool(JsonNode value) {
    if (value.isBoolean()) {
      return true;
    }
    if (value.isNumber()) {
      return value.asDouble() == 0 || value.asDouble() == 1;
    }
    String text = value.asText().toLowerCase();
    return value.isTextual() && (TRUTHY.contains(text) || FALSY.contains(text));
  }

  private static String missing(String field) {
    return OfficialDemoServer.detail("missing", "[\"body\", \"" + field + "\"]", "Field required");
  }

  private static String invalid(String field, String type) {
    return OfficialDemoServer.detail(
        type, "[\"body\", \"" + field + "\"]", "Input should be valid");
  }
}
