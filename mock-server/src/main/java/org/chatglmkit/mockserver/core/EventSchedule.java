package org.chatglmkit.mockserver.core;

import java.util.function.IntFunction;

/**
 * Turns a generation's tokens into server-sent-event frames, each with the moment it is due, and
 * plays the plan's fault: after {@link #FAULT_AFTER_TOKENS} content events a stream-error fault
 * sends one error event and ends; a stall sends nothing more until the stall limit, then ends.
 * Frames come out in order and their due times never go back, so a writer can keep them in a queue.
 */
public final class EventSchedule implements TokenSink {
  /** Injected stream faults strike after this many content events. */
  public static final int FAULT_AFTER_TOKENS = 3;

  /** Receives each frame with the {@link System#nanoTime()} it is due at. */
  @FunctionalInterface
  public interface Events {
    /**
     * @param frame the frame's text in UTF-8; empty for the end of a stalled stream
     * @param last whether the stream ends with it
     */
    void at(long dueNanos, byte[] frame, boolean last);
  }

  private static final byte[] DONE = Responses.utf8(Responses.DONE_FRAME);
  private static final byte[] NOTHING = new byte[0];

  private final CallInfo info;
  private final byte[] prefix;
  private final StreamPlan plan;
  private final long startNanos;
  private final Events out;
  private int produced;
  private long lastDueNanos;
  private boolean ended;

  EventSchedule(CallInfo info, StreamPlan plan, long startNanos, Events out) {
    this.info = info;
    this.prefix = Responses.chunkPrefix(info);
    this.plan = plan;
    this.startNanos = startNanos;
    this.lastDueNanos = startNanos;
    this.out = out;
  }

  @Override
  public synchronized void onToken(String text) {
    schedule(index -> Responses.contentFrame(prefix, text, index == 0));
  }

  @Override
  public synchronized void onToolCall(int index, String id, String name) {
    schedule(
        at ->
            Responses.utf8(
                Responses.callStartFrame(
                    info, at == 0, index, id, name, plan.legacy(), plan.brokenCalls())));
  }

  @Override
  public synchronized void onToolArguments(int index, String piece) {
    schedule(
        at ->
            Responses.utf8(
                Responses.callArgumentsFrame(
                    info, index, piece, plan.legacy(), plan.brokenCalls())));
  }

  /**
   * The answer's next event (a token, or a piece of a call), due as the latency profile says for
   * its place in the answer; a stream fault strikes in its place after {@link #FAULT_AFTER_TOKENS}.
   *
   * @param frame the event's frame, given its place in the answer (0 opens it)
   */
  private void schedule(IntFunction<byte[]> frame) {
    if (ended) {
      return;
    }
    int index = produced++;
    long due = Math.max(lastDueNanos, startNanos + plan.latency().dueNanos(index));
    lastDueNanos = due;
    if (plan.fault() != null && index == FAULT_AFTER_TOKENS) {
      strike(due);
    } else {
      out.at(due, frame.apply(index), false);
    }
  }

  @Override
  public synchronized void onFinish(String finishReason, int promptTokens, int completionTokens) {
    if (ended) {
      return;
    }
    if (plan.fault() != null) {
      // fewer tokens than the fault waits for: it strikes at the end
      strike(lastDueNanos);
      return;
    }
    int[] usage = plan.includeUsage() ? new int[] {promptTokens, completionTokens} : null;
    out.at(
        lastDueNanos,
        Responses.utf8(Responses.chunkFrame(info, null, produced == 0, finishReason, usage)),
        false);
    ended = true;
    out.at(lastDueNanos, DONE, true);
  }

  @Override
  public synchronized void onError(ApiError error) {
    if (ended) {
      return;
    }
    ended = true;
    out.at(lastDueNanos, Responses.utf8(Responses.errorFrame(error)), true);
  }

  private void strike(long due) {
    ended = true;
    if (plan.fault() == FaultKind.STALL) {
      out.at(due + plan.stallMillis() * 1_000_000L, NOTHING, true);
    } else {
      out.at(
          due,
          Responses.utf8(
              Responses.errorFrame(ApiError.internal("injected fault: " + plan.fault().id()))),
          true);
    }
  }
}
