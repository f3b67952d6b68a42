package org.chatglmkit.conformance.fuzz;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.chatglmkit.conformance.http.Exchange;
import org.chatglmkit.conformance.http.StreamResult;
import org.chatglmkit.schemas.ChatGlmSchemas;
import org.chatglmkit.schemas.Profile;
import org.chatglmkit.schemas.Shape;
import org.chatglmkit.schemas.Violation;

/**
 * What one generated request got, judged by the fuzzing rules.
 *
 * @param judged whether the answer could be judged at all (not when the run's own time limit ended
 *     it, or when the target was busy or at its size limit: 413, 429, 529)
 * @param status the HTTP status, 0 when no answer came
 * @param answer the start of the answer, for reports
 * @param failures each rule the exchange broke
 */
record Verdict(boolean judged, int status, String answer, List<Failure> failures) {
  /** Statuses that say nothing about the request's content: a size limit, busy, overloaded. */
  private static final List<Integer> NOT_JUDGED = List.of(413, 429, 529);

  private static final int EXCERPT = 300;

  /**
   * One broken rule.
   *
   * @param rule the catalogue rule
   * @param kind what went wrong, alike for alike failures (e.g. {@code status 500}, or the shape
   *     rule broken); findings are grouped by rule and kind
   * @param detail one line for the report
   */
  record Failure(String rule, String kind, String detail) {}

  boolean failed(Failure failure) {
    return failures.stream()
        .anyMatch(f -> f.rule().equals(failure.rule()) && f.kind().equals(failure.kind()));
  }

  /** Judges a plain (not streamed) answer. */
  static Verdict of(FuzzCase fuzzCase, Exchange exchange, Profile profile) {
    String answer = excerpt(exchange.body());
    Verdict early =
        beforeTheAnswer(
            fuzzCase,
            exchange.status(),
            exchange.stoppedByTimeLimit(),
            "no complete answer: " + exchange.failure(),
            answer);
    if (early != null) {
      return early;
    }
    List<Failure> failures = new ArrayList<>();
    byStatus(fuzzCase, exchange.status(), answer, failures);
    if (fuzzCase.valid() && exchange.status() == 200) {
      if (!exchange.hasJsonContentType()) {
        failures.add(
            new Failure(
                FuzzRules.ANSWER_SHAPE,
                "TRANSPORT-JSON-CONTENT-TYPE",
                "Content-Type " + exchange.contentType() + ", not application/json"));
      }
      shape(Shape.COMPLETION, profile, exchange.body(), failures);
      JsonNode usage = exchange.json().path("usage");
      JsonNode max = fuzzCase.request().path("max_tokens");
      if (usage.path("completion_tokens").canConvertToLong()
          && max.canConvertToLong()
          && usage.path("completion_tokens").asLong() > max.asLong()) {
        failures.add(
            new Failure(
                FuzzRules.ANSWER_SHAPE,
                "RESP-USAGE-MAX-TOKENS",
                "completion_tokens " + usage.path("completion_tokens") + " > max_tokens " + max));
      }
    }
    return new Verdict(true, exchange.status(), answer, failures);
  }

  /** Judges a streamed answer to a valid request. */
  static Verdict ofStream(FuzzCase fuzzCase, StreamResult stream, Profile profile) {
    String answer = excerpt(stream.status() == 200 ? stream.transcript() : stream.body());
    Verdict early =
        beforeTheAnswer(
            fuzzCase,
            stream.status(),
            stream.stoppedByTimeLimit(),
            "no answer to a stream: " + stream.failure(),
            answer);
    if (early != null) {
      return early;
    }
    List<Failure> failures = new ArrayList<>();
    byStatus(fuzzCase, stream.status(), answer, failures);
    if (stream.status() != 200) {
      return new Verdict(true, stream.status(), answer, failures);
    }
    String type = stream.contentType() == null ? "" : stream.contentType();
    if (!type.startsWith("text/event-stream")) {
      failures.add(
          new Failure(
              FuzzRules.ANSWER_SHAPE,
              "STREAM-CONTENT-TYPE",
              "a stream with Content-Type " + stream.contentType()));
    }
    if (stream.failure() != null) {
      failures.add(
          new Failure(
              FuzzRules.NO_HANG,
              "stream did not end",
              "the stream did not end: "
                  + stream.failure()
                  + " after "
                  + stream.events().size()
                  + " events"));
    }
    if (stream.errorEventIndex() >= 0) {
      failures.add(
          new Failure(
              FuzzRules.NO_5XX,
              "error event",
              "an error event in the stream: "
                  + excerpt(stream.events().get(stream.errorEventIndex()).data())));
    } else {
      for (JsonNode chunk : stream.chunks()) {
        if (chunk.isNull()) {
          failures.add(
              new Failure(
                  FuzzRules.ANSWER_SHAPE, "STREAM-EVENT-FORMAT", "an event that is not JSON"));
          break;
        }
        if (shape(Shape.CHUNK, profile, chunk.toString(), failures)) {
          break;
        }
      }
      if (stream.failure() == null && !stream.endsWithDone()) {
        failures.add(
            new Failure(
                FuzzRules.ANSWER_SHAPE, "STREAM-EVENT-FORMAT", "the stream ended without [DONE]"));
      }
    }
    return new Verdict(true, stream.status(), answer, failures);
  }

  /**
   * The verdict when the answer need not be read: not judged (the run's own time limit, or a status
   * that says nothing about the request), or no answer at all; {@code null} otherwise.
   */
  private static Verdict beforeTheAnswer(
      FuzzCase fuzzCase, int status, boolean stoppedByTheRun, String noAnswer, String answer) {
    if (stoppedByTheRun || NOT_JUDGED.contains(status)) {
      return new Verdict(false, status, answer, List.of());
    }
    if (status == 0) {
      return new Verdict(
          true,
          0,
          answer,
          List.of(new Failure(FuzzRules.NO_HANG, "no answer" + to(fuzzCase), noAnswer)));
    }
    return null;
  }

  /** The status rules: 5xx never; valid requests answered 200, broken ones 400. */
  private static void byStatus(
      FuzzCase fuzzCase, int status, String answer, List<Failure> failures) {
    String kind = "status " + status;
    if (status >= 500) {
      failures.add(
          new Failure(
              FuzzRules.NO_5XX,
              kind + to(fuzzCase),
              status
                  + " to a request that "
                  + (fuzzCase.valid() ? "is valid" : fuzzCase.kind())
                  + ": "
                  + answer));
    } else if (fuzzCase.valid() && status != 200) {
      failures.add(
          new Failure(FuzzRules.VALID_ACCEPTED, kind, status + " to a valid request: " + answer));
    } else if (!fuzzCase.valid() && status != 400) {
      failures.add(
          new Failure(
              FuzzRules.INVALID_REJECTED,
              kind,
              status
                  + " to a request that "
                  + fuzzCase.kind()
                  + " ("
                  + fuzzCase.breakage().describe()
                  + "), expected 400"));
    }
  }

  private static String to(FuzzCase fuzzCase) {
    return fuzzCase.valid() ? " to a valid request" : " to a broken request";
  }

  /** Adds the first shape rule {@code json} breaks; true when it broke one. */
  private static boolean shape(Shape shape, Profile profile, String json, List<Failure> failures) {
    List<Violation> violations = ChatGlmSchemas.get().validate(shape, profile, json);
    if (violations.isEmpty()) {
      return false;
    }
    Violation first = violations.get(0);
    failures.add(new Failure(FuzzRules.ANSWER_SHAPE, first.ruleId(), first.toString()));
    return true;
  }

  private static String excerpt(String text) {
    String line = text == null ? "" : text.replaceAll("\\s+", " ").strip();
    return line.length() > EXCERPT ? line.substring(0, EXCERPT) + "…" : line;
  }
}
