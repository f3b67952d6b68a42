package org.chatglmkit.mockserver.settings;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations as people write them: {@code 500ms}, {@code 5s}, {@code 1.5s}, {@code 2m}, {@code 1h}.
 */
public final class Durations {
  private static final Pattern TEXT = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ms|s|m|h)?");

  private Durations() {}

  /**
   * Parses a duration; a bare number is in {@code bareUnit} ({@code "s"} or {@code "ms"}).
   *
   * @throws IllegalArgumentException for anything else, naming the text
   */
  public static Duration parse(String text, String bareUnit) {
    Matcher matcher = TEXT.matcher(text.strip().toLowerCase(Locale.ROOT));
    if (!matcher.matches()) {
      throw new IllegalArgumentException(
          "'" + text + "' is not a duration (e.g. 500ms, 5s, 1.5s, 2m, 1h)");
    }
    double value = Double.parseDouble(matcher.group(1));
    String unit = matcher.group(2) == null ? bareUnit : matcher.group(2);
    double millis =
        switch (unit) {
          case "ms" -> value;
          case "s" -> value * 1_000;
          case "m" -> value * 60_000;
          case "h" -> value * 3_600_000;
          default -> throw new IllegalArgumentException("unknown unit " + unit);
        };
    return Duration.ofNanos(Math.round(millis * 1e6));
  }

  /** Milliseconds, for SLOs and thresholds: a bare number is milliseconds. */
  public static double millis(String text) {
    return parse(text, "ms").toNanos() / 1e6;
  }

  /** Seconds, as a short text: {@code 0.5s}, {@code 60s}. */
  public static String format(Duration duration) {
    double seconds = duration.toNanos() / 1e9;
    return (seconds == Math.rint(seconds)
            ? String.valueOf((long) seconds)
            : String.valueOf(seconds))
        + "s";
  }

  /**
   * Reads an option's time ({@code @Option(converter = Durations.Converter.class)}), so that the
   * option reads the same in any picocli command line: {@code 500ms}, {@code 90s}, {@code 2m}, or
   * plain seconds.
   */
  public static final class Converter implements picocli.CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String text) {
      return parse(text, "s");
    }
  }
}
