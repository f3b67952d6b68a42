package org.chatglmkit.djl;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Where a decode step's time goes, measured in this process on a checkpoint: a short prompt,
 * warm-up steps (ten seconds' worth, 4 to 64), then {@code steps} greedy steps of one sequence with
 * the model's {@link StepProfile} on and the sampler timed beside it. For the benchmarks (test
 * sources).
 *
 * <p>The steps run on a thread of their own, as the server's decoder does: driven from the thread
 * that loaded the checkpoint, the engine's own worker threads compete with the products' threads
 * for the cores, and the same model decodes at about 0.6 times the server's rate (measured on the
 * 6B int8 checkpoint: 1.2 against 1.9 tokens/s).
 *
 * <pre>{@code
 * Map<String, Object> figures = DecodeProfile.run(dir, "int8", 16);
 * }</pre>
 */
public final class DecodeProfile {
  private static final long WARM_UP_NANOS = 10_000_000_000L;
  private static final int WARM_UP_STEPS = 64;

  private DecodeProfile() {}

  /** Milliseconds per token by part, their sum, and the tokens/s they make. */
  public static Map<String, Object> run(Path dir, String kind, int steps) {
    try (ChatGlmCheckpoint checkpoint =
        ChatGlmCheckpoint.open(dir, null, WeightsKind.parse(kind))) {
      java.util.concurrent.atomic.AtomicReference<Object> result =
          new java.util.concurrent.atomic.AtomicReference<>();
      Thread decoder =
          new Thread(
              () -> {
                try {
                  result.set(decode(checkpoint.model(), steps));
                } catch (RuntimeException | Error e) {
                  result.set(e);
                }
              },
              "profile-decoder");
      decoder.start();
      decoder.join();
      if (result.get() instanceof Throwable failure) {
        throw new IllegalStateException("profiling failed", failure);
      }
      @SuppressWarnings("unchecked")
      Map<String, Object> figures = (Map<String, Object>) result.get();
      return figures;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  private static Map<String, Object> decode(ChatGlmModel model, int steps) {
    KvCache cache = model.newCache();
    int vocab = model.config().vocab();
    int[] prompt = new int[16];
    for (int i = 0; i < prompt.length; i++) {
      prompt[i] = 100 + i * 37 % Math.max(1, vocab - 100);
    }
    float[] logits = model.forward(prompt, cache);
    Sampling greedy = Sampling.greedy(steps);
    SplittableRandom random = new SplittableRandom(1);
    // Warm-up: the JIT compiles the kernels while they run. Four steps were not always enough on
    // the 6B model: in one run of bench/full-size.sh the fp16 LM head, called four times a step,
    // still ran uncompiled through the profiled steps and took 434.7 ms a token (28–29 ms in the
    // runs before and after). So ten seconds or 64 steps, whichever comes first.
    long warmUntil = System.nanoTime() + WARM_UP_NANOS;
    for (int i = 0; i < WARM_UP_STEPS && (i < 4 || System.nanoTime() < warmUntil); i++) {
      logits = model.forward(new int[] {DecodeLoop.choose(logits, greedy, random)}, cache);
    }
    StepProfile profile = new StepProfile();
    model.profile(profile);
    long start = System.nanoTime();
    for (int i = 0; i < steps; i++) {
      long sampled = System.nanoTime();
      int next = DecodeLoop.choose(logits, greedy, random);
      profile.add(StepProfile.Part.SAMPLING, sampled);
      logits = model.forward(new int[] {next}, cache);
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    model.profile(null);
    Map<String, Object> figures = new LinkedHashMap<>();
    double sum = 0;
    for (Map.Entry<StepProfile.Part, Double> part : profile.millisPerStep().entrySet()) {
      figures.put(part.getKey().label(), round(part.getValue()));
      sum += part.getValue();
    }
    figures.put("sum of parts", round(sum));
    figures.put("ms per token, measured whole", round(seconds * 1000 / steps));
    figures.put("tokens per s, in process", round(steps / seconds));
    return figures;
  }

  private static double round(double value) {
    return Math.round(value * 1000) / 1000.0;
  }
}
