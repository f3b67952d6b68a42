package org.chatglmkit.mockserver.server;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Lateness percentiles from 0.1 ms buckets, against values placed by hand. */
class PacingStatsTest {

  @Test
  void percentilesAreTheBucketsTheRanksFallIn() {
    PacingStats.Lateness stats = new PacingStats.Lateness();
    assertThat(stats.percentileMillis(99)).isZero();
    for (int i = 0; i < 98; i++) {
      stats.record(50_000); // 0.05 ms: the first bucket, [0, 0.1)
    }
    stats.record(2_340_000); // 2.34 ms: bucket [2.3, 2.4)
    stats.record(-5); // a write the instant it was due
    assertThat(stats.events()).isEqualTo(100);
    assertThat(stats.percentileMillis(50)).isEqualTo(0.1);
    assertThat(stats.percentileMillis(99)).isEqualTo(0.1);
    assertThat(stats.percentileMillis(100)).isEqualTo(2.4);
    stats.record(60_000_000_000L); // a minute: counted in the last bucket
    assertThat(stats.percentileMillis(100)).isEqualTo(10_000.1);
    assertThat(stats.summary()).startsWith("101 stream events written");
  }

  @Test
  void aBusySpellEndsWhenNoStreamIsLeft() {
    PacingStats stats = new PacingStats();
    stats.record(30_000_000);
    stats.idle();
    stats.record(1_000_000);
    stats.record(1_000_000);
    assertThat(stats.lastSpell().percentileMillis(100)).isEqualTo(30.1);
    stats.idle();
    stats.idle(); // nothing since: the last spell stays
    assertThat(stats.lastSpell().events()).isEqualTo(2);
    assertThat(stats.lastSpell().percentileMillis(100)).isEqualTo(1.1);
    assertThat(stats.all().events()).isEqualTo(3);
  }
}
