package org.chatglmkit.djl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.stream.IntStream;
import org.chatglmkit.djl.bench.MachineLimits;
import org.chatglmkit.djl.bench.Shares;
import org.junit.jupiter.api.Test;

class MachineLimitsTest {
  @Test
  void aShareAboveOneIsRefused() {
    assertThat(Shares.of("decode", 3.5, 7.0)).isEqualTo(0.5);
    assertThatThrownBy(() -> Shares.of("fp16 decode", 12.7, 12.6))
        .hasMessageContaining("fp16 decode")
        .hasMessageContaining("the bound is not a bound");
  }

  /**
   * The decode kernel reads int8 weights, as a decode step does, from a matrix four times the
   * last-level cache; measured in the same run, the read bound must not be beaten by it. (The copy
   * figure the benchmark used before was: an fp16 decode moved more bytes per second than a copy.)
   * 5% covers the two measurements' own noise.
   */
  @Test
  void theDecodeKernelDoesNotBeatTheReadBound() throws Exception {
    long cache = MachineLimits.lastLevelCacheForTests();
    int cols = 8192;
    int rows = (int) Math.max(4 * cache / cols, 4096);
    byte[] w = new byte[rows * cols];
    for (int i = 0; i < w.length; i += 64) {
      w[i] = (byte) (i * 31);
    }
    float[] scales = new float[rows * MatVec.blocks(cols)];
    java.util.Arrays.fill(scales, 0.01f);
    float[] x = new float[cols];
    java.util.Arrays.fill(x, 0.5f);
    QuantizedRows q = new QuantizedRows().quantize(x, 1, cols);
    float[] y = new float[rows];
    MatVec kernel = MatVec.best();
    int parts = 2 * Runtime.getRuntime().availableProcessors();
    double kernelBest = 0;
    for (int round = 0; round < 6; round++) {
      long start = System.nanoTime();
      IntStream.range(0, parts)
          .parallel()
          .forEach(
              p ->
                  kernel.int8(
                      w, scales, rows, cols, q, y, p * rows / parts, (p + 1) * rows / parts));
      double seconds = (System.nanoTime() - start) / 1e9;
      if (round > 0) {
        kernelBest = Math.max(kernelBest, (double) rows * cols / seconds);
      }
    }
    double bound = MachineLimits.readBandwidthForTests(5);
    assertThat(kernelBest / bound)
        .as("kernel %.3g B/s against the bound %.3g", kernelBest, bound)
        .isLessThanOrEqualTo(1.05);
  }
}
