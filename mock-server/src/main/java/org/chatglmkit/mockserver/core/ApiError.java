package org.chatglmkit.mockserver.core;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An error answer of the API (docs/api-reading.md section 5): status, machine word, message, field.
 *
 * @param status the HTTP status
 * @param type the machine word, e.g. {@code invalid_request_error}
 * @param message the human-readable message; never holds a key
 * @param param the request field at fault, or {@code null}
 * @param retryAfterSeconds the {@code Retry-After} value for 429 and 529, or {@code null}
 * @param allow the {@code Allow} value of a 405 (the methods the path takes), or {@code null}
 */
public record ApiError(
    int status,
    String type,
    String message,
    String param,
    Integer retryAfterSeconds,
    String allow) {

  public ApiError(
      int status, String type, String message, String param, Integer retryAfterSeconds) {
    this(status, type, message, param, retryAfterSeconds, null);
  }

  public static ApiError invalidRequest(String message, String param) {
    return new ApiError(400, "invalid_request_error", message, param, null);
  }

  public static ApiError unauthorized(String message) {
    return new ApiError(401, "authentication_error", message, null, null);
  }

  public static ApiError forbidden(String message) {
    return new ApiError(403, "permission_error", message, null, null);
  }

  public static ApiError notFound(String message) {
    return new ApiError(404, "not_found_error", message, null, null);
  }

  /**
   * @param allow the methods the path takes, for the {@code Allow} header
   */
  public static ApiError methodNotAllowed(String message, String allow) {
    return new ApiError(405, "invalid_request_error", message, null, null, allow);
  }

  public static ApiError tooLarge(long limitBytes) {
    return new ApiError(
        413,
        "request_too_large",
        "request body is larger than the limit of " + limitBytes + " bytes",
        null,
        null);
  }

  public static ApiError rateLimited(int retryAfterSeconds) {
    return new ApiError(
        429, "rate_limit_error", "rate limit reached for this key", null, retryAfterSeconds);
  }

  public static ApiError internal(String message) {
    return new ApiError(500, "api_error", message, null, null);
  }

  public static ApiError overloaded(int retryAfterSeconds) {
    return new ApiError(
        529, "overloaded_error", "the server is overloaded", null, retryAfterSeconds);
  }

  /** The headers the answer carries besides its Content-Type, in the order they are sent. */
  public Map<String, String> headers() {
    Map<String, String> headers = new LinkedHashMap<>();
    if (retryAfterSeconds != null) {
      headers.put("Retry-After", String.valueOf(retryAfterSeconds));
    }
    if (allow != null) {
      headers.put("Allow", allow);
    }
    return headers;
  }

  /** The error body {@code {"error": {...}}}. */
  public String toJson() {
    ObjectNode body = Json.MAPPER.createObjectNode();
    ObjectNode error = body.putObject("error");
    error.put("message", message);
    error.put("type", type);
    error.put("code", status);
    error.put("param", param);
    return body.toString();
  }
}
