package org.chatglmkit.djl;

import static org.assertj.core.api.Assertions.assertThat;

import org.chatglmkit.mockserver.settings.SettingsReference;
import org.junit.jupiter.api.Test;

class DjlSettingsReferenceTest {
  @Test
  void theReferenceIsCurrentAndEveryOptionHasASetting() {
    assertThat(SettingsReference.check(new DjlServer())).isEmpty();
  }

  @Test
  void everyLineTheDocsShowParsesInTheCurrentVocabulary() {
    assertThat(
            org.chatglmkit.mockserver.settings.DocumentedCommands.problems(
                "chatglm-djl-server.jar", DjlServer::new))
        .isEmpty();
  }
}
