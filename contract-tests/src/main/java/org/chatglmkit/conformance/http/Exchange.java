package org.chatglmkit.conformance.http;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Locale;
import org.chatglmkit.mockserver.core.Json;

/**
 * One plain (not streamed) request and its answer.
 *
 * @param request what was sent, e.g. {@code POST /v1/chat/completions}
 * @param status the HTTP status
 * @param contentType the answer's Content-Type, or {@code null}
 * @param body the answer's body as UTF-8 text
 * @param retryAfter the Retry-After header, or {@code null}
 */
public record Exchange(
    String request, int status, String contentType, String body, String retryAfter) {

  /** The body parsed as JSON; a body that is not JSON is a null node. */
  public JsonNode json() {
    return StreamResult.json(body);
  }

  /** Whether the body is JSON at all. */
  public boolean isJson() {
    try {
      return !body.isBlank() && Json.MAPPER.readTree(body) != null;
    } catch (Exception e) {
      return false;
    }
  }

  /** Whether Content-Type is {@code application/json}, with or without parameters. */
  public boolean hasJsonContentType() {
    return mediaType().equals("application/json");
  }

  /** The media type of Content-Type, lower case, without parameters. */
  public String mediaType() {
    if (contentType == null) {
      return "";
    }
    int semicolon = contentType.indexOf(';');
    String type = semicolon < 0 ? contentType : contentType.substring(0, semicolon);
    return type.strip().toLowerCase(Locale.ROOT);
  }

  /** {@code error.message}, or an empty string. */
  public String errorMessage() {
    return json().path("error").path("message").asText("");
  }

  /** {@code error.param}, or an empty string. */
  public String errorParam() {
    return json().path("error").path("param").asText("");
  }

  /** A one-line account for failure messages. */
  public String brief() {
    String text = body == null ? "" : body.replaceAll("\\s+", " ").strip();
    if (text.length() > 160) {
      text = text.substring(0, 160) + "…";
    }
    return status + " " + (contentType == null ? "(no Content-Type)" : contentType) + " " + text;
  }
}
