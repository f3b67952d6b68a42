package org.chatglmkit.conformance.http;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.chatglmkit.mockserver.core.Json;

/**
 * What a {@code stream: true} request got: the status, the events with their arrival times, and how
 * the stream ended.
 *
 * @param status the HTTP status, or 0 when no answer came
 * @param contentType the answer's Content-Type, or {@code null}
 * @param events the complete events, in order
 * @param comments comment lines skipped
 * @param partialEvent whether the stream ended inside an event
 * @param failure why the stream ended early (timeout, reset), or {@code null}
 * @param body for an answer other than 200, its body
 * @param retryAfter the Retry-After header, or {@code null}
 * @param sentNanos {@link System#nanoTime()} when the request was sent
 * @param headersNanos {@link System#nanoTime()} when the response headers came, or 0
 */
public record StreamResult(
    int status,
    String contentType,
    List<SseEvent> events,
    int comments,
    boolean partialEvent,
    String failure,
    String body,
    String retryAfter,
    long sentNanos,
    long headersNanos) {

  public StreamResult {
    events = List.copyOf(events);
  }

  /** A stream request that was never sent. */
  static StreamResult notSent(String failure) {
    return new StreamResult(
        0, null, List.of(), 0, false, failure, null, null, System.nanoTime(), 0);
  }

  /** Whether a 200 stream came and ended on its own (with or without {@code [DONE]}). */
  public boolean ended() {
    return status == 200 && failure == null;
  }

  /** Whether the run's time limit, not the target, ended this stream. */
  public boolean stoppedByTimeLimit() {
    return failure != null && failure.startsWith(Exchange.TIME_LIMIT);
  }

  /** A one-line account for failure messages. */
  public String brief() {
    if (status == 0) {
      return "no answer (" + failure + ")";
    }
    String text = body == null ? "" : " " + body.replaceAll("\\s+", " ").strip();
    if (text.length() > 160) {
      text = text.substring(0, 160) + "…";
    }
    return status
        + " "
        + (contentType == null ? "(no Content-Type)" : contentType)
        + text
        + ", "
        + events.size()
        + " events"
        + (failure == null ? "" : " (then: " + failure + ")");
  }

  /** The data events before {@code [DONE]}, parsed; an event that is not JSON is a null node. */
  public List<JsonNode> chunks() {
    List<JsonNode> chunks = new ArrayList<>();
    for (SseEvent event : events) {
      if (!event.isDone()) {
        chunks.add(json(event.data()));
      }
    }
    return chunks;
  }

  /** The concatenated {@code choices[0].delta.content} of every chunk. */
  public String content() {
    StringBuilder text = new StringBuilder();
    for (JsonNode chunk : chunks()) {
      JsonNode content = chunk.path("choices").path(0).path("delta").path("content");
      if (content.isTextual()) {
        text.append(content.asText());
      }
    }
    return text.toString();
  }

  /** The first event whose chunk carries non-empty content. */
  public Optional<SseEvent> firstContentEvent() {
    for (SseEvent event : events) {
      if (!event.isDone() && !contentOf(event.data()).isEmpty()) {
        return Optional.of(event);
      }
    }
    return Optional.empty();
  }

  /** How many events carry non-empty content. */
  public long contentEvents() {
    return events.stream()
        .filter(e -> !e.isDone())
        .filter(e -> !contentOf(e.data()).isEmpty())
        .count();
  }

  /** The index of the first event holding an {@code error} object, or -1. */
  public int errorEventIndex() {
    for (int i = 0; i < events.size(); i++) {
      if (json(events.get(i).data()).path("error").isObject()) {
        return i;
      }
    }
    return -1;
  }

  /**
   * The first event that repeats the one before it byte for byte and carries content, as "event N
   * repeats event N-1", or empty. A model may repeat a token, so this names a likely duplicate only
   * where something else is already wrong.
   */
  public Optional<String> repeatedEvent() {
    for (int i = 1; i < events.size(); i++) {
      String data = events.get(i).data();
      if (data.equals(events.get(i - 1).data()) && !contentOf(data).isEmpty()) {
        return Optional.of("event " + (i + 1) + " repeats event " + i + " byte for byte");
      }
    }
    return Optional.empty();
  }

  /** Milliseconds from sending the request to its response headers, or -1. */
  public double millisToHeaders() {
    return headersNanos == 0 ? -1 : (headersNanos - sentNanos) / 1e6;
  }

  /** The {@code choices[0].delta.content} of an event's data, or empty. */
  private static String contentOf(String data) {
    return json(data).path("choices").path(0).path("delta").path("content").asText("");
  }

  public boolean endsWithDone() {
    return !events.isEmpty() && events.get(events.size() - 1).isDone();
  }

  /** Milliseconds from sending the request to an event. */
  public double millisTo(SseEvent event) {
    return (event.arrivedNanos() - sentNanos) / 1e6;
  }

  /** A readable transcript: one line per event with its arrival time. */
  public String transcript() {
    StringBuilder text = new StringBuilder();
    text.append("status ").append(status).append(", Content-Type ").append(contentType);
    if (headersNanos != 0) {
      text.append(
          String.format(java.util.Locale.ROOT, ", headers after %.1f ms", millisToHeaders()));
    }
    text.append(", ")
        .append(events.size())
        .append(" events, ")
        .append(comments)
        .append(" comments (keep-alive)");
    if (failure != null) {
      text.append(", ended early: ").append(failure);
    }
    text.append('\n');
    if (body != null) {
      text.append(body).append('\n');
    }
    for (SseEvent event : events) {
      text.append(String.format("%8.1f ms  data: %s%n", millisTo(event), event.data()));
    }
    return text.toString();
  }

  public static JsonNode json(String data) {
    try {
      return Json.MAPPER.readTree(data);
    } catch (Exception e) {
      return Json.MAPPER.nullNode();
    }
  }
}
