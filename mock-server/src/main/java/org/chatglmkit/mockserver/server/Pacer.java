package org.chatglmkit.mockserver.server;

import java.util.PriorityQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs tasks when they are due, on a few threads that wake at most once a millisecond each, and
 * then run every task that is due. A scheduled executor wakes a thread for every task: thousands of
 * paced streams, each with a token due every few milliseconds at its own moment, would cost a
 * thread wake-up (two futex calls and a context switch) per token. Here a task runs at most 1 ms
 * (plus the kernel's timer slack) after it is due, and never before.
 */
final class Pacer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Pacer.class);

  /** The shortest sleep between two rounds of a lane that has work. */
  static final long TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

  /** How long an idle lane sleeps unless woken by new work. */
  private static final long IDLE_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

  private record Task(long dueNanos, long order, Runnable action) implements Comparable<Task> {
    @Override
    public int compareTo(Task other) {
      int byDue = Long.compare(dueNanos, other.dueNanos);
      return byDue != 0 ? byDue : Long.compare(order, other.order);
    }
  }

  private final Lane[] lanes;
  private final AtomicLong order = new AtomicLong();
  private volatile boolean running = true;

  Pacer(int threads, String name) {
    lanes = new Lane[threads];
    for (int i = 0; i < threads; i++) {
      lanes[i] = new Lane();
      Thread thread = new Thread(lanes[i], name + "-" + i);
      thread.setDaemon(true);
      // Above Jetty's threads (see ReferenceHttpServerFactory), whichever thread starts the pacer.
      thread.setPriority(Thread.NORM_PRIORITY);
      lanes[i].thread = thread;
    }
    for (Lane lane : lanes) {
      lane.thread.start();
    }
  }

  /**
   * Runs {@code action} once {@code dueNanos} ({@link System#nanoTime()}) has come. Tasks given
   * with the same {@code key} run on the same thread, in order of due time, then of submission.
   */
  void at(Object key, long dueNanos, Runnable action) {
    lanes[Math.floorMod(key.hashCode(), lanes.length)].add(
        new Task(dueNanos, order.getAndIncrement(), action));
  }

  /** Runs {@code action} after {@code delay} nanoseconds (see {@link #at}). */
  void after(Object key, long delayNanos, Runnable action) {
    at(key, System.nanoTime() + Math.max(0, delayNanos), action);
  }

  @Override
  public void close() {
    running = false;
    for (Lane lane : lanes) {
      LockSupport.unpark(lane.thread);
    }
  }

  private final class Lane implements Runnable {
    private final ConcurrentLinkedQueue<Task> inbox = new ConcurrentLinkedQueue<>();
    private final PriorityQueue<Task> due = new PriorityQueue<>();
    private Thread thread;

    /** When this lane will next look at its tasks ({@link Long#MAX_VALUE}: not before woken). */
    private volatile long wakeAt = Long.MAX_VALUE;

    void add(Task task) {
      if (Thread.currentThread() == thread) {
        // A task of this lane adding the next one (a stream arming its next event): straight
        // into the lane's own queue, with no handover and no wake-up.
        due.add(task);
        return;
      }
      inbox.add(task);
      // Wake the lane only when it would otherwise sleep past this task: a lane with work
      // wakes on its own within a millisecond.
      if (task.dueNanos() < wakeAt) {
        LockSupport.unpark(thread);
      }
    }

    @Override
    public void run() {
      while (running) {
        for (Task task; (task = inbox.poll()) != null; ) {
          due.add(task);
        }
        long now = System.nanoTime();
        for (Task head; (head = due.peek()) != null && head.dueNanos() <= now; ) {
          due.poll();
          try {
            head.action().run();
          } catch (RuntimeException e) {
            LOG.warn("a paced task failed", e);
          }
        }
        Task next = due.peek();
        long wake = next == null ? now + IDLE_NANOS : Math.max(next.dueNanos(), now + TICK_NANOS);
        wakeAt = wake;
        // A task added after the inbox was read, due before the planned wake, has unparked
        // this thread or is seen here.
        if (!inbox.isEmpty() && inbox.peek().dueNanos() < wake) {
          wakeAt = Long.MAX_VALUE;
          continue;
        }
        long sleep = wake - System.nanoTime();
        if (sleep > 0) {
          LockSupport.parkNanos(this, sleep);
        }
        wakeAt = Long.MAX_VALUE;
      }
    }
  }
}
