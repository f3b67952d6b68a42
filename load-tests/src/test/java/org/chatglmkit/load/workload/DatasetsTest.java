package org.chatglmkit.load.workload;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetsTest {
  @TempDir Path dir;

  private static final String SHAREGPT_ENTRY =
      "{\"id\":\"x\",\"conversations\":[{\"from\":\"system\",\"value\":\"Be brief.\"},"
          + "{\"from\":\"human\",\"value\":\"Q1\"},{\"from\":\"gpt\",\"value\":\"A1\"},"
          + "{\"from\":\"human\",\"value\":\"Q2\"},{\"from\":\"gpt\",\"value\":\"A2\"}]}";

  @Test
  void shareGptSingleTurnKeepsEarlierTurnsAsContext() throws Exception {
    Path file = dir.resolve("sg.json");
    Files.writeString(file, "[" + SHAREGPT_ENTRY + ",\n{\"conversations\":[]}]");
    Datasets.Loaded loaded = Datasets.load(file, false);
    assertThat(loaded.format()).isEqualTo("ShareGPT (JSON array)");
    assertThat(loaded.skipped()).isEqualTo(1);
    Conversation conversation = loaded.conversations().get(0);
    assertThat(conversation.turns()).hasSize(1);
    assertThat(conversation.turns().get(0).messages().get(0).path("content").asText())
        .isEqualTo("Q2");
    assertThat(conversation.context().toString())
        .isEqualTo(
            "[{\"role\":\"system\",\"content\":\"Be brief.\"},{\"role\":\"user\",\"content\":\"Q1\"},"
                + "{\"role\":\"assistant\",\"content\":\"A1\"}]");
  }

  @Test
  void shareGptMultiTurnPlaysEachHumanTurnAndDropsRecordedAnswers() throws Exception {
    Path file = dir.resolve("sg.jsonl");
    Files.writeString(file, SHAREGPT_ENTRY + "\n");
    Conversation conversation = Datasets.load(file, true).conversations().get(0);
    assertThat(conversation.turns()).hasSize(2);
    assertThat(conversation.context().toString()).doesNotContain("A1").contains("Be brief.");
    assertThat(conversation.turns().get(1).messages().get(0).path("content").asText())
        .isEqualTo("Q2");
  }

  @Test
  void chatJsonlKeepsItsMaxTokens() throws Exception {
    Path file = dir.resolve("chat.jsonl");
    Files.writeString(
        file,
        "{\"history\":[{\"role\":\"user\",\"content\":\"a\"},{\"role\":\"assistant\",\"content\":\"b\"}],"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"c\"}],\"max_tokens\":12}\n\n");
    Conversation conversation = Datasets.load(file, false).conversations().get(0);
    assertThat(conversation.context()).hasSize(2);
    assertThat(conversation.turns().get(0).maxTokens()).isEqualTo(12);
  }

  @Test
  void theBundledPromptsLoad() {
    Datasets.Loaded loaded = Datasets.load(null, false);
    assertThat(loaded.conversations()).hasSizeGreaterThan(10);
    assertThat(loaded.conversations().stream().anyMatch(c -> !c.context().isEmpty())).isTrue();
  }

  @Test
  void namesTheFileAndLineOfWhatCannotBeRead() throws Exception {
    Path jsonl = dir.resolve("bad.jsonl");
    Files.writeString(jsonl, SHAREGPT_ENTRY + "\n{\"prompt\":\"x\"}\n");
    assertThatThrownBy(() -> Datasets.load(jsonl, false))
        .isInstanceOf(DatasetException.class)
        .hasMessageStartingWith(jsonl + ":2: neither a ShareGPT entry");
    Path array = dir.resolve("bad.json");
    Files.writeString(
        array,
        "["
            + SHAREGPT_ENTRY
            + ",\n\n {\"conversations\": [{\"from\":\"alien\",\"value\":\"x\"}]}]");
    assertThatThrownBy(() -> Datasets.load(array, false))
        .hasMessageStartingWith(array + ":3 (entry 1): unknown speaker");
    Path broken = dir.resolve("broken.json");
    Files.writeString(broken, "[" + SHAREGPT_ENTRY + ",\n {\"conversations\": [}");
    assertThatThrownBy(() -> Datasets.load(broken, false))
        .hasMessageContaining(broken + ":2: not JSON");
    assertThatThrownBy(() -> Datasets.load(dir.resolve("missing.jsonl"), false))
        .hasMessageContaining("no such file");
  }

  @Test
  void syntheticTextsHaveTheirLengthByTheCounterGiven() {
    Random random = new Random(3);
    String text = Synthetic.text(50, random, null);
    assertThat(text.split(" ")).hasSize(50);
    // A counter of characters: the text is grown to exactly the count, or just below it.
    String counted = Synthetic.text(40, random, String::length);
    assertThat(counted.length()).isBetween(30, 40);
  }

  @Test
  void lengthsDrawFromTheirDistribution() {
    Random random = new Random(1);
    assertThat(Lengths.parse("7").draw(random)).isEqualTo(7);
    Lengths uniform = Lengths.parse("uniform:10:20");
    Lengths normal = Lengths.parse("normal:100:10");
    double sum = 0;
    for (int i = 0; i < 2_000; i++) {
      assertThat(uniform.draw(random)).isBetween(10, 20);
      sum += normal.draw(random);
    }
    assertThat(sum / 2_000).isBetween(98.0, 102.0);
    assertThatThrownBy(() -> Lengths.parse("uniform:20:10")).hasMessageContaining("MIN");
    assertThatThrownBy(() -> Lengths.parse("pareto:1:2")).hasMessageContaining("not a length");
  }

  @Test
  void tracesReadMooncakeAndBurstGptRowsAtASpeed() throws Exception {
    Path file = dir.resolve("trace.jsonl");
    Files.writeString(
        file,
        "{\"timestamp\": 1000, \"input_length\": 5, \"output_length\": 2}\n"
            + "{\"Timestamp\": 3.0, \"Request tokens\": 7, \"Response tokens\": 4}\n");
    Trace trace = Trace.load(file, 2, 1, null);
    assertThat(trace.offsetsSeconds()).containsExactly(0.0, 1.0);
    assertThat(trace.conversations().get(1).turns().get(0).maxTokens()).isEqualTo(4);
    Path backwards = dir.resolve("back.jsonl");
    Files.writeString(
        backwards,
        "{\"timestamp\": 1000, \"input_length\": 5, \"output_length\": 2}\n"
            + "{\"timestamp\": 500, \"input_length\": 5, \"output_length\": 2}\n");
    assertThatThrownBy(() -> Trace.load(backwards, 1, 1, null))
        .hasMessage(backwards + ":2: the timestamp goes back in time");
  }

  @Test
  void aDatasetReadTwiceIsParsedOnceUntilItChanges() throws Exception {
    Path file = dir.resolve("twice.jsonl");
    Files.writeString(file, SHAREGPT_ENTRY + "\n");
    Datasets.Loaded first = Datasets.load(file, false);
    assertThat(Datasets.load(file, false)).isSameAs(first);
    assertThat(Datasets.load(file, true)).isNotSameAs(first);
    Files.writeString(file, SHAREGPT_ENTRY + "\n" + SHAREGPT_ENTRY + "\n");
    assertThat(Datasets.load(file, false).conversations()).hasSize(2);
  }
}
