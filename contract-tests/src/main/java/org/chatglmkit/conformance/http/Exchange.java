package org.chatglmkit.conformance.http;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Locale;
import org.chatglmkit.mockserver.core.Json;

/**
 * One plain (not streamed) request and its answer.
 *
 * @param request what was sent, e.g. {@code POST /v1/chat/completions}
 * @param status the HTTP status, or 0 when no answer came
 * @param contentType the answer's Content-Type, or {@code null}
 * @param body the answer's body as UTF-8 text (empty when none came)
 * @param retryAfter the Retry-After header, or {@code null}
 * @param failure why no complete answer came (timeout, reset, size cap, ...), or {@code null}
 * @param transcript the request and the answer as text, keys masked, for reports (or {@code null})
 */
public record Exchange(
    String request,
    int status,
    String contentType,
    String body,
    String retryAfter,
    String failure,
    String transcript) {

  /** What a failure starts with when the run's own time limit stopped the exchange. */
  public static final String TIME_LIMIT = "not sent: the run's time limit";

  public Exchange {
    body = body == null ? "" : body;
  }

  public Exchange(String request, int status, String contentType, String body, String retryAfter) {
    this(request, status, contentType, body, retryAfter, null, null);
  }

  /** An exchange that got no complete answer. */
  public static Exchange failed(String request, String failure) {
    return new Exchange(
        request, 0, null, "", null, failure, request + "\n\n(no answer: " + failure + ")");
  }

  /** Stands for a baseline request that was never sent because an earlier exchange got nothing. */
  public static Exchange failedToStart() {
    return failed("POST /v1/chat/completions", "not sent: the target gave no answer before");
  }

  /** Whether a complete HTTP answer came. */
  public boolean answered() {
    return status > 0 && failure == null;
  }

  /** Whether the run's time limit, not the target, ended this exchange. */
  public boolean stoppedByTimeLimit() {
    return failure != null && failure.startsWith(TIME_LIMIT);
  }

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
    if (status == 0) {
      return "no answer (" + failure + ")";
    }
    String text = body.replaceAll("\\s+", " ").strip();
    if (text.length() > 160) {
      text = text.substring(0, 160) + "…";
    }
    return status
        + " "
        + (contentType == null ? "(no Content-Type)" : contentType)
        + " "
        + text
        + (failure == null ? "" : " (then: " + failure + ")");
  }
}
