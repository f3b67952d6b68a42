package org.chatglmkit.load;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.HdrHistogram.Histogram;
import org.chatglmkit.mockserver.core.Json;

/**
 * The run's clock and its arrivals: when the run started (the origin, set by the first arrival),
 * when each user arrived against the schedule, and how well the generator kept to it.
 */
final class ScheduleKeeper {
  private final double[] schedule;
  private final Metrics metrics;
  private final long warmupNanos;
  private final AtomicLong arrivals = new AtomicLong();
  private final AtomicLongArray arrivedAt;
  private volatile long origin = -1;
  private volatile long lastArrival;

  /**
   * @param schedule when each arrival is due (seconds from the start), or {@code null} for the
   *     closed model
   */
  ScheduleKeeper(double[] schedule, Metrics metrics, long warmupNanos) {
    this.schedule = schedule;
    this.metrics = metrics;
    this.warmupNanos = warmupNanos;
    this.arrivedAt = new AtomicLongArray(schedule == null ? 0 : schedule.length);
  }

  /** An endless feeder: the arrival index of each user, in the order users start. */
  Iterator<Map<String, Object>> feeder() {
    return new Iterator<>() {
      @Override
      public boolean hasNext() {
        return true;
      }

      @Override
      public Map<String, Object> next() {
        return Map.of("arrival", arrivals.getAndIncrement());
      }
    };
  }

  /** Arrival {@code index} starts now; the first one sets the origin. */
  void arrived(long index, long now) {
    double due = schedule == null ? 0 : schedule[(int) Math.min(index, schedule.length - 1)];
    synchronized (this) {
      if (origin < 0) {
        origin = now - Math.round(due * 1e9);
        metrics.origin(origin + warmupNanos);
      }
    }
    if (index < arrivedAt.length()) {
      arrivedAt.set((int) index, now);
    }
    lastArrival = now;
  }

  /** Whether the run has begun (an arrival set the origin). */
  boolean started() {
    return origin >= 0;
  }

  /** Seconds since the origin. */
  double elapsedSeconds(long now) {
    return (now - origin) / 1e9;
  }

  /** Whether a request sent at {@code now} counts (the warm-up is over). */
  boolean measured(long now) {
    return origin >= 0 && now - origin >= warmupNanos;
  }

  /**
   * How the generator kept to its schedule (open model only). Each arrival's lag is how much later
   * than due it started, measured against the arrival that kept to the schedule best (the one
   * started earliest relative to when it was due): the generator's own delays, not the time it took
   * Gatling to begin.
   */
  ObjectNode figures() {
    ObjectNode figures = Json.MAPPER.createObjectNode();
    long started = Math.min(arrivals.get(), schedule == null ? arrivals.get() : schedule.length);
    figures.put("arrivals_started", started);
    if (schedule == null) {
      figures.put("model", "closed (concurrency): no schedule");
      return figures;
    }
    figures.put("arrivals_planned", schedule.length);
    long best = Long.MAX_VALUE;
    for (int i = 0; i < arrivedAt.length(); i++) {
      if (arrivedAt.get(i) != 0) {
        best = Math.min(best, arrivedAt.get(i) - Math.round(schedule[i] * 1e9));
      }
    }
    Histogram lag = new Histogram(3);
    for (int i = 0; i < arrivedAt.length(); i++) {
      if (arrivedAt.get(i) != 0) {
        lag.recordValue((arrivedAt.get(i) - Math.round(schedule[i] * 1e9) - best) / 1_000);
      }
    }
    double span = schedule.length > 1 ? schedule[schedule.length - 1] - schedule[0] : 0;
    double requested = span > 0 ? (schedule.length - 1) / span : 0;
    double actualSpan = started > 1 ? (lastArrival - origin) / 1e9 - schedule[0] : 0;
    double achieved = actualSpan > 0 ? (started - 1) / actualSpan : 0;
    figures.put("requested_rate", SummaryFormat.round(requested));
    figures.put("achieved_rate", SummaryFormat.round(achieved));
    figures.put("lag_p50_ms", SummaryFormat.round(lag.getValueAtPercentile(50) / 1000.0));
    figures.put("lag_p99_ms", SummaryFormat.round(lag.getValueAtPercentile(99) / 1000.0));
    figures.put("lag_max_ms", SummaryFormat.round(lag.getMaxValue() / 1000.0));
    boolean behind =
        started < schedule.length
            || lag.getValueAtPercentile(99) > 50_000
            || (requested > 0 && achieved < 0.95 * requested);
    figures.put("generator_behind", behind);
    return figures;
  }
}
