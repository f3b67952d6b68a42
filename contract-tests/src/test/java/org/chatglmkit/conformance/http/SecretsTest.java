package org.chatglmkit.conformance.http;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SecretsTest {

  @Test
  void masksEveryKeyWhereverItAppears() {
    Secrets secrets = new Secrets("sk-abcdefghijkl", "forbidden-key-0001", null);
    String masked =
        secrets.mask("API-KEY: sk-abcdefghijkl\n{\"message\": \"bad key forbidden-key-0001\"}");
    assertThat(masked)
        .doesNotContain("sk-abcdefghijkl")
        .doesNotContain("forbidden-key-0001")
        .contains("…ijkl")
        .contains("…0001");
  }

  @Test
  void masksTheLongerKeyFirstWhenOneContainsTheOther() {
    Secrets secrets = new Secrets("key-1234", "key-1234-extended");
    assertThat(secrets.mask("key-1234-extended")).isEqualTo("…nded");
  }
}
