package org.chatglmkit.conformance.checks;

import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.chatglmkit.conformance.http.Exchange;
import org.chatglmkit.schemas.Violation;
import org.opentest4j.AssertionFailedError;

/** Assertions whose failure is one line: what was expected, and what came instead. */
final class Expect {
  private Expect() {}

  static void status(Exchange exchange, int... allowed) {
    for (int status : allowed) {
      if (exchange.status() == status) {
        return;
      }
    }
    String wanted =
        Arrays.stream(allowed).mapToObj(Integer::toString).collect(Collectors.joining(" or "));
    throw new AssertionFailedError(
        exchange.request() + ": expected " + wanted + ", got " + exchange.brief());
  }

  static void that(boolean condition, String expected, String actual) {
    if (!condition) {
      throw new AssertionFailedError("expected " + expected + ", got " + actual);
    }
  }

  /** Fails when any violation belongs to {@code ruleId}. */
  static void noViolations(String what, List<Violation> violations, String ruleId) {
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
    if (!exchange.json().path("error").isObject()) {
      throw new AssertionFailedError(
          exchange.request()
              + ": expected an error body {\"error\": {...}}, got "
              + exchange.brief());
    }
  }
}
