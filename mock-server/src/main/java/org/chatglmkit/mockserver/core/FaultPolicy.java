package org.chatglmkit.mockserver.core;

import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * When to inject faults: on request (the {@code X-ChatGLM-Fault} header) and for a configured
 * fraction of requests.
 *
 * @param rates the fraction of requests (0 to 1) that get each fault
 * @param retryAfterSeconds the Retry-After of injected 429 and 529 answers
 * @param stallMillis how long a stalled stream stays silent before it ends
 */
public record FaultPolicy(Map<FaultKind, Double> rates, int retryAfterSeconds, long stallMillis) {

  public FaultPolicy {
    rates = Map.copyOf(rates);
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
  }

  public static FaultPolicy none() {
    return new FaultPolicy(Map.of(), 1, 30_000);
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
      rates.put(FaultKind.parse(pair[0]), Double.parseDouble(pair[1].trim()));
    }
    return rates;
  }

  /** The fault for one request: the header wins; otherwise a draw against the rates. */
  public Optional<FaultKind> pick(String headerValue) {
    if (headerValue != null && !headerValue.isBlank()) {
      try {
        return Optional.of(FaultKind.parse(headerValue));
      } catch (IllegalArgumentException e) {
        throw new ApiException(ApiError.invalidRequest(e.getMessage(), FaultKind.HEADER));
      }
    }
    if (rates.isEmpty()) {
      return Optional.empty();
    }
    double draw = ThreadLocalRandom.current().nextDouble();
    for (Map.Entry<FaultKind, Double> entry : rates.entrySet()) {
      draw -= entry.getValue();
      if (draw < 0) {
        return Optional.of(entry.getKey());
      }
    }
    return Optional.empty();
  }

  /** The error answer of an injected 429, 529 or 500. */
  public ApiError errorFor(FaultKind kind) {
    return switch (kind) {
      case RATE_LIMIT -> ApiError.rateLimited(retryAfterSeconds);
      case OVERLOADED -> ApiError.overloaded(retryAfterSeconds);
      default -> ApiError.internal("injected fault: " + kind.id());
    };
  }
}
