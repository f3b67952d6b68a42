package org.chatglmkit.conformance.checks;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.chatglmkit.conformance.http.Exchange;
import org.chatglmkit.conformance.http.StreamResult;
import org.chatglmkit.schemas.Violation;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

/**
 * Assertions whose failure is one line: what was expected, and what came instead. Each one that
 * judges something the target sent counts as an observation of the running check.
 */
final class Expect {
  private Expect() {}

  static void status(Exchange exchange, int... allowed) {
    judgeable(exchange);
    Observations.saw();
    for (int status : allowed) {
      if (exchange.status() == status && exchange.failure() == null) {
        return;
      }
    }
    String wanted =
        Arrays.stream(allowed).mapToObj(Integer::toString).collect(Collectors.joining(" or "));
    throw new AssertionFailedError(
        exchange.request() + ": expected " + wanted + ", got " + exchange.brief());
  }

  /**
   * Aborts (not judged) when the answer says nothing about the rule: the run's own time limit, not
   * the target, ended the exchange, or the target was still busy (429 or 529) after every retry its
   * Retry-After allowed. A server that rate-limits is not failed for it.
   */
  static void judgeable(Exchange exchange) {
    if (exchange.stoppedByTimeLimit()) {
      notJudged(exchange.request(), exchange.failure());
    }
    if (busy(exchange)) {
      notJudged(exchange.request(), "the target stayed busy: " + exchange.brief());
    }
  }

  /** The same for a stream. */
  static void judgeable(StreamResult stream) {
    if (stream.stoppedByTimeLimit()) {
      notJudged("POST /v1/chat/completions (stream)", stream.failure());
    }
    if (stream.status() == 429 || stream.status() == 529) {
      notJudged("POST /v1/chat/completions (stream)", "the target stayed busy: " + stream.brief());
    }
  }

  /** Whether the target answered 429 or 529 even after the retries. */
  static boolean busy(Exchange exchange) {
    return exchange.status() == 429 || exchange.status() == 529;
  }

  /** Aborts (not judged) a check of many answers that were all busy or cut by the time limit. */
  static void someJudged(int judged, int all, String what) {
    if (judged == 0 && all > 0) {
      notJudged(what, "every answer was busy (429, 529) or cut by the run's time limit");
    }
  }

  private static void notJudged(String request, String failure) {
    throw new TestAbortedException(ConformanceExtension.NOT_JUDGED + request + " " + failure);
  }

  static void that(boolean condition, String expected, String actual) {
    Observations.saw();
    if (!condition) {
      throw new AssertionFailedError("expected " + expected + ", got " + actual);
    }
  }

  /**
   * Fails when any violation belongs to {@code ruleId}; judges something only when at least one
   * document was validated.
   */
  static void noViolations(String what, int documents, List<Violation> violations, String ruleId) {
    if (documents == 0) {
      throw new AssertionFailedError("expected " + what + " to judge, got none");
    }
    Observations.saw();
    List<Violation> mine = violations.stream().filter(v -> v.ruleId().equals(ruleId)).toList();
    if (!mine.isEmpty()) {
      throw new AssertionFailedError(
          what
              + ": expected no "
              + ruleId
              + " violation, got "
              + mine.size()
              + ": "
              + mine.stream().limit(3).map(Violation::toString).collect(Collectors.joining("; ")));
    }
  }

  /** An error body: a JSON object with an {@code error} object. */
  static void errorBody(Exchange exchange) {
    Observations.saw();
    if (!exchange.json().path("error").isObject()) {
      throw new AssertionFailedError(
          exchange.request()
              + ": expected an error body {\"error\": {...}}, got "
              + exchange.brief());
    }
  }

  /** The body of a 200 answer as a JSON object; anything else fails the rule that needed it. */
  static JsonNode jsonObject(Exchange exchange) {
    status(exchange, 200);
    JsonNode json = exchange.json();
    if (!json.isObject()) {
      throw new AssertionFailedError(
          exchange.request() + ": expected a JSON object, got " + exchange.brief());
    }
    return json;
  }
}
