package org.chatglmkit.djl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.chatglmkit.mockserver.core.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loading a checkpoint directory: what is read from it, and the errors a bad one gets. */
class ChatGlmCheckpointTest {
  @TempDir Path dir;

  @Test
  void countsTheTokenizersPieces() throws Exception {
    assertThat(ChatGlmCheckpoint.countPieces(TestModelGenerator.bundledTokenizer()))
        .isEqualTo(1000);
    assertThatThrownBy(() -> ChatGlmCheckpoint.countPieces("not a model".getBytes()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("tokenizer.model");
  }

  @Test
  void readsTheChatFormatFromTheCheckpoint() throws Exception {
    Path glm2 = dir.resolve("glm2");
    TestModelGenerator.generateChat(
        glm2, TestModelGenerator.tiny(0), ChatFormat.Version.CHATGLM2, 1, 1, "F32");
    try (ChatGlmCheckpoint checkpoint = ChatGlmCheckpoint.open(glm2, null)) {
      assertThat(checkpoint.format().version()).isEqualTo(ChatFormat.Version.CHATGLM2);
      assertThat(checkpoint.model().config().vocab()).isEqualTo(1005);
    }
    Path glm3 = dir.resolve("glm3");
    TestModelGenerator.generateChat(
        glm3, TestModelGenerator.tiny(0), ChatFormat.Version.CHATGLM3, 1, 2, "BF16");
    try (ChatGlmCheckpoint checkpoint = ChatGlmCheckpoint.open(glm3, null)) {
      assertThat(checkpoint.format().version()).isEqualTo(ChatFormat.Version.CHATGLM3);
      assertThat(checkpoint.piece(1000)).isNull(); // [MASK]: special, no text
    }
    // A tokenizer_config.json that knows the role tokens means ChatGLM3, whatever the name says.
    Files.writeString(
        glm2.resolve("tokenizer_config.json"), "{\"chat_template\": \"[gMASK]sop<|user|>\"}");
    assertThat(ChatFormat.Version.of(glm2)).isEqualTo(ChatFormat.Version.CHATGLM3);
  }

  @Test
  void aMissingTokenizerFailsAtStartNamingTheFile() throws Exception {
    TestModelGenerator.generateChat(
        dir, TestModelGenerator.tiny(0), ChatFormat.Version.CHATGLM3, 1, 1, "F32");
    Files.delete(dir.resolve("tokenizer.model"));
    assertThatThrownBy(() -> ChatGlmCheckpoint.open(dir, null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("tokenizer.model");
  }

  @Test
  void aVocabularyTooSmallForTheTokenizerFailsAtStart() throws Exception {
    TestModelGenerator.generateChat(
        dir, TestModelGenerator.tiny(0), ChatFormat.Version.CHATGLM3, 1, 1, "F32");
    ObjectNode config = (ObjectNode) Json.MAPPER.readTree(dir.resolve("config.json").toFile());
    config.put("padded_vocab_size", 1004);
    Json.MAPPER.writeValue(dir.resolve("config.json").toFile(), config);
    assertThatThrownBy(() -> ChatGlmCheckpoint.open(dir, null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("padded_vocab_size 1004")
        .hasMessageContaining("1009");
  }

  @Test
  void compactWeightsTheHeapCannotHoldAreRefusedWithTheXmxThatWould() {
    ChatGlmConfig sixB = new ChatGlmConfig(28, 4096, 32, 128, 2, 13696, 65024, 8192, 1e-5, 1.0);
    long int8 = ChatGlmWeights.heapBytes(sixB, WeightsKind.INT8);
    // the layers' linear weights in int8 with a float per 64, the embedding and output layer fp16
    assertThat(int8 / 1e9).isBetween(7.0, 7.2);
    assertThat(ChatGlmWeights.heapBytes(sixB, WeightsKind.FP16) / 1e9).isBetween(12.4, 12.6);
    assertThat(ChatGlmWeights.heapBytes(sixB, WeightsKind.FP32)).isZero();
    long gib = 1L << 30;
    // a quarter of a 24 GiB machine, the JVM's default
    assertThat(ChatGlmWeights.heapRefusal(WeightsKind.INT8, int8, gib / 10, 6 * gib))
        .contains("int8 weights take 7.1 GB of Java heap")
        .contains("6.3 GB of it are free")
        .endsWith("start java with -Xmx8g or more");
    assertThat(ChatGlmWeights.heapRefusal(WeightsKind.INT8, int8, gib / 10, 8 * gib)).isNull();
  }
}
