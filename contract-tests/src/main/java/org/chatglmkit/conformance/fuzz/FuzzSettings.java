package org.chatglmkit.conformance.fuzz;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import org.chatglmkit.mockserver.settings.Settings;

/**
 * How much to fuzz: {@code --fuzz N}, {@code --seed S}, {@code --fuzz-time SECONDS} and {@code
 * --fuzz-max-prompt-bytes B}, resolved by the settings rule (option, property, environment).
 *
 * @param cases how many requests to generate; 0 turns fuzzing off
 * @param seed the seed of the generator; the same seed gives the same requests
 * @param seedGiven whether the seed was given (else it was drawn, and is printed for replay)
 * @param time how long generating, sending and shrinking may take together
 * @param maxPromptBytes the most message text in one request, so that it fits the model's context
 * @param maxTokens the usual largest {@code max_tokens} of generated requests
 */
public record FuzzSettings(
    int cases, long seed, boolean seedGiven, Duration time, int maxPromptBytes, int maxTokens) {
  public static final String CASES = "chatglm.fuzz";
  public static final String SEED = "chatglm.fuzz.seed";
  public static final String TIME = "chatglm.fuzz.time";
  public static final String MAX_PROMPT_BYTES = "chatglm.fuzz.max-prompt-bytes";
  public static final String MAX_TOKENS = "chatglm.fuzz.max-tokens";

  public static final Duration DEFAULT_TIME = Duration.ofSeconds(120);
  public static final int DEFAULT_MAX_PROMPT_BYTES = 1_800;
  public static final int DEFAULT_MAX_TOKENS = 32;

  /** Reads the settings; fuzzing is off unless a number of cases is given. */
  public static FuzzSettings of(Settings settings) {
    long cases = settings.whole(CASES, 0);
    Duration time = settings.duration(TIME, DEFAULT_TIME);
    long maxPrompt = settings.whole(MAX_PROMPT_BYTES, DEFAULT_MAX_PROMPT_BYTES);
    long maxTokens = settings.whole(MAX_TOKENS, DEFAULT_MAX_TOKENS);
    if (cases < 0 || cases > 1_000_000) {
      throw new IllegalArgumentException("--fuzz must be from 0 to 1000000, not " + cases);
    }
    if (time.toMillis() < 1_000) {
      throw new IllegalArgumentException("--fuzz-time must be at least 1s");
    }
    if (maxPrompt < 64) {
      throw new IllegalArgumentException("--fuzz-max-prompt-bytes must be at least 64");
    }
    if (maxTokens < 1 || maxTokens > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("--fuzz-max-tokens must be at least 1");
    }
    boolean given = settings.text(SEED).isPresent();
    long seed = given ? settings.whole(SEED, 0) : ThreadLocalRandom.current().nextLong(1, 1L << 40);
    return new FuzzSettings((int) cases, seed, given, time, (int) maxPrompt, (int) maxTokens);
  }

  public boolean enabled() {
    return cases > 0;
  }
}
