package org.chatglmkit.mockserver.server;

import java.util.Locale;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * How late the server wrote paced stream events against the moment each was due, measured where the
 * write starts: over the server's life, and over its last busy spell (from a first stream to the
 * moment none is left), which for a benchmark is its last round. A client that sees events later
 * than this lost the time after the server: in the kernel, on the network, or in its own reading.
 */
public final class PacingStats {
  private final Lateness all = new Lateness();
  private volatile Lateness spell = new Lateness();
  private volatile Lateness lastSpell = new Lateness();

  void record(long lateNanos) {
    all.record(lateNanos);
    spell.record(lateNanos);
  }

  /** No stream is left: the busy spell ends here. */
  void idle() {
    if (spell.events() > 0) {
      lastSpell = spell;
      spell = new Lateness();
    }
  }

  /** Over the server's life. */
  public Lateness all() {
    return all;
  }

  /** Over the last busy spell that ended. */
  public Lateness lastSpell() {
    return lastSpell;
  }

  /** Both, on one line. */
  public String summary() {
    return all.summary() + "; over the last busy spell: " + lastSpell.summary();
  }

  /** A histogram of lateness in buckets of 0.1 ms up to 10 s; the last holds everything later. */
  public static final class Lateness {
    private static final int BUCKETS = 100_000;
    private static final long BUCKET_NANOS = 100_000;

    private final AtomicLongArray counts = new AtomicLongArray(BUCKETS + 1);

    void record(long lateNanos) {
      counts.incrementAndGet((int) Math.min(BUCKETS, Math.max(0, lateNanos / BUCKET_NANOS)));
    }

    /** Events counted. */
    public long events() {
      long total = 0;
      for (int i = 0; i <= BUCKETS; i++) {
        total += counts.get(i);
      }
      return total;
    }

    /**
     * The lateness below which {@code percent} of events were written, in ms (to the 0.1 ms
     * bucket's upper edge), or 0 when none was.
     */
    public double percentileMillis(double percent) {
      long total = events();
      if (total == 0) {
        return 0;
      }
      long rank = Math.max(1, (long) Math.ceil(percent / 100 * total));
      long seen = 0;
      for (int i = 0; i <= BUCKETS; i++) {
        seen += counts.get(i);
        if (seen >= rank) {
          return (i + 1) * BUCKET_NANOS / 1e6;
        }
      }
      return (BUCKETS + 1) * BUCKET_NANOS / 1e6;
    }

    /** Events and their lateness at p50, p99 and p99.9. */
    public String summary() {
      return String.format(
          Locale.ROOT,
          "%d stream events written, late against their due time by at most %.1f ms (p50),"
              + " %.1f ms (p99), %.1f ms (p99.9)",
          events(),
          percentileMillis(50),
          percentileMillis(99),
          percentileMillis(99.9));
    }
  }
}
