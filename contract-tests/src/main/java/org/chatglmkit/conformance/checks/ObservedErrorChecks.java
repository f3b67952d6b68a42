package org.chatglmkit.conformance.checks;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.chatglmkit.conformance.http.ChatGlmClient;
import org.chatglmkit.conformance.http.Exchange;
import org.chatglmkit.conformance.http.ObservedError;
import org.chatglmkit.conformance.http.StreamResult;
import org.chatglmkit.schemas.ChatGlmSchemas;
import org.chatglmkit.schemas.Shape;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Section 5, over every error the run met: its shape, its type, the Retry-After of 429 and 529, and
 * error events inside streams. A black-box run cannot provoke 429, 500 or 529, so those rules are
 * checked on whatever the target sent, and skipped when it sent none. Runs last.
 */
@ConformanceCheck
@Order(Integer.MAX_VALUE)
class ObservedErrorChecks {
  static final Map<Integer, String> TYPES =
      Map.of(
          400, "invalid_request_error",
          401, "authentication_error",
          403, "permission_error",
          404, "not_found_error",
          413, "request_too_large",
          429, "rate_limit_error",
          500, "api_error",
          529, "overloaded_error");

  private static List<ObservedError> answers(ChatGlmClient client) {
    return client.observed().stream().filter(error -> !error.inStream()).toList();
  }

  @Test
  @Tag("ERR-SHAPE")
  void everyErrorIsJsonWithMessageAndType(ChatGlmClient client) {
    List<ObservedError> errors = answers(client);
    assumeTrue(!errors.isEmpty(), "no error answer met during the run");
    List<String> wrong = new ArrayList<>();
    for (ObservedError error : errors) {
      Observations.saw();
      Exchange answer =
          new Exchange(error.request(), error.status(), error.contentType(), error.body(), null);
      boolean valid =
          answer.hasJsonContentType()
              && ChatGlmSchemas.get()
                  .validate(Shape.ERROR, org.chatglmkit.schemas.Profile.DOCUMENTED, error.body())
                  .isEmpty();
      if (!valid) {
        wrong.add(error.describe() + ": " + answer.brief());
      }
    }
    Expect.that(
        wrong.isEmpty(),
        "every one of " + errors.size() + " error answers to be JSON {\"error\": {message, type}}",
        wrong.size() + " not: " + String.join("; ", wrong.subList(0, Math.min(3, wrong.size()))));
  }

  @Test
  @Tag("ERR-TYPE")
  void everyErrorTypeMatchesItsStatus(ChatGlmClient client) {
    List<String> wrong = new ArrayList<>();
    int checked = 0;
    for (ObservedError error : answers(client)) {
      String expected = TYPES.get(error.status());
      JsonNode type = StreamResult.json(error.body()).path("error").path("type");
      if (expected != null && type.isTextual()) {
        checked++;
        if (!expected.equals(type.asText())) {
          wrong.add(error.describe() + ": type '" + type.asText() + "', expected " + expected);
        }
      }
    }
    assumeTrue(
        checked > 0,
        "no error answer with a status of section 5 carried error.type (ERR-SHAPE judges that)");
    Expect.that(wrong.isEmpty(), "error.type to match the status", String.join("; ", wrong));
  }

  @Test
  @Tag("ERR-NO-500-FOR-CLIENT-ERROR")
  void noCheckMetAServerErrorForAClientMistake(ChatGlmClient client) {
    // A 529 says the server was overloaded, nothing about the request: not judged here.
    List<ObservedError> mistakes =
        client.observed().stream()
            .filter(ObservedError::mistake)
            .filter(error -> error.status() != 529)
            .toList();
    assumeTrue(!mistakes.isEmpty(), "no client mistake was answered with an error");
    List<String> wrong = new ArrayList<>();
    for (ObservedError error : mistakes) {
      Observations.saw();
      if (error.status() >= 500) {
        wrong.add(error.describe() + ": " + clip(error.body()));
      }
    }
    Expect.that(
        wrong.isEmpty(),
        "no 5xx for any of the " + mistakes.size() + " client mistakes of the run",
        wrong.size() + ": " + String.join("; ", wrong.subList(0, Math.min(3, wrong.size()))));
  }

  private static String clip(String text) {
    String line = text == null ? "" : text.replaceAll("\\s+", " ").strip();
    return line.length() > 100 ? line.substring(0, 100) + "…" : line;
  }

  @Test
  @Tag("ERR-RETRY-AFTER")
  void busyAnswersCarryRetryAfter(ChatGlmClient client) {
    List<ObservedError> busy =
        answers(client).stream().filter(e -> e.status() == 429 || e.status() == 529).toList();
    assumeTrue(!busy.isEmpty(), "no 429 or 529 met during the run");
    for (ObservedError error : busy) {
      String value = error.retryAfter();
      Expect.that(
          value != null && value.strip().matches("\\d+"),
          error.describe() + " with Retry-After in seconds",
          value == null ? "no Retry-After" : "Retry-After '" + value + "'");
    }
  }

  @Test
  @Tag("STREAM-ERROR-EVENT")
  void anErrorInAStreamIsOneEventThenTheEnd(ChatGlmClient client) {
    List<ObservedError> events =
        client.observed().stream().filter(ObservedError::inStream).toList();
    assumeTrue(!events.isEmpty(), "no error event met inside a stream");
    for (ObservedError error : events) {
      Expect.that(
          ChatGlmSchemas.get()
              .validate(Shape.ERROR, client.target().profile(), error.body())
              .isEmpty(),
          "an error event {\"error\": {message, type}}",
          error.body());
      Expect.that(
          error.eventsAfter() == 0,
          "the stream to end after its error event",
          error.eventsAfter() + " more data events");
    }
  }
}
