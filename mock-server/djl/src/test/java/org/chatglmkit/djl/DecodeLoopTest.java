package org.chatglmkit.djl;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DecodeLoopTest {
  private static final int[] PROMPT = {5, 17, 99, 3};

  @TempDir static Path dir;
  static NDManager manager;
  static ChatGlmWeights weights;
  static ChatGlmModel model;

  @BeforeAll
  static void load() throws Exception {
    manager = NDManager.newBaseManager("PyTorch");
    TestModelGenerator.generate(dir, TestModelGenerator.tiny(128), 3, 1, "F32");
    ChatGlmConfig config = ChatGlmConfig.read(dir.resolve("config.json"));
    weights = ChatGlmWeights.load(dir, config, manager);
    model = new ChatGlmModel(config, weights, manager);
  }

  @AfterAll
  static void close() {
    weights.close();
    manager.close();
  }

  @Test
  void greedyDecodingFollowsTheReferenceModelTokenForToken() throws Exception {
    List<Integer> streamed = new ArrayList<>();
    DecodeLoop.Result result =
        new DecodeLoop(model, Set.of()).run(PROMPT, Sampling.greedy(8), t -> streamed.add(t));
    assertThat(result.finishReason()).isEqualTo("length");
    assertThat(result.tokens()).hasSize(8).isEqualTo(streamed);
    ReferenceChatGlm reference = new ReferenceChatGlm(dir);
    float[] logits = null;
    for (int token : PROMPT) {
      logits = reference.step(token);
    }
    List<Integer> expected = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      int next = DecodeLoop.choose(logits, Sampling.greedy(1), new SplittableRandom(0));
      expected.add(next);
      logits = reference.step(next);
    }
    assertThat(result.tokens()).isEqualTo(expected);
  }

  @Test
  void aBatchGivesEachSequenceWhatItGetsAlone() {
    int[][] prompts = {PROMPT, {9, 8}, {100, 1, 2, 3, 4, 5}, {77}};
    DecodeLoop loop = new DecodeLoop(model, Set.of());
    List<DecodeLoop.Result> batched = loop.runBatch(prompts, Sampling.greedy(6));
    for (int s = 0; s < prompts.length; s++) {
      assertThat(batched.get(s).tokens())
          .as("sequence %d", s)
          .isEqualTo(loop.run(prompts[s], Sampling.greedy(6), t -> true).tokens());
      assertThat(batched.get(s).finishReason()).isEqualTo("length");
    }
  }

  @Test
  void batchedLogitsMatchSingleSequenceLogits() {
    try (KvCache a = model.newCache();
        KvCache b = model.newCache();
        KvCache aloneA = model.newCache();
        KvCache aloneB = model.newCache()) {
      model.forward(PROMPT, a);
      model.forward(new int[] {9, 8}, b);
      model.forward(PROMPT, aloneA);
      model.forward(new int[] {9, 8}, aloneB);
      float[][] together = model.forward(new int[][] {{42}, {7}}, List.of(a, b));
      float[] first = model.forward(new int[] {42}, aloneA);
      float[] second = model.forward(new int[] {7}, aloneB);
      for (int i = 0; i < first.length; i++) {
        assertThat((double) together[0][i])
            .isCloseTo(first[i], org.assertj.core.data.Offset.offset(1e-4));
        assertThat((double) together[1][i])
            .isCloseTo(second[i], org.assertj.core.data.Offset.offset(1e-4));
      }
    }
  }

  @Test
  void stopsAtAStopTokenAndWhenTheListenerLeaves() {
    int first =
        new DecodeLoop(model, Set.of()).run(PROMPT, Sampling.greedy(1), t -> true).tokens().get(0);
    DecodeLoop.Result stopped =
        new DecodeLoop(model, Set.of(first)).run(PROMPT, Sampling.greedy(8), t -> true);
    assertThat(stopped.finishReason()).isEqualTo("stop");
    assertThat(stopped.tokens()).isEmpty();
    DecodeLoop.Result cancelled =
        new DecodeLoop(model, Set.of()).run(PROMPT, Sampling.greedy(8), t -> false);
    assertThat(cancelled.finishReason()).isEqualTo("cancelled");
    assertThat(cancelled.tokens()).hasSize(1);
  }

  @Test
  void seededSamplingIsReproducibleAndVaries() {
    Sampling seeded = new Sampling(1.0, 0.9, 12, 1234L);
    DecodeLoop loop = new DecodeLoop(model, Set.of());
    List<Integer> a = loop.run(PROMPT, seeded, t -> true).tokens();
    List<Integer> b = loop.run(PROMPT, seeded, t -> true).tokens();
    List<Integer> c = loop.run(PROMPT, new Sampling(1.0, 0.9, 12, 99L), t -> true).tokens();
    assertThat(a).isEqualTo(b);
    assertThat(c).isNotEqualTo(a);
  }

  @Test
  void topPKeepsOnlyTheNucleus() {
    float[] logits = {10, 9.9f, -10, -10};
    SplittableRandom random = new SplittableRandom(5);
    for (int i = 0; i < 200; i++) {
      assertThat(DecodeLoop.choose(logits, new Sampling(1, 0.5, 1, null), random)).isZero();
      assertThat(DecodeLoop.choose(logits, new Sampling(1, 0.99, 1, null), random)).isIn(0, 1);
    }
  }
}
