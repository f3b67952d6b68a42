package org.chatglmkit.mockserver.server;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.chatglmkit.mockserver.core.ChatBackend.Generation;
import org.chatglmkit.mockserver.core.EventSchedule;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.IteratingCallback;

/**
 * Writes one server-sent-event stream: takes each frame the core's {@link EventSchedule} decided,
 * holds it until it is due, and writes it without holding a thread (Jetty's asynchronous writes,
 * chained by {@link IteratingCallback}). A failed write (the client left) cancels the generation.
 */
final class StreamSession extends IteratingCallback implements EventSchedule.Events {
  private static final byte[] EMPTY = new byte[0];

  /**
   * A frame with the moment it is due. Thousands of streams hold every frame of their answer from
   * the start, so a frame is one small object around its bytes.
   */
  private record Frame(long dueNanos, byte[] bytes, boolean last) {}

  private final Response response;
  private final Callback done;
  private final Pacer pacer;
  private final PacingStats stats;
  private final AtomicInteger activeStreams;
  private final Queue<Frame> ready = new ConcurrentLinkedQueue<>();
  private final Queue<Frame> waiting = new ArrayDeque<>();

  private volatile boolean ended;
  private volatile Generation generation;
  private boolean lastQueued;

  /** Whether a timer is armed for the head of {@link #waiting} (guarded by {@code waiting}). */
  private boolean armed;

  StreamSession(
      Response response,
      Callback done,
      Pacer pacer,
      PacingStats stats,
      AtomicInteger activeStreams) {
    this.stats = stats;
    this.response = response;
    this.done = done;
    this.pacer = pacer;
    this.activeStreams = activeStreams;
  }

  /** Sends the 200 and the stream headers now, before the first token. */
  void open(Generation generation) {
    this.generation = generation;
    activeStreams.incrementAndGet();
    offer(new Frame(0, EMPTY, false));
  }

  /**
   * Holds a frame until it is due. Frames come in order with due times that never go back, so the
   * session keeps them in a queue with one timer at a time, armed for the queue's head: the {@link
   * Pacer} holds one task per stream rather than one per token, and each tick writes every frame
   * that is due, in order (the last token and the final chunk are due at the same moment).
   */
  @Override
  public void at(long dueNanos, byte[] bytes, boolean last) {
    boolean arm;
    synchronized (waiting) {
      waiting.add(new Frame(dueNanos, bytes, last));
      arm = !armed;
      armed = true;
    }
    if (arm) {
      armFor(dueNanos);
    }
  }

  private void armFor(long dueNanos) {
    pacer.at(this, dueNanos, this::releaseDue);
  }

  /** Writes every frame that is due, then arms the timer for the next one, if any. */
  private synchronized void releaseDue() {
    long now = System.nanoTime();
    long next;
    while (true) {
      Frame head;
      synchronized (waiting) {
        head = waiting.peek();
        if (head == null) {
          armed = false;
          return;
        }
        if (head.dueNanos() > now) {
          next = head.dueNanos();
          break;
        }
        waiting.poll();
      }
      if (!ended) {
        stats.record(now - head.dueNanos());
        offer(head);
      }
    }
    armFor(next);
  }

  private synchronized void offer(Frame frame) {
    if (lastQueued) {
      return;
    }
    lastQueued = frame.last();
    ready.add(frame);
    iterate();
  }

  @Override
  protected Action process() {
    Frame frame = ready.poll();
    if (frame == null) {
      return ended ? Action.SUCCEEDED : Action.IDLE;
    }
    if (frame.last()) {
      ended = true;
    }
    response.write(frame.last(), ByteBuffer.wrap(frame.bytes()), this);
    return Action.SCHEDULED;
  }

  @Override
  protected void onCompleteSuccess() {
    if (activeStreams.decrementAndGet() == 0) {
      stats.idle();
    }
    done.succeeded();
  }

  @Override
  protected void onCompleteFailure(Throwable cause) {
    ended = true;
    Generation running = generation;
    if (running != null) {
      running.cancel();
      if (activeStreams.decrementAndGet() == 0) {
        stats.idle();
      }
    }
    done.failed(cause);
  }
}
