package org.chatglmkit.mockserver.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
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

  private static ChatRequest parse(String body) {
    return new RequestParser().parse(body.getBytes(StandardCharsets.UTF_8), "application/json");
  }

  @Test
  void readsNullOptionalFieldsAsNotGiven() {
    ChatRequest request =
        parse(
            """
            {"messages": [{"role": "user", "content": "hi"}], "temperature": null,
             "max_tokens": null, "stream": null, "top_p": null, "seed": null, "stop": null,
             "n": null, "tool_choice": null}""");
    assertThat(request.temperature()).isEqualTo(1.0);
    assertThat(request.maxTokens()).isNull();
    assertThat(request.stream()).isFalse();
    assertThat(request.topP()).isNull();
    assertThat(request.seed()).isNull();
  }

  @Test
  void takesAnAssistantTurnWithNullContent() {
    ChatRequest request =
        parse(
            """
            {"messages": [{"role": "user", "content": "hi"},
             {"role": "assistant", "content": null}, {"role": "user", "content": "and?"}]}""");
    assertThat(request.messages()).hasSize(3);
    assertThat(request.messages().get(1).content()).isNull();
  }

  @ParameterizedTest
  @ValueSource(strings = {"user", "system"})
  void stillRefusesNullContentOfAUserOrSystemMessage(String role) {
    assertThatThrownBy(
            () -> parse("{\"messages\": [{\"role\": \"" + role + "\", \"content\": null}]}"))
        .isInstanceOf(ApiException.class)
        .hasMessageContaining("messages[0].content")
        .hasMessageContaining("REQ-MESSAGE-CONTENT");
  }
}
