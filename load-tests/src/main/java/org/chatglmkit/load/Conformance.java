package org.chatglmkit.load;

import com.fasterxml.jackson.databind.JsonNode;
import org.chatglmkit.schemas.ChatGlmSchemas;
import org.chatglmkit.schemas.Profile;
import org.chatglmkit.schemas.Shape;
import org.chatglmkit.schemas.Violation;

/**
 * Conformance under load: every answer, chunk and error body is checked, violations counted by
 * rule.
 */
final class Conformance {
  private final Profile profile;
  private final Metrics metrics;
  private final boolean enabled;

  Conformance(Profile profile, Metrics metrics, boolean enabled) {
    this.profile = profile;
    this.metrics = metrics;
    this.enabled = enabled;
  }

  void check(Shape shape, JsonNode document) {
    if (!enabled) {
      return;
    }
    metrics.checked();
    for (Violation violation : ChatGlmSchemas.get().validate(shape, profile, document)) {
      metrics.violation(violation.ruleId());
    }
  }

  /** An error answer: the error shape, and Retry-After on 429 and 529. */
  void checkError(int status, JsonNode body, String retryAfter) {
    if (!enabled) {
      return;
    }
    check(Shape.ERROR, body);
    if ((status == 429 || status == 529) && (retryAfter == null || !retryAfter.matches("\\d+"))) {
      metrics.violation("ERR-RETRY-AFTER");
    }
  }
}
