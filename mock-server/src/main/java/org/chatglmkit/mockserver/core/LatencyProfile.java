package org.chatglmkit.mockserver.core;

import java.util.concurrent.ThreadLocalRandom;

/**
 * How fast answers arrive: time to first token, then one token per inter-token delay, each delay
 * varied by up to {@code ±jitterMillis}.
 */
public record LatencyProfile(long ttftMillis, long itlMillis, long jitterMillis) {

  public LatencyProfile {
    if (ttftMillis < 0 || itlMillis < 0 || jitterMillis < 0) {
      throw new IllegalArgumentException("latencies are not negative");
    }
  }

  public static LatencyProfile none() {
    return new LatencyProfile(0, 0, 0);
  }

  public boolean isZero() {
    return ttftMillis == 0 && itlMillis == 0 && jitterMillis == 0;
  }

  /** When token {@code index} (0-based) is due, in nanoseconds after the request arrived. */
  public long dueNanos(int index) {
    long millis = ttftMillis + index * itlMillis;
    long nanos = millis * 1_000_000L;
    if (jitterMillis > 0) {
      nanos += ThreadLocalRandom.current().nextLong(-jitterMillis, jitterMillis + 1) * 1_000_000L;
    }
    return Math.max(0, nanos);
  }

  /** The whole delay of an unstreamed answer of {@code tokens} tokens. */
  public long totalMillis(int tokens) {
    return tokens == 0 ? ttftMillis : ttftMillis + (long) (tokens - 1) * itlMillis;
  }
}
