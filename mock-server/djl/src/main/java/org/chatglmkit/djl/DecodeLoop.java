package org.chatglmkit.djl;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.IntPredicate;

/**
 * The decode loop: prefill the prompt, then one cached step per token, each token handed to a
 * callback as soon as it is chosen. Stops at a stop token (EOS, or a role token of the chat
 * format), at {@code max_tokens}, when prompt and answer fill the context ({@code length}), or when
 * the callback declines to go on; the KV cache is freed either way.
 *
 * <pre>{@code
 * DecodeLoop.Result result = new DecodeLoop(model, Set.of(eos)).run(prompt, Sampling.greedy(64), token -> {
 *   send(token);
 *   return stillConnected();
 * });
 * }</pre>
 */
public final class DecodeLoop {
  private final ChatGlmModel model;
  private final Set<Integer> stopTokens;

  public DecodeLoop(ChatGlmModel model, Set<Integer> stopTokens) {
    this.model = model;
    this.stopTokens = Set.copyOf(stopTokens);
  }

  /**
   * What a generation produced.
   *
   * @param tokens the generated tokens, without the stop token
   * @param finishReason {@code stop}, {@code length} or {@code cancelled}
   */
  public record Result(List<Integer> tokens, String finishReason) {}

  public Result run(int[] prompt, Sampling sampling, IntPredicate onToken) {
    SplittableRandom random =
        new SplittableRandom(
            sampling.seed() != null ? sampling.seed() : ThreadLocalRandom.current().nextLong());
    List<Integer> tokens = new ArrayList<>();
    try (KvCache cache = model.newCache()) {
      float[] logits = model.forward(prompt, cache);
      while (true) {
        int next = choose(logits, sampling, random);
        if (stopTokens.contains(next)) {
          return new Result(tokens, "stop");
        }
        tokens.add(next);
        if (!onToken.test(next)) {
          return new Result(tokens, "cancelled");
        }
        if (full(prompt.length, tokens.size(), sampling, model.config())) {
          return new Result(tokens, "length");
        }
        logits = model.forward(new int[] {next}, cache);
      }
    }
  }

  /**
   * Several generations decoded together: each prompt is prefilled on its own, then every step
   * feeds the next token of all unfinished sequences in one batch, so the weights are read once per
   * step. A sequence leaves the batch when it stops or reaches {@code max_tokens}.
   */
  public List<Result> runBatch(int[][] prompts, Sampling sampling) {
    int n = prompts.length;
    List<KvCache> caches = new ArrayList<>();
    List<List<Integer>> tokens = new ArrayList<>();
    String[] finish = new String[n];
    SplittableRandom random =
        new SplittableRandom(
            sampling.seed() != null ? sampling.seed() : ThreadLocalRandom.current().nextLong());
    try {
      int[] next = new int[n];
      for (int s = 0; s < n; s++) {
        caches.add(model.newCache());
        tokens.add(new ArrayList<>());
        next[s] = choose(model.forward(prompts[s], caches.get(s)), sampling, random);
      }
      while (true) {
        List<Integer> active = new ArrayList<>();
        for (int s = 0; s < n; s++) {
          if (finish[s] != null) {
            continue;
          }
          if (stopTokens.contains(next[s])) {
            finish[s] = "stop";
            continue;
          }
          tokens.get(s).add(next[s]);
          if (full(prompts[s].length, tokens.get(s).size(), sampling, model.config())) {
            finish[s] = "length";
            continue;
          }
          active.add(s);
        }
        if (active.isEmpty()) {
          break;
        }
        int[][] step = new int[active.size()][];
        List<KvCache> stepCaches = new ArrayList<>();
        for (int i = 0; i < active.size(); i++) {
          step[i] = new int[] {next[active.get(i)]};
          stepCaches.add(caches.get(active.get(i)));
        }
        float[][] logits = model.forward(step, stepCaches);
        for (int i = 0; i < active.size(); i++) {
          next[active.get(i)] = choose(logits[i], sampling, random);
        }
      }
      List<Result> results = new ArrayList<>();
      for (int s = 0; s < n; s++) {
        results.add(new Result(tokens.get(s), finish[s]));
      }
      return results;
    } finally {
      caches.forEach(KvCache::close);
    }
  }

  /**
   * Whether an answer of {@code generated} tokens must end with {@code length}: it reached {@code
   * max_tokens}, or prompt and answer fill the context.
   */
  static boolean full(int promptLength, int generated, Sampling sampling, ChatGlmConfig config) {
    return generated >= sampling.maxTokens() || promptLength + generated >= config.seqLength();
  }

  static int choose(float[] logits, Sampling sampling, SplittableRandom random) {
    if (sampling.temperature() == 0) {
      int best = 0;
      for (int i = 1; i < logits.length; i++) {
        if (logits[i] > logits[best]) {
          best = i;
        }
      }
      return best;
    }
    double max = Double.NEGATIVE_INFINITY;
    for (float logit : logits) {
      max = Math.max(max, logit);
    }
    double[] probabilities = new double[logits.length];
    double total = 0;
    for (int i = 0; i < logits.length; i++) {
      probabilities[i] = Math.exp((logits[i] - max) / sampling.temperature());
      total += probabilities[i];
    }
    int[] order = byProbability(probabilities, total);
    double kept = 0;
    int count = 0;
    while (count < order.length && kept < sampling.topP()) {
      kept += probabilities[order[count++]];
    }
    double draw = random.nextDouble() * kept;
    for (int i = 0; i < count; i++) {
      draw -= probabilities[order[i]];
      if (draw <= 0) {
        return order[i];
      }
    }
    return order[count - 1];
  }

  /**
   * Normalises {@code probabilities} in place and returns the token ids from most to least likely
   * (ties by id). One primitive sort of (probability, id) keys: no boxing over the vocabulary.
   */
  private static int[] byProbability(double[] probabilities, double total) {
    long[] keys = new long[probabilities.length];
    for (int i = 0; i < probabilities.length; i++) {
      probabilities[i] /= total;
      long bits = Float.floatToIntBits((float) probabilities[i]); // monotonic for p ≥ 0
      keys[i] = bits << 32 | (Integer.MAX_VALUE - i);
    }
    Arrays.sort(keys);
    int[] order = new int[keys.length];
    for (int i = 0; i < keys.length; i++) {
      order[i] = Integer.MAX_VALUE - (int) keys[keys.length - 1 - i];
    }
    return order;
  }
}
