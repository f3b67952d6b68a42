package org.chatglmkit.load.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.chatglmkit.mockserver.settings.SettingsReference;
import org.junit.jupiter.api.Test;

class LoadSettingsReferenceTest {
  @Test
  void theReferenceIsCurrentAndEveryOptionHasASetting() {
    assertThat(SettingsReference.check(new LoadCli())).isEmpty();
  }

  @Test
  void helpGroupsOptionsAsEveryCommandDoes() {
    String usage =
        org.chatglmkit.mockserver.settings.CommandLines.create(new LoadCli()).getUsageMessage();
    assertThat(usage)
        .containsSubsequence(
            "Target:",
            "Run:",
            "Workload:",
            "Objectives and thresholds:",
            "Embedded server:",
            "Reports:",
            "Help:");
  }

  @Test
  void everyLineTheDocsShowParsesInTheCurrentVocabulary() {
    assertThat(
            org.chatglmkit.mockserver.settings.DocumentedCommands.problems(
                "chatglm-load.jar", LoadCli::new))
        .isEmpty();
  }
}
