package org.chatglmkit.conformance.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The model a run names goes into every JSON object body that names none, and nowhere else. */
class CallTest {
  private static String named(String body, String model) {
    byte[] bytes = Call.chat(body, Auth.none()).bodyNaming(model);
    return new String(bytes, StandardCharsets.UTF_8);
  }

  @Test
  void insertsTheModelAsTheFirstFieldAndKeepsTheRestAsWritten() {
    assertThat(named("{\n  \"max_tokens\" : 8 }", "glm"))
        .isEqualTo("{\"model\": \"glm\", \n  \"max_tokens\" : 8 }");
    assertThat(named("{}", "glm")).isEqualTo("{\"model\": \"glm\"}");
    assertThat(named("{\"a\": 1}", "a \"quoted\" name"))
        .isEqualTo("{\"model\": \"a \\\"quoted\\\" name\", \"a\": 1}");
  }

  @Test
  void leavesBodiesAloneThatNameAModelOrAreNoJsonObject() {
    assertThat(named("{\"model\": \"mine\"}", "glm")).isEqualTo("{\"model\": \"mine\"}");
    assertThat(named("[1, 2]", "glm")).isEqualTo("[1, 2]");
    assertThat(named("{\"messages\": [", "glm")).isEqualTo("{\"messages\": [");
    assertThat(named("{\"a\": 1}", null)).isEqualTo("{\"a\": 1}");
  }
}
