package org.chatglmkit.mockserver.core;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One recorded answer of a real server, replayed at its own pace: its status, its headers, and
 * either its events (each with the moment it came, in ms after the request was sent) or its body
 * and the moment it was whole.
 *
 * <p>As a stub's transformer parameters ({@code operation: replay}):
 *
 * <pre>{@code
 * {"status": 200, "headers": {"Content-Type": "text/event-stream"},
 *  "events": [{"atMs": 212.4, "text": "data: {...}\n\n"}, ..., {"atMs": 980.1, "text": "data: [DONE]\n\n"}]}
 * {"status": 200, "headers": {"Content-Type": "application/json"}, "body": "{...}", "atMs": 431.0}
 * }</pre>
 *
 * @param status the HTTP status
 * @param headers the answer's headers worth replaying (Content-Type, Retry-After, rate limits)
 * @param events a stream's events in order, or {@code null} for an answer in one body
 * @param body the body of an answer in one body, or {@code null}
 * @param atMillis when the body was whole, or the last event came
 */
public record Recording(
    int status, Map<String, String> headers, List<Event> events, String body, double atMillis) {

  /** One event as it came: its whole text (with its blank line) and when, in ms. */
  public record Event(double atMillis, String text) {}

  public Recording {
    headers = Map.copyOf(headers);
    events = events == null ? null : List.copyOf(events);
  }

  /** Whether the answer was a stream of events. */
  public boolean streamed() {
    return events != null;
  }

  /** The same answer {@code speed} times as fast (2: in half the time). */
  public Recording faster(double speed) {
    if (speed == 1) {
      return this;
    }
    List<Event> scaled = null;
    if (events != null) {
      scaled = new ArrayList<>();
      for (Event event : events) {
        scaled.add(new Event(event.atMillis() / speed, event.text()));
      }
    }
    return new Recording(status, headers, scaled, body, atMillis / speed);
  }

  /** The whole body: the body, or every event's text in order. */
  public String wholeBody() {
    if (events == null) {
      return body == null ? "" : body;
    }
    StringBuilder text = new StringBuilder();
    events.forEach(event -> text.append(event.text()));
    return text.toString();
  }

  /** The recording as a stub's transformer parameters. */
  public Map<String, Object> toParameters() {
    Map<String, Object> parameters = new LinkedHashMap<>();
    parameters.put("operation", "replay");
    parameters.put("status", status);
    parameters.put("headers", headers);
    if (events != null) {
      List<Map<String, Object>> list = new ArrayList<>();
      for (Event event : events) {
        list.add(Map.of("atMs", round(event.atMillis()), "text", event.text()));
      }
      parameters.put("events", list);
    } else {
      parameters.put("body", body);
    }
    parameters.put("atMs", round(atMillis));
    return parameters;
  }

  /**
   * Reads a recording from a stub's parameters.
   *
   * @throws IllegalArgumentException when they hold no recording
   */
  @SuppressWarnings("unchecked")
  public static Recording fromParameters(Map<String, Object> parameters) {
    Object status = parameters.get("status");
    if (!(status instanceof Number)) {
      throw new IllegalArgumentException("a recording needs a numeric status");
    }
    Map<String, String> headers = new LinkedHashMap<>();
    if (parameters.get("headers") instanceof Map<?, ?> map) {
      map.forEach((name, value) -> headers.put(String.valueOf(name), String.valueOf(value)));
    }
    List<Event> events = null;
    if (parameters.get("events") instanceof List<?> list) {
      events = new ArrayList<>();
      for (Object item : list) {
        if (!(item instanceof Map<?, ?> event)
            || !(event.get("atMs") instanceof Number at)
            || !(event.get("text") instanceof String text)) {
          throw new IllegalArgumentException(
              "a recorded event is {\"atMs\": N, \"text\": \"...\"}");
        }
        events.add(new Event(at.doubleValue(), text));
      }
    }
    Object body = parameters.get("body");
    double at =
        parameters.get("atMs") instanceof Number number
            ? number.doubleValue()
            : events == null || events.isEmpty() ? 0 : events.get(events.size() - 1).atMillis();
    return new Recording(
        ((Number) status).intValue(),
        headers,
        events,
        body == null ? null : String.valueOf(body),
        at);
  }

  private static double round(double millis) {
    return Math.round(millis * 10) / 10.0;
  }
}
