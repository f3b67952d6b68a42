package org.chatglmkit.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** docs/rules.md is the catalogue as it is: made from rules.json, never edited by hand. */
class RuleCatalogueDocTest {
  private static final Path PAGE = Path.of("..", "docs", "rules.md");

  @Test
  void thePageIsCurrent() throws Exception {
    String made = RuleCatalogueDoc.markdown(RuleCatalogue.get());
    if (Boolean.getBoolean("chatglm.docs.write")) {
      Files.writeString(PAGE, made, StandardCharsets.UTF_8);
    }
    assertThat(PAGE).as("docs/rules.md").exists();
    assertThat(Files.readString(PAGE, StandardCharsets.UTF_8))
        .as(
            "docs/rules.md is not what rules.json says: run mvn -pl schemas test"
                + " -Dchatglm.docs.write=true")
        .isEqualTo(made);
    for (Rule rule : RuleCatalogue.get().all()) {
      assertThat(made).contains("`" + rule.id() + "`");
    }
  }
}
