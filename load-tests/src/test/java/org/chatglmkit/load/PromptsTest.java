package org.chatglmkit.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import org.chatglmkit.mockserver.core.Json;
import org.chatglmkit.schemas.ChatGlmSchemas;
import org.chatglmkit.schemas.Profile;
import org.chatglmkit.schemas.Shape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PromptsTest {
  @TempDir Path dir;

  @Test
  void everyBodyNamesTheTargetsModelWhenOneIsSet() throws Exception {
    Prompts prompts = Prompts.load(null, 8, 0, false, "glm-served");
    Iterator<Map<String, Object>> feeder = prompts.feeder();
    for (int i = 0; i < prompts.size(); i++) {
      JsonNode request = Json.MAPPER.readTree((String) feeder.next().get("body"));
      assertThat(request.path("model").asText()).isEqualTo("glm-served");
    }
    JsonNode unnamed =
        Json.MAPPER.readTree((String) Prompts.load(null, 8, 0, false).feeder().next().get("body"));
    assertThat(unnamed.has("model")).isFalse();
  }

  @Test
  void theBundledDatasetGivesValidRequestsOfEveryKind() throws Exception {
    Prompts prompts = Prompts.load(null, 32, 0.5, true);
    Iterator<Map<String, Object>> feeder = prompts.feeder();
    Set<String> kinds = new HashSet<>();
    for (int i = 0; i < prompts.size(); i++) {
      String body = (String) feeder.next().get("body");
      assertThat(ChatGlmSchemas.get().validate(Shape.REQUEST, Profile.OPENAI, body)).isEmpty();
      JsonNode request = Json.MAPPER.readTree(body);
      assertThat(request.path("max_tokens").asInt()).isEqualTo(32);
      assertThat(request.path("stream").asBoolean()).isTrue();
      assertThat(request.path("stream_options").path("include_usage").asBoolean()).isTrue();
      if (request.has("history")) {
        kinds.add("multi-turn");
      }
      String text = request.toString();
      kinds.add(
          text.codePoints().anyMatch(c -> c >= 0x4E00 && c <= 0x9FFF) ? "chinese" : "english");
      kinds.add(text.length() > 300 ? "long" : "short");
    }
    assertThat(kinds).contains("multi-turn", "chinese", "english", "long", "short");
  }

  @Test
  void cyclesForever() {
    Prompts prompts = Prompts.load(null, 8, 0, false);
    Iterator<Map<String, Object>> feeder = prompts.feeder();
    Object first = feeder.next().get("body");
    for (int i = 1; i < prompts.size(); i++) {
      feeder.next();
    }
    assertThat(feeder.next().get("body")).isEqualTo(first);
  }

  @Test
  void namesTheBadLineOfAUserDataset() throws Exception {
    Path file = dir.resolve("prompts.jsonl");
    Files.writeString(
        file, "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}\n{\"prompt\":\"x\"}\n");
    assertThatThrownBy(() -> Prompts.load(file.toString(), 8, 0, false))
        .hasMessageContaining("line 2");
  }
}
