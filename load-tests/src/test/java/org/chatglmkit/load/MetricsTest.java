package org.chatglmkit.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The metric formulas against hand-computed values, on samples where they differ. */
class MetricsTest {
  private static final long MS = 1_000_000;

  /**
   * Five content chunks at 100, 110, 150, 160 and 300 ms, the answer complete at 320 ms, 8 tokens
   * by usage: TTFT 100, E2E 320, TPOT (320 − 100) / 7 = 31.43, mean ITL (10 + 40 + 10 + 140) / 4 =
   * 50, E2E − TTFT 220. The three "per token" readings disagree, and each must come out as defined.
   */
  @Test
  void tpotMeanItlAndE2eMinusTtftAreEachWhatTheirDefinitionSays() {
    Metrics metrics = new Metrics(new LoadConfig.Slo(null, null, null));
    long sent = 1_000 * MS;
    List<Long> chunks =
        List.of(
            sent + 100 * MS, sent + 110 * MS, sent + 150 * MS, sent + 160 * MS, sent + 300 * MS);
    metrics.success(sent, chunks, sent + 320 * MS, 12, 8);

    assertThat(metrics.ttft.getMean() / 1000).isCloseTo(100, within(0.1));
    assertThat(metrics.e2e.getMean() / 1000).isCloseTo(320, within(0.3));
    assertThat(metrics.tpot.getMean() / 1000).isCloseTo(220.0 / 7, within(0.05));
    assertThat(metrics.itl.getTotalCount()).isEqualTo(4);
    assertThat(metrics.itl.getMean() / 1000).isCloseTo(50, within(0.1));
    assertThat(metrics.itl.getMaxValue() / 1000.0).isCloseTo(140, within(0.2));
    assertThat(metrics.outputTokens.sum()).isEqualTo(8);
    assertThat(metrics.inputTokens.sum()).isEqualTo(12);
  }

  /** Content events {@code gaps} ms apart (in order), the first {@code ttft} ms after sending. */
  static List<Long> events(double ttft, double... gaps) {
    List<Long> times = new java.util.ArrayList<>();
    double at = ttft;
    times.add((long) (at * MS));
    for (double gap : gaps) {
      at += gap;
      times.add((long) (at * MS));
    }
    return times;
  }

  @Test
  void aBodyThatArrivedAtOnceIsBufferedEvenWhenTheClientPausedWhileReadingIt() {
    double[] together = new double[49];
    java.util.Arrays.fill(together, 0.05);
    assertThat(Metrics.buffered(0, events(500, together))).isTrue();
    // the same body, read by a client that paused twice (a collection, a compilation)
    together[10] = 8;
    together[30] = 12;
    assertThat(Metrics.buffered(0, events(500, together))).isTrue();
    // and by a cold client: 0.1 to 0.9 ms per event, one in twenty 3 ms
    double[] cold = new double[49];
    for (int i = 0; i < cold.length; i++) {
      cold[i] = i % 20 == 19 ? 3 : 0.1 + (i % 5) * 0.2;
    }
    assertThat(Metrics.buffered(0, events(500, cold))).as("cold client").isTrue();
  }

  @Test
  void aStreamThatReallyStreamsIsNotBuffered() {
    double[] paced = new double[49];
    java.util.Arrays.fill(paced, 20);
    assertThat(Metrics.buffered(0, events(200, paced))).as("paced at 20 ms").isFalse();
    // a server that flushes five events at a time: bunched, not held back whole
    double[] bunched = new double[49];
    for (int i = 0; i < bunched.length; i++) {
      bunched[i] = i % 5 == 4 ? 100 : 0.05;
    }
    assertThat(Metrics.buffered(0, events(200, bunched))).as("five per flush").isFalse();
    // a short answer after a long prefill, paced at 5 ms
    assertThat(Metrics.buffered(0, events(2000, 5, 5, 5))).as("short answer").isFalse();
    // a fast model: 500 tokens/s after a long wait in a queue
    double[] fast = new double[49];
    java.util.Arrays.fill(fast, 2);
    assertThat(Metrics.buffered(0, events(3000, fast))).as("2 ms apart").isFalse();
    assertThat(Metrics.buffered(0, events(100, 0.01))).as("two events tell nothing").isFalse();
  }

  @Test
  void oneTokenHasNoTpotAndAnUnstreamedAnswerNoItl() {
    Metrics metrics = new Metrics(new LoadConfig.Slo(null, 10.0, null));
    long sent = 0;
    metrics.success(sent, List.of(sent + 50 * MS), sent + 50 * MS, -1, 1);
    assertThat(metrics.tpot.getTotalCount()).isZero();
    assertThat(metrics.itl.getTotalCount()).isZero();
    assertThat(metrics.inputTokens.sum()).as("an unknown prompt adds nothing").isZero();
    // TPOT is undefined for one token, so a TPOT objective cannot be missed by it
    assertThat(metrics.good.sum()).isEqualTo(1);
  }

  /**
   * SLOs TTFT ≤ 150 ms, TPOT ≤ 40 ms, E2E ≤ 1000 ms; one request meets all three, one misses each,
   * one fails: goodput counts exactly the first.
   */
  @Test
  void goodputCountsOnlyRequestsThatMeetEveryObjective() {
    Metrics metrics = new Metrics(new LoadConfig.Slo(150.0, 40.0, 1000.0));
    // meets all: TTFT 100, TPOT (500 − 100) / 10 = 40, E2E 500
    metrics.success(0, List.of(100 * MS), 500 * MS, 5, 11);
    // misses TTFT only: TTFT 200, TPOT 30, E2E 500
    metrics.success(0, List.of(200 * MS), 500 * MS, 5, 11);
    // misses TPOT only: TTFT 100, TPOT (600 − 100) / 10 = 50, E2E 600
    metrics.success(0, List.of(100 * MS), 600 * MS, 5, 11);
    // misses E2E only: TTFT 100, TPOT (1100 − 100) / 40 = 25, E2E 1100
    metrics.success(0, List.of(100 * MS), 1100 * MS, 5, 41);
    metrics.failure(0, "http-500");

    assertThat(metrics.completed.sum()).isEqualTo(4);
    assertThat(metrics.failed.sum()).isEqualTo(1);
    assertThat(metrics.good.sum()).isEqualTo(1);
    assertThat(metrics.samples())
        .extracting(Metrics.Sample::good)
        .containsExactly(true, false, false, false, false);
  }
}
