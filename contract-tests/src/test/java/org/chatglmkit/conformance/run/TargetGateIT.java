package org.chatglmkit.conformance.run;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The gate inside a Maven build: checks the configured target (by default the embedded reference
 * server; {@code -Dchatglm.target.url=...} for another) and writes the reports where the README
 * says, so {@code allure:report} can follow.
 */
class TargetGateIT {

  @Test
  void everyApplicableRulePasses() {
    Path reports = Path.of(System.getProperty("chatglm.report-dir", "target/conformance"));
    RunReport report = ConformanceRun.run(Map.of(), reports);
    report.print(System.out);
    assertThat(report.rules())
        .filteredOn(rule -> rule.status() == Outcome.Status.FAIL)
        .extracting(rule -> rule.rule().id() + ": " + rule.detail())
        .isEmpty();
    // Passing on nothing is no pass: the baseline got its answer and the rules were judged.
    assertThat(report.rootCause()).isEmpty();
    assertThat(report.count(Outcome.Status.BLOCKED)).isZero();
    assertThat(report.count(Outcome.Status.PASS)).isGreaterThan(report.rules().size() / 2);
  }
}
