package org.chatglmkit.load.workload;

import java.util.Locale;
import java.util.Random;

/**
 * A distribution of token lengths: {@code 256} (fixed), {@code uniform:128:512} (inclusive), or
 * {@code normal:256:32} (mean and standard deviation). Every draw is at least 1.
 */
public record Lengths(String kind, double a, double b) {

  /**
   * Parses a length specification.
   *
   * @throws IllegalArgumentException naming the text when it is none of the three forms
   */
  public static Lengths parse(String text) {
    String[] parts = text.strip().toLowerCase(Locale.ROOT).split(":");
    try {
      if (parts.length == 1) {
        return check(new Lengths("fixed", Double.parseDouble(parts[0]), 0), text);
      }
      if (parts.length == 3 && (parts[0].equals("uniform") || parts[0].equals("normal"))) {
        return check(
            new Lengths(parts[0], Double.parseDouble(parts[1]), Double.parseDouble(parts[2])),
            text);
      }
    } catch (NumberFormatException e) {
      // fall through to the message below
    }
    throw new IllegalArgumentException(
        "'" + text + "' is not a length: N, uniform:MIN:MAX or normal:MEAN:STDDEV (tokens)");
  }

  private static Lengths check(Lengths lengths, String text) {
    boolean ok =
        switch (lengths.kind) {
          case "fixed" -> lengths.a >= 1;
          case "uniform" -> lengths.a >= 1 && lengths.b >= lengths.a;
          default -> lengths.a >= 1 && lengths.b >= 0;
        };
    if (!ok) {
      throw new IllegalArgumentException("'" + text + "': lengths are at least 1 token, MIN ≤ MAX");
    }
    return lengths;
  }

  /** One length. */
  public int draw(Random random) {
    double value =
        switch (kind) {
          case "fixed" -> a;
          case "uniform" -> a + random.nextInt((int) (b - a) + 1);
          default -> a + b * random.nextGaussian();
        };
    return (int) Math.max(1, Math.round(value));
  }

  @Override
  public String toString() {
    return switch (kind) {
      case "fixed" -> String.valueOf((long) a);
      default -> kind + ":" + (long) a + ":" + (long) b;
    };
  }
}
