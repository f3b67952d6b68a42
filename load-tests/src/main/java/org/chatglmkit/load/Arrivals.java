package org.chatglmkit.load;

import java.util.Arrays;
import org.apache.commons.rng.UniformRandomProvider;
import org.apache.commons.rng.sampling.distribution.AhrensDieterMarsagliaTsangGammaSampler;
import org.apache.commons.rng.simple.RandomSource;

/**
 * When each request of an open-model run is due, in seconds from the start: the schedule the load
 * generator is held to, and against which its own lag is measured.
 *
 * <p>Gaps between arrivals are gamma-distributed with shape {@code burstiness} and mean {@code
 * 1/rate}, as in vLLM's benchmark: burstiness 1 is a Poisson process, below 1 burstier, above 1
 * more even; a ramp bends the same process to a rate that grows linearly (time rescaling).
 */
public final class Arrivals {
  private Arrivals() {}

  /** Evenly spaced: {@code rate} per second for {@code seconds}. */
  public static double[] even(double rate, double seconds) {
    int count = (int) Math.floor(rate * seconds + 1e-9);
    double[] at = new double[count];
    for (int i = 0; i < count; i++) {
      at[i] = i / rate;
    }
    return at;
  }

  /** A gamma process at {@code rate} per second for {@code seconds}, starting at {@code from}. */
  public static double[] gamma(
      double rate, double burstiness, double from, double seconds, long seed) {
    return ramp(rate, rate, burstiness, from, seconds, seed);
  }

  /**
   * A gamma process whose rate grows linearly from {@code start} to {@code end} per second over
   * {@code seconds}: unit-mean gaps in "expected arrivals" are mapped back to time through the
   * cumulative rate Λ(t) = start·t + (end − start)·t²/(2·seconds).
   */
  public static double[] ramp(
      double start, double end, double burstiness, double from, double seconds, long seed) {
    if (!(burstiness > 0)) {
      throw new IllegalArgumentException("burstiness must be above 0, not " + burstiness);
    }
    if (start < 0 || end < 0 || (start == 0 && end == 0)) {
      throw new IllegalArgumentException("rates must be positive");
    }
    UniformRandomProvider random = RandomSource.XO_RO_SHI_RO_128_PP.create(seed);
    var gaps = AhrensDieterMarsagliaTsangGammaSampler.of(random, burstiness, 1 / burstiness);
    double total = cumulative(start, end, seconds, seconds);
    double[] at = new double[16];
    int count = 0;
    double expected = gaps.sample();
    while (expected < total) {
      if (count == at.length) {
        at = Arrays.copyOf(at, count * 2);
      }
      at[count++] = from + inverse(start, end, seconds, expected);
      expected += gaps.sample();
    }
    return Arrays.copyOf(at, count);
  }

  private static double cumulative(double start, double end, double span, double t) {
    return start * t + (end - start) * t * t / (2 * span);
  }

  private static double inverse(double start, double end, double span, double expected) {
    double slope = (end - start) / span;
    if (Math.abs(slope) < 1e-12) {
      return expected / start;
    }
    // slope/2·t² + start·t − expected = 0, the positive root
    return (-start + Math.sqrt(start * start + 2 * slope * expected)) / slope;
  }

  /** Two schedules one after the other: {@code second} shifted to start after {@code first}. */
  public static double[] concat(double[] first, double[] second) {
    double[] all = Arrays.copyOf(first, first.length + second.length);
    System.arraycopy(second, 0, all, first.length, second.length);
    return all;
  }
}
