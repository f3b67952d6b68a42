package org.chatglmkit.mockserver.core;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;

/**
 * Turns a generation's tokens into server-sent-event frames, each with the moment it is due, and
 * plays the plan's fault where it strikes: after {@link Fault#afterEvents()} answer events (or at
 * {@link Fault#atFraction()} of them, for which the frames wait until the answer is whole).
 *
 * <ul>
 *   <li>{@code stream-error}: one error event, then the end;
 *   <li>{@code stall}: nothing until the stall limit, then the end;
 *   <li>{@code cut}, {@code cut-reset}: the end without {@code [DONE]}, clean or by reset;
 *   <li>{@code malformed-chunk}: that event's JSON cut short, and the stream goes on;
 *   <li>{@code duplicate-event}: that event twice;
 *   <li>{@code no-final-chunk}: no chunk with {@code finish_reason} (nor usage) before {@code
 *       [DONE]};
 *   <li>{@code keepalive-flood}: keep-alive comments before every event;
 *   <li>{@code hold-headers}: every event later by the time the headers are held back.
 * </ul>
 *
 * A fault that would strike after more events than the answer has strikes at its end. Frames come
 * out in order and their due times never go back, so a writer can keep them in a queue.
 */
public final class EventSchedule implements TokenSink {

  /** Receives each frame with the {@link System#nanoTime()} it is due at. */
  @FunctionalInterface
  public interface Events {
    /**
     * @param frame the frame's text in UTF-8; empty for the end of a stalled or cut stream
     * @param last whether the stream ends with it
     */
    void at(long dueNanos, byte[] frame, boolean last);

    /** The stream ends at {@code dueNanos} by a reset of the connection (a clean end here). */
    default void reset(long dueNanos) {
      at(dueNanos, NOTHING, true);
    }
  }

  private static final byte[] DONE = Responses.utf8(Responses.DONE_FRAME);
  private static final byte[] NOTHING = new byte[0];

  private record Held(int index, long dueNanos, byte[] frame) {}

  private final CallInfo info;
  private final byte[] prefix;
  private final StreamPlan plan;
  private final Fault fault;
  private final long startNanos;
  private final Events out;
  private final byte[] flood;
  private int produced;
  private long lastDueNanos;
  private boolean ended;
  private boolean struck;

  /** The answer event the fault strikes at; unknown (-1) while frames are held for a fraction. */
  private int strikeAt;

  private List<Held> held;

  EventSchedule(CallInfo info, StreamPlan plan, long startNanos, Events out) {
    this.info = info;
    this.prefix = Responses.chunkPrefix(info);
    this.plan = plan;
    this.fault = plan.fault();
    long hold =
        fault != null && fault.kind() == FaultKind.HOLD_HEADERS
            ? fault.holdMillis() * 1_000_000
            : 0;
    this.startNanos = startNanos + hold;
    this.lastDueNanos = this.startNanos;
    this.out = out;
    this.flood =
        fault != null && fault.kind() == FaultKind.KEEPALIVE_FLOOD
            ? ": keep-alive\n\n".repeat(fault.comments()).getBytes(StandardCharsets.US_ASCII)
            : null;
    if (fault != null && fault.atFraction() >= 0) {
      this.strikeAt = -1;
      this.held = new ArrayList<>();
    } else {
      this.strikeAt = fault == null ? -1 : fault.afterEvents();
    }
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
   * its place in the answer.
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
    if (held != null) {
      held.add(new Held(index, due, frame.apply(index)));
    } else {
      emit(index, due, frame.apply(index));
    }
  }

  /** Sends one answer event, or the fault in its place. */
  private void emit(int index, long due, byte[] frame) {
    if (ended) {
      return;
    }
    if (fault != null && !struck && index == strikeAt && strike(due, frame)) {
      return;
    }
    out.at(due, flooded(frame), false);
  }

  /**
   * Plays the fault on the event due at {@code due}; {@code true} when the event is not to be sent
   * as it is.
   */
  private boolean strike(long due, byte[] frame) {
    switch (fault.kind()) {
      case STALL -> {
        struck = ended = true;
        out.at(due + plan.stallMillis() * 1_000_000L, NOTHING, true);
      }
      case STREAM_ERROR -> {
        struck = ended = true;
        out.at(
            due,
            Responses.utf8(
                Responses.errorFrame(ApiError.internal("injected fault: " + fault.kind().id()))),
            true);
      }
      case CUT -> {
        struck = ended = true;
        out.at(due, NOTHING, true);
      }
      case CUT_RESET -> {
        struck = ended = true;
        out.reset(due);
      }
      case MALFORMED_CHUNK -> {
        struck = true;
        out.at(due, flooded(cutShort(frame)), false);
      }
      case DUPLICATE_EVENT -> {
        struck = true;
        out.at(due, flooded(frame), false);
        out.at(due, flooded(frame), false);
      }
      default -> {
        return false;
      }
    }
    return true;
  }

  @Override
  public synchronized void onFinish(String finishReason, int promptTokens, int completionTokens) {
    if (ended) {
      return;
    }
    if (held != null) {
      strikeAt = (int) Math.floor(fault.atFraction() * produced);
      List<Held> frames = held;
      held = null;
      for (Held frame : frames) {
        emit(frame.index(), frame.dueNanos(), frame.frame());
      }
      if (ended) {
        return;
      }
    }
    int[] usage = plan.includeUsage() ? new int[] {promptTokens, completionTokens} : null;
    byte[] last =
        Responses.utf8(Responses.chunkFrame(info, null, produced == 0, finishReason, usage));
    // a fault that waits for more events than the answer has strikes on its final chunk
    boolean finalChunk = fault == null || fault.kind() != FaultKind.NO_FINAL_CHUNK;
    if (fault != null && !struck && strike(lastDueNanos, last)) {
      finalChunk = false;
    }
    if (ended) {
      return;
    }
    if (finalChunk) {
      out.at(lastDueNanos, flooded(last), false);
    }
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

  /** The frame with a flood of comments before it, when the plan floods. */
  private byte[] flooded(byte[] frame) {
    if (flood == null) {
      return frame;
    }
    byte[] both = new byte[flood.length + frame.length];
    System.arraycopy(flood, 0, both, 0, flood.length);
    System.arraycopy(frame, 0, both, flood.length, frame.length);
    return both;
  }

  /** {@code data: {"id":...}} cut in the middle of its JSON, still one event. */
  static byte[] cutShort(byte[] frame) {
    String text = new String(frame, StandardCharsets.UTF_8).strip();
    String json = text.startsWith("data:") ? text.substring(5).strip() : text;
    int cut = Math.max(1, json.length() / 2);
    return ("data: " + json.substring(0, cut) + "\n\n").getBytes(StandardCharsets.UTF_8);
  }
}
