package org.chatglmkit.load;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.ToLongFunction;
import org.chatglmkit.mockserver.client.ToolCalls;
import org.chatglmkit.schemas.Profile;
import org.chatglmkit.schemas.Shape;

/**
 * Follows each virtual user's stream event by event. Gatling hands every inbound SSE message to a
 * matching check as it arrives; that check calls {@link #onMessage}, which only stamps the time and
 * keeps the text (and says whether the stream is done), so the load generator's threads stay free
 * for the next message. The chunks are read when the stream ends ({@link #finish}) and checked
 * against the schemas on a thread of their own.
 */
final class StreamTracker {
  private final Map<Long, Stream> streams = new ConcurrentHashMap<>();
  private final Metrics metrics;
  private final Conformance conformance;

  /** A stream that ends this long after its last event waited for the timeout: it stalled. */
  private final long stallNanos;

  StreamTracker(Metrics metrics, Conformance conformance) {
    this(metrics, conformance, java.time.Duration.ofMinutes(5));
  }

  /**
   * @param timeout the longest a stream is waited for; one that ended well before it, without
   *     {@code [DONE]}, was cut, one that ended at it stalled
   */
  StreamTracker(Metrics metrics, Conformance conformance, java.time.Duration timeout) {
    this.metrics = metrics;
    this.conformance = conformance;
    this.stallNanos = timeout.toNanos() * 9 / 10;
  }

  private static final class Stream {
    final long sent;
    final boolean measured;
    final long tokenizerInput;
    final List<Long> times = new ArrayList<>();
    final List<String> events = new ArrayList<>();
    boolean done;
    boolean errorEvent;

    Stream(long sent, boolean measured, long tokenizerInput) {
      this.sent = sent;
      this.measured = measured;
      this.tokenizerInput = tokenizerInput;
    }
  }

  /**
   * What a stream came to.
   *
   * @param ok whether it ended with {@code [DONE]} and no error event
   * @param answer the content it carried
   */
  /**
   * @param ok whether the stream came whole and well
   * @param answer its text (empty when the text was not needed)
   * @param calls the calls its deltas assemble to
   * @param firstNanos from sending to its first content or call event, or -1
   * @param outputTokens the completion tokens its usage counts, or -1
   */
  record Outcome(boolean ok, String answer, ToolCalls calls, long firstNanos, long outputTokens) {
    Outcome(boolean ok, String answer) {
      this(ok, answer, ToolCalls.ofStream(List.of()), -1, -1);
    }
  }

  void start(long userId) {
    start(userId, System.nanoTime(), true, -1);
  }

  /**
   * A user's stream begins.
   *
   * @param sent when the request was sent
   * @param measured whether it counts (false during the warm-up)
   * @param tokenizerInput the prompt's tokens by the client's tokenizer, or -1
   */
  void start(long userId, long sent, boolean measured, long tokenizerInput) {
    streams.put(userId, new Stream(sent, measured, tokenizerInput));
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
      stream.times.add(now);
      stream.events.add(data);
      if (data.equals("[DONE]")) {
        stream.done = true;
        return true;
      }
      // An error event ends the stream too; the cheap test first, then the real one.
      stream.errorEvent =
          data.contains("\"error\"") && Conformance.parse(data).path("error").isObject();
      return stream.errorEvent;
    }
  }

  /** Records the stream's outcome; {@code failed} is Gatling's verdict on the connect and await. */
  Outcome finish(long userId, boolean failed) {
    return finish(userId, failed, null);
  }

  /**
   * Records the stream's outcome.
   *
   * @param failed Gatling's verdict on the connect and the await
   * @param tokenizer counts the answer's tokens on the client, or {@code null}
   */
  Outcome finish(long userId, boolean failed, ToLongFunction<String> tokenizer) {
    return finish(userId, failed, tokenizer, true);
  }

  /**
   * Records the stream's outcome.
   *
   * @param failed Gatling's verdict on the connect and the await
   * @param tokenizer counts the answer's tokens on the client, or {@code null}
   * @param needAnswer whether the caller needs the answer's text now (a conversation goes on); when
   *     not, the chunks are read on the checks' thread, off the load generator's
   * @return the outcome; without {@code needAnswer}, its answer is empty
   */
  Outcome finish(
      long userId, boolean failed, ToLongFunction<String> tokenizer, boolean needAnswer) {
    long end = System.nanoTime();
    Stream stream = streams.remove(userId);
    if (stream == null) {
      return new Outcome(false, "");
    }
    if (!needAnswer) {
      conformance.background(() -> account(stream, end, failed, tokenizer));
      synchronized (stream) {
        return new Outcome(stream.done && !stream.errorEvent && !failed, "");
      }
    }
    return account(stream, end, failed, tokenizer);
  }

  private Outcome account(
      Stream stream, long end, boolean failed, ToLongFunction<String> tokenizer) {
    synchronized (stream) {
      List<Long> contentTimes = new ArrayList<>();
      List<JsonNode> callChunks = new ArrayList<>();
      StringBuilder answer = new StringBuilder();
      long chunks = 0;
      long usageOutput = -1;
      long usageInput = -1;
      boolean errorEvent = false;
      boolean unreadable = false;
      boolean finished = false;
      boolean repeated = false;
      long contentEvents = 0;
      for (int i = 0; i < stream.events.size(); i++) {
        String data = stream.events.get(i);
        if (data.equals("[DONE]")) {
          break;
        }
        JsonNode chunk = Conformance.parse(data);
        if (!chunk.isObject()) {
          unreadable = true;
        }
        if (chunk.path("error").isObject()) {
          errorEvent = true;
          conformance.check(Shape.ERROR, chunk, data);
          break;
        }
        conformance.check(Shape.CHUNK, chunk, data);
        chunks++;
        JsonNode delta = chunk.path("choices").path(0).path("delta");
        String content = delta.path("content").asText("");
        boolean calling = delta.has("tool_calls") || delta.has("function_call");
        boolean finish = chunk.path("choices").path(0).path("finish_reason").isTextual();
        finished |= finish;
        if (calling || finish) {
          callChunks.add(chunk);
        }
        if (!content.isEmpty()) {
          contentEvents++;
          repeated |= i > 0 && data.equals(stream.events.get(i - 1));
        }
        // A call's pieces are its tokens: TTFT of an answer that calls is the time to the call.
        if (!content.isEmpty() || calling) {
          contentTimes.add(stream.times.get(i));
          answer.append(content);
        }
        JsonNode usage = chunk.path("usage");
        if (usage.isObject()) {
          usageOutput = usage.path("completion_tokens").asLong(-1);
          usageInput = usage.path("prompt_tokens").asLong(-1);
        }
      }
      // A model may repeat a token; more content events than the answer's own completion tokens
      // is what says one was sent twice.
      boolean duplicated = repeated && usageOutput >= 0 && contentEvents > usageOutput;
      boolean finalChunkRequired = conformance.holds(Profile.OPENAI);
      boolean ok =
          !errorEvent
              && !unreadable
              && stream.done
              && !failed
              && (finished || !finalChunkRequired)
              && !duplicated;
      if (!stream.measured) {
        metrics.warmup();
      } else if (errorEvent) {
        metrics.failure(stream.sent, "stream-error-event");
      } else if (unreadable) {
        metrics.failure(stream.sent, "stream-event-not-json");
      } else if (stream.done && !failed && !finished && finalChunkRequired) {
        // the final chunk with finish_reason is the openai reading (STREAM-FINISH-REASON)
        metrics.failure(stream.sent, "stream-no-final-chunk");
      } else if (stream.done && !failed && duplicated) {
        metrics.failure(stream.sent, "stream-duplicate-event");
      } else if (ok) {
        metrics.streamShape(stream.sent, contentTimes);
        String text = answer.toString();
        metrics.success(
            stream.sent,
            contentTimes,
            end,
            new Metrics.Tokens(
                usageInput,
                usageOutput,
                stream.tokenizerInput,
                tokenizer == null ? -1 : tokenizer.applyAsLong(text),
                contentTimes.size(),
                -1));
      } else if (chunks == 0 && !stream.done) {
        metrics.failure(stream.sent, "stream-not-opened");
      } else {
        long last =
            stream.times.isEmpty() ? stream.sent : stream.times.get(stream.times.size() - 1);
        metrics.failure(stream.sent, end - last >= stallNanos ? "stream-stalled" : "stream-cut");
      }
      return new Outcome(
          ok,
          answer.toString(),
          ToolCalls.ofStream(callChunks),
          contentTimes.isEmpty() ? -1 : contentTimes.get(0) - stream.sent,
          usageOutput);
    }
  }

  /** Streams under way. */
  int inFlight() {
    return streams.size();
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
      JsonNode decoded = Conformance.parse(value);
      return decoded.isTextual() ? decoded.asText() : value;
    }
    return value;
  }
}
