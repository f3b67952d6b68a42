package org.chatglmkit.djl;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * int8 and fp16 weights against fp32 on generated models (fp32 itself is judged by the plain-Java
 * reference in {@link ChatGlmModelTest}): along the fp32 model's own greedy answers to several
 * prompts (teacher forcing, so one early difference does not decide every later step), each step's
 * logits are compared (largest and RMS error, relative to the logits' RMS) and so is the token each
 * would choose.
 */
class CompactWeightsTest {
  private static final int STEPS = 128;

  /**
   * A lead of the first choice over the second that no step's int8 error comes near: twice the
   * bound on the largest error, which is the largest measured here (0.0341, with int8 × int8
   * products) with a margin of a quarter (0.043), so another CPU's rounding cannot fail the bound
   * by a hair. Random weights give flat logits (RMS 0.32 over 2,048 ids), so many steps are
   * near-ties that any rounding may flip; a trained model's choices mostly lead by far more.
   */
  private static final double MAX_ERROR = 0.043;

  private static final double CLEAR_MARGIN = 2 * MAX_ERROR;

  private static final int[][] PROMPTS = {
    {5, 17, 99, 3, 64, 2, 110},
    {1, 2, 3},
    {700, 12, 512, 9, 9, 40, 300, 18, 77},
    {250},
    {1500, 1501, 1502, 1503},
    {33, 2000, 33, 2000, 33},
    {8, 80, 800},
    {1999, 1024, 512, 256, 128, 64, 32, 16, 8, 4, 2}
  };

  /** As many again, drawn from a fixed seed: 1 to 24 ids each. */
  private static final int[][] DRAWN_PROMPTS = drawnPrompts(PROMPTS.length, 2048, 24);

  private static int[][] drawnPrompts(int count, int vocabulary, int longest) {
    SplittableRandom random = new SplittableRandom(2024);
    int[][] prompts = new int[count][];
    for (int i = 0; i < count; i++) {
      prompts[i] = random.ints(1 + random.nextInt(longest), 0, vocabulary).toArray();
    }
    return prompts;
  }

  @TempDir static Path dir;
  static NDManager manager;

  @BeforeAll
  static void open() {
    manager = NDManager.newBaseManager("PyTorch");
  }

  @AfterAll
  static void close() {
    manager.close();
  }

  /** What one weights kind gave against fp32 over every prompt and step. */
  record Quality(
      int steps,
      int agreed,
      int clearSteps,
      int clearAgreed,
      double maxError,
      double rmsError,
      double logitRms) {
    double agreement() {
      return (double) agreed / steps;
    }

    double clearAgreement() {
      return (double) clearAgreed / clearSteps;
    }

    @Override
    public String toString() {
      return String.format(
          Locale.ROOT,
          "%d steps, greedy agreement %.1f%% (%.1f%% of the %d steps where fp32's first choice"
              + " leads by more than %.2f), logit error max %.4f, RMS %.5f (%.2f%% of the logits'"
              + " RMS %.3f)",
          steps,
          100 * agreement(),
          100 * clearAgreement(),
          clearSteps,
          CLEAR_MARGIN,
          maxError,
          rmsError,
          100 * rmsError / logitRms,
          logitRms);
    }
  }

  static Quality compare(Path model, WeightsKind kind) {
    ChatGlmConfig config = ChatGlmConfig.read(model.resolve("config.json"));
    try (ChatGlmWeights exact = ChatGlmWeights.load(model, config, WeightsKind.FP32, manager);
        ChatGlmWeights compact = ChatGlmWeights.load(model, config, kind, manager)) {
      ChatGlmModel reference = new ChatGlmModel(config, exact, manager);
      ChatGlmModel tested = new ChatGlmModel(config, compact, manager);
      int steps = 0;
      int agreed = 0;
      int clearSteps = 0;
      int clearAgreed = 0;
      double maxError = 0;
      double squaredError = 0;
      double squaredLogits = 0;
      long values = 0;
      for (int[] prompt : allPrompts()) {
        try (KvCache a = reference.newCache();
            KvCache b = tested.newCache()) {
          float[] expected = reference.forward(prompt, a);
          float[] actual = tested.forward(prompt, b);
          for (int step = 0; step < STEPS; step++) {
            int want = argmax(expected);
            boolean same = argmax(actual) == want;
            steps++;
            agreed += same ? 1 : 0;
            if (lead(expected, want) > CLEAR_MARGIN) {
              clearSteps++;
              clearAgreed += same ? 1 : 0;
            }
            for (int i = 0; i < expected.length; i++) {
              double error = actual[i] - expected[i];
              maxError = Math.max(maxError, Math.abs(error));
              squaredError += error * error;
              squaredLogits += (double) expected[i] * expected[i];
            }
            values += expected.length;
            expected = reference.forward(new int[] {want}, a);
            actual = tested.forward(new int[] {want}, b);
          }
        }
      }
      return new Quality(
          steps,
          agreed,
          clearSteps,
          clearAgreed,
          maxError,
          Math.sqrt(squaredError / values),
          Math.sqrt(squaredLogits / values));
    }
  }

  private static List<int[]> allPrompts() {
    List<int[]> all = new ArrayList<>(List.of(PROMPTS));
    all.addAll(List.of(DRAWN_PROMPTS));
    return all;
  }

  /** How far the logit of {@code best} leads the next largest. */
  private static double lead(float[] logits, int best) {
    double second = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < logits.length; i++) {
      if (i != best) {
        second = Math.max(second, logits[i]);
      }
    }
    return logits[best] - second;
  }

  private static int argmax(float[] logits) {
    return DecodeLoop.choose(logits, Sampling.greedy(1), new SplittableRandom(0));
  }

  @Test
  void int8AndFp16FollowFp32OnAGeneratedBf16Model() throws Exception {
    // 4 layers, hidden 256, 8 heads of 32, 2 KV groups, ffn 688, 2,048 ids; bf16 in 2 shards,
    // as the published checkpoints come.
    Path model = dir.resolve("bf16");
    TestModelGenerator.generate(
        model, new ChatGlmConfig(4, 256, 8, 32, 2, 688, 2048, 512, 1e-5, 1.0), 5, 2, "BF16");
    List<String> report = new ArrayList<>();
    Quality int8 = compare(model, WeightsKind.INT8);
    Quality fp16 = compare(model, WeightsKind.FP16);
    report.add("int8: " + int8);
    report.add("fp16: " + fp16);
    report.forEach(System.out::println);
    assertThat(int8.steps()).isEqualTo(allPrompts().size() * STEPS).isGreaterThanOrEqualTo(256);
    // Measured here with int8 × int8 products (weights and activations quantized per block of 64):
    // 94.3% of 2,048 steps (16 prompts, 128 steps each; a 95% interval of about ±1 point), max
    // logit error 0.034, RMS 1.85% of the logits'. Float activations against per-row weight scales
    // gave 95.4%: quantizing the activations flips about 20 more near-ties in 2,048, for products
    // about twice as fast (bench/matvec.sh). Every step with a clear lead agreed, both ways. The
    // bound leaves room for near-ties that another CPU's rounding may flip.
    assertThat(int8.agreement()).as("int8: %s", int8).isGreaterThanOrEqualTo(0.93);
    assertThat(int8.clearSteps()).as("int8: %s", int8).isGreaterThan(int8.steps() / 5);
    assertThat(int8.clearAgreement()).as("int8: %s", int8).isGreaterThanOrEqualTo(0.99);
    assertThat(int8.maxError()).as("int8: %s", int8).isLessThan(MAX_ERROR);
    assertThat(int8.rmsError() / int8.logitRms()).as("int8: %s", int8).isLessThan(0.025);
    // bf16 weights are exact in fp16 only in part (fp16 has 3 more mantissa bits but less
    // range): the error is rounding of activations' sums, far below int8's.
    assertThat(fp16.agreement()).as("fp16: %s", fp16).isGreaterThanOrEqualTo(0.99);
    assertThat(fp16.rmsError() / fp16.logitRms()).as("fp16: %s", fp16).isLessThan(1e-3);
    assertThat(fp16.rmsError()).isLessThan(int8.rmsError());
  }

  /**
   * Vectors (norms, biases) as fp32; matrices as {@code kind} (int8 leaves the embedding and the
   * output layer fp16 and adds a 4-byte scale per block of 64 weights).
   */
  private static long expectedBytes(ChatGlmConfig config, WeightsKind kind) {
    long total = 0;
    for (var tensor : TensorNames.expected(config).entrySet()) {
      long[] shape = tensor.getValue();
      String name = tensor.getKey();
      if (shape.length == 1) {
        total += 4 * shape[0];
      } else {
        WeightsKind held = kind.of(name);
        total += shape[0] * shape[1] * held.bytesPerParameter();
        total += held == WeightsKind.INT8 ? 4 * shape[0] * MatVec.blocks((int) shape[1]) : 0;
      }
    }
    return total;
  }

  @Test
  void compactWeightsHoldEveryMatrixInTheirSize() throws Exception {
    Path model = dir.resolve("tiny");
    ChatGlmConfig config = TestModelGenerator.tiny(128);
    TestModelGenerator.generate(model, config, 7, 1, "F32");
    try (ChatGlmWeights fp32 = ChatGlmWeights.load(model, config, WeightsKind.FP32, manager);
        ChatGlmWeights fp16 = ChatGlmWeights.load(model, config, WeightsKind.FP16, manager);
        ChatGlmWeights int8 = ChatGlmWeights.load(model, config, WeightsKind.INT8, manager)) {
      long matrices =
          TensorNames.expected(config).keySet().stream()
              .filter(n -> TensorNames.isLinear(n) || n.equals(TensorNames.EMBEDDING))
              .count();
      assertThat(fp32.compactNames()).isEmpty();
      assertThat(int8.compactNames()).hasSize((int) matrices);
      assertThat(fp16.compactNames()).hasSize((int) matrices);
      long parameters = TensorNames.parameters(config);
      assertThat(fp32.bytes()).isEqualTo(4 * parameters);
      assertThat(fp16.bytes()).isEqualTo(expectedBytes(config, WeightsKind.FP16));
      assertThat(int8.bytes()).isEqualTo(expectedBytes(config, WeightsKind.INT8));
      assertThat(int8.bytes()).isLessThan(fp16.bytes()).isLessThan(fp32.bytes() / 2);
    }
  }
}
