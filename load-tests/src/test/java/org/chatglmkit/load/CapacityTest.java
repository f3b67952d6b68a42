package org.chatglmkit.load;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.chatglmkit.mockserver.settings.Settings;
import org.junit.jupiter.api.Test;

/** The capacity sweep's steps and its knee, from samples whose outcome is known. */
class CapacityTest {
  /** Four steps of 10 s at 5, 10, 15 and 20 requests/s. */
  private static final LoadConfig SWEEP =
      LoadConfig.from(
          Settings.of(
              Map.of(
                  "chatglm.load.profile", "steps",
                  "chatglm.load.rate", "5",
                  "chatglm.load.step-rate", "5",
                  "chatglm.load.steps", "4",
                  "chatglm.load.duration-s", "10")));

  /** {@code good} good and {@code bad} merely successful requests in step {@code step}. */
  private static void step(List<Metrics.Sample> samples, int step, int good, int bad) {
    for (int i = 0; i < good + bad; i++) {
      double start = step * 10_000 + i * 100;
      boolean isGood = i < good;
      samples.add(
          new Metrics.Sample(start, isGood ? 100 : 900, isGood ? 500 : 3000, 16, true, isGood));
    }
  }

  @Test
  void theKneeIsTheLastRateBeforeTheObjectivesFirstBreak() {
    List<Metrics.Sample> samples = new ArrayList<>();
    step(samples, 0, 20, 0);
    step(samples, 1, 20, 0);
    step(samples, 2, 18, 2); // 90% good: below the 95% a step needs
    step(samples, 3, 20, 0); // holds again, by chance: not the capacity
    Capacity capacity = Capacity.of(SWEEP, samples);

    assertThat(capacity.steps())
        .extracting(Capacity.Step::rate)
        .containsExactly(5.0, 10.0, 15.0, 20.0);
    assertThat(capacity.steps())
        .extracting(Capacity.Step::holds)
        .containsExactly(true, true, false, true);
    assertThat(capacity.steps().get(2).goodShare()).isEqualTo(0.9);
    assertThat(capacity.steps().get(2).goodput()).isEqualTo(1.8);
    assertThat(capacity.steps().get(2).p99Ttft()).isEqualTo(900);
    assertThat(capacity.steps().get(0).p99Ttft()).isEqualTo(100);
    assertThat(capacity.capacity()).isEqualTo(10.0);
    assertThat(capacity.toJson().path("max_rate_within_slo").asDouble()).isEqualTo(10.0);
  }

  @Test
  void noCapacityWhenTheFirstStepAlreadyBreaksThem() {
    List<Metrics.Sample> samples = new ArrayList<>();
    step(samples, 0, 10, 10);
    step(samples, 1, 20, 0);
    assertThat(Capacity.of(SWEEP, samples).capacity()).isZero();
  }
}
