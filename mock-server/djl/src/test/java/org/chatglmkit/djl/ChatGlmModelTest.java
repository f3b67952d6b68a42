package org.chatglmkit.djl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The DJL model against the plain-Java reference, on generated checkpoints. */
class ChatGlmModelTest {
  private static final double TOLERANCE = 1e-4;
  private static final int[] PROMPT = {5, 17, 99, 3, 64, 2, 110};
  private static final int[] DECODE = {42, 7, 120};

  static NDManager manager;

  @TempDir static Path dir;

  @BeforeAll
  static void open() {
    manager = NDManager.newBaseManager("PyTorch");
  }

  @AfterAll
  static void close() {
    manager.close();
  }

  private static void assertClose(float[] actual, float[] expected, String what) {
    assertThat(actual).hasSameSizeAs(expected);
    double worst = 0;
    for (int i = 0; i < actual.length; i++) {
      worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
    }
    assertThat(worst).as("largest logit difference, %s", what).isLessThan(TOLERANCE);
  }

  private static void matchesReference(Path model) throws Exception {
    matchesReference(model, WeightsKind.FP32);
  }

  private static void matchesReference(Path model, WeightsKind kind) throws Exception {
    ChatGlmConfig config = ChatGlmConfig.read(model.resolve("config.json"));
    ReferenceChatGlm reference = new ReferenceChatGlm(model);
    try (ChatGlmWeights weights = ChatGlmWeights.load(model, config, kind, manager)) {
      ChatGlmModel djl = new ChatGlmModel(config, weights, manager);
      try (KvCache cache = djl.newCache()) {
        float[] expected = null;
        for (int token : PROMPT) {
          expected = reference.step(token);
        }
        assertClose(
            djl.forward(PROMPT, cache), expected, "prefill of " + PROMPT.length + " tokens");
        for (int token : DECODE) {
          assertClose(
              djl.forward(new int[] {token}, cache), reference.step(token), "decode " + token);
        }
        assertThat(cache.length()).isEqualTo(PROMPT.length + DECODE.length);
      }
    }
  }

  @Test
  void aProfiledStepTimesEachPartAndGivesTheSameLogits() throws Exception {
    Path model = dir.resolve("profiled");
    TestModelGenerator.generate(model, TestModelGenerator.tiny(128), 7, 1, "F32");
    ChatGlmConfig config = ChatGlmConfig.read(model.resolve("config.json"));
    try (ChatGlmWeights weights = ChatGlmWeights.load(model, config, manager)) {
      ChatGlmModel djl = new ChatGlmModel(config, weights, manager);
      float[] plain;
      try (KvCache cache = djl.newCache()) {
        djl.forward(PROMPT, cache);
        plain = djl.forward(new int[] {DECODE[0]}, cache);
      }
      StepProfile profile = new StepProfile();
      djl.profile(profile);
      try (KvCache cache = djl.newCache()) {
        djl.forward(PROMPT, cache);
        assertClose(djl.forward(new int[] {DECODE[0]}, cache), plain, "profiled decode");
      } finally {
        djl.profile(null);
      }
      assertThat(profile.steps()).isEqualTo(2);
      for (StepProfile.Part part : StepProfile.Part.values()) {
        if (part != StepProfile.Part.SAMPLING) { // the model does not sample
          assertThat(profile.millisPerStep().get(part)).as(part.label()).isPositive();
        }
      }
    }
  }

  @Test
  void matchesThePlainReferenceForPrefillAndCachedDecode() throws Exception {
    Path model = dir.resolve("f32");
    TestModelGenerator.generate(model, TestModelGenerator.tiny(128), 7, 1, "F32");
    matchesReference(model);
  }

  @Test
  void aRopeRatioOfTheLongContextCheckpointsMatchesTheReferenceToo() throws Exception {
    // ChatGLM3-6B-32K publishes rope_ratio 50 (the rotary base becomes 10000 × 50).
    ChatGlmConfig tiny = TestModelGenerator.tiny(128);
    ChatGlmConfig longContext =
        new ChatGlmConfig(
            tiny.layers(),
            tiny.hidden(),
            tiny.heads(),
            tiny.kvChannels(),
            tiny.groups(),
            tiny.ffn(),
            tiny.vocab(),
            tiny.seqLength(),
            tiny.epsilon(),
            50.0);
    Path model = dir.resolve("rope-50");
    TestModelGenerator.generate(model, longContext, 7, 1, "F32");
    assertThat(ChatGlmConfig.read(model.resolve("config.json")).ropeRatio()).isEqualTo(50.0);
    matchesReference(model);
    // The same weights with rope_ratio 1 give other logits once positions differ: the ratio is
    // used.
    Path plain = dir.resolve("rope-1");
    TestModelGenerator.generate(plain, tiny, 7, 1, "F32");
    ReferenceChatGlm ratio50 = new ReferenceChatGlm(model);
    ReferenceChatGlm ratio1 = new ReferenceChatGlm(plain);
    float[] a = null;
    float[] b = null;
    for (int token : PROMPT) {
      a = ratio50.step(token);
      b = ratio1.step(token);
    }
    assertThat(a).isNotEqualTo(b);
  }

  /**
   * With compact weights a decode step keeps its activations in Java (norms, bias, rotary, SwiGLU
   * and residuals there; attention on the engine). An F16 checkpoint held as fp16 is the
   * reference's weights exactly, so its prefill (on the engine) and decode steps must both give the
   * reference's logits; and two sequences decoded as a batch, what each gives alone.
   */
  @Test
  void compactWeightsDecodeOutsideTheEngineAsTheReferenceDoes() throws Exception {
    Path model = dir.resolve("f16");
    TestModelGenerator.generate(model, TestModelGenerator.tiny(128), 13, 1, "F16");
    matchesReference(model, WeightsKind.FP16);
    ChatGlmConfig config = ChatGlmConfig.read(model.resolve("config.json"));
    try (ChatGlmWeights weights = ChatGlmWeights.load(model, config, WeightsKind.FP16, manager)) {
      ChatGlmModel djl = new ChatGlmModel(config, weights, manager);
      try (KvCache a = djl.newCache();
          KvCache b = djl.newCache();
          KvCache aloneA = djl.newCache();
          KvCache aloneB = djl.newCache()) {
        int[] other = {9, 8, 7};
        djl.forward(PROMPT, a);
        djl.forward(other, b);
        djl.forward(PROMPT, aloneA);
        djl.forward(other, aloneB);
        for (int token : DECODE) {
          float[][] together = djl.forward(new int[][] {{token}, {token + 1}}, List.of(a, b));
          assertClose(together[0], djl.forward(new int[] {token}, aloneA), "batch, first");
          assertClose(together[1], djl.forward(new int[] {token + 1}, aloneB), "batch, second");
        }
      }
    }
  }

  @Test
  void loadsShardedBf16AndFp16Checkpoints() throws Exception {
    for (String dtype : new String[] {"BF16", "F16"}) {
      Path model = dir.resolve("sharded-" + dtype);
      TestModelGenerator.generate(model, TestModelGenerator.tiny(128), 11, 3, dtype);
      assertThat(model.resolve("model.safetensors.index.json")).exists();
      assertThat(model.resolve("model-00003-of-00003.safetensors")).exists();
      matchesReference(model);
    }
  }

  @Test
  void isReproducible() throws Exception {
    Path model = dir.resolve("repro");
    TestModelGenerator.generate(model, TestModelGenerator.tiny(128), 7, 1, "F32");
    ChatGlmConfig config = ChatGlmConfig.read(model.resolve("config.json"));
    try (ChatGlmWeights weights = ChatGlmWeights.load(model, config, manager)) {
      ChatGlmModel djl = new ChatGlmModel(config, weights, manager);
      float[] first;
      float[] second;
      try (KvCache cache = djl.newCache()) {
        first = djl.forward(PROMPT, cache);
      }
      try (KvCache cache = djl.newCache()) {
        second = djl.forward(PROMPT, cache);
      }
      assertThat(second).containsExactly(first);
    }
  }

  @Test
  void namesTheMissingTensorOrTheWrongShape() throws Exception {
    Path model = dir.resolve("broken");
    ChatGlmConfig config = TestModelGenerator.tiny(128);
    TestModelGenerator.generate(model, config, 7, 1, "F32");
    ChatGlmConfig wider = new ChatGlmConfig(2, 64, 4, 16, 2, 128, 128, 256, 1e-5, 1.0);
    assertThatThrownBy(() -> ChatGlmWeights.load(model, wider, manager))
        .hasMessageContaining("transformer.encoder.layers.0.mlp.dense_h_to_4h.weight")
        .hasMessageContaining("[192, 64]")
        .hasMessageContaining("[256, 64]");
    ChatGlmConfig deeper = new ChatGlmConfig(3, 64, 4, 16, 2, 96, 128, 256, 1e-5, 1.0);
    assertThatThrownBy(() -> ChatGlmWeights.load(model, deeper, manager))
        .hasMessageContaining("lacks tensor transformer.encoder.layers.2.");
    Files.delete(model.resolve("model.safetensors"));
    assertThatThrownBy(() -> ChatGlmWeights.load(model, config, manager))
        .hasMessageContaining("no model.safetensors");
  }

  @Test
  void aDamagedShardFailsWithItsNameAndWhatIsWrong() throws Exception {
    ChatGlmConfig config = TestModelGenerator.tiny(128);
    for (WeightsKind kind : WeightsKind.values()) {
      Path model = dir.resolve("damaged-" + kind.label());
      TestModelGenerator.generate(model, config, 7, 2, "BF16");
      Path shard = model.resolve("model-00002-of-00002.safetensors");
      byte[] whole = Files.readAllBytes(shard);
      // Truncated (a download cut short): the header promises bytes the file lacks.
      Files.write(shard, java.util.Arrays.copyOf(whole, whole.length - 100));
      assertThatThrownBy(() -> ChatGlmWeights.load(model, config, kind, manager))
          .hasMessageContaining("cannot read the checkpoint")
          .rootCause()
          .hasMessageContaining("model-00002-of-00002.safetensors")
          .hasMessageContaining("does not fit its shape or the file");
      // Not a safetensors file at all.
      Files.writeString(shard, "<html>rate limited</html>");
      assertThatThrownBy(() -> ChatGlmWeights.load(model, config, kind, manager))
          .rootCause()
          .hasMessageContaining("is not a safetensors file");
      // A dtype this loader does not read (an int8 export, say).
      String header = new String(whole, 8, 200, java.nio.charset.StandardCharsets.ISO_8859_1);
      assertThat(header).contains("\"BF16\"");
      byte[] retyped = whole.clone();
      int at =
          new String(retyped, java.nio.charset.StandardCharsets.ISO_8859_1).indexOf("\"BF16\"");
      System.arraycopy(
          "\"I8\"  ".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1), 0, retyped, at, 6);
      Files.write(shard, retyped);
      assertThatThrownBy(() -> ChatGlmWeights.load(model, config, kind, manager))
          .rootCause()
          .hasMessageContaining("is I8 (F32, F16 or BF16 expected)");
    }
  }

  @Test
  void refusesAContextLongerThanSeqLength() throws Exception {
    Path model = dir.resolve("short");
    ChatGlmConfig config = new ChatGlmConfig(1, 64, 4, 16, 2, 96, 128, 8, 1e-5, 1.0);
    TestModelGenerator.generate(model, config, 7, 1, "F32");
    try (ChatGlmWeights weights = ChatGlmWeights.load(model, config, manager);
        KvCache cache = new ChatGlmModel(config, weights, manager).newCache()) {
      assertThatThrownBy(
              () -> new ChatGlmModel(config, weights, manager).forward(new int[9], cache))
          .hasMessageContaining("seq_length 8");
    }
  }
}
