package org.chatglmkit.conformance.http;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import org.chatglmkit.mockserver.core.Json;

/**
 * One plain request a check sends.
 *
 * @param method the HTTP method
 * @param path the path, starting with a slash
 * @param auth how the key is sent
 * @param contentType the request's Content-Type, or {@code null} for none
 * @param body the body, or {@code null} for none
 * @param mistake for a request that is a client's mistake on purpose, what is wrong with it; a 5xx
 *     answer to it fails ERR-NO-500-FOR-CLIENT-ERROR. {@code null} for a valid request.
 */
public record Call(
    String method, String path, Auth auth, String contentType, byte[] body, String mistake) {

  /** A valid chat request. */
  public static Call chat(String json, Auth auth) {
    return new Call(
        "POST",
        ChatGlmClient.CHAT_PATH,
        auth,
        "application/json",
        json.getBytes(StandardCharsets.UTF_8),
        null);
  }

  /** The same request, marked as a client's mistake. */
  public Call mistake(String what) {
    return new Call(method, path, auth, contentType, body, what);
  }

  /**
   * The body, naming {@code model} when it is a JSON object that names none (inserted as its first
   * field, so the rest of the body stays as it was written); otherwise the body unchanged.
   */
  public byte[] bodyNaming(String model) {
    if (body == null || model == null) {
      return body;
    }
    String text = new String(body, StandardCharsets.UTF_8);
    JsonNode json = StreamResult.json(text);
    if (!json.isObject() || json.has("model")) {
      return body;
    }
    int open = text.indexOf('{');
    String field =
        "\"model\": " + Json.MAPPER.getNodeFactory().textNode(model) + (json.isEmpty() ? "" : ", ");
    return (text.substring(0, open + 1) + field + text.substring(open + 1))
        .getBytes(StandardCharsets.UTF_8);
  }

  public String describe() {
    return method + " " + path;
  }
}
