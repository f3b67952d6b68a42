package org.chatglmkit.conformance.checks;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.chatglmkit.conformance.http.ChatGlmClient;
import org.chatglmkit.conformance.http.Exchange;
import org.chatglmkit.conformance.http.SseEvent;
import org.chatglmkit.conformance.http.StreamResult;
import org.chatglmkit.schemas.ChatGlmSchemas;
import org.chatglmkit.schemas.Shape;
import org.chatglmkit.schemas.Violation;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;

/**
 * Section 4.2: one greedy {@code stream: true} request, read event by event with arrival times, and
 * the same request unstreamed.
 */
@ConformanceCheck
class StreamingChecks {
  private StreamResult stream;
  private Exchange unstreamed;

  private StreamResult stream(ChatGlmClient client) {
    if (stream == null) {
      stream = client.stream(Requests.stream(CompletionChecks.MAX_TOKENS));
    }
    if (stream.status() != 200 || stream.failure() != null) {
      throw new AssertionFailedError(
          "expected a 200 stream that ends normally, got status "
              + stream.status()
              + (stream.failure() == null ? "" : " (" + stream.failure() + ")")
              + (stream.body() == null ? "" : ": " + stream.body().strip()));
    }
    return stream;
  }

  @Test
  @Tag("STREAM-CONTENT-TYPE")
  void answersWithAnEventStream(ChatGlmClient client) {
    StreamResult result = stream(client);
    String type = result.contentType() == null ? "" : result.contentType();
    Expect.that(
        type.toLowerCase(Locale.ROOT).strip().startsWith("text/event-stream"),
        "Content-Type text/event-stream",
        type.isEmpty() ? "none" : type);
  }

  @Test
  @Tag("STREAM-EVENT-FORMAT")
  void sendsJsonEventsEndingInDone(ChatGlmClient client) {
    StreamResult result = stream(client);
    List<SseEvent> events = result.events();
    Expect.that(!events.isEmpty(), "at least one event", "none");
    for (int i = 0; i < events.size(); i++) {
      SseEvent event = events.get(i);
      boolean last = i == events.size() - 1;
      if (event.isDone()) {
        Expect.that(last, "data: [DONE] as the last event", "[DONE] as event " + (i + 1));
      } else {
        Expect.that(
            StreamResult.json(event.data()).isObject(),
            "data: <JSON object> in event " + (i + 1),
            "'" + clip(event.data()) + "'");
      }
    }
    Expect.that(result.endsWithDone(), "data: [DONE] as the last event", "no [DONE]");
    Expect.that(!result.partialEvent(), "the stream to end between events", "a cut event");
  }

  @Test
  @Tag("STREAM-CHUNK-SHAPE")
  void sendsWellFormedChunks(ChatGlmClient client) {
    schemaRule(client, "STREAM-CHUNK-SHAPE");
    List<JsonNode> chunks = stream(client).chunks();
    for (int i = 0; i < chunks.size() - 1; i++) {
      JsonNode finish = chunks.get(i).path("choices").path(0).path("finish_reason");
      Expect.that(
          finish.isMissingNode() || finish.isNull(),
          "finish_reason null or absent before the last chunk",
          "'" + finish.asText() + "' in chunk " + (i + 1) + " of " + chunks.size());
    }
  }

  @Test
  @Tag("STREAM-CHUNK-IDS")
  void identifiesEachChunk(ChatGlmClient client) {
    schemaRule(client, "STREAM-CHUNK-IDS");
  }

  @Test
  @Tag("STREAM-FINISH-REASON")
  void endsWithAFinishReason(ChatGlmClient client) {
    List<JsonNode> chunks = stream(client).chunks();
    Expect.that(!chunks.isEmpty(), "chunks before [DONE]", "none");
    String finish =
        chunks.get(chunks.size() - 1).path("choices").path(0).path("finish_reason").asText("");
    Expect.that(
        finish.equals("stop") || finish.equals("length"),
        "finish_reason stop or length in the last chunk",
        "'" + finish + "'");
  }

  @Test
  @Tag("STREAM-MATCHES-COMPLETION")
  void streamsTheUnstreamedAnswer(ChatGlmClient client) {
    String streamed = stream(client).content();
    if (unstreamed == null) {
      unstreamed = client.chat(Requests.chat(CompletionChecks.MAX_TOKENS));
    }
    Expect.status(unstreamed, 200);
    String expected = CompletionChecks.content(unstreamed);
    Expect.that(
        streamed.equals(expected),
        "the deltas to spell the unstreamed answer '" + clip(expected) + "'",
        "'" + clip(streamed) + "'");
  }

  @Test
  @Tag("STREAM-INCREMENTAL")
  void sendsTokensAsTheyAreProduced(ChatGlmClient client, RunContext run) {
    StreamResult result = stream(client);
    assumeTrue(
        result.contentEvents() >= 2,
        "the answer came in fewer than two content events; nothing to spread");
    SseEvent first = result.firstContentEvent().orElseThrow();
    SseEvent end = result.events().get(result.events().size() - 1);
    double spread = (end.arrivedNanos() - first.arrivedNanos()) / 1e6;
    long wanted = run.minStreamSpreadMillis();
    Expect.that(
        spread >= wanted,
        "the first content event at least " + wanted + " ms before the stream's end",
        String.format(
            Locale.ROOT,
            "%.1f ms between them (%d content events): the stream was buffered",
            spread,
            result.contentEvents()));
  }

  private void schemaRule(ChatGlmClient client, String rule) {
    List<Violation> violations = new ArrayList<>();
    for (JsonNode chunk : stream(client).chunks()) {
      for (Violation violation :
          ChatGlmSchemas.get().validate(Shape.CHUNK, client.target().profile(), chunk)) {
        boolean unmapped = violation.ruleId().startsWith("SCHEMA:");
        violations.add(
            unmapped && rule.equals("STREAM-CHUNK-SHAPE")
                ? new Violation(rule, violation.field(), violation.message())
                : violation);
      }
    }
    Expect.noViolations("stream chunks", violations, rule);
  }

  private static String clip(String text) {
    return text.length() > 80 ? text.substring(0, 80) + "…" : text;
  }
}
