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
  static DecodeLoop loop;

  @BeforeAll
  static void load() throws Exception {
    manager = NDManager.newBaseManager("PyTorch");
    TestModelGenerator.generate(dir, TestModelGenerator.tiny(128), 3, 1, "F32");
    ChatGlmConfig config = ChatGlmConfig.read(dir.resolve("config.json"));
    weights = ChatGlmWeights.load(dir, config, manager);
    model = new ChatGlmModel(config, weights, manager);
    loop = new DecodeLoop(model, Set.of(), 4, 8);
  }

  @AfterAll
  static void close() {
    loop.close();
    weights.close();
    manager.close();
  }

  @Test
  void greedyDecodingFollowsTheReferenceModelTokenForToken() throws Exception {
    List<Integer> streamed = new ArrayList<>();
    DecodeLoop.Result result = loop.generate(PROMPT, Sampling.greedy(8), t -> streamed.add(t));
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
  void aLongPromptIsPrefilledInChunksWithTheSameAnswer() {
    // 200 tokens: four chunks of 64 (the last one short) in the loop, one forward pass here.
    int[] prompt = new int[200];
    for (int i = 0; i < prompt.length; i++) {
      prompt[i] = (i * 37 + 5) % 128;
    }
    float[] whole;
    float[] chunked;
    try (KvCache a = model.newCache();
        KvCache b = model.newCache()) {
      whole = model.forward(prompt, a);
      chunked = null;
      for (int from = 0; from < prompt.length; from += 64) {
        chunked =
            model.forward(
                java.util.Arrays.copyOfRange(prompt, from, Math.min(prompt.length, from + 64)), b);
      }
      assertThat(b.length()).isEqualTo(a.length());
    }
    for (int i = 0; i < whole.length; i++) {
      assertThat((double) chunked[i])
          .isCloseTo(whole[i], org.assertj.core.data.Offset.offset(1e-4));
    }
    List<Integer> expected = new ArrayList<>();
    try (KvCache cache = model.newCache()) {
      float[] logits = model.forward(prompt, cache);
      for (int i = 0; i < 6; i++) {
        int next = DecodeLoop.choose(logits, Sampling.greedy(1), new SplittableRandom(0));
        expected.add(next);
        logits = model.forward(new int[] {next}, cache);
      }
    }
    try (DecodeLoop chunks = new DecodeLoop(model, Set.of(), 1, 0, 64)) {
      assertThat(chunks.generate(prompt, Sampling.greedy(6), t -> true).tokens())
          .isEqualTo(expected);
    }
  }

  @Test
  void aBatchGivesEachSequenceWhatItGetsAlone() {
    int[][] prompts = {PROMPT, {9, 8}, {100, 1, 2, 3, 4, 5}, {77}};
    List<DecodeLoop.Result> batched = loop.generateAll(prompts, Sampling.greedy(6));
    for (int s = 0; s < prompts.length; s++) {
      assertThat(batched.get(s).tokens())
          .as("sequence %d", s)
          .isEqualTo(loop.generate(prompts[s], Sampling.greedy(6), t -> true).tokens());
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
    int first = loop.generate(PROMPT, Sampling.greedy(1), t -> true).tokens().get(0);
    try (DecodeLoop stopping = new DecodeLoop(model, Set.of(first), 1, 0)) {
      DecodeLoop.Result stopped = stopping.generate(PROMPT, Sampling.greedy(8), t -> true);
      assertThat(stopped.finishReason()).isEqualTo("stop");
      assertThat(stopped.tokens()).isEmpty();
    }
    DecodeLoop.Result cancelled = loop.generate(PROMPT, Sampling.greedy(8), t -> false);
    assertThat(cancelled.finishReason()).isEqualTo("cancelled");
    assertThat(cancelled.tokens()).hasSize(1);
    assertThat(loop.cachesHeld()).isZero();
  }

  @Test
  void seededSamplingIsReproducibleAndVaries() {
    Sampling seeded = new Sampling(1.0, 0.9, 12, 1234L);
    List<Integer> a = loop.generate(PROMPT, seeded, t -> true).tokens();
    List<Integer> b = loop.generate(PROMPT, seeded, t -> true).tokens();
    List<Integer> c = loop.generate(PROMPT, new Sampling(1.0, 0.9, 12, 99L), t -> true).tokens();
    assertThat(a).isEqualTo(b);
    assertThat(c).isNotEqualTo(a);
  }

  @Test
  void aFullLoopRefusesAndACancelledWaitingGenerationLeavesAtOnce() throws Exception {
    // One running, one waiting: a third is refused. The waiting one, cancelled, ends without a
    // token and gives its place back.
    try (DecodeLoop small = new DecodeLoop(model, Set.of(), 1, 1)) {
      java.util.concurrent.CountDownLatch holding = new java.util.concurrent.CountDownLatch(1);
      java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
      var running =
          java.util.concurrent.CompletableFuture.supplyAsync(
              () ->
                  small.generate(
                      PROMPT,
                      Sampling.greedy(3),
                      t -> {
                        holding.countDown();
                        try {
                          return release.await(10, java.util.concurrent.TimeUnit.SECONDS);
                        } catch (InterruptedException e) {
                          return false;
                        }
                      }));
      assertThat(holding.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
      List<DecodeLoop.Result> ended = new ArrayList<>();
      DecodeLoop.Handle waiting =
          small.submit(
              PROMPT,
              Sampling.greedy(3),
              new DecodeLoop.Listener() {
                @Override
                public boolean onToken(int token) {
                  return true;
                }

                @Override
                public void onEnd(DecodeLoop.Result result) {
                  ended.add(result);
                }

                @Override
                public void onFailure(String message, boolean closing) {}
              });
      org.assertj.core.api.Assertions.assertThatThrownBy(
              () -> small.generate(PROMPT, Sampling.greedy(3), t -> true))
          .isInstanceOf(DecodeLoop.Full.class);
      waiting.cancel();
      assertThat(ended)
          .singleElement()
          .satisfies(
              r -> {
                assertThat(r.finishReason()).isEqualTo("cancelled");
                assertThat(r.tokens()).isEmpty();
              });
      release.countDown();
      assertThat(running.get(10, java.util.concurrent.TimeUnit.SECONDS).tokens()).hasSize(3);
      assertThat(small.generate(PROMPT, Sampling.greedy(2), t -> true).tokens()).hasSize(2);
      assertThat(small.cachesHeld()).isZero();
    }
  }

  @Test
  void stoppingWaitsForThePassUnderWayAndFailsWhatIsLeft() throws Exception {
    // The running generation's listener holds the decoder mid-step: stop() may not return (and
    // the model may not be freed) before the decoder is out of it.
    DecodeLoop stopping = new DecodeLoop(model, Set.of(), 1, 4);
    java.util.concurrent.CountDownLatch inside = new java.util.concurrent.CountDownLatch(1);
    List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
    DecodeLoop.Listener holding =
        new DecodeLoop.Listener() {
          @Override
          public boolean onToken(int token) {
            inside.countDown();
            long until = System.nanoTime() + 300_000_000L; // deaf to the stop's interrupt
            while (System.nanoTime() < until) {
              java.util.concurrent.locks.LockSupport.parkNanos(until - System.nanoTime());
            }
            return true;
          }

          @Override
          public void onEnd(DecodeLoop.Result result) {}

          @Override
          public void onFailure(String message, boolean closing) {
            failures.add(closing + ": " + message);
          }
        };
    stopping.submit(PROMPT, Sampling.greedy(50), holding);
    stopping.submit(PROMPT, Sampling.greedy(50), holding); // waits for the batch of one
    assertThat(inside.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    assertThat(stopping.stop(java.time.Duration.ofMillis(50))).isFalse();
    assertThat(stopping.stop(java.time.Duration.ofSeconds(10))).isTrue();
    assertThat(failures)
        .containsExactly("true: the server is stopping", "true: the server is stopping");
    assertThat(stopping.cachesHeld()).isZero();
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
