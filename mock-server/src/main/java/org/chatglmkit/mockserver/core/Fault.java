package org.chatglmkit.mockserver.core;

import java.util.Locale;

/**
 * One fault to play, with its settings: {@code cut;after=5}, {@code cut;at=0.5}, {@code
 * hold-headers;ms=2000}, {@code keepalive-flood;n=500}, or a bare name for its defaults. The same
 * text works in the {@code X-ChatGLM-Fault} header and in a stub's {@code fault} parameter.
 *
 * @param kind what breaks
 * @param afterEvents the stream faults strike after this many answer events
 * @param atFraction strike at this fraction of the answer's events instead (0 to 1), or -1
 * @param holdMillis how long {@link FaultKind#HOLD_HEADERS} holds the response headers back
 * @param comments how many keep-alive comments {@link FaultKind#KEEPALIVE_FLOOD} sends before each
 *     event
 */
public record Fault(
    FaultKind kind, int afterEvents, double atFraction, long holdMillis, int comments) {
  /** Stream faults strike after this many answer events unless told otherwise. */
  public static final int DEFAULT_AFTER = 3;

  public static final long DEFAULT_HOLD_MILLIS = 1_000;
  public static final int DEFAULT_COMMENTS = 100;

  public Fault {
    if (afterEvents < 0) {
      throw new IllegalArgumentException("after must be 0 or more: " + afterEvents);
    }
    if (atFraction != -1 && (atFraction < 0 || atFraction > 1)) {
      throw new IllegalArgumentException("at is a fraction from 0 to 1: " + atFraction);
    }
    if (holdMillis < 0 || comments < 0) {
      throw new IllegalArgumentException("ms and n must be 0 or more");
    }
  }

  /** {@code kind} with its defaults. */
  public static Fault of(FaultKind kind) {
    return new Fault(kind, DEFAULT_AFTER, -1, DEFAULT_HOLD_MILLIS, DEFAULT_COMMENTS);
  }

  /** Parses {@code name[;key=value...]}; keys: {@code after}, {@code at}, {@code ms}, {@code n}. */
  public static Fault parse(String text) {
    String[] parts = text.split(";");
    Fault fault = of(FaultKind.parse(parts[0]));
    int after = fault.afterEvents;
    double at = fault.atFraction;
    long hold = fault.holdMillis;
    int comments = fault.comments;
    for (int i = 1; i < parts.length; i++) {
      String[] pair = parts[i].split("=", 2);
      String key = pair[0].trim().toLowerCase(Locale.ROOT);
      if (pair.length != 2) {
        throw new IllegalArgumentException(
            "expected key=value after '" + parts[0].trim() + ";', got '" + parts[i].trim() + "'");
      }
      String value = pair[1].trim();
      try {
        switch (key) {
          case "after" -> after = Integer.parseInt(value);
          case "at" -> at = Double.parseDouble(value);
          case "ms" -> hold = Long.parseLong(value);
          case "n" -> comments = Integer.parseInt(value);
          default ->
              throw new IllegalArgumentException(
                  "unknown fault setting '" + key + "' (expected after, at, ms or n)");
        }
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            "fault setting " + key + "='" + value + "' is no number");
      }
    }
    return new Fault(fault.kind, after, at, hold, comments);
  }

  /** The fault as the header writes it. */
  public String id() {
    Fault defaults = of(kind);
    StringBuilder id = new StringBuilder(kind.id());
    if (afterEvents != defaults.afterEvents) {
      id.append(";after=").append(afterEvents);
    }
    if (atFraction != -1) {
      id.append(";at=").append(atFraction);
    }
    if (holdMillis != defaults.holdMillis) {
      id.append(";ms=").append(holdMillis);
    }
    if (comments != defaults.comments) {
      id.append(";n=").append(comments);
    }
    return id.toString();
  }

  @Override
  public String toString() {
    return id();
  }
}
