package org.chatglmkit.mockserver.core;

/**
 * How a stream's events are timed and which fault it plays.
 *
 * @param latency when each token is due
 * @param includeUsage whether the final chunk carries {@code usage}
 * @param fault a fault that {@link FaultKind#shapesStream() shapes the stream}, or {@code null}
 * @param stallMillis how long a stalled stream stays silent before it ends
 * @param legacy whether calls are streamed as the older {@code function_call}
 * @param brokenCalls a {@link FaultKind#breaksCalls() call-breaking fault}, or {@code null}
 */
public record StreamPlan(
    LatencyProfile latency,
    boolean includeUsage,
    Fault fault,
    long stallMillis,
    boolean legacy,
    FaultKind brokenCalls) {

  public StreamPlan {
    if (fault != null && !fault.kind().shapesStream()) {
      throw new IllegalArgumentException("a stream plays only stream faults, not " + fault);
    }
    if (brokenCalls != null && !brokenCalls.breaksCalls()) {
      throw new IllegalArgumentException(brokenCalls + " does not break calls");
    }
  }

  /** A plan for an answer in text. */
  public StreamPlan(LatencyProfile latency, boolean includeUsage, Fault fault, long stallMillis) {
    this(latency, includeUsage, fault, stallMillis, false, null);
  }
}
