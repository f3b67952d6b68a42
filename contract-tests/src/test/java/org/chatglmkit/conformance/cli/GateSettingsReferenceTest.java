package org.chatglmkit.conformance.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.chatglmkit.mockserver.settings.SettingsReference;
import org.junit.jupiter.api.Test;

class GateSettingsReferenceTest {
  @Test
  void theReferenceIsCurrentAndEveryOptionHasASetting() {
    assertThat(SettingsReference.check(new ConformanceCli())).isEmpty();
  }

  @Test
  void helpGroupsOptionsAsEveryCommandDoes() {
    String usage =
        org.chatglmkit.mockserver.settings.CommandLines.create(new ConformanceCli())
            .getUsageMessage();
    assertThat(usage).containsSubsequence("Target:", "Run:", "Fuzzing:", "Reports:", "Help:");
  }

  @Test
  void everyLineTheDocsShowParsesInTheCurrentVocabulary() {
    assertThat(
            org.chatglmkit.mockserver.settings.DocumentedCommands.problems(
                "chatglm-conformance.jar", ConformanceCli::new))
        .isEmpty();
  }
}
