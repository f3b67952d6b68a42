package org.chatglmkit.djl.bench;

/**
 * A benchmark figure as a share of its bound. A share above 1 means the bound is not one (it was
 * measured wrong, or is the wrong limit): the benchmark stops instead of printing it.
 */
public final class Shares {
  private Shares() {}

  /**
   * {@code achieved / bound}, rounded to three places.
   *
   * @throws IllegalStateException when {@code achieved} beats {@code bound}
   */
  public static double of(String what, double achieved, double bound) {
    if (!(bound > 0) || !Double.isFinite(achieved)) {
      throw new IllegalStateException(
          what + ": no bound, or no figure (" + achieved + " of " + bound + ")");
    }
    double share = achieved / bound;
    if (share > 1) {
      throw new IllegalStateException(
          String.format(
              java.util.Locale.ROOT,
              "%s: %.4g beats its bound %.4g (%.0f%%): the bound is not a bound",
              what,
              achieved,
              bound,
              100 * share));
    }
    return Math.round(share * 1000) / 1000.0;
  }
}
