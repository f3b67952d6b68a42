package org.chatglmkit.djl;

import java.util.List;

/**
 * How the next token is chosen.
 *
 * @param temperature 0 picks the most likely token (greedy); above 0 samples from softmax(logits/T)
 * @param topP sample only from the smallest set of tokens whose probabilities reach this mass
 * @param maxTokens the most tokens to generate
 * @param seed a seed for reproducible sampling, or {@code null}
 * @param forced tokens the answer starts with whatever the model's logits say (the model still runs
 *     every step): for tests of everything downstream of the sampler with a model of random
 *     weights; empty for none
 */
public record Sampling(
    double temperature, double topP, int maxTokens, Long seed, List<Integer> forced) {

  /** Sampling with nothing forced. */
  public Sampling(double temperature, double topP, int maxTokens, Long seed) {
    this(temperature, topP, maxTokens, seed, List.of());
  }

  public Sampling {
    forced = List.copyOf(forced);
    if (temperature < 0 || topP <= 0 || topP > 1 || maxTokens < 1) {
      throw new IllegalArgumentException(
          "temperature ≥ 0, 0 < top_p ≤ 1 and max_tokens ≥ 1 are required");
    }
  }

  public static Sampling greedy(int maxTokens) {
    return new Sampling(0, 1, maxTokens, null);
  }
}
