package org.chatglmkit.conformance.checks;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.qameta.allure.Allure;
import java.util.List;
import java.util.stream.Collectors;
import org.chatglmkit.conformance.fuzz.Finding;
import org.chatglmkit.conformance.fuzz.FuzzReport;
import org.chatglmkit.conformance.fuzz.FuzzRules;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.opentest4j.TestAbortedException;

/**
 * Fuzzing ({@code --fuzz N}): requests generated from the request schema, every exchange judged by
 * five rules, every finding shrunk to a minimal request and attached as a {@code curl} command. The
 * campaign runs once, when the first of these checks needs it; these checks run after the others
 * and before the errors met during the run are judged, so those rules see fuzz answers too.
 */
@ConformanceCheck
@Order(Integer.MAX_VALUE - 1)
@Needs(Needs.Part.COMPLETION)
class FuzzChecks {
  /** Why the fuzzing rules are skipped in a run without {@code --fuzz}. */
  static final String NOT_ASKED = "fuzzing was not asked for (--fuzz N, or chatglm.fuzz)";

  @Test
  @Tag(FuzzRules.VALID_ACCEPTED)
  void generatedValidRequestsAreAccepted(RunContext run) {
    judge(run, FuzzRules.VALID_ACCEPTED, "valid requests refused");
  }

  @Test
  @Tag(FuzzRules.INVALID_REJECTED)
  void generatedBrokenRequestsAreRefusedWith400(RunContext run) {
    judge(run, FuzzRules.INVALID_REJECTED, "broken requests not refused with 400");
  }

  @Test
  @Tag(FuzzRules.NO_5XX)
  void noGeneratedRequestIsAnsweredWithAServerError(RunContext run) {
    judge(run, FuzzRules.NO_5XX, "5xx answers or error events");
  }

  @Test
  @Tag(FuzzRules.NO_HANG)
  void everyGeneratedRequestIsAnsweredWithinTheTimeout(RunContext run) {
    judge(run, FuzzRules.NO_HANG, "exchanges without a complete answer");
  }

  @Test
  @Tag(FuzzRules.ANSWER_SHAPE)
  void everyAnswerToAGeneratedRequestMatchesItsSchema(RunContext run) {
    judge(run, FuzzRules.ANSWER_SHAPE, "answers or chunks off their schema");
  }

  private static void judge(RunContext run, String rule, String what) {
    FuzzReport report = run.fuzz().orElseThrow(() -> new TestAbortedException(NOT_ASKED));
    int judged = report.judged().getOrDefault(rule, 0);
    assumeTrue(judged > 0, "no generated exchange this rule could judge");
    List<Finding> findings = report.findings(rule);
    for (Finding finding : findings) {
      Allure.addAttachment(
          rule + " " + finding.kind() + ": minimal request (curl)",
          "text/plain",
          finding.curl(),
          ".txt");
      Allure.addAttachment(
          rule + " " + finding.kind() + ": answer " + finding.status(),
          "text/plain",
          finding.answer(),
          ".txt");
    }
    int failed = report.failed().getOrDefault(rule, 0);
    Expect.that(
        findings.isEmpty(),
        "no "
            + what
            + " in "
            + judged
            + " generated exchanges (seed "
            + report.settings().seed()
            + ")",
        failed
            + " ("
            + findings.stream()
                .map(f -> f.kind() + ", e.g. " + clip(f.minimalJson()) + " → " + f.status())
                .collect(Collectors.joining("; "))
            + ")");
  }

  private static String clip(String json) {
    return json.length() > 160 ? json.substring(0, 159) + "…" : json;
  }
}
