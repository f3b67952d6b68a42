package org.chatglmkit.mockserver.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RequestParserTest {
  @ParameterizedTest
  @ValueSource(strings = {"2147483648", "9007199254740992", "99999999999999999999999"})
  void readsAMaxTokensBeyondIntAsNoReachableCap(String maxTokens) {
    String body =
        "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":" + maxTokens + "}";
    ChatRequest request =
        new RequestParser().parse(body.getBytes(StandardCharsets.UTF_8), "application/json");
    assertThat(request.maxTokens()).isEqualTo(Integer.MAX_VALUE);
  }
}
