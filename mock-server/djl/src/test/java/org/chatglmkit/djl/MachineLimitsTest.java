package org.chatglmkit.djl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.IntStream;
import org.chatglmkit.djl.bench.MachineLimits;
import org.chatglmkit.djl.bench.Shares;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MachineLimitsTest {
  @Test
  void aShareAboveOneIsRefused() {
    assertThat(Shares.of("decode", 3.5, 7.0)).isEqualTo(0.5);
    assertThatThrownBy(() -> Shares.of("fp16 decode", 12.7, 12.6))
        .hasMessageContaining("fp16 decode")
        .hasMessageContaining("the bound is not a bound");
  }

  @Test
  void theReadBoundIsTheFasterProbe() {
    MachineLimits.Limits javaFaster =
        new MachineLimits.Limits(26e9, 14e9, 24e9, 15e9, 3e11, 1L << 30, 1L << 28, 2, 2048);
    assertThat(javaFaster.readBound()).isEqualTo(26e9);
    assertThat(javaFaster.readBoundOneThread()).isEqualTo(15e9);
    MachineLimits.Limits nativeFaster =
        new MachineLimits.Limits(26e9, 14e9, 31e9, 16e9, 3e11, 1L << 30, 1L << 28, 2, 2048);
    assertThat(nativeFaster.readBound()).isEqualTo(31e9);
    MachineLimits.Limits javaOnly =
        new MachineLimits.Limits(26e9, 14e9, 0, 0, 3e11, 1L << 30, 1L << 28, 2, 2048);
    assertThat(javaOnly.readBound()).isEqualTo(26e9);
    assertThat(MachineLimits.best(javaOnly, nativeFaster).readBound()).isEqualTo(31e9);
  }

  /**
   * {@code bench/read-probe.c}, built as {@code bench/full-size.sh} builds it, reads the machine's
   * memory at least about as fast as the Java probe in the same minute (it has the same loads and a
   * prefetch more): a native probe much slower than Java's would be a broken one. Needs a C
   * compiler; without one the test is skipped, as the benchmark then uses the Java probe alone.
   */
  @Test
  void theNativeProbeReadsAtLeastAsFastAsTheJavaProbe(@TempDir Path dir) throws Exception {
    Path source = Path.of("bench/read-probe.c").toAbsolutePath();
    Path probe = dir.resolve("read-probe");
    Process compiler;
    try {
      compiler =
          new ProcessBuilder(
                  "cc",
                  "-O2",
                  "-march=native",
                  "-pthread",
                  "-o",
                  probe.toString(),
                  source.toString())
              .redirectErrorStream(true)
              .start();
    } catch (java.io.IOException noCompiler) {
      Assumptions.abort("no C compiler (cc) on this machine");
      return;
    }
    String messages = new String(compiler.getInputStream().readAllBytes());
    assertThat(compiler.waitFor()).as(messages).isZero();
    long bytes = MachineLimits.probeBytes();
    double nativeRead =
        MachineLimits.nativeReadForTests(
            probe.toString(), Runtime.getRuntime().availableProcessors(), bytes, 3);
    double javaRead = MachineLimits.readBandwidthForTests(3);
    assertThat(nativeRead / javaRead)
        .as("native %.3g B/s against Java's %.3g", nativeRead, javaRead)
        .isGreaterThan(0.8);
  }

  @Test
  void aNativeProbeThatFailsSaysSo(@TempDir Path dir) throws Exception {
    Path probe = dir.resolve("read-probe");
    Files.writeString(
        probe, "#!/bin/sh\necho 'read-probe: mmap: Cannot allocate memory'\nexit 1\n");
    probe.toFile().setExecutable(true);
    assertThatThrownBy(() -> MachineLimits.nativeReadForTests(probe.toString(), 2, 1L << 30, 3))
        .hasMessageContaining("native read probe")
        .hasMessageContaining("Cannot allocate memory");
  }

  @Test
  void aNativeProbeThatHangsIsStoppedInBoundedTime(@TempDir Path dir) throws Exception {
    Path probe = dir.resolve("read-probe");
    Files.writeString(probe, "#!/bin/sh\nexec sleep 60\n");
    probe.toFile().setExecutable(true);
    long start = System.nanoTime();
    assertThatThrownBy(
            () ->
                MachineLimits.nativeReadForTests(
                    probe.toString(), 2, 1L << 30, 3, java.time.Duration.ofSeconds(1)))
        .hasMessageContaining("native read probe")
        .hasMessageContaining("did not finish within PT1S");
    assertThat((System.nanoTime() - start) / 1e9).isLessThan(30);
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
