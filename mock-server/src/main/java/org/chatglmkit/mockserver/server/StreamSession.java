package org.chatglmkit.mockserver.server;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.chatglmkit.mockserver.core.ChatBackend.Generation;
import org.chatglmkit.mockserver.core.EventSchedule;
import org.chatglmkit.mockserver.core.Ticket;
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
  private record Frame(long dueNanos, byte[] bytes, boolean last, boolean reset) {
    Frame(long dueNanos, byte[] bytes, boolean last) {
      this(dueNanos, bytes, last, false);
    }
  }

  private final Response response;
  private final Callback done;
  private final Pacer pacer;
  private final PacingStats stats;
  private final AtomicInteger activeStreams;
  private final Ticket ticket;
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
      AtomicInteger activeStreams,
      Ticket ticket) {
    this.stats = stats;
    this.ticket = ticket;
    this.response = response;
    this.done = done;
    this.pacer = pacer;
    this.activeStreams = activeStreams;
  }

  /** When the headers are due, if they are held back; 0 sends them at once. */
  private long headersDueNanos;

  /**
   * Holds the headers back until {@code dueNanos}; call before the generation starts, so that they
   * stay ahead of every event.
   */
  void holdHeaders(long dueNanos) {
    headersDueNanos = dueNanos;
    at(dueNanos, EMPTY, false);
  }

  /** Sends the 200 and the stream headers now, before the first token (unless held back). */
  void open(Generation generation) {
    this.generation = generation;
    activeStreams.incrementAndGet();
    if (headersDueNanos == 0) {
      offer(new Frame(0, EMPTY, false));
    }
  }

  /** The stream ends by a reset of the connection once the frames before are written. */
  @Override
  public void reset(long dueNanos) {
    enqueue(new Frame(dueNanos, EMPTY, true, true));
  }

  /**
   * Holds a frame until it is due. Frames come in order with due times that never go back, so the
   * session keeps them in a queue with one timer at a time, armed for the queue's head: the {@link
   * Pacer} holds one task per stream rather than one per token, and each tick writes every frame
   * that is due, in order (the last token and the final chunk are due at the same moment).
   */
  @Override
  public void at(long dueNanos, byte[] bytes, boolean last) {
    enqueue(new Frame(dueNanos, bytes, last));
  }

  private void enqueue(Frame frame) {
    long dueNanos = frame.dueNanos();
    boolean arm;
    synchronized (waiting) {
      waiting.add(frame);
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
  protected Action process() throws java.io.IOException {
    Frame frame = ready.poll();
    if (frame == null) {
      return ended ? Action.SUCCEEDED : Action.IDLE;
    }
    if (frame.last()) {
      ended = true;
    }
    if (frame.reset()) {
      ChatFrontHandler.resetConnection(response.getRequest());
      throw new java.io.IOException("injected connection reset");
    }
    response.write(frame.last(), ByteBuffer.wrap(frame.bytes()), this);
    return Action.SCHEDULED;
  }

  @Override
  protected void onCompleteSuccess() {
    ticket.end();
    if (activeStreams.decrementAndGet() == 0) {
      stats.idle();
    }
    done.succeeded();
  }

  @Override
  protected void onCompleteFailure(Throwable cause) {
    ended = true;
    ticket.end();
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
