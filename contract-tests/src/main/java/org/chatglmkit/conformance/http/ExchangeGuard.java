package org.chatglmkit.conformance.http;

import java.io.IOException;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Bounds one exchange whole, whatever the target does: at its deadline every socket it opened is
 * closed (which ends a connect, a write to a server that does not read, headers sent one line a
 * second, and a body that never ends alike), and reading more than its byte cap fails at once. The
 * exchange runs on one thread; the guard is that thread's while it is open.
 *
 * <pre>{@code
 * try (ExchangeGuard guard = ExchangeGuard.open(Duration.ofSeconds(5), 1 << 20)) {
 *   // any blocking HTTP call on this thread whose sockets come from GuardedSockets
 * }
 * }</pre>
 */
final class ExchangeGuard implements AutoCloseable {
  private static final ThreadLocal<ExchangeGuard> CURRENT = new ThreadLocal<>();
  private static final ScheduledExecutorService WATCHDOG =
      Executors.newSingleThreadScheduledExecutor(
          task -> {
            Thread thread = new Thread(task, "chatglm-exchange-watchdog");
            thread.setDaemon(true);
            return thread;
          });

  private final Duration timeout;
  private final long maxBytes;
  private final List<Socket> sockets = new ArrayList<>();
  private final ScheduledFuture<?> timer;
  private long bytesRead;
  private volatile String tripped;
  private volatile IOException writeFailure;

  private ExchangeGuard(Duration timeout, long maxBytes) {
    this.timeout = timeout;
    this.maxBytes = maxBytes;
    this.timer =
        WATCHDOG.schedule(this::expire, Math.max(1, timeout.toMillis()), TimeUnit.MILLISECONDS);
  }

  /** Opens a guard for the calling thread; close it when the exchange is over. */
  static ExchangeGuard open(Duration timeout, long maxBytes) {
    ExchangeGuard guard = new ExchangeGuard(timeout, maxBytes);
    CURRENT.set(guard);
    return guard;
  }

  /** The calling thread's guard, or {@code null}. */
  static ExchangeGuard current() {
    return CURRENT.get();
  }

  /** Why the guard ended the exchange, or {@code null} when it did not. */
  String tripped() {
    return tripped;
  }

  /** Keeps the failure of a write that the server stopped taking (see {@link GuardedSockets}). */
  void writeFailed(IOException failure) {
    if (writeFailure == null) {
      writeFailure = failure;
    }
  }

  /**
   * How sending the request ended early, e.g. {@code the connection broke while the request was
   * sent (SocketException: Broken pipe)}, or {@code null} when it did not.
   */
  String writeFailure() {
    IOException failure = writeFailure;
    return failure == null
        ? null
        : "the connection broke while the request was sent ("
            + failure.getClass().getSimpleName()
            + (failure.getMessage() == null ? "" : ": " + failure.getMessage())
            + ")";
  }

  synchronized void register(Socket socket) throws IOException {
    if (tripped != null) {
      socket.close();
      throw new IOException(tripped);
    }
    sockets.add(socket);
  }

  /** Counts bytes read; past the cap the exchange ends. */
  void read(int count) throws IOException {
    if (tripped != null) {
      throw new IOException(tripped);
    }
    bytesRead += count;
    if (bytesRead > maxBytes) {
      trip("the answer grew past " + maxBytes + " bytes");
      throw new IOException(tripped);
    }
  }

  private void expire() {
    trip(
        "no complete answer within "
            + (timeout.toMillis() % 1000 == 0
                ? timeout.toSeconds() + " s"
                : timeout.toMillis() + " ms"));
  }

  private synchronized void trip(String why) {
    if (tripped == null) {
      tripped = why;
    }
    for (Socket socket : sockets) {
      try {
        socket.close();
      } catch (IOException e) {
        // closing is all that is wanted
      }
    }
  }

  @Override
  public void close() {
    timer.cancel(false);
    if (CURRENT.get() == this) {
      CURRENT.remove();
    }
  }
}
