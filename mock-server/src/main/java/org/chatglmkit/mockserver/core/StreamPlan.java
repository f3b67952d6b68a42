package org.chatglmkit.mockserver.core;

/**
 * How a stream's events are timed and which fault it plays.
 *
 * @param latency when each token is due
 * @param includeUsage whether the final chunk carries {@code usage}
 * @param fault {@link FaultKind#STREAM_ERROR}, {@link FaultKind#STALL} or {@code null}
 * @param stallMillis how long a stalled stream stays silent before it ends
 */
public record StreamPlan(
    LatencyProfile latency, boolean includeUsage, FaultKind fault, long stallMillis) {

  public StreamPlan {
    if (fault != null && fault != FaultKind.STREAM_ERROR && fault != FaultKind.STALL) {
      throw new IllegalArgumentException("a stream plays only stream faults, not " + fault);
    }
  }
}
