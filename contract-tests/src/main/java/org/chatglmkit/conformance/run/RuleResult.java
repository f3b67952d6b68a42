package org.chatglmkit.conformance.run;

import java.util.List;
import org.chatglmkit.schemas.Rule;

/**
 * One row of the report: a catalogue rule and what its checks found. A rule fails when any of its
 * checks fails, is waived when a failing check was waived, passes when at least one check observed
 * what it checks and none failed, is blocked when a check could not run for the baseline's failure,
 * and is skipped otherwise.
 *
 * @param rule the catalogue rule
 * @param status the rule's status
 * @param detail for a failure, the first failing check's message; for a skip, the reason
 * @param outcomes every check that spoke to the rule
 */
public record RuleResult(Rule rule, Outcome.Status status, String detail, List<Outcome> outcomes) {

  public RuleResult {
    outcomes = List.copyOf(outcomes);
  }

  static RuleResult of(Rule rule, List<Outcome> outcomes) {
    for (Outcome.Status status : List.of(Outcome.Status.FAIL, Outcome.Status.WAIVED)) {
      for (Outcome outcome : outcomes) {
        if (outcome.status() == status) {
          return new RuleResult(rule, status, outcome.message(), outcomes);
        }
      }
    }
    if (outcomes.stream().anyMatch(outcome -> outcome.status() == Outcome.Status.PASS)) {
      return new RuleResult(rule, Outcome.Status.PASS, null, outcomes);
    }
    for (Outcome outcome : outcomes) {
      if (outcome.status() == Outcome.Status.BLOCKED) {
        return new RuleResult(rule, Outcome.Status.BLOCKED, outcome.message(), outcomes);
      }
    }
    String reason = outcomes.isEmpty() ? "no check ran for this rule" : outcomes.get(0).message();
    return new RuleResult(rule, Outcome.Status.SKIP, reason, outcomes);
  }

  /** Whether this rule's result fails a run (a failure or a block that was not waived). */
  public boolean failing() {
    return status == Outcome.Status.FAIL || status == Outcome.Status.BLOCKED;
  }
}
