package org.chatglmkit.conformance.broken;

import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * How a {@link MutatingProxy} departs from the server behind it. Everything not changed here is
 * passed through untouched, so a distortion breaks exactly what it names.
 *
 * @param request rewrites a request before it is forwarded
 * @param shortCircuit answers a request itself (no forwarding), or returns {@code null}
 * @param answer rewrites a plain answer
 * @param event gives each stream the function that turns one upstream event's data into the data of
 *     the events to send (none: drop); one function for every stream unless {@link
 *     #withEventPerStream} gives each its own
 * @param bufferStream hold every event until the upstream stream ends
 * @param lineEnd the line end of every event line sent
 * @param pings send a {@code : ping} comment before every event
 * @param streamType the Content-Type of a stream
 * @param endless after the upstream stream ends, keep sending its last content event forever
 */
record Distortion(
    UnaryOperator<Request> request,
    Function<Request, Answer> shortCircuit,
    BiFunction<Request, Answer, Answer> answer,
    Supplier<Function<String, List<String>>> event,
    boolean bufferStream,
    String lineEnd,
    boolean pings,
    String streamType,
    boolean endless) {

  static Distortion none() {
    return new Distortion(
        r -> r,
        r -> null,
        (r, a) -> a,
        () -> List::of,
        false,
        "\n",
        false,
        "text/event-stream",
        false);
  }

  Distortion withStreamType(String type) {
    return new Distortion(
        request, shortCircuit, answer, event, bufferStream, lineEnd, pings, type, endless);
  }

  Distortion endlessStreams() {
    return new Distortion(
        request, shortCircuit, answer, event, bufferStream, lineEnd, pings, streamType, true);
  }

  Distortion withRequest(UnaryOperator<Request> change) {
    return new Distortion(
        change, shortCircuit, answer, event, bufferStream, lineEnd, pings, streamType, endless);
  }

  Distortion withShortCircuit(Function<Request, Answer> change) {
    return new Distortion(
        request, change, answer, event, bufferStream, lineEnd, pings, streamType, endless);
  }

  Distortion withAnswer(BiFunction<Request, Answer, Answer> change) {
    return new Distortion(
        request, shortCircuit, change, event, bufferStream, lineEnd, pings, streamType, endless);
  }

  Distortion withEvent(Function<String, List<String>> change) {
    return withEventPerStream(() -> change);
  }

  /** A fresh event function for every stream, for a distortion that follows one stream. */
  Distortion withEventPerStream(Supplier<Function<String, List<String>>> change) {
    return new Distortion(
        request, shortCircuit, answer, change, bufferStream, lineEnd, pings, streamType, endless);
  }

  Distortion buffered() {
    return new Distortion(
        request, shortCircuit, answer, event, true, lineEnd, pings, streamType, endless);
  }

  Distortion withCrlfAndPings() {
    return new Distortion(
        request, shortCircuit, answer, event, bufferStream, "\r\n", true, streamType, endless);
  }

  /**
   * A request as the proxy received it.
   *
   * @param method the HTTP method
   * @param path the path with its query
   * @param headers the headers, names in lower case
   * @param body the body
   */
  record Request(String method, String path, Map<String, String> headers, byte[] body) {
    String header(String name) {
      return headers.get(name.toLowerCase(java.util.Locale.ROOT));
    }

    boolean hasKey() {
      return header("api-key") != null || header("authorization") != null;
    }
  }

  /**
   * A plain answer.
   *
   * @param status the HTTP status
   * @param headers the headers to send (Content-Type, Retry-After, ...)
   * @param body the body
   */
  record Answer(int status, Map<String, String> headers, byte[] body) {
    String contentType() {
      return headers.getOrDefault("Content-Type", "");
    }
  }
}
