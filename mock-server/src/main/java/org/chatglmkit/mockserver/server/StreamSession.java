package org.chatglmkit.mockserver.server;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.chatglmkit.mockserver.core.ApiError;
import org.chatglmkit.mockserver.core.CallInfo;
import org.chatglmkit.mockserver.core.ChatBackend.Generation;
import org.chatglmkit.mockserver.core.FaultKind;
import org.chatglmkit.mockserver.core.LatencyProfile;
import org.chatglmkit.mockserver.core.Responses;
import org.chatglmkit.mockserver.core.TokenSink;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.IteratingCallback;

/**
 * One server-sent-event stream: receives tokens from the backend, releases each when the latency
 * profile says it is due, and writes it without holding a thread (Jetty's asynchronous writes,
 * chained by {@link IteratingCallback}). A failed write (the client left) cancels the generation.
 */
final class StreamSession extends IteratingCallback implements TokenSink {
  /** Injected stream faults strike after this many content events. */
  static final int FAULT_AFTER_TOKENS = 3;

  private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

  private record Frame(ByteBuffer bytes, boolean last) {}

  private record Timed(long dueNanos, Runnable action) {}

  private final Response response;
  private final Callback done;
  private final ScheduledExecutorService scheduler;
  private final CallInfo info;
  private final LatencyProfile latency;
  private final boolean includeUsage;
  private final FaultKind fault;
  private final long stallMillis;

  /** When the request arrived ({@link System#nanoTime()}); tokens are due relative to it. */
  private final long startNanos;

  private final Queue<Frame> frames = new ConcurrentLinkedQueue<>();
  private final Queue<Timed> due = new ArrayDeque<>();
  private final AtomicInteger activeStreams;

  private volatile boolean ended;
  private volatile boolean struck;
  private volatile Generation generation;
  private boolean lastQueued;
  private int produced;
  private long lastDueNanos;

  StreamSession(
      Response response,
      Callback done,
      ScheduledExecutorService scheduler,
      CallInfo info,
      LatencyProfile latency,
      boolean includeUsage,
      FaultKind fault,
      long stallMillis,
      AtomicInteger activeStreams,
      long arrivedNanos) {
    this.startNanos = arrivedNanos;
    this.activeStreams = activeStreams;
    this.response = response;
    this.done = done;
    this.scheduler = scheduler;
    this.info = info;
    this.latency = latency;
    this.includeUsage = includeUsage;
    this.fault = fault;
    this.stallMillis = stallMillis;
  }

  /** Sends the 200 and the stream headers now, before the first token. */
  void open(Generation generation) {
    this.generation = generation;
    activeStreams.incrementAndGet();
    offer(EMPTY, false);
  }

  @Override
  public void onToken(String text) {
    int index = produced++;
    String frame = Responses.chunkFrame(info, text, index == 0, null, null);
    at(
        dueOf(index),
        () -> {
          if (fault != null && index == FAULT_AFTER_TOKENS) {
            strike();
          } else {
            offer(frame, false);
          }
        });
  }

  @Override
  public void onFinish(String finishReason, int promptTokens, int completionTokens) {
    int[] usage = includeUsage ? new int[] {promptTokens, completionTokens} : null;
    int pieces = produced;
    String last = Responses.chunkFrame(info, null, pieces == 0, finishReason, usage);
    at(
        lastDueNanos,
        () -> {
          if (fault != null && pieces <= FAULT_AFTER_TOKENS) {
            strike();
          } else {
            offer(last, false);
            offer(Responses.DONE_FRAME, true);
          }
        });
  }

  @Override
  public void onError(ApiError error) {
    at(lastDueNanos, () -> offer(Responses.errorFrame(error), true));
  }

  /** The injected fault: an error event, or silence until the stall limit. */
  private void strike() {
    struck = true;
    if (fault == FaultKind.STALL) {
      scheduler.schedule(() -> offer(EMPTY, true), stallMillis, TimeUnit.MILLISECONDS);
    } else {
      offer(Responses.errorFrame(ApiError.internal("injected fault: " + fault.id())), true);
    }
  }

  private long dueOf(int index) {
    long due = Math.max(lastDueNanos, startNanos + latency.dueNanos(index));
    lastDueNanos = due;
    return due;
  }

  /**
   * Runs {@code action} when {@code dueNanos} comes. Actions run in the order they were added, even
   * when two are due at the same moment (the last token and the final chunk): each timer tick
   * drains every action that is due, in order.
   */
  private void at(long dueNanos, Runnable action) {
    synchronized (due) {
      due.add(new Timed(dueNanos, action));
    }
    scheduler.schedule(
        this::runDue, Math.max(0, dueNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
  }

  private void runDue() {
    long now = System.nanoTime();
    while (true) {
      Timed next;
      synchronized (due) {
        next = due.peek();
        if (next == null || next.dueNanos() > now) {
          return;
        }
        due.poll();
      }
      if (!ended && !struck) {
        next.action().run();
      }
    }
  }

  private void offer(String frame, boolean last) {
    offer(ByteBuffer.wrap(frame.getBytes(StandardCharsets.UTF_8)), last);
  }

  private synchronized void offer(ByteBuffer bytes, boolean last) {
    if (lastQueued) {
      return;
    }
    lastQueued = last;
    frames.add(new Frame(bytes, last));
    iterate();
  }

  @Override
  protected Action process() {
    Frame frame = frames.poll();
    if (frame == null) {
      return ended ? Action.SUCCEEDED : Action.IDLE;
    }
    if (frame.last()) {
      ended = true;
    }
    response.write(frame.last(), frame.bytes().duplicate(), this);
    return Action.SCHEDULED;
  }

  @Override
  protected void onCompleteSuccess() {
    activeStreams.decrementAndGet();
    done.succeeded();
  }

  @Override
  protected void onCompleteFailure(Throwable cause) {
    ended = true;
    Generation running = generation;
    if (running != null) {
      running.cancel();
      activeStreams.decrementAndGet();
    }
    done.failed(cause);
  }
}
