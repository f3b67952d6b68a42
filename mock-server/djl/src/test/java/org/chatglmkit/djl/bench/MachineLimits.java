package org.chatglmkit.djl.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The machine's real limits, measured in the same run as the figures compared against them, so that
 * a share of a bound is a share of something the machine cannot beat:
 *
 * <ul>
 *   <li>read bandwidth: every core scans its part of a buffer at least four times the last-level
 *       cache with the widest vector loads, best of several rounds (a decode step reads every
 *       weight once: this is its bound). The buffer is Java arrays, as the weights are: the Vector
 *       API's loads from a direct buffer cost more instructions, and two threads read 13–17 GB/s
 *       from one where they read 24–26 GB/s from arrays, in the same minute on this machine;
 *   <li>the same with one thread, for reference;
 *   <li>the same again without the JVM, when the benchmark built {@code bench/read-probe.c} (it
 *       needs a C compiler) and named it in {@value #NATIVE_PROBE}: C with the compiler's widest
 *       loads, with and without a software prefetch on a buffer advised to use huge pages, neither
 *       of which Java can ask for. The bound is the faster of the two probes: in six runs of {@code
 *       bench/full-size.sh} on a 2-core machine the native one read 31.1–34.6 GB/s where the Java
 *       one read 24.9–29.1 (docs/djl.md, "The read bound without the JVM");
 *   <li>the fp32 matrix-product peak: the engine's own GEMM on large square products, best of
 *       several (a prefill is compute-bound: this is its bound).
 * </ul>
 *
 * A copy ({@code System.arraycopy}) is no such bound: it reads and writes, and a decode that only
 * reads beats it.
 */
public final class MachineLimits {
  /** The system property naming the built native read probe (unset: the Java probe alone). */
  public static final String NATIVE_PROBE = "chatglmkit.readProbe";

  /**
   * How long the native probe may take: it scans about a gigabyte a dozen times, seconds on any
   * machine this runs on; a probe that hangs stops the benchmark instead of holding it.
   */
  static final Duration NATIVE_PROBE_LIMIT = Duration.ofMinutes(2);

  private static final VectorSpecies<Long> LONGS = LongVector.SPECIES_PREFERRED;

  /**
   * What was measured.
   *
   * @param readBytesPerSecond every core reading, the Java probe
   * @param readBytesPerSecondOneThread one thread reading, the Java probe
   * @param nativeReadBytesPerSecond every core reading, the native probe (0: not measured)
   * @param nativeReadBytesPerSecondOneThread one thread reading, the native probe (0: not measured)
   * @param matmulFlopsPerSecond the engine's fp32 GEMM, {@code 2·n³} per product over its time
   * @param bufferBytes the buffer the reads scanned
   * @param lastLevelCacheBytes the last-level cache it is measured against
   * @param threads the threads that read
   * @param matmulSize the side of the square products
   */
  public record Limits(
      double readBytesPerSecond,
      double readBytesPerSecondOneThread,
      double nativeReadBytesPerSecond,
      double nativeReadBytesPerSecondOneThread,
      double matmulFlopsPerSecond,
      long bufferBytes,
      long lastLevelCacheBytes,
      int threads,
      int matmulSize) {
    /** A decode's bound: the faster of the two probes, every core reading. */
    public double readBound() {
      return Math.max(readBytesPerSecond, nativeReadBytesPerSecond);
    }

    /** The same with one thread. */
    public double readBoundOneThread() {
      return Math.max(readBytesPerSecondOneThread, nativeReadBytesPerSecondOneThread);
    }
  }

  private MachineLimits() {}

  /** Measures the machine; {@code rounds} of each, the best kept. */
  public static Limits measure(int rounds) throws Exception {
    long cache = lastLevelCacheBytes();
    long buffer = probeBytes();
    int threads = Runtime.getRuntime().availableProcessors();
    double all = readBandwidth(threads, buffer, rounds);
    double one = readBandwidth(1, buffer, rounds);
    String probe = nativeProbe();
    double nativeAll = probe.isEmpty() ? 0 : nativeReadBandwidth(probe, threads, buffer, rounds);
    double nativeOne = probe.isEmpty() ? 0 : nativeReadBandwidth(probe, 1, buffer, rounds);
    int n = 2048;
    return new Limits(
        all, one, nativeAll, nativeOne, matmulPeak(n, rounds), buffer, cache, threads, n);
  }

  /**
   * Every core's read bandwidth now, in about a second: two rounds of the native probe when one is
   * named, else of the Java probe. For the moments between a benchmark's phases, where the
   * machine's memory may be slower than at the bound's measurement (other work on a shared host).
   */
  public static double readNow() throws Exception {
    long buffer = probeBytes();
    int threads = Runtime.getRuntime().availableProcessors();
    String probe = nativeProbe();
    return probe.isEmpty()
        ? readBandwidth(threads, buffer, 2)
        : nativeReadBandwidth(probe, threads, buffer, 2);
  }

  /** The better of two measurements, figure by figure. */
  public static Limits best(Limits one, Limits other) {
    return new Limits(
        Math.max(one.readBytesPerSecond(), other.readBytesPerSecond()),
        Math.max(one.readBytesPerSecondOneThread(), other.readBytesPerSecondOneThread()),
        Math.max(one.nativeReadBytesPerSecond(), other.nativeReadBytesPerSecond()),
        Math.max(
            one.nativeReadBytesPerSecondOneThread(), other.nativeReadBytesPerSecondOneThread()),
        Math.max(one.matmulFlopsPerSecond(), other.matmulFlopsPerSecond()),
        one.bufferBytes(),
        one.lastLevelCacheBytes(),
        one.threads(),
        one.matmulSize());
  }

  /** The native probe the benchmark built, or "" when it built none. */
  private static String nativeProbe() {
    return System.getProperty(NATIVE_PROBE, "");
  }

  /** The buffer every read probe scans: four times the last-level cache, at least 512 MiB. */
  public static long probeBytes() {
    return Math.max(4 * lastLevelCacheBytes(), 512L << 20);
  }

  /** The last-level cache, from sysfs (32 MiB when it cannot be read). */
  static long lastLevelCacheBytes() {
    long largest = 0;
    for (int index = 0; index < 8; index++) {
      Path size = Path.of("/sys/devices/system/cpu/cpu0/cache/index" + index + "/size");
      try {
        String text = Files.readString(size).strip().toUpperCase(java.util.Locale.ROOT);
        long unit = text.endsWith("K") ? 1024 : text.endsWith("M") ? 1 << 20 : 1;
        largest = Math.max(largest, Long.parseLong(text.replaceAll("\\D", "")) * unit);
      } catch (IOException | NumberFormatException e) {
        // no such level
      }
    }
    return largest > 0 ? largest : 32L << 20;
  }

  /**
   * Bytes per second that {@code threads} threads read from a buffer of {@code bytes} (Java arrays
   * of 256 MiB), each scanning its share with vector loads; best of {@code rounds}.
   */
  static double readBandwidth(int threads, long bytes, int rounds) throws Exception {
    int partBytes = 256 << 20;
    List<byte[]> parts = new ArrayList<>();
    for (long left = bytes; left > 0; left -= partBytes) {
      byte[] part = new byte[(int) Math.min(partBytes, left)];
      for (int i = 0; i < part.length; i += 4096) {
        part[i] = (byte) i; // every page written, so the reads meet memory, not page faults
      }
      parts.add(part);
    }
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      double best = 0;
      long sink = 0;
      for (int round = 0; round < rounds + 1; round++) {
        List<Callable<Long>> scans = new ArrayList<>();
        for (byte[] part : parts) {
          int share = part.length / threads / 64 * 64;
          for (int t = 0; t < threads; t++) {
            int from = t * share;
            int to = t == threads - 1 ? part.length : from + share;
            scans.add(() -> scan(part, from, to));
          }
        }
        long start = System.nanoTime();
        for (Future<Long> done : pool.invokeAll(scans)) {
          sink += done.get();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        if (round > 0) { // the first round warms the JIT
          best = Math.max(best, bytes / seconds);
        }
      }
      if (sink == 42) {
        System.out.print(""); // keeps the sums alive
      }
      return best;
    } finally {
      pool.shutdownNow();
    }
  }

  /** Reads bytes {@code from … to} with vector loads, four sums in flight; returns their sum. */
  static long scan(byte[] buffer, int from, int to) {
    int step = LONGS.vectorByteSize();
    LongVector a = LongVector.zero(LONGS);
    LongVector b = LongVector.zero(LONGS);
    LongVector c = LongVector.zero(LONGS);
    LongVector d = LongVector.zero(LONGS);
    int i = from;
    for (; i + 4 * step <= to; i += 4 * step) {
      a = a.add(LongVector.fromByteArray(LONGS, buffer, i, ByteOrder.nativeOrder()));
      b = b.add(LongVector.fromByteArray(LONGS, buffer, i + step, ByteOrder.nativeOrder()));
      c = c.add(LongVector.fromByteArray(LONGS, buffer, i + 2 * step, ByteOrder.nativeOrder()));
      d = d.add(LongVector.fromByteArray(LONGS, buffer, i + 3 * step, ByteOrder.nativeOrder()));
    }
    long sum = a.add(b).add(c).add(d).reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
    for (; i < to; i++) {
      sum += buffer[i];
    }
    return sum;
  }

  /**
   * Bytes per second the native probe at {@code probe} reads with {@code threads} threads from a
   * buffer of {@code bytes}, best of {@code rounds} (its {@code best=} figure, in GB/s). A probe
   * that fails, prints no figure or runs longer than {@link #NATIVE_PROBE_LIMIT} is an error.
   */
  static double nativeReadBandwidth(String probe, int threads, long bytes, int rounds)
      throws IOException, InterruptedException {
    return nativeReadBandwidth(probe, threads, bytes, rounds, NATIVE_PROBE_LIMIT);
  }

  static double nativeReadBandwidth(
      String probe, int threads, long bytes, int rounds, Duration limit)
      throws IOException, InterruptedException {
    Path log = Files.createTempFile("read-probe", ".txt");
    try {
      Process run =
          new ProcessBuilder(
                  probe, Long.toString(bytes), Integer.toString(threads), Integer.toString(rounds))
              .redirectErrorStream(true)
              .redirectOutput(log.toFile())
              .start();
      if (!run.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
        run.destroyForcibly();
        throw new IllegalStateException(
            "the native read probe " + probe + " did not finish within " + limit);
      }
      String output = Files.readString(log, StandardCharsets.UTF_8);
      Matcher best = Pattern.compile("best=([\\d.]+)").matcher(output);
      if (run.exitValue() != 0 || !best.find()) {
        throw new IllegalStateException("the native read probe " + probe + " failed: " + output);
      }
      return Double.parseDouble(best.group(1)) * 1e9;
    } finally {
      Files.deleteIfExists(log);
    }
  }

  /** FLOP/s of the engine's fp32 product of two {@code n × n} matrices, best of {@code rounds}. */
  static double matmulPeak(int n, int rounds) {
    try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
      NDArray a = manager.randomUniform(-1, 1, new Shape(n, n), DataType.FLOAT32);
      NDArray b = manager.randomUniform(-1, 1, new Shape(n, n), DataType.FLOAT32);
      double best = 0;
      for (int round = 0; round < rounds + 1; round++) {
        try (NDManager step = manager.newSubManager()) {
          long start = System.nanoTime();
          NDArray product = a.matMul(b);
          product.attach(step);
          float probe = product.getFloat(0, 0); // the product is complete when read
          double seconds = (System.nanoTime() - start) / 1e9;
          if (round > 0 && Float.isFinite(probe)) {
            best = Math.max(best, 2.0 * n * n * n / seconds);
          }
        }
      }
      return best;
    }
  }

  /** The last-level cache (for tests of other packages). */
  public static long lastLevelCacheForTests() {
    return lastLevelCacheBytes();
  }

  /** The native probe's figure (for tests). */
  public static double nativeReadForTests(String probe, int threads, long bytes, int rounds)
      throws IOException, InterruptedException {
    return nativeReadBandwidth(probe, threads, bytes, rounds);
  }

  /** The same with a limit of the test's choosing (for tests). */
  public static double nativeReadForTests(
      String probe, int threads, long bytes, int rounds, Duration limit)
      throws IOException, InterruptedException {
    return nativeReadBandwidth(probe, threads, bytes, rounds, limit);
  }

  /** Every core's read bandwidth over four times the last-level cache (for tests). */
  public static double readBandwidthForTests(int rounds) throws Exception {
    return readBandwidth(Runtime.getRuntime().availableProcessors(), probeBytes(), rounds);
  }
}
