package org.chatglmkit.load;

import java.time.Duration;
import java.util.Locale;
import org.chatglmkit.mockserver.settings.Settings;

/**
 * Everything a load run is told, by the toolkit's one rule ({@link Settings}): a system property
 * ({@code -Dchatglm.load.profile=rate}), then the environment variable ({@code
 * CHATGLM_LOAD_PROFILE=rate}), then the default; the target settings are the conformance gate's
 * ({@code chatglm.target.url}, ...).
 *
 * @param profile the load profile: smoke, rate, ramp, steps, concurrency or soak
 * @param rate requests started per second (rate, soak; the start of ramp and steps)
 * @param rampTo the rate a ramp ends at
 * @param steps how many steps a step sweep has
 * @param stepRate how much each step adds to the rate
 * @param users virtual users for the closed model (concurrency)
 * @param duration how long the profile (or each step) lasts
 * @param maxTokens {@code max_tokens} of every request
 * @param temperature {@code temperature} of every request
 * @param dataset a JSONL file of prompts, or {@code null} for the bundled one
 * @param streamTimeout how long a stream may stay silent before it counts as stalled
 * @param validate whether every answer and chunk is checked against the schemas
 * @param slo the service-level objectives that define goodput
 * @param thresholds the limits that fail the run
 */
public record LoadConfig(
    String profile,
    double rate,
    double rampTo,
    int steps,
    double stepRate,
    int users,
    Duration duration,
    int maxTokens,
    double temperature,
    String dataset,
    Duration streamTimeout,
    boolean validate,
    Slo slo,
    Thresholds thresholds) {

  public static final String PREFIX = "chatglm.load.";

  /** Reads {@code chatglm.load.*}, {@code chatglm.slo.*} and {@code chatglm.assert.*}. */
  public static LoadConfig fromSystemProperties() {
    return from(Settings.system());
  }

  /** Reads the settings from {@code settings}. */
  public static LoadConfig from(Settings settings) {
    String profile = settings.text(PREFIX + "profile", "smoke").toLowerCase(Locale.ROOT);
    long defaultSeconds =
        switch (profile) {
          case "smoke" -> 5;
          case "soak" -> 600;
          case "steps" -> 10;
          default -> 30;
        };
    return new LoadConfig(
        profile,
        settings.number(PREFIX + "rate", profile.equals("smoke") ? 4 : 5),
        settings.number(PREFIX + "ramp-to", 20),
        (int) settings.whole(PREFIX + "steps", 5),
        settings.number(PREFIX + "step-rate", 2),
        (int) settings.whole(PREFIX + "users", 8),
        Duration.ofSeconds(settings.whole(PREFIX + "duration-s", defaultSeconds)),
        (int) settings.whole(PREFIX + "max-tokens", 64),
        settings.number(PREFIX + "temperature", 0.7),
        settings.text(PREFIX + "dataset", null),
        Duration.ofSeconds(settings.whole(PREFIX + "stream-timeout-s", 30)),
        settings.flag(PREFIX + "validate", true),
        Slo.from(settings),
        Thresholds.from(settings));
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
   */
  public record Slo(Double ttftMillis, Double tpotMillis, Double e2eMillis) {
    static Slo from(Settings settings) {
      return new Slo(
          optional(settings, "chatglm.slo.ttft-ms"),
          optional(settings, "chatglm.slo.tpot-ms"),
          optional(settings, "chatglm.slo.e2e-ms"));
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
   */
  public record Thresholds(
      Double p99TtftMillis,
      Double p99ItlMillis,
      Double p99E2eMillis,
      Double errorRate,
      Double violations) {
    static Thresholds from(Settings settings) {
      Double violations = optional(settings, "chatglm.assert.violations");
      return new Thresholds(
          optional(settings, "chatglm.assert.p99-ttft-ms"),
          optional(settings, "chatglm.assert.p99-itl-ms"),
          optional(settings, "chatglm.assert.p99-e2e-ms"),
          optional(settings, "chatglm.assert.error-rate"),
          violations == null ? 0.0 : violations);
    }
  }
}
