package org.chatglmkit.mockserver.settings;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.chatglmkit.mockserver.Main;
import org.junit.jupiter.api.Test;

class DocumentedCommandsTest {
  @Test
  void everyJarAndScriptTheDocsRunExists() {
    assertThat(DocumentedCommands.all()).hasSizeGreaterThan(20);
    assertThat(DocumentedCommands.missingPrograms()).isEmpty();
  }

  @Test
  void everyReferenceServerLineTheDocsShowParsesInTheCurrentVocabulary() {
    assertThat(DocumentedCommands.problems("chatglm-mock-server.jar", Main::new)).isEmpty();
  }

  @Test
  void aWrongOptionAndAnOldSpellingAreCaught() {
    DocumentedCommands.Line wrong =
        new DocumentedCommands.Line(
            "example.md", "mock-server/target/chatglm-mock-server.jar", List.of("--tfft", "1s"));
    DocumentedCommands.Line old =
        new DocumentedCommands.Line(
            "example.md",
            "mock-server/target/chatglm-mock-server.jar",
            List.of("--ttft-ms", "200"));
    assertThat(DocumentedCommands.problems(List.of(wrong, old), Main::new))
        .satisfiesExactly(
            problem -> assertThat(problem).contains("example.md").contains("--tfft"),
            problem -> assertThat(problem).contains("an old spelling, --ttft-ms"));
  }
}
