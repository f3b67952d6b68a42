package org.chatglmkit.conformance.run;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.chatglmkit.conformance.checks.RunContext;
import org.chatglmkit.conformance.fuzz.FuzzReport;
import org.chatglmkit.conformance.fuzz.FuzzSettings;
import org.chatglmkit.conformance.targets.Gate;
import org.chatglmkit.mockserver.client.TargetSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gate against the DJL backend: the embedded server answering from a generated ChatGLM3
 * checkpoint (random weights, the project's tokenizer), real inference, unpaced.
 */
class DjlGateIT {
  @TempDir Path reports;

  @Test
  void passesTheDjlBackendOnAGeneratedModel() throws IOException {
    RunReport report = ConformanceRun.run(Map.of(TargetSettings.BACKEND, "djl"), reports);
    assertThat(
            report.rules().stream()
                .filter(rule -> rule.status() == Outcome.Status.FAIL)
                .map(rule -> rule.rule().id() + ": " + rule.detail()))
        .isEmpty();
    assertThat(report.target().embedded()).isTrue();
    // Two rules need a situation no client can provoke; five are fuzzing's, not asked for here.
    // A model of random weights never chooses a call: the tool rules, and the function-call shape,
    // are skipped because the target did not call tools (DjlToolsIT forces its calls instead).
    assertThat(report.tools()).isEqualTo("not called");
    assertThat(report.count(Outcome.Status.PASS))
        .isEqualTo(report.rules().size() - 7 - Gate.TOOLS.size() - 1);
    assertThat(report.exitCode()).isZero();
    // The answers came from the model: the Allure attachments hold its name.
    try (Stream<Path> files = Files.walk(reports)) {
      assertThat(files.filter(Files::isRegularFile).anyMatch(DjlGateIT::namesTheModel)).isTrue();
    }
  }

  @Test
  void fuzzingFindsNothingInTheDjlBackendInAThousandCases() {
    RunReport report =
        ConformanceRun.run(
            Map.of(
                TargetSettings.BACKEND, "djl",
                FuzzSettings.CASES, "1000",
                FuzzSettings.SEED, "7",
                FuzzSettings.TIME, "400",
                RunContext.MAX_TIME, "600"),
            reports);
    FuzzReport fuzz = report.fuzz();
    assertThat(fuzz.findings()).as(fuzz.summaryLine()).isEmpty();
    assertThat(fuzz.sent()).as(fuzz.summaryLine()).isEqualTo(1000);
    assertThat(fuzz.streamed()).isPositive();
    assertThat(report.rules())
        .filteredOn(rule -> rule.rule().area().equals("fuzzing"))
        .hasSize(5)
        .allSatisfy(rule -> assertThat(rule.status()).isEqualTo(Outcome.Status.PASS));
  }

  private static boolean namesTheModel(Path file) {
    try {
      return Files.readString(file).contains("\"model\":\"chatglm3-random-test\"");
    } catch (IOException e) {
      return false; // not text
    }
  }
}
