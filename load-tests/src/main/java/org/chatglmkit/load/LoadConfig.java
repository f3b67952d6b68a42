package org.chatglmkit.load;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.chatglmkit.load.workload.Lengths;
import org.chatglmkit.mockserver.settings.Durations;
import org.chatglmkit.mockserver.settings.Settings;

/**
 * Everything a load run is told, by the toolkit's one rule ({@link Settings}): a system property
 * ({@code -Dchatglm.load.profile=rate}), then the environment variable ({@code
 * CHATGLM_LOAD_PROFILE=rate}), then the default. The command ({@code chatglm-load}) and the Maven
 * path set the same names; the target settings are the conformance gate's ({@code
 * chatglm.target.url}, ...).
 *
 * @param profile the load profile: smoke, rate, ramp, steps (or sweep), concurrency or soak
 * @param rate requests started per second (rate, soak; the start of ramp and steps)
 * @param rampTo the rate a ramp ends at
 * @param steps how many steps a step sweep has
 * @param stepRate how much each step adds to the rate
 * @param users virtual users for the closed model (concurrency)
 * @param duration how long the measured part of the profile (or each step) lasts
 * @param warmup how long the load runs before measuring starts (requests sent in it are answered
 *     and checked, but not measured)
 * @param burstiness the shape of the gamma-distributed gaps between arrivals (1: Poisson)
 * @param seed the seed of arrivals and synthetic prompts
 * @param maxTokens {@code max_tokens} of every request (unless the workload says otherwise)
 * @param temperature {@code temperature} of every request
 * @param dataset a ShareGPT or chat JSONL dataset, or {@code null} for the bundled prompts
 * @param turns turns per session: 1 sends single requests, more plays conversations turn by turn
 * @param inputTokens synthetic prompt lengths, or {@code null} (then the dataset is used)
 * @param outputTokens synthetic answer lengths ({@code max_tokens} per request), or {@code null}
 * @param trace an arrival trace to replay (Mooncake or BurstGPT JSONL), or {@code null}
 * @param speed how much faster than recorded the trace plays
 * @param tokenizer a ChatGLM tokenizer (checkpoint directory or {@code tokenizer.model}) for
 *     client-side token counts, or {@code null}
 * @param streamTimeout how long a stream or an answer may take before it counts as stalled
 * @param validate whether every answer and chunk is checked against the schemas
 * @param injectors how many injectors share the load (each runs its share)
 * @param injectorIndex this injector's index, from 0
 * @param progress how often a progress line is printed (zero: never)
 * @param slo the service-level objectives that define goodput
 * @param thresholds the limits that fail the run
 * @param agent the tools requests offer and how calls are answered (agent loops)
 */
public record LoadConfig(
    String profile,
    double rate,
    double rampTo,
    int steps,
    double stepRate,
    int users,
    Duration duration,
    Duration warmup,
    double burstiness,
    long seed,
    int maxTokens,
    double temperature,
    String dataset,
    int turns,
    Lengths inputTokens,
    Lengths outputTokens,
    String trace,
    double speed,
    String tokenizer,
    Duration streamTimeout,
    boolean validate,
    int injectors,
    int injectorIndex,
    Duration progress,
    Slo slo,
    Thresholds thresholds,
    AgentLoop agent) {

  public static final String PREFIX = "chatglm.load.";

  /** The load profiles. */
  public static final List<String> PROFILES =
      List.of("smoke", "rate", "ramp", "steps", "sweep", "concurrency", "soak");

  public LoadConfig {
    if (!PROFILES.contains(profile)) {
      throw new IllegalArgumentException(
          "unknown load profile '" + profile + "' (" + String.join(", ", PROFILES) + ")");
    }
    positive("rate", rate);
    positive("users", users);
    positive("turns", turns);
    positive("max tokens", maxTokens);
    positive("burstiness", burstiness);
    positive("speed", speed);
    positive("injectors", injectors);
    if (injectorIndex < 0 || injectorIndex >= injectors) {
      throw new IllegalArgumentException(
          "the injector index must be from 0 to " + (injectors - 1) + ", not " + injectorIndex);
    }
    if (duration.isZero() || duration.isNegative()) {
      throw new IllegalArgumentException("the duration must be above 0");
    }
    if (outputTokens != null && inputTokens == null) {
      throw new IllegalArgumentException("synthetic output lengths need input lengths too");
    }
  }

  private static void positive(String what, double value) {
    if (!(value > 0)) {
      throw new IllegalArgumentException(what + " must be above 0, not " + value);
    }
  }

  /** Reads {@code chatglm.load.*}, {@code chatglm.slo.*} and {@code chatglm.assert.*}. */
  /** Reads the settings from {@code settings}. */
  public static LoadConfig from(Settings settings) {
    String profile = settings.text(PREFIX + "profile", "smoke").strip().toLowerCase(Locale.ROOT);
    long defaultSeconds =
        switch (profile) {
          case "smoke" -> 5;
          case "soak" -> 600;
          case "steps", "sweep" -> 10;
          default -> 30;
        };
    return new LoadConfig(
        profile,
        settings.number(PREFIX + "rate", profile.equals("smoke") ? 4 : 5),
        settings.number(PREFIX + "ramp-to", 20),
        (int) settings.whole(PREFIX + "steps", 5),
        settings.number(PREFIX + "step-rate", 2),
        (int) settings.whole(PREFIX + "users", 8),
        duration(settings, "duration", Duration.ofSeconds(defaultSeconds)),
        duration(settings, "warmup", Duration.ZERO),
        settings.number(PREFIX + "burstiness", 1),
        settings.whole(PREFIX + "seed", 1),
        (int) settings.whole(PREFIX + "max-tokens", 64),
        settings.number(PREFIX + "temperature", 0.7),
        settings.text(PREFIX + "dataset", null),
        (int) settings.whole(PREFIX + "turns", 1),
        settings.text(PREFIX + "input-tokens").map(Lengths::parse).orElse(null),
        settings.text(PREFIX + "output-tokens").map(Lengths::parse).orElse(null),
        settings.text(PREFIX + "trace", null),
        settings.number(PREFIX + "speed", 1),
        settings.text(PREFIX + "tokenizer", null),
        duration(settings, "stream-timeout", Duration.ofSeconds(30)),
        settings.flag(PREFIX + "validate", true),
        (int) settings.whole(PREFIX + "injectors", 1),
        (int) settings.whole(PREFIX + "injector-index", 0),
        duration(settings, "progress", Duration.ofSeconds(5)),
        Slo.from(settings),
        Thresholds.from(settings, profile),
        AgentLoop.from(settings));
  }

  /**
   * {@code chatglm.load.NAME} with a unit ({@code 60s}, {@code 500ms}, {@code 2m}; a bare number is
   * seconds), or the older {@code chatglm.load.NAME-s} in whole seconds.
   */
  private static Duration duration(Settings settings, String name, Duration fallback) {
    Optional<String> text = settings.text(PREFIX + name);
    if (text.isPresent()) {
      return Durations.parse(text.get(), "s");
    }
    Optional<String> seconds = settings.text(PREFIX + name + "-s");
    return seconds.isPresent()
        ? Duration.ofSeconds(settings.whole(PREFIX + name + "-s", 0))
        : fallback;
  }

  /** Whether the run sweeps rates step by step to find the capacity. */
  public boolean sweeps() {
    return profile.equals("steps") || profile.equals("sweep");
  }

  /** This injector's share of a rate or a user count. */
  public double share(double total) {
    return total / injectors;
  }

  /** The settings as written to the summary. */
  public Map<String, Object> describe() {
    Map<String, Object> map = new LinkedHashMap<>();
    map.put("profile", profile);
    map.put("rate", rate);
    map.put("ramp_to", rampTo);
    map.put("steps", steps);
    map.put("step_rate", stepRate);
    map.put("users", users);
    map.put("duration_s", duration.toMillis() / 1000.0);
    map.put("warmup_s", warmup.toMillis() / 1000.0);
    map.put("burstiness", burstiness);
    map.put("seed", seed);
    map.put("max_tokens", maxTokens);
    map.put("temperature", temperature);
    map.put("dataset", dataset);
    map.put("turns", turns);
    map.put("input_tokens", inputTokens == null ? null : inputTokens.toString());
    map.put("output_tokens", outputTokens == null ? null : outputTokens.toString());
    map.put("trace", trace);
    map.put("speed", speed);
    map.put("tokenizer", tokenizer);
    map.put("stream_timeout_s", streamTimeout.toMillis() / 1000.0);
    map.put("validate", validate);
    map.put("injectors", injectors);
    map.put("injector_index", injectorIndex);
    map.put("slo", slo);
    map.put("agent", agent.describe());
    return map;
  }

  private static Double optional(Settings settings, String property) {
    return settings.optionalNumber(property).orElse(null);
  }

  /**
   * SLOs in milliseconds; a request is "good" when it succeeded and meets every SLO given.
   *
   * @param ttftMillis time to first token, or {@code null}
   * @param tpotMillis time per output token, or {@code null}
   * @param e2eMillis end-to-end latency, or {@code null}
   * @param goodRatio the share of a capacity step's requests that must meet the objectives for the
   *     step to hold ({@code chatglm.capacity.good-ratio}, 0.95)
   */
  public record Slo(Double ttftMillis, Double tpotMillis, Double e2eMillis, double goodRatio) {
    public static final double DEFAULT_GOOD_RATIO = 0.95;

    public Slo(Double ttftMillis, Double tpotMillis, Double e2eMillis) {
      this(ttftMillis, tpotMillis, e2eMillis, DEFAULT_GOOD_RATIO);
    }

    static Slo from(Settings settings) {
      return new Slo(
          optional(settings, "chatglm.slo.ttft-ms"),
          optional(settings, "chatglm.slo.tpot-ms"),
          optional(settings, "chatglm.slo.e2e-ms"),
          settings.number("chatglm.capacity.good-ratio", DEFAULT_GOOD_RATIO));
    }

    public boolean met(double ttft, double tpot, double e2e) {
      return (ttftMillis == null || ttft <= ttftMillis)
          && (tpotMillis == null || Double.isNaN(tpot) || tpot <= tpotMillis)
          && (e2eMillis == null || e2e <= e2eMillis);
    }
  }

  /**
   * Limits that fail the run when breached ({@code null}: not checked).
   *
   * @param p99TtftMillis highest p99 TTFT
   * @param p99ItlMillis highest p99 inter-token latency
   * @param p99E2eMillis highest p99 end-to-end latency
   * @param errorRate highest fraction of failed requests
   * @param violations most schema violations (default 0: any violation fails)
   * @param bufferedShare highest share of completed streams whose content all arrived at once (a
   *     server or proxy that buffers the stream does it to every one; a server that stalls and then
   *     catches up, to a few short ones)
   */
  public record Thresholds(
      Double p99TtftMillis,
      Double p99ItlMillis,
      Double p99E2eMillis,
      Double errorRate,
      Double violations,
      Double bufferedShare) {
    /**
     * The limits given; a smoke run also allows no failed request and at most half its streams
     * buffered unless told otherwise.
     */
    static Thresholds from(Settings settings, String profile) {
      Double violations = optional(settings, "chatglm.assert.violations");
      Double buffered = optional(settings, "chatglm.assert.buffered-share");
      Double errorRate = optional(settings, "chatglm.assert.error-rate");
      return new Thresholds(
          optional(settings, "chatglm.assert.p99-ttft-ms"),
          optional(settings, "chatglm.assert.p99-itl-ms"),
          optional(settings, "chatglm.assert.p99-e2e-ms"),
          errorRate == null && profile.equals("smoke") ? Double.valueOf(0) : errorRate,
          violations == null ? 0.0 : violations,
          buffered == null && profile.equals("smoke") ? Double.valueOf(0.5) : buffered);
    }
  }
}
