package org.chatglmkit.conformance.checks;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;
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
@Needs(Needs.Part.STREAM)
class StreamingChecks {

  private static StreamResult stream(RunContext run) {
    StreamResult stream = run.sharedStream();
    Expect.judgeable(stream);
    if (!stream.ended()) {
      throw new AssertionFailedError(
          "expected a 200 stream that ends, got " + stream.brief() + cutNote(stream));
    }
    return stream;
  }

  /** For a 200 stream whose connection failed after some events: says it was cut; else empty. */
  static String cutNote(StreamResult stream) {
    return stream.status() == 200
            && stream.failure() != null
            && !stream.stoppedByTimeLimit()
            && !stream.events().isEmpty()
            && !stream.endsWithDone()
        ? "; the connection failed after "
            + stream.events().size()
            + " events, before [DONE] (the stream was cut)"
        : "";
  }

  static void expectEventStream(StreamResult result) {
    String type = result.contentType() == null ? "" : result.contentType();
    Expect.that(
        type.toLowerCase(Locale.ROOT).strip().startsWith("text/event-stream"),
        "Content-Type text/event-stream",
        type.isEmpty() ? "none" : type);
  }

  static void expectEventFormat(StreamResult result) {
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
            (event.data().strip().startsWith("{") ? "a JSON object cut short: '" : "'")
                + clip(event.data())
                + "'");
      }
    }
    Expect.that(
        result.endsWithDone(),
        "data: [DONE] as the last event",
        "no [DONE]: the response ended after "
            + events.size()
            + " events without it (the stream was cut)");
    Expect.that(!result.partialEvent(), "the stream to end between events", "a cut event");
  }

  static String lastEvents(StreamResult result) {
    List<SseEvent> events = result.events();
    return events.isEmpty()
        ? "none"
        : events.subList(Math.max(0, events.size() - 2), events.size()).stream()
                .map(event -> "'" + clip(event.data()) + "'")
                .collect(Collectors.joining(", "))
            + " ("
            + events.size()
            + " in all)";
  }

  @Test
  @Tag("STREAM-CONTENT-TYPE")
  void answersWithAnEventStream(RunContext run) {
    expectEventStream(stream(run));
  }

  @Test
  @Tag("STREAM-EVENT-FORMAT")
  void sendsJsonEventsEndingInDone(RunContext run) {
    expectEventFormat(stream(run));
  }

  @Test
  @Tag("STREAM-CHUNK-SHAPE")
  void sendsWellFormedChunks(RunContext run) {
    schemaRule(run, "STREAM-CHUNK-SHAPE");
    List<JsonNode> chunks = stream(run).chunks();
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
  void identifiesEachChunk(RunContext run) {
    schemaRule(run, "STREAM-CHUNK-IDS");
    for (JsonNode chunk : stream(run).chunks()) {
      Optional<String> wrong = Evidence.implausibleCreated(chunk.path("created"));
      Expect.that(wrong.isEmpty(), "created in Unix seconds", wrong.orElse(""));
    }
  }

  @Test
  @Tag("STREAM-FINISH-REASON")
  void endsWithAFinishReason(RunContext run) {
    List<JsonNode> chunks = stream(run).chunks();
    Expect.that(!chunks.isEmpty(), "chunks before [DONE]", "none");
    String finish =
        chunks.get(chunks.size() - 1).path("choices").path(0).path("finish_reason").asText("");
    boolean anyFinish =
        chunks.stream()
            .anyMatch(chunk -> chunk.path("choices").path(0).path("finish_reason").isTextual());
    Expect.that(
        finish.equals("stop") || finish.equals("length"),
        "finish_reason stop or length in the last chunk",
        anyFinish
            ? "'" + finish + "'"
            : "no chunk with a finish_reason before [DONE] (the final chunk is missing)");
  }

  @Test
  @Tag("STREAM-MATCHES-COMPLETION")
  @Needs({Needs.Part.STREAM, Needs.Part.COMPLETION})
  void streamsTheUnstreamedAnswer(RunContext run) {
    String streamed = stream(run).content();
    Exchange unstreamed = run.shared("full");
    Expect.jsonObject(unstreamed);
    String expected = Evidence.content(unstreamed);
    Expect.that(
        streamed.equals(expected),
        "the deltas to spell the unstreamed answer '" + clip(expected) + "'",
        "'"
            + clip(streamed)
            + "'"
            + stream(run).repeatedEvent().map(repeat -> " (" + repeat + ")").orElse(""));
  }

  @Test
  @Tag("STREAM-INCREMENTAL")
  void sendsTokensAsTheyAreProduced(RunContext run) {
    StreamResult result = stream(run);
    if (result.contentEvents() < 2) {
      Exchange unstreamed = run.baseline().has(Needs.Part.COMPLETION) ? run.shared("full") : null;
      boolean longAnswer =
          result.content().codePointCount(0, result.content().length()) > 6
              || result.content().strip().split("\\s+").length > 1
              || (unstreamed != null && Evidence.longerThanOneToken(unstreamed));
      assumeTrue(
          longAnswer,
          "the answer '" + clip(result.content()) + "' may be one token: nothing to spread");
      Expect.that(
          false,
          "one content event per token or so",
          "the whole answer of "
              + result.content().length()
              + " characters in "
              + result.contentEvents()
              + " content event: the stream was buffered");
    }
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

  private static void schemaRule(RunContext run, String rule) {
    List<Violation> violations = new ArrayList<>();
    List<JsonNode> chunks = stream(run).chunks();
    for (JsonNode chunk : chunks) {
      for (Violation violation :
          ChatGlmSchemas.get().validate(Shape.CHUNK, run.target().profile(), chunk)) {
        boolean unmapped = violation.ruleId().startsWith("SCHEMA:");
        violations.add(
            unmapped && rule.equals("STREAM-CHUNK-SHAPE")
                ? new Violation(rule, violation.field(), violation.message())
                : violation);
      }
    }
    Expect.noViolations("stream chunks", chunks.size(), violations, rule);
  }

  private static String clip(String text) {
    return text.length() > 80 ? text.substring(0, 80) + "…" : text;
  }
}
