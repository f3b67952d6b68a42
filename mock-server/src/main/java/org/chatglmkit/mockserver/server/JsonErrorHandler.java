package org.chatglmkit.mockserver.server;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.chatglmkit.mockserver.core.ApiError;
import org.chatglmkit.mockserver.core.Responses;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Jetty's answers to requests it refuses before any handler sees them (headers too large, broken
 * framing, a bad URI) in the API's JSON error shape rather than Jetty's HTML page. The message is
 * the status's reason phrase: nothing the client sent is echoed.
 */
final class JsonErrorHandler extends ErrorHandler {

  static ApiError errorFor(int status) {
    String type =
        switch (status) {
          case 404 -> "not_found_error";
          case 413 -> "request_too_large";
          default -> status >= 500 ? "api_error" : "invalid_request_error";
        };
    String reason = HttpStatus.getMessage(status);
    return new ApiError(status, type, reason == null ? "HTTP " + status : reason, null, null);
  }

  @Override
  protected void generateResponse(
      Request request,
      Response response,
      int status,
      String message,
      Throwable cause,
      Callback callback) {
    response.setStatus(status);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, Responses.JSON);
    Content.Sink.write(response, true, errorFor(status).toJson(), callback);
  }

  @Override
  public ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
    fields.put(HttpHeader.CONTENT_TYPE, Responses.JSON);
    return ByteBuffer.wrap(errorFor(status).toJson().getBytes(StandardCharsets.UTF_8));
  }
}
