package org.chatglmkit.load;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Locale;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.ConcurrentHistogram;
import org.chatglmkit.mockserver.core.Json;

/**
 * Figures of agent loops: per agent turn (a user's request and every round its calls take), how
 * many rounds it took, how long it took from the first request to the final answer, and whether it
 * ended at the round limit; per request that called, how many calls it made, how long until its
 * call began (TTFT to the call; the whole answer when unstreamed) and how many tokens the call
 * took.
 */
final class AgentStats {
  private final ConcurrentHistogram turnMillis = new ConcurrentHistogram(3);
  private final ConcurrentHistogram rounds = new ConcurrentHistogram(2);
  private final ConcurrentHistogram callTtftMicros = new ConcurrentHistogram(3);
  private final ConcurrentHistogram callTokens = new ConcurrentHistogram(3);
  private final LongAdder turns = new LongAdder();
  private final LongAdder requestsWithCalls = new LongAdder();
  private final LongAdder calls = new LongAdder();
  private final LongAdder atLimit = new LongAdder();

  /**
   * A request's answer called {@code count} functions.
   *
   * @param firstNanos from sending to the first event of the call (a stream), or to the whole
   *     answer (unstreamed); -1 when unknown
   * @param tokens the answer's completion tokens by its usage, or -1
   */
  void called(int count, long firstNanos, long tokens) {
    requestsWithCalls.increment();
    calls.add(count);
    if (firstNanos >= 0) {
      callTtftMicros.recordValue(firstNanos / 1_000);
    }
    if (tokens >= 0) {
      callTokens.recordValue(tokens);
    }
  }

  /** A turn ended: after {@code taken} rounds, {@code nanos} after its first request was sent. */
  void turn(int taken, long nanos, boolean limitReached) {
    turns.increment();
    rounds.recordValue(taken);
    turnMillis.recordValue(Math.max(0, nanos / 1_000_000));
    if (limitReached) {
      atLimit.increment();
    }
  }

  boolean any() {
    return turns.sum() > 0;
  }

  ObjectNode summary() {
    ObjectNode summary = Json.MAPPER.createObjectNode();
    summary.put("turns", turns.sum());
    summary.put("requests_with_calls", requestsWithCalls.sum());
    summary.put("calls", calls.sum());
    summary.put(
        "calls_per_request_with_calls",
        SummaryFormat.round(
            requestsWithCalls.sum() == 0 ? 0 : (double) calls.sum() / requestsWithCalls.sum()));
    summary.put(
        "call_ttft_ms_p50", SummaryFormat.round(callTtftMicros.getValueAtPercentile(50) / 1000.0));
    summary.put(
        "call_ttft_ms_p99", SummaryFormat.round(callTtftMicros.getValueAtPercentile(99) / 1000.0));
    summary.put("tokens_per_request_with_calls", SummaryFormat.round(callTokens.getMean()));
    summary.put("mean_rounds_per_turn", SummaryFormat.round(rounds.getMean()));
    summary.put("max_rounds_per_turn", rounds.getMaxValue());
    summary.put("turns_at_round_limit", atLimit.sum());
    summary.put("mean_turn_ms", SummaryFormat.round(turnMillis.getMean()));
    summary.put("median_turn_ms", turnMillis.getValueAtPercentile(50));
    summary.put("p90_turn_ms", turnMillis.getValueAtPercentile(90));
    summary.put("p99_turn_ms", turnMillis.getValueAtPercentile(99));
    return summary;
  }

  /** One line for the printed report. */
  String line() {
    ObjectNode s = summary();
    return String.format(
        Locale.ROOT,
        "agent loops: %d turns, %.2f rounds a turn (max %d, %d at --max-tool-rounds), %d requests"
            + " called (%.2f calls, TTFT to the call p50 %.1f ms, %.1f tokens each); time to the"
            + " final answer p50 %d ms, p90 %d ms, p99 %d ms",
        s.path("turns").asLong(),
        s.path("mean_rounds_per_turn").asDouble(),
        s.path("max_rounds_per_turn").asLong(),
        s.path("turns_at_round_limit").asLong(),
        s.path("requests_with_calls").asLong(),
        s.path("calls_per_request_with_calls").asDouble(),
        s.path("call_ttft_ms_p50").asDouble(),
        s.path("tokens_per_request_with_calls").asDouble(),
        s.path("median_turn_ms").asLong(),
        s.path("p90_turn_ms").asLong(),
        s.path("p99_turn_ms").asLong());
  }
}
