package org.chatglmkit.conformance.checks;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.Optional;
import org.chatglmkit.conformance.http.Exchange;

/** Facts the checks read off answers, so that each rule is judged on the same evidence. */
final class Evidence {
  /** How far {@code created} may stand from the client's clock, either way. */
  static final long CLOCK_SKEW_SECONDS = 24 * 3600;

  private Evidence() {}

  /** {@code choices[0].message.content}, or an empty string. */
  static String content(Exchange answer) {
    return answer.json().path("choices").path(0).path("message").path("content").asText("");
  }

  /** {@code usage.completion_tokens}, when the answer reports it. */
  static Optional<Long> completionTokens(Exchange answer) {
    JsonNode tokens = answer.json().path("usage").path("completion_tokens");
    return tokens.canConvertToLong() ? Optional.of(tokens.asLong()) : Optional.empty();
  }

  /**
   * Whether an answer is certainly longer than one token: its usage says so, or its text has two
   * words or more than six characters (no tokenizer has a token that long for ordinary text).
   */
  static boolean longerThanOneToken(Exchange answer) {
    Optional<Long> tokens = completionTokens(answer);
    if (tokens.isPresent()) {
      return tokens.get() > 1;
    }
    String text = content(answer).strip();
    return text.codePointCount(0, text.length()) > 6 || text.split("\\s+").length > 1;
  }

  /**
   * Why {@code created} is not plausible Unix seconds by the client's clock, or empty when it is
   * (or is absent or not a number: the schema rules judge that).
   */
  static Optional<String> implausibleCreated(JsonNode created) {
    if (!created.isIntegralNumber()) {
      return Optional.empty();
    }
    long now = Instant.now().getEpochSecond();
    long value = created.asLong();
    if (Math.abs(value - now) <= CLOCK_SKEW_SECONDS) {
      return Optional.empty();
    }
    String guess =
        Math.abs(value / 1000 - now) <= CLOCK_SKEW_SECONDS
            ? " (milliseconds?)"
            : Math.abs(value / 1_000_000_000L - now) <= CLOCK_SKEW_SECONDS ? " (nanoseconds?)" : "";
    return Optional.of(
        "created " + value + " is not Unix seconds near the client's clock " + now + guess);
  }
}
