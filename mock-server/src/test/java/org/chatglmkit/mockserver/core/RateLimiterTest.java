package org.chatglmkit.mockserver.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The limiter on a clock the test moves: what it admits, when, and what it says about it. */
class RateLimiterTest {
  private static final long SECOND = 1_000_000_000L;
  private final AtomicLong now = new AtomicLong(1_000 * SECOND);

  private RateLimiter limiter(RateLimits.Limit limit) {
    return new RateLimiter(new RateLimits(limit, Map.of()), now::get);
  }

  private static RateLimiter.Granted granted(RateLimiter.Admission admission) {
    assertThat(admission).isInstanceOf(RateLimiter.Granted.class);
    return (RateLimiter.Granted) admission;
  }

  private static ApiError denied(RateLimiter.Admission admission) {
    assertThat(admission).isInstanceOf(RateLimiter.Denied.class);
    return ((RateLimiter.Denied) admission).error();
  }

  @Test
  void requestsRefillContinuouslyAndRetryAfterIsTheRealWait() {
    RateLimiter limiter = limiter(new RateLimits.Limit(6, null, null)); // one per 10 s
    for (int i = 0; i < 6; i++) {
      granted(limiter.admit("k", 10, 10, false));
    }
    RateLimiter.Admission refused = limiter.admit("k", 10, 10, false);
    ApiError error = denied(refused);
    assertThat(error.status()).isEqualTo(429);
    assertThat(error.type()).isEqualTo("rate_limit_error");
    assertThat(error.retryAfterSeconds()).isEqualTo(10);
    assertThat(refused.headers())
        .containsEntry("x-ratelimit-limit-requests", "6")
        .containsEntry("x-ratelimit-remaining-requests", "0")
        .containsEntry("x-ratelimit-reset-requests", "1m0s");
    now.addAndGet(3 * SECOND);
    assertThat(denied(limiter.admit("k", 10, 10, false)).retryAfterSeconds()).isEqualTo(7);
    now.addAndGet(7 * SECOND);
    RateLimiter.Granted again = granted(limiter.admit("k", 10, 10, false));
    assertThat(again.headers()).containsEntry("x-ratelimit-remaining-requests", "0");
    // another key has its own bucket
    granted(limiter.admit("other", 10, 10, false));
  }

  @Test
  void tokensAreReservedThenSettledToTheRealCount() {
    RateLimiter limiter = limiter(new RateLimits.Limit(null, 1000L, null));
    RateLimiter.Granted first = granted(limiter.admit("k", 100, 400, false));
    assertThat(first.headers())
        .containsEntry("x-ratelimit-limit-tokens", "1000")
        .containsEntry("x-ratelimit-remaining-tokens", "500")
        .containsEntry("x-ratelimit-reset-tokens", "30s");
    granted(limiter.admit("k", 100, 400, false));
    // the bucket is empty: 500 tokens refill in 30 s
    assertThat(denied(limiter.admit("k", 100, 400, false)).retryAfterSeconds()).isEqualTo(30);
    // the first answer used 150 of its 500: 350 come back, 150 are missing (9 s)
    first.ticket().settle(50, 100);
    first.ticket().settle(50, 100); // once only
    assertThat(denied(limiter.admit("k", 100, 400, false)).retryAfterSeconds()).isEqualTo(9);
    now.addAndGet(9 * SECOND);
    granted(limiter.admit("k", 100, 400, false));
  }

  @Test
  void aRequestLargerThanAMinuteWaitsForAFullMinuteRatherThanForever() {
    RateLimiter limiter = limiter(new RateLimits.Limit(null, 100L, null));
    granted(limiter.admit("k", 50, 500, false));
    assertThat(denied(limiter.admit("k", 50, 500, false)).retryAfterSeconds()).isEqualTo(60);
  }

  @Test
  void withoutMaxTokensTheDefaultIsReserved() {
    RateLimiter limiter = limiter(new RateLimits.Limit(null, 10_000L, null));
    assertThat(granted(limiter.admit("k", 44, null, false)).headers())
        .containsEntry(
            "x-ratelimit-remaining-tokens",
            String.valueOf(10_000 - 44 - RateLimiter.DEFAULT_COMPLETION_RESERVE));
  }

  @Test
  void streamsCountWhileOpenAndRetryAfterIsWhenTheFirstEnds() {
    RateLimiter limiter = limiter(new RateLimits.Limit(null, null, 2));
    RateLimiter.Granted a = granted(limiter.admit("k", 1, 1, true));
    RateLimiter.Granted b = granted(limiter.admit("k", 1, 1, true));
    a.ticket().endsAt(now.get() + 4_200_000_000L);
    b.ticket().endsAt(now.get() + 9 * SECOND);
    // unstreamed calls do not count against streams
    granted(limiter.admit("k", 1, 1, false));
    ApiError error = denied(limiter.admit("k", 1, 1, true));
    assertThat(error.retryAfterSeconds()).isEqualTo(5);
    assertThat(error.message()).contains("concurrent streams (2)");
    a.ticket().end();
    a.ticket().end();
    granted(limiter.admit("k", 1, 1, true));
    assertThat(denied(limiter.admit("k", 1, 1, true)).retryAfterSeconds()).isEqualTo(9);
  }

  @Test
  void aKeyOwnLimitsReplaceOnlyWhatTheyName() {
    RateLimits limits =
        new RateLimits(new RateLimits.Limit(60, 1000L, 0), Map.of())
            .withKey("big", new RateLimits.Limit(600, null, null));
    assertThat(limits.of("big")).isEqualTo(new RateLimits.Limit(600, 1000L, 0));
    assertThat(limits.of("anyone")).isEqualTo(new RateLimits.Limit(60, 1000L, 0));
    assertThat(limits.any()).isTrue();
    assertThat(RateLimits.NONE.any()).isFalse();
    assertThat(RateLimits.Limit.parse("tpm=5, rpm=2")).isEqualTo(new RateLimits.Limit(2, 5L, null));
  }

  @Test
  void withoutLimitsNothingIsHeldOrSaid() {
    RateLimiter.Granted granted =
        granted(new RateLimiter(RateLimits.NONE, now::get).admit("k", 1, 1, true));
    assertThat(granted.ticket()).isSameAs(Ticket.NONE);
    assertThat(granted.headers()).isEmpty();
  }

  @Test
  void resetTimesAreWrittenAsOpenAiWritesThem() {
    assertThat(RateLimiter.resetText(0)).isEqualTo("0s");
    assertThat(RateLimiter.resetText(119_500_000L)).isEqualTo("120ms");
    assertThat(RateLimiter.resetText(1_500_000_000L)).isEqualTo("1.5s");
    assertThat(RateLimiter.resetText(360 * SECOND)).isEqualTo("6m0s");
    assertThat(RateLimiter.resetText(61_250_000_000L)).isEqualTo("1m1.25s");
  }
}
