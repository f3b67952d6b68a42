package org.chatglmkit.load;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ArrivalsTest {
  /** The squared coefficient of variation of the gaps: 1 for Poisson, 1/shape for gamma. */
  private static double cv2(double[] at) {
    double mean = 0;
    for (int i = 1; i < at.length; i++) {
      mean += at[i] - at[i - 1];
    }
    mean /= at.length - 1;
    double var = 0;
    for (int i = 1; i < at.length; i++) {
      double d = at[i] - at[i - 1] - mean;
      var += d * d;
    }
    var /= at.length - 2;
    return var / (mean * mean);
  }

  @Test
  void gammaArrivalsHaveTheRateAndTheBurstinessAskedFor() {
    double[] poisson = Arrivals.gamma(50, 1, 0, 200, 7);
    assertThat(poisson.length / 200.0).isBetween(48.0, 52.0);
    assertThat(cv2(poisson)).isBetween(0.9, 1.1);
    double[] bursty = Arrivals.gamma(50, 0.25, 0, 200, 7);
    assertThat(bursty.length / 200.0).isBetween(46.0, 54.0);
    assertThat(cv2(bursty)).isBetween(3.5, 4.5);
    double[] even = Arrivals.gamma(50, 100, 0, 200, 7);
    assertThat(cv2(even)).isLessThan(0.02);
  }

  @Test
  void aRampGrowsItsRateLinearly() {
    double[] ramp = Arrivals.ramp(10, 50, 1, 5, 100, 3);
    long early = java.util.Arrays.stream(ramp).filter(t -> t < 15).count();
    long late = java.util.Arrays.stream(ramp).filter(t -> t >= 95).count();
    // About 10·10 + 4·10²/2... at the start (~12/s) and ~48/s at the end.
    assertThat(early).isBetween(90L, 150L);
    assertThat(late).isBetween(400L, 560L);
    assertThat(ramp[0]).isGreaterThanOrEqualTo(5);
    assertThat(ramp.length).isBetween(2_700, 3_300);
  }

  @Test
  void theSameSeedGivesTheSameSchedule() {
    assertThat(Arrivals.gamma(20, 0.5, 0, 10, 42))
        .containsExactly(Arrivals.gamma(20, 0.5, 0, 10, 42));
    assertThat(Arrivals.even(4, 5)).hasSize(20).startsWith(0.0, 0.25);
  }
}
