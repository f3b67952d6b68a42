package org.chatglmkit.mockserver.core;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Enforces {@link RateLimits} per key, the way hosted APIs do: requests and tokens refill
 * continuously (a limit of 60 per minute admits one more each second, up to 60 at once), and
 * streams count while they are open.
 *
 * <p>Tokens: a request reserves its prompt tokens plus its {@code max_tokens} ({@link
 * #DEFAULT_COMPLETION_RESERVE} without one), at most one minute's limit; when its answer ends the
 * reservation is settled to the real count.
 *
 * <p>A refused request gets a 429 whose {@code Retry-After} is the time until it would be admitted,
 * in whole seconds rounded up. Every answer to a known key carries OpenAI's {@code x-ratelimit-*}
 * headers for the limits the key has.
 */
public final class RateLimiter {
  /** Completion tokens reserved for a request without {@code max_tokens}. */
  public static final int DEFAULT_COMPLETION_RESERVE = 256;

  private static final long MINUTE_NANOS = 60_000_000_000L;

  private static final Granted NOTHING_HELD = new Granted(Ticket.NONE, Map.of());

  private final RateLimits limits;
  private final LongSupplier clock;
  private final Map<String, KeyState> keys = new ConcurrentHashMap<>();

  public RateLimiter(RateLimits limits) {
    this(limits, System::nanoTime);
  }

  /**
   * @param clock the time in nanoseconds, {@link System#nanoTime()} but in tests
   */
  public RateLimiter(RateLimits limits, LongSupplier clock) {
    this.limits = limits;
    this.clock = clock;
  }

  public RateLimits limits() {
    return limits;
  }

  /** The outcome of {@link #admit}: a ticket, or the 429 to send; headers either way. */
  public sealed interface Admission {
    Map<String, String> headers();
  }

  /** Admitted: settle the ticket when the answer ends. */
  public record Granted(Ticket ticket, Map<String, String> headers) implements Admission {}

  /** Refused: the error carries the real Retry-After. */
  public record Denied(ApiError error, Map<String, String> headers) implements Admission {}

  /**
   * Admits a request or refuses it.
   *
   * @param key the request's key (already accepted by the access policy)
   * @param promptTokens the request's prompt tokens (an estimate is fine; the settlement corrects
   *     it)
   * @param maxTokens the request's {@code max_tokens}, or {@code null}
   * @param stream whether the answer is streamed (counts among the key's open streams)
   */
  public Admission admit(String key, int promptTokens, Integer maxTokens, boolean stream) {
    KeyState state = keys.get(key);
    if (state == null) {
      state = keys.computeIfAbsent(key, k -> new KeyState(limits.of(k)));
    }
    if (state.unlimited) {
      return NOTHING_HELD;
    }
    long reserve =
        (long) promptTokens + (maxTokens == null ? DEFAULT_COMPLETION_RESERVE : maxTokens);
    return state.admit(reserve, stream);
  }

  /** One key's buckets and open streams. */
  private final class KeyState {
    private final RateLimits.Limit limit;
    private final Bucket requests;
    private final Bucket tokens;
    private final List<Held> open = new ArrayList<>();
    final boolean unlimited;

    KeyState(RateLimits.Limit limit) {
      this.limit = limit;
      this.unlimited = !limit.any();
      long now = clock.getAsLong();
      this.requests = limit.rpm() > 0 ? new Bucket(limit.rpm(), now) : null;
      this.tokens = limit.tpm() > 0 ? new Bucket(limit.tpm(), now) : null;
    }

    synchronized Admission admit(long reserve, boolean stream) {
      long now = clock.getAsLong();
      long cost = tokens == null ? 0 : Math.min(reserve, tokens.capacity);
      long waitNanos = 0;
      String reason = null;
      if (requests != null) {
        long wait = requests.waitFor(1, now);
        if (wait > waitNanos) {
          waitNanos = wait;
          reason = "requests per minute (" + limit.rpm() + ")";
        }
      }
      if (tokens != null) {
        long wait = tokens.waitFor(cost, now);
        if (wait > waitNanos) {
          waitNanos = wait;
          reason = "tokens per minute (" + limit.tpm() + "; this request reserves " + cost + ")";
        }
      }
      if (stream && limit.streams() > 0 && open.size() >= limit.streams()) {
        long wait = untilAStreamEnds(now);
        if (wait >= waitNanos) {
          waitNanos = wait;
          reason = "concurrent streams (" + limit.streams() + ")";
        }
      }
      if (reason != null) {
        long seconds = Math.max(1, (waitNanos + 999_999_999L) / 1_000_000_000L);
        ApiError error =
            new ApiError(
                429,
                "rate_limit_error",
                "rate limit reached for this key: " + reason + "; retry after " + seconds + "s",
                null,
                (int) Math.min(Integer.MAX_VALUE, seconds));
        return new Denied(error, headers(now));
      }
      if (requests != null) {
        requests.take(1);
      }
      if (tokens != null) {
        tokens.take(cost);
      }
      Ticket ticket;
      if (stream && limit.streams() > 0) {
        Held held = new Held(this, cost);
        open.add(held);
        ticket = held;
      } else {
        ticket = cost > 0 ? new Held(this, cost) : Ticket.NONE;
      }
      return new Granted(ticket, headers(now));
    }

    /** Until the first open stream is due to end; one second when no end is known yet. */
    private long untilAStreamEnds(long now) {
      long soonest = Long.MAX_VALUE;
      for (Held ticket : open) {
        if (ticket.endsAt != 0) {
          soonest = Math.min(soonest, ticket.endsAt - now);
        }
      }
      return soonest == Long.MAX_VALUE ? 1_000_000_000L : Math.max(1, soonest);
    }

    synchronized void settle(long reserved, long used) {
      if (tokens != null) {
        tokens.give(reserved - Math.min(used, tokens.capacity), clock.getAsLong());
      }
    }

    synchronized void close(Held ticket) {
      open.remove(ticket);
    }

    /** OpenAI's headers, for the limits this key has. */
    private Map<String, String> headers(long now) {
      Map<String, String> headers = new LinkedHashMap<>(12);
      if (requests != null) {
        requests.headers("requests", now, headers);
      }
      if (tokens != null) {
        tokens.headers("tokens", now, headers);
      }
      return headers;
    }
  }

  /** A ticket that settles its tokens and frees its stream slot once each. */
  private static final class Held implements Ticket {
    private final KeyState state;
    private final long reserved;
    private volatile long endsAt;
    private boolean settled;
    private boolean ended;

    Held(KeyState state, long reserved) {
      this.state = state;
      this.reserved = reserved;
    }

    @Override
    public void settle(int promptTokens, int completionTokens) {
      synchronized (this) {
        if (settled) {
          return;
        }
        settled = true;
      }
      state.settle(reserved, (long) promptTokens + completionTokens);
    }

    @Override
    public void endsAt(long nanos) {
      endsAt = nanos == 0 ? 1 : nanos;
    }

    @Override
    public void end() {
      synchronized (this) {
        if (ended) {
          return;
        }
        ended = true;
      }
      state.close(this);
    }
  }

  /** A bucket that refills continuously: {@code capacity} per minute, at most {@code capacity}. */
  private static final class Bucket {
    final long capacity;
    private double level;
    private long refilledAt;

    Bucket(long capacity, long now) {
      this.capacity = capacity;
      this.level = capacity;
      this.refilledAt = now;
    }

    private void refill(long now) {
      if (now > refilledAt) {
        level = Math.min(capacity, level + (double) (now - refilledAt) * capacity / MINUTE_NANOS);
        refilledAt = now;
      }
    }

    /** Nanoseconds until {@code amount} can be taken; 0 when it can now. */
    long waitFor(long amount, long now) {
      refill(now);
      if (level >= amount) {
        return 0;
      }
      return (long) Math.ceil((amount - level) * MINUTE_NANOS / capacity);
    }

    void take(long amount) {
      level -= amount;
    }

    void give(long amount, long now) {
      refill(now);
      level = Math.min(capacity, level + amount);
    }

    void headers(String what, long now, Map<String, String> headers) {
      refill(now);
      headers.put("x-ratelimit-limit-" + what, String.valueOf(capacity));
      headers.put("x-ratelimit-remaining-" + what, String.valueOf((long) Math.floor(level)));
      long untilFull = (long) Math.ceil((capacity - level) * MINUTE_NANOS / capacity);
      headers.put("x-ratelimit-reset-" + what, resetText(untilFull));
    }
  }

  /**
   * A duration as OpenAI's reset headers write it: {@code 0s}, {@code 120ms}, {@code 1.5s}, {@code
   * 6m0s}.
   */
  static String resetText(long nanos) {
    long millis = (nanos + 999_999) / 1_000_000;
    if (millis <= 0) {
      return "0s";
    }
    if (millis < 1000) {
      return millis + "ms";
    }
    long minutes = millis / 60_000;
    long rest = millis % 60_000;
    StringBuilder text = new StringBuilder(12);
    if (minutes > 0) {
      text.append(minutes).append('m');
    }
    text.append(rest / 1000);
    int fraction = (int) (rest % 1000);
    if (fraction != 0) {
      // 1.5s, 1.25s, 1.125s: the thousandths without their trailing zeros
      String digits = String.valueOf(1000 + fraction).substring(1);
      int end = digits.length();
      while (digits.charAt(end - 1) == '0') {
        end--;
      }
      text.append('.').append(digits, 0, end);
    }
    return text.append('s').toString();
  }
}
