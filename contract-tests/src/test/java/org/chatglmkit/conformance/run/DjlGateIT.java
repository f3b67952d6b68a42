package org.chatglmkit.conformance.run;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.chatglmkit.mockserver.target.TargetSettings;
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
    assertThat(report.count(Outcome.Status.PASS)).isEqualTo(report.rules().size() - 2);
    assertThat(report.exitCode()).isZero();
    // The answers came from the model: the Allure attachments hold its name.
    try (Stream<Path> files = Files.walk(reports)) {
      assertThat(files.filter(Files::isRegularFile).anyMatch(DjlGateIT::namesTheModel)).isTrue();
    }
  }

  private static boolean namesTheModel(Path file) {
    try {
      return Files.readString(file).contains("\"model\":\"chatglm3-random-test\"");
    } catch (IOException e) {
      return false; // not text
    }
  }
}
