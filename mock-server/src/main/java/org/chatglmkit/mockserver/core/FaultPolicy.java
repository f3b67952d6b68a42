package org.chatglmkit.mockserver.core;

import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * When to inject faults: on request (the {@code X-ChatGLM-Fault} header) and for a configured
 * fraction of requests. With a seed the draws are reproducible: the same seed gives the same faults
 * to the same sequence of requests.
 */
public final class FaultPolicy {
  private final Map<FaultKind, Double> rates;
  private final int retryAfterSeconds;
  private final long stallMillis;
  private final Long seed;
  private final AtomicLong drawn = new AtomicLong();

  /**
   * @param rates the fraction of requests (0 to 1) that get each fault (with its defaults)
   * @param retryAfterSeconds the Retry-After of injected 429 and 529 answers
   * @param stallMillis how long a stalled stream stays silent before it ends
   * @param seed the seed of the draws, or {@code null} for draws that differ each run
   */
  public FaultPolicy(
      Map<FaultKind, Double> rates, int retryAfterSeconds, long stallMillis, Long seed) {
    this.rates = Map.copyOf(rates);
    double total = 0;
    for (double rate : rates.values()) {
      if (rate < 0 || rate > 1) {
        throw new IllegalArgumentException("a fault rate is a fraction from 0 to 1: " + rate);
      }
      total += rate;
    }
    if (total > 1) {
      throw new IllegalArgumentException("fault rates add up to more than 1: " + total);
    }
    this.retryAfterSeconds = retryAfterSeconds;
    this.stallMillis = stallMillis;
    this.seed = seed;
  }

  public FaultPolicy(Map<FaultKind, Double> rates, int retryAfterSeconds, long stallMillis) {
    this(rates, retryAfterSeconds, stallMillis, null);
  }

  public static FaultPolicy none() {
    return new FaultPolicy(Map.of(), 1, 30_000);
  }

  public Map<FaultKind, Double> rates() {
    return rates;
  }

  public int retryAfterSeconds() {
    return retryAfterSeconds;
  }

  public long stallMillis() {
    return stallMillis;
  }

  /** The seed of the draws, or {@code null}. */
  public Long seed() {
    return seed;
  }

  /** Parses {@code 429=0.05,reset=0.01} into rates. */
  public static Map<FaultKind, Double> parseRates(String text) {
    Map<FaultKind, Double> rates = new EnumMap<>(FaultKind.class);
    if (text == null || text.isBlank()) {
      return rates;
    }
    for (String part : text.split(",")) {
      String[] pair = part.split("=", 2);
      if (pair.length != 2) {
        throw new IllegalArgumentException("expected fault=fraction, got '" + part + "'");
      }
      try {
        rates.put(FaultKind.parse(pair[0]), Double.parseDouble(pair[1].trim()));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            "'" + pair[1].trim() + "' is no fraction (in '" + part.trim() + "')");
      }
    }
    return rates;
  }

  /** The fault for one request: the header wins; otherwise a draw against the rates. */
  public Optional<Fault> pick(String headerValue) {
    if (headerValue != null && !headerValue.isBlank()) {
      try {
        return Optional.of(Fault.parse(headerValue));
      } catch (IllegalArgumentException e) {
        throw new ApiException(ApiError.invalidRequest(e.getMessage(), FaultKind.HEADER));
      }
    }
    if (rates.isEmpty()) {
      return Optional.empty();
    }
    double draw =
        seed == null
            ? ThreadLocalRandom.current().nextDouble()
            : new SplittableRandom(seed + drawn.getAndIncrement() * 0x9E3779B97F4A7C15L)
                .nextDouble();
    // in the order of the kinds, so that a seed means the same whatever order the rates came in
    for (FaultKind kind : FaultKind.values()) {
      Double rate = rates.get(kind);
      if (rate == null) {
        continue;
      }
      draw -= rate;
      if (draw < 0) {
        return Optional.of(Fault.of(kind));
      }
    }
    return Optional.empty();
  }

  /** {@code 429=0.05, cut=0.01 (seed 7)}: the rates as the flag writes them. */
  public String describeRates() {
    StringBuilder text = new StringBuilder();
    for (FaultKind kind : FaultKind.values()) {
      if (rates.containsKey(kind)) {
        text.append(text.length() == 0 ? "" : ", ")
            .append(kind.id())
            .append('=')
            .append(rates.get(kind));
      }
    }
    return text + (seed == null ? "" : " (seed " + seed + ")");
  }

  /** The error answer of an injected 429, 529 or 500. */
  public ApiError errorFor(FaultKind kind) {
    return switch (kind) {
      case RATE_LIMIT -> ApiError.rateLimited(retryAfterSeconds);
      case OVERLOADED -> ApiError.overloaded(retryAfterSeconds);
      default -> ApiError.internal("injected fault: " + kind.id());
    };
  }

  @Override
  public String toString() {
    return "FaultPolicy[rates="
        + rates
        + ", retryAfterSeconds="
        + retryAfterSeconds
        + ", stallMillis="
        + stallMillis
        + (seed == null ? "" : ", seed=" + seed)
        + "]";
  }
}
