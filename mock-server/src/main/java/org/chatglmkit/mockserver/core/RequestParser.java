package org.chatglmkit.mockserver.core;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.chatglmkit.schemas.ChatGlmSchemas;
import org.chatglmkit.schemas.Profile;
import org.chatglmkit.schemas.Shape;
import org.chatglmkit.schemas.Violation;

/** Turns a request body into a {@link ChatRequest}, validating it against the request schema. */
public final class RequestParser {
  private final ChatGlmSchemas schemas = ChatGlmSchemas.get();

  /**
   * Parses and validates a body.
   *
   * @param body the raw bytes
   * @param contentType the request's Content-Type, or {@code null} when absent (JSON is assumed)
   * @throws ApiException with a 400 naming the field for any broken rule
   */
  public ChatRequest parse(byte[] body, String contentType) {
    if (contentType != null && !isJson(contentType)) {
      throw new ApiException(
          ApiError.invalidRequest(
              "Content-Type must be application/json, not '" + contentType + "'", null));
    }
    JsonNode root = readTree(body);
    List<Violation> violations = schemas.validate(Shape.REQUEST, Profile.OPENAI, root);
    if (!violations.isEmpty()) {
      Violation first = violations.get(0);
      String where = first.field().isEmpty() ? "request body" : first.field();
      throw new ApiException(
          ApiError.invalidRequest(
              where + ": " + stripPath(first.message()) + " [" + first.ruleId() + "]",
              first.param()));
    }
    ChatRequest request = toRequest(root);
    ToolsReader.checkResults(request.conversation(), request.history().size());
    return request;
  }

  /** Parses JSON text into a tree; anything but a JSON object is a 400. */
  public static JsonNode readTree(byte[] body) {
    if (body == null || body.length == 0) {
      throw new ApiException(ApiError.invalidRequest("request body is empty", null));
    }
    JsonNode root;
    try {
      root = Json.MAPPER.readTree(body);
    } catch (JsonProcessingException e) {
      throw new ApiException(
          ApiError.invalidRequest("malformed JSON: " + e.getOriginalMessage(), null));
    } catch (IOException e) {
      throw new ApiException(ApiError.invalidRequest("unreadable body", null));
    }
    if (root == null || !root.isObject()) {
      throw new ApiException(ApiError.invalidRequest("request body must be a JSON object", null));
    }
    return root;
  }

  private static boolean isJson(String contentType) {
    String mediaType = contentType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
    return mediaType.equals("application/json") || mediaType.endsWith("+json");
  }

  private static String stripPath(String message) {
    int colon = message.indexOf(": ");
    return message.startsWith("$") && colon > 0 ? message.substring(colon + 2) : message;
  }

  /**
   * The request's values; an optional field that is {@code null} is read as not given (the openai
   * reading, docs/api-reading.md section 3).
   */
  private static ChatRequest toRequest(JsonNode root) {
    JsonNode temperature = root.get("temperature");
    JsonNode maxTokens = root.get("max_tokens");
    JsonNode stream = root.get("stream");
    JsonNode topP = root.get("top_p");
    JsonNode seed = root.get("seed");
    JsonNode model = root.get("model");
    return new ChatRequest(
        messages(root.get("messages")),
        messages(root.get("history")),
        temperature == null || temperature.isNull() ? 1.0 : temperature.doubleValue(),
        maxTokens == null || maxTokens.isNull() ? null : cap(maxTokens),
        stream != null && stream.booleanValue(),
        root.path("stream_options").path("include_usage").asBoolean(false),
        model != null && model.isTextual() ? model.asText() : null,
        topP != null && topP.isNumber() ? topP.doubleValue() : null,
        seed != null && seed.canConvertToLong() ? seed.longValue() : null,
        ToolsReader.read(root));
  }

  /**
   * A valid max_tokens as an int: any cap beyond 2^31 - 1 (the schema sets no maximum) cannot be
   * reached, so it is the same as 2^31 - 1.
   */
  private static int cap(JsonNode maxTokens) {
    return maxTokens.canConvertToInt() ? maxTokens.intValue() : Integer.MAX_VALUE;
  }

  private static List<ChatMessage> messages(JsonNode array) {
    List<ChatMessage> messages = new ArrayList<>();
    if (array != null) {
      for (JsonNode node : array) {
        messages.add(
            new ChatMessage(
                node.path("role").asText(),
                node.hasNonNull("content") ? node.get("content").asText() : null,
                node.hasNonNull("name") ? node.get("name").asText() : null,
                ToolsReader.calls(node),
                node.hasNonNull("tool_call_id") ? node.get("tool_call_id").asText() : null));
      }
    }
    return messages;
  }
}
