package org.chatglmkit.mockserver.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.chatglmkit.mockserver.client.TargetClient.Answer;
import org.chatglmkit.schemas.Profile;
import org.junit.jupiter.api.Test;

class TargetClientTest {
  private static final Target TARGET =
      new Target("http://127.0.0.1:1", "k-123456789", null, Profile.OPENAI, false, null, Map.of());
  private static final String LIST = "{\"object\":\"list\",\"data\":[{\"id\":\"glm-4\"}]}";

  private final List<String> sent = new ArrayList<>();

  private TargetClient.Transport bearerOnly(boolean listsModels) {
    return (method, path, body, scheme) -> {
      sent.add(method + " " + path + " " + scheme);
      if (scheme != KeyScheme.BEARER) {
        return new Answer(401, "{\"error\":{\"message\":\"bearer token required\"}}", null);
      }
      if (path.equals("/v1/models")) {
        return listsModels ? new Answer(200, LIST, null) : new Answer(404, "Not Found", null);
      }
      return new Answer(200, "{}", null);
    };
  }

  @Test
  void theModelListTellsTheModelAndTheKeyScheme() {
    TargetClient.Connection found = TargetClient.discover(TARGET, bearerOnly(true));
    assertThat(found.target().model()).isEqualTo("glm-4");
    assertThat(found.target().scheme()).isEqualTo(KeyScheme.BEARER);
    assertThat(found.modelSource()).isEqualTo(TargetClient.MODEL_SOURCE);
    assertThat(found.lines())
        .containsExactly(
            "model: glm-4 (the first model listed at GET /v1/models)",
            "key: sent as Authorization: Bearer (the target refused API-KEY)");
  }

  @Test
  void withoutAModelListOneChatRequestSettlesTheScheme() {
    TargetClient.Connection found =
        TargetClient.settleScheme(
            TargetClient.discover(TARGET, bearerOnly(false)), bearerOnly(false));
    assertThat(found.target().scheme()).isEqualTo(KeyScheme.BEARER);
    assertThat(found.target().model()).isNull();
    assertThat(found.problem()).startsWith("401");
    assertThat(sent)
        .containsExactly(
            "GET /v1/models API_KEY",
            "GET /v1/models BEARER",
            "POST /v1/chat/completions API_KEY",
            "POST /v1/chat/completions BEARER");
  }

  @Test
  void aTargetThatRequiresAModelGetsTheHint() {
    TargetClient.Transport fastApi =
        (method, path, body, scheme) ->
            path.equals("/v1/models")
                ? new Answer(404, "{\"detail\":\"Not Found\"}", null)
                : new Answer(422, "{\"detail\":[{\"loc\":[\"body\",\"model\"]}]}", null);
    TargetClient.Connection found =
        TargetClient.settleScheme(TargetClient.discover(TARGET, fastApi), fastApi);
    assertThat(found.target().scheme()).isEqualTo(KeyScheme.API_KEY);
    assertThat(found.lines())
        .containsExactly(
            "model: none sent (GET /v1/models: 404 {\"detail\":\"Not Found\"}); a target that"
                + " requires one refuses every request: give --model",
            "hint: the target seems to require \"model\": give --model NAME");
  }

  @Test
  void noAnswerIsSaidInOneLineAndKeepsTheKeyOutOfIt() {
    TargetClient.Transport silent =
        (method, path, body, scheme) -> new Answer(0, null, "ConnectException: refused");
    TargetClient.Connection found = TargetClient.discover(TARGET, silent);
    assertThat(found.problem()).isEqualTo("no answer (ConnectException: refused)");
    assertThat(String.join("\n", found.lines())).doesNotContain("k-123456789");
    assertThat(found.target().toString()).doesNotContain("k-123456789");
  }
}
