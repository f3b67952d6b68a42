package org.chatglmkit.schemas;

/**
 * One way a JSON document breaks a rule.
 *
 * @param ruleId the catalogue rule that is broken
 * @param field where in the document, as a path such as {@code messages[0].role}; empty for the
 *     whole document
 * @param message what is wrong, for people
 */
public record Violation(String ruleId, String field, String message) {

  /** The field as an error {@code param}: {@code null} for the whole document. */
  public String param() {
    return field.isEmpty() ? null : field;
  }

  @Override
  public String toString() {
    return ruleId + " at " + (field.isEmpty() ? "$" : field) + ": " + message;
  }
}
