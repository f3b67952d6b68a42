package org.chatglmkit.load;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.chatglmkit.mockserver.core.Json;
import org.chatglmkit.schemas.Shape;

/**
 * Follows each virtual user's stream event by event. Gatling hands every inbound SSE message to a
 * matching check as it arrives; that check calls {@link #onMessage}, which stamps the time, checks
 * the chunk against the schema, and says whether the stream is done.
 */
final class StreamTracker {
  private final Map<Long, Stream> streams = new ConcurrentHashMap<>();
  private final Metrics metrics;
  private final Conformance conformance;

  StreamTracker(Metrics metrics, Conformance conformance) {
    this.metrics = metrics;
    this.conformance = conformance;
  }

  private static final class Stream {
    final long sent = System.nanoTime();
    final List<Long> contentTimes = new ArrayList<>();
    long chunks;
    long usageTokens = -1;
    long promptTokens = -1;
    boolean done;
    boolean errorEvent;
  }

  void start(long userId) {
    streams.put(userId, new Stream());
  }

  /** One inbound message; {@code true} once {@code [DONE]} (or an error event) arrived. */
  boolean onMessage(long userId, String message) {
    long now = System.nanoTime();
    Stream stream = streams.get(userId);
    if (stream == null) {
      return false;
    }
    String data = data(message);
    synchronized (stream) {
      if (data.equals("[DONE]")) {
        stream.done = true;
        return true;
      }
      JsonNode chunk = parse(data);
      if (chunk.path("error").isObject()) {
        stream.errorEvent = true;
        conformance.check(Shape.ERROR, chunk);
        return true;
      }
      conformance.check(Shape.CHUNK, chunk);
      stream.chunks++;
      if (!chunk.path("choices").path(0).path("delta").path("content").asText("").isEmpty()) {
        stream.contentTimes.add(now);
      }
      JsonNode usage = chunk.path("usage");
      if (usage.isObject()) {
        stream.usageTokens = usage.path("completion_tokens").asLong(-1);
        stream.promptTokens = usage.path("prompt_tokens").asLong(-1);
      }
      return false;
    }
  }

  /** Records the stream's outcome; {@code failed} is Gatling's verdict on the connect and await. */
  void finish(long userId, boolean failed) {
    long end = System.nanoTime();
    Stream stream = streams.remove(userId);
    if (stream == null) {
      return;
    }
    synchronized (stream) {
      if (stream.errorEvent) {
        metrics.failure(stream.sent, "stream-error-event");
      } else if (stream.done && !failed) {
        long tokens = stream.usageTokens >= 0 ? stream.usageTokens : stream.contentTimes.size();
        metrics.success(stream.sent, stream.contentTimes, end, stream.promptTokens, tokens);
      } else if (stream.chunks == 0 && !stream.done) {
        metrics.failure(stream.sent, "stream-not-opened");
      } else {
        metrics.failure(stream.sent, "stream-stalled-or-cut");
      }
    }
  }

  /**
   * The event's data. Gatling renders an SSE message as JSON with a {@code data} member whose value
   * is the raw data text, so {@code [DONE]} does not parse there: read it as text.
   */
  static String data(String message) {
    String text = message.strip();
    int key = text.indexOf("\"data\":");
    if (!text.startsWith("{") || key < 0) {
      return text;
    }
    String rest = text.substring(key + 7).strip();
    int end = rest.lastIndexOf('}');
    String value = (end >= 0 ? rest.substring(0, end) : rest).strip();
    if (value.startsWith("\"") && value.endsWith("\"")) {
      JsonNode decoded = parse(value);
      return decoded.isTextual() ? decoded.asText() : value;
    }
    return value;
  }

  private static JsonNode parse(String text) {
    try {
      return Json.MAPPER.readTree(text);
    } catch (Exception e) {
      return Json.MAPPER.nullNode();
    }
  }
}
