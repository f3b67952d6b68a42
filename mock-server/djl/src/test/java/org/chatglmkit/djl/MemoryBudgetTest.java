package org.chatglmkit.djl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class MemoryBudgetTest {
  /** ChatGLM3-6B as published: 28 layers, 2 KV groups of 128 channels, an 8k context. */
  static final ChatGlmConfig CHATGLM3_6B =
      new ChatGlmConfig(28, 4096, 32, 128, 2, 13696, 65024, 8192, 1e-5, 1.0);

  @Test
  void oneFullContextOfChatGlm3IsLayersTimesGroupsTimesChannelsTimesTwoTimesContextTimesFour() {
    assertThat(MemoryBudget.perSequence(CHATGLM3_6B)).isEqualTo(28L * 2 * 128 * 2 * 8192 * 4);
  }

  @Test
  void theBatchIsWhatFitsInEightyPercentOfTheBudgetAtMostWhatWasAsked() {
    long one = MemoryBudget.perSequence(CHATGLM3_6B);
    MemoryBudget roomy = MemoryBudget.of(CHATGLM3_6B, 4, "15g");
    assertThat(roomy.batch()).isEqualTo(4);
    assertThat(roomy.describe()).contains("batch 4").doesNotContain("asked");
    // Room for two and a half full contexts (after the 20% margin): two.
    MemoryBudget tight = new MemoryBudget((long) (one * 2.5 / 0.8), "test", one, 4);
    assertThat(tight.batch()).isEqualTo(2);
    assertThat(tight.describe()).contains("batch 2 (asked 4)");
    assertThat(new MemoryBudget(one / 2, "test", one, 4).batch()).isZero();
    // The caches live on the Java heap: its room bounds the batch whatever the machine has.
    MemoryBudget smallHeap = new MemoryBudget(100 * one, "test", one, 4, (long) (one * 1.5 / 0.8));
    assertThat(smallHeap.batch()).isEqualTo(1);
    assertThat(smallHeap.describe()).contains("the Java heap").contains("bounds the batch");
    assertThat(tight.describe()).doesNotContain("Java heap");
    assertThat(roomy.heapRoom()).isPositive().isLessThanOrEqualTo(Runtime.getRuntime().maxMemory());
  }

  @Test
  void readsWhatTheSystemSaysIsAvailable() {
    String meminfo = "MemTotal:       24576000 kB\nMemFree:  100 kB\nMemAvailable:   16000000 kB\n";
    assertThat(MemoryBudget.memAvailable(meminfo)).hasValue(16_000_000L * 1024);
    assertThat(MemoryBudget.memAvailable("MemTotal: 1 kB\n")).isEmpty();
    assertThat(MemoryBudget.cgroupLimit("max\n")).isEmpty();
    assertThat(MemoryBudget.cgroupLimit("8589934592\n")).hasValue(8_589_934_592L);
  }

  @Test
  void readsAmountsOfMemory() {
    assertThat(MemoryBudget.bytes("512m")).isEqualTo(512L << 20);
    assertThat(MemoryBudget.bytes("1.5g")).isEqualTo(3L << 29);
    assertThat(MemoryBudget.bytes("4096")).isEqualTo(4096);
    assertThatThrownBy(() -> MemoryBudget.bytes("lots")).hasMessageContaining("--memory-budget");
  }
}
