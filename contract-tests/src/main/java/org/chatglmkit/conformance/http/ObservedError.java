package org.chatglmkit.conformance.http;

/**
 * An error answer met during a run, kept for the checks that look at every error (shape, type,
 * Retry-After, no 5xx for a client's mistake).
 *
 * @param request what was sent, e.g. {@code POST /v1/chat/completions}
 * @param status the HTTP status, or 200 for an error event inside a stream
 * @param contentType the answer's Content-Type, or {@code null}
 * @param body the body (or the event's data), keys masked
 * @param retryAfter the Retry-After header, or {@code null}
 * @param inStream whether this was an error event after a 200 stream had begun
 * @param eventsAfter for an error event: how many data events other than {@code [DONE]} followed it
 * @param mistake whether the request was a client's mistake on purpose (invalid, unauthorised,
 *     oversized, an unknown path)
 * @param what for a mistake, what was wrong with it
 */
public record ObservedError(
    String request,
    int status,
    String contentType,
    String body,
    String retryAfter,
    boolean inStream,
    int eventsAfter,
    boolean mistake,
    String what) {

  public static ObservedError answer(
      String request, int status, String contentType, String body, String retryAfter) {
    return new ObservedError(request, status, contentType, body, retryAfter, false, 0, false, null);
  }

  public String describe() {
    return request
        + (what == null ? "" : " (" + what + ")")
        + " → "
        + (inStream ? "error event in a 200 stream" : status);
  }
}
