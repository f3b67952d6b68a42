package org.chatglmkit.load;

import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/** The progress line a run prints every {@code --progress} while it runs, and once at the end. */
final class Progress implements AutoCloseable {
  private final Metrics metrics;
  private final Sessions sessions;
  private final ScheduleKeeper schedule;
  private final long warmupNanos;
  private final ScheduledExecutorService ticker;

  Progress(LoadConfig config, Metrics metrics, Sessions sessions, ScheduleKeeper schedule) {
    this.metrics = metrics;
    this.sessions = sessions;
    this.schedule = schedule;
    this.warmupNanos = config.warmup().toNanos();
    this.ticker =
        Executors.newSingleThreadScheduledExecutor(
            task -> {
              Thread thread = new Thread(task, "chatglm-load-progress");
              thread.setDaemon(true);
              return thread;
            });
    long every = config.progress().toMillis();
    if (every > 0) {
      ticker.scheduleAtFixedRate(() -> print(System.out), every, every, TimeUnit.MILLISECONDS);
    }
  }

  void print(PrintStream out) {
    if (!schedule.started()) {
      return;
    }
    double elapsed = schedule.elapsedSeconds(System.nanoTime());
    double measured = Math.max(1e-9, elapsed - warmupNanos / 1e9);
    out.printf(
        Locale.ROOT,
        "[%5.0fs] in flight %d, completed %d, failed %d, TTFT p50 %.0f ms p99 %.0f ms, output %.1f"
            + " tok/s%s%n",
        elapsed,
        sessions.inFlight(),
        metrics.completed.sum(),
        metrics.failed.sum(),
        metrics.ttft.getTotalCount() == 0 ? 0 : metrics.ttft.getValueAtPercentile(50) / 1000.0,
        metrics.ttft.getTotalCount() == 0 ? 0 : metrics.ttft.getValueAtPercentile(99) / 1000.0,
        metrics.outputTokens.sum() / measured,
        measured < 1e-3 ? " (warming up)" : "");
  }

  @Override
  public void close() {
    ticker.shutdownNow();
  }
}
