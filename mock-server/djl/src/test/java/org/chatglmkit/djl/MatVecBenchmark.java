package org.chatglmkit.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.stream.IntStream;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.chatglmkit.mockserver.core.Json;

/**
 * Where the compact-weight products come from: one ChatGLM3-6B MLP matrix (13,696 outputs × 4,096
 * inputs) multiplied by 1 and 4 activation rows (decode steps) and by 128 (a prefill), in each way
 * considered, best of several runs:
 *
 * <ul>
 *   <li>{@code fp32 djl}: the fp32 matrix, PyTorch's product (the baseline);
 *   <li>{@code fp16 djl}: the matrix held in fp16 and multiplied by PyTorch with the activations
 *       cast to fp16 (the engine's own half-width product, no widening);
 *   <li>{@code int8|fp16 djl blocks of B rows}: compact weights, each block of B output rows
 *       widened to fp32 by PyTorch ({@code toType}) just before its product, row-major [out, in];
 *   <li>{@code int8 djl blocks of B columns}: the same with the matrix stored [in, out] and blocks
 *       of output columns (the scale then multiplies the product);
 *   <li>{@code int8|fp16 java scalar|vector}: {@link MatVec} on all cores;
 *   <li>{@code int8 widen + djl blocks}: the prefill path of {@link CompactMatrix};
 *   <li>a "prefill" table: 8 to 382 activation rows through both of {@link CompactMatrix}'s paths
 *       (the kernels, and blocks widened for PyTorch at two block sizes), int8 and fp16;
 *   <li>{@code int8 java vector, long rows}: one activation row, the same bytes read as the MLP's
 *       down projection (4,096 outputs × 13,696 inputs), as the kernel takes them (four weight rows
 *       at a time) and one row per call (as it takes short rows).
 * </ul>
 *
 * <p>Prints a table and writes {@code reports/bench/djl-matvec-<timestamp>.json}. Arguments: {@code
 * [output-file]}.
 */
public final class MatVecBenchmark {
  private static final int ROWS = 13696;
  private static final int COLS = 4096;
  private static final int REPEATS = 7;

  private MatVecBenchmark() {}

  public static void main(String[] args) throws Exception {
    List<Map<String, Object>> results = new ArrayList<>();
    SplittableRandom random = new SplittableRandom(1);
    try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
      float[] weights = new float[ROWS * COLS];
      for (int i = 0; i < weights.length; i++) {
        weights[i] = (float) (0.02 * random.nextGaussian());
      }
      NDArray fp32Transposed =
          manager.create(weights, new Shape(ROWS, COLS)).transpose().duplicate();
      byte[] int8 = new byte[ROWS * COLS];
      int blocks = MatVec.blocks(COLS);
      float[] scales = new float[ROWS * blocks];
      for (int r = 0; r < ROWS; r++) {
        CompactMatrix.quantizeRow(weights, r * COLS, COLS, int8, r * COLS, scales, r * blocks);
      }
      // The PyTorch alternatives scale each output once (a row's first block scale): they time the
      // approach, not the block format.
      float[] rowScales = new float[ROWS];
      for (int r = 0; r < ROWS; r++) {
        rowScales[r] = scales[r * blocks];
      }
      short[] fp16 = new short[ROWS * COLS];
      for (int i = 0; i < weights.length; i++) {
        fp16[i] = Half.fromFloat(weights[i]);
      }
      NDArray int8Rows =
          manager.create(ByteBuffer.wrap(int8), new Shape(ROWS, COLS), DataType.INT8);
      NDArray int8Columns = int8Rows.transpose().duplicate();
      NDArray scaleArray = manager.create(rowScales);
      NDArray fp16Rows =
          manager.create(weights, new Shape(ROWS, COLS)).toType(DataType.FLOAT16, false);
      // Held transposed, [in, out], so the product needs no copy: the engine's own half-width
      // product. (bf16, which has its own instructions on CPUs with AVX512-BF16, cannot be
      // measured this way: this DJL version's PyTorch engine maps no bf16 type, and casting to it
      // aborts the process.)
      NDArray fp16Transposed = fp32Transposed.toType(DataType.FLOAT16, false);
      CompactMatrix int8Matrix = CompactMatrix.of(WeightsKind.INT8, ROWS, COLS, weights);
      CompactMatrix.Scratch scratch = new CompactMatrix.Scratch(manager);
      weights = null;
      MatVec vector = MatVec.best();
      MatVec scalar = new ScalarMatVec();
      float[] xLong = new float[ROWS];
      for (int i = 0; i < xLong.length; i++) {
        xLong[i] = (float) random.nextDouble(-1, 1);
      }
      QuantizedRows quantizedLong = new QuantizedRows();
      for (int n : new int[] {1, 4, 128}) {
        float[] x = new float[n * COLS];
        for (int i = 0; i < x.length; i++) {
          x[i] = (float) random.nextDouble(-1, 1);
        }
        Shape shape = new Shape(n, COLS);
        float[] y = new float[n * ROWS];
        QuantizedRows quantized = new QuantizedRows().quantize(x, n, COLS);
        Map<String, Double> times = new LinkedHashMap<>();
        times.put(
            "fp32 djl", time(manager, scope -> scope.create(x, shape).matMul(fp32Transposed)));
        times.put(
            "fp16 djl (weights and activations fp16)",
            time(
                manager,
                scope ->
                    scope
                        .create(x, shape)
                        .toType(DataType.FLOAT16, false)
                        .matMul(fp16Transposed)
                        .toType(DataType.FLOAT32, false)));
        for (int block : new int[] {64, 256, 1024, 4096}) {
          times.put(
              "int8 djl blocks of " + block + " rows",
              time(
                  manager,
                  scope -> rowBlocks(scope.create(x, shape), int8Rows, block).mul(scaleArray)));
          times.put(
              "fp16 djl blocks of " + block + " rows",
              time(manager, scope -> rowBlocks(scope.create(x, shape), fp16Rows, block)));
        }
        times.put(
            "int8 djl blocks of 1024 columns",
            time(
                manager,
                scope -> columnBlocks(scope.create(x, shape), int8Columns, 1024).mul(scaleArray)));
        if (n <= 4) {
          times.put(
              "int8 java scalar",
              time(
                  manager,
                  scope ->
                      parallel(
                          p -> scalar.int8(int8, scales, ROWS, COLS, quantized, y, p[0], p[1]))));
        }
        times.put(
            "int8 java vector",
            time(
                manager,
                scope -> {
                  // Quantizing the activations is part of every int8 product.
                  quantized.quantize(x, n, COLS);
                  return parallel(
                      p -> vector.int8(int8, scales, ROWS, COLS, quantized, y, p[0], p[1]));
                }));
        if (n == 1) {
          int longRows = COLS;
          int longCols = ROWS; // the same bytes and as many scales: 13,696 = 214 blocks
          for (boolean oneACall : new boolean[] {false, true}) {
            times.put(
                "int8 java vector, long rows" + (oneACall ? " one a call" : ""),
                time(
                    manager,
                    scope -> {
                      quantizedLong.quantize(xLong, 1, longCols);
                      return parallel(
                          longRows,
                          p -> {
                            // One row per call takes the short-row path.
                            int step = oneACall ? 1 : p[1] - p[0];
                            for (int r = p[0]; r < p[1]; r += step) {
                              vector.int8(
                                  int8,
                                  scales,
                                  longRows,
                                  longCols,
                                  quantizedLong,
                                  y,
                                  r,
                                  Math.min(p[1], r + step));
                            }
                          });
                    }));
          }
        }
        times.put(
            "fp16 java vector",
            time(
                manager,
                scope -> parallel(p -> vector.fp16(fp16, ROWS, COLS, x, n, y, p[0], p[1]))));
        times.put(
            "int8 widen + djl blocks (the prefill's)",
            time(manager, scope -> int8Matrix.multiplyByBlocks(scope.create(x, shape), scratch)));
        double baseline = times.get("fp32 djl");
        System.out.printf(Locale.ROOT, "%n%d activation row(s), %d × %d weights:%n", n, ROWS, COLS);
        for (Map.Entry<String, Double> entry : times.entrySet()) {
          System.out.printf(
              Locale.ROOT,
              "  %-38s %9.2f ms  %5.2f× fp32%n",
              entry.getKey(),
              entry.getValue(),
              entry.getValue() / baseline);
          Map<String, Object> row = new LinkedHashMap<>();
          row.put("rows", n);
          row.put("method", entry.getKey());
          row.put("ms", Math.round(entry.getValue() * 100) / 100.0);
          row.put("over_fp32", Math.round(entry.getValue() / baseline * 100) / 100.0);
          results.add(row);
        }
      }
      // The MLP's up projection (one half of it) and its down projection.
      prefill(manager, random, ROWS, COLS, results);
      prefill(manager, random, COLS, ROWS, results);
      // The one-row int8 kernel on one core: from a matrix that stays in the core's cache (its
      // arithmetic alone) and from the whole matrix (memory too); weights in GB/s.
      float[] one = new float[COLS];
      for (int c = 0; c < COLS; c++) {
        one[c] = (float) random.nextGaussian();
      }
      QuantizedRows oneRow = new QuantizedRows().quantize(one, 1, COLS);
      float[] out = new float[ROWS];
      System.out.printf(Locale.ROOT, "%none int8 activation row on one core:%n");
      // From Java arrays, and the same operations from a direct buffer (native memory), as the
      // weights were held before: each of its vector loads checks the buffer and computes an
      // address. The matrix in cache takes tens of microseconds: timed over 16 products.
      ByteBuffer direct = ByteBuffer.allocateDirect(int8.length);
      direct.put(0, int8);
      for (boolean fromArrays : new boolean[] {true, false}) {
        for (int rows : new int[] {256, ROWS}) {
          int times = rows == ROWS ? 1 : 16;
          double ms =
              time(
                      manager,
                      scope -> {
                        for (int k = 0; k < times; k++) {
                          if (fromArrays) {
                            vector.int8(int8, scales, rows, COLS, oneRow, out, 0, rows);
                          } else {
                            for (int r = 0; r < rows; r++) {
                              out[r] =
                                  directInt8Row(direct, r * COLS, scales, r * blocks, oneRow, COLS);
                            }
                          }
                        }
                        return null;
                      })
                  / times;
          double gbPerS = (double) rows * COLS / ms / 1e6;
          // The server's kernel takes these rows four at a time (VectorMatVec.FOUR_ROWS_FROM); the
          // direct-buffer copy one at a time.
          String source =
              fromArrays
                  ? COLS >= VectorMatVec.FOUR_ROWS_FROM ? ", four rows at a time" : ""
                  : " from a direct buffer, one row at a time";
          System.out.printf(
              Locale.ROOT,
              "  %-38s %9.2f ms  %5.1f GB/s%n",
              String.format(
                  Locale.ROOT,
                  "%d × %d (%.0f MB)%s%s",
                  rows,
                  COLS,
                  rows * COLS / 1e6,
                  source,
                  rows == ROWS ? "" : ", in cache"),
              ms,
              gbPerS);
          Map<String, Object> row = new LinkedHashMap<>();
          row.put("rows", 1);
          row.put("method", "int8 java vector" + source + ", one core, " + rows + " weight rows");
          row.put("ms", Math.round(ms * 1000) / 1000.0);
          row.put("weights_gb_per_s", Math.round(gbPerS * 10) / 10.0);
          results.add(row);
        }
      }
      System.out.println("\nkernel: " + vector.name());
    }
    Path out =
        Path.of(
            args.length > 0
                ? args[0]
                : "reports/bench/djl-matvec-" + System.currentTimeMillis() + ".json");
    Files.createDirectories(out.toAbsolutePath().getParent());
    Json.MAPPER.writerWithDefaultPrettyPrinter().writeValue(out.toFile(), results);
    System.out.println("written: " + out);
  }

  /**
   * A prompt's rows through {@link CompactMatrix}'s two paths, on a {@code rows × cols} matrix: the
   * kernels ({@link MatVec}, each weight read once for up to four rows) and weight blocks widened
   * into the scratch tensor for PyTorch's product, at the scratch's size and a quarter of it; where
   * they cross sets {@link CompactMatrix#WIDENED_FROM}.
   */
  private static void prefill(
      NDManager manager,
      SplittableRandom random,
      int rows,
      int cols,
      List<Map<String, Object>> results) {
    float[] weights = new float[rows * cols];
    for (int i = 0; i < weights.length; i++) {
      weights[i] = (float) (0.02 * random.nextGaussian());
    }
    CompactMatrix int8 = CompactMatrix.of(WeightsKind.INT8, rows, cols, weights);
    CompactMatrix fp16 = CompactMatrix.of(WeightsKind.FP16, rows, cols, weights);
    try (NDManager held = manager.newSubManager()) {
      NDArray fp32Transposed = held.create(weights, new Shape(rows, cols)).transpose().duplicate();
      weights = null;
      CompactMatrix.Scratch scratch = new CompactMatrix.Scratch(held);
      CompactMatrix.Scratch quarter = new CompactMatrix.Scratch(held, scratch.capacity() / 4);
      System.out.printf(
          Locale.ROOT,
          "%nprefill: activation rows × %d × %d weights, ms (GFLOP/s); blocks of %d and %d"
              + " floats%n  %5s %15s %15s %15s %15s %15s %15s%n",
          rows,
          cols,
          scratch.capacity(),
          quarter.capacity(),
          "rows",
          "fp32 djl",
          "int8 kernel",
          "int8 blocks",
          "int8 ¼ blocks",
          "fp16 kernel",
          "fp16 blocks");
      QuantizedRows quantized = new QuantizedRows();
      for (int n : new int[] {8, 16, 32, 48, 64, 382}) {
        float[] x = new float[n * cols];
        for (int i = 0; i < x.length; i++) {
          x[i] = (float) random.nextDouble(-1, 1);
        }
        Shape shape = new Shape(n, cols);
        float[] y = new float[n * rows];
        Map<String, Double> times = new LinkedHashMap<>();
        times.put(
            "fp32 djl", time(manager, scope -> scope.create(x, shape).matMul(fp32Transposed)));
        for (CompactMatrix matrix : new CompactMatrix[] {int8, fp16}) {
          String kind = matrix == int8 ? "int8" : "fp16";
          times.put(
              kind + " kernel",
              time(
                  manager,
                  scope -> {
                    matrix.multiply(x, n, y, quantized);
                    return null;
                  }));
          times.put(
              kind + " blocks",
              time(manager, scope -> matrix.multiplyByBlocks(scope.create(x, shape), scratch)));
          if (matrix == int8) {
            times.put(
                kind + " quarter blocks",
                time(manager, scope -> matrix.multiplyByBlocks(scope.create(x, shape), quarter)));
          }
        }
        double flops = 2.0 * n * rows * cols;
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "  %5d", n));
        for (Map.Entry<String, Double> entry : times.entrySet()) {
          line.append(
              String.format(
                  Locale.ROOT, " %7.1f (%5.1f)", entry.getValue(), flops / entry.getValue() / 1e6));
          Map<String, Object> row = new LinkedHashMap<>();
          row.put("rows", n);
          row.put("method", "prefill, " + rows + " × " + cols + ": " + entry.getKey());
          row.put("ms", Math.round(entry.getValue() * 100) / 100.0);
          row.put("gflop_per_s", Math.round(flops / entry.getValue() / 1e5) / 10.0);
          results.add(row);
        }
        System.out.println(line);
      }
    }
  }

  private static NDArray rowBlocks(NDArray x, NDArray rows, int block) {
    NDList parts = new NDList();
    for (int first = 0; first < ROWS; first += block) {
      try (NDManager scratch = x.getManager().newSubManager()) {
        NDArray slice = rows.get(first + ":" + Math.min(ROWS, first + block));
        slice.attach(scratch);
        NDArray part = x.matMul(slice.toType(DataType.FLOAT32, false).transpose());
        part.attach(x.getManager());
        parts.add(part);
      }
    }
    return NDArrays.concat(parts, 1);
  }

  private static NDArray columnBlocks(NDArray x, NDArray columns, int block) {
    NDList parts = new NDList();
    for (int first = 0; first < ROWS; first += block) {
      try (NDManager scratch = x.getManager().newSubManager()) {
        NDArray slice = columns.get(":, " + first + ":" + Math.min(ROWS, first + block));
        slice.attach(scratch);
        NDArray part = x.matMul(slice.toType(DataType.FLOAT32, false));
        part.attach(x.getManager());
        parts.add(part);
      }
    }
    return NDArrays.concat(parts, 1);
  }

  /**
   * {@code VectorMatVec}'s one-row int8 product (512-bit vectors, whole blocks) with the weights in
   * a direct buffer: the same operations, written again here on purpose, loaded through {@code
   * ByteVector.fromByteBuffer}, so that the benchmark shows what the arrays are worth.
   */
  private static float directInt8Row(
      ByteBuffer w, int base, float[] ws, int wb, QuantizedRows x, int cols) {
    VectorSpecies<Float> f = FloatVector.SPECIES_512;
    VectorSpecies<Short> sp = ShortVector.SPECIES_512;
    VectorSpecies<Byte> bp = ByteVector.SPECIES_256;
    short[] q = x.values();
    float[] xs = x.scales();
    FloatVector acc = FloatVector.zero(f);
    for (int b = 0; b < cols / MatVec.BLOCK; b++) {
      int c = b * MatVec.BLOCK;
      ShortVector w0 =
          (ShortVector)
              ByteVector.fromByteBuffer(bp, w, base + c, ByteOrder.LITTLE_ENDIAN)
                  .convertShape(VectorOperators.B2S, sp, 0);
      ShortVector w1 =
          (ShortVector)
              ByteVector.fromByteBuffer(bp, w, base + c + 32, ByteOrder.LITTLE_ENDIAN)
                  .convertShape(VectorOperators.B2S, sp, 0);
      IntVector pairs =
          w0.mul(ShortVector.fromArray(sp, q, c))
              .add(w1.mul(ShortVector.fromArray(sp, q, c + 32)))
              .reinterpretAsInts();
      IntVector dot =
          pairs
              .lanewise(VectorOperators.ASHR, 16)
              .add(pairs.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16));
      acc =
          ((FloatVector) dot.convertShape(VectorOperators.I2F, f, 0))
              .fma(FloatVector.broadcast(f, ws[wb + b] * xs[b]), acc);
    }
    return acc.reduceLanes(VectorOperators.ADD);
  }

  private static Object parallel(java.util.function.Consumer<int[]> range) {
    return parallel(ROWS, range);
  }

  /** Rows {@code 0 … rows} in as many parts as {@link CompactMatrix} splits them, on all cores. */
  private static Object parallel(int rows, java.util.function.Consumer<int[]> range) {
    int parts = 2 * Runtime.getRuntime().availableProcessors();
    IntStream.range(0, parts)
        .parallel()
        .forEach(p -> range.accept(new int[] {p * rows / parts, (p + 1) * rows / parts}));
    return null;
  }

  /** Best time of {@link #REPEATS} runs, in ms; NDArrays made by a run are freed after it. */
  private static double time(NDManager manager, Function<NDManager, Object> run) {
    double best = Double.MAX_VALUE;
    // Runs for at least a second before the timed rounds: a Java kernel is compiled to vector
    // instructions only after thousands of calls, and best-of-7 alone timed the first compilation.
    long warm = System.nanoTime() + 1_000_000_000L;
    while (System.nanoTime() < warm) {
      try (NDManager scope = manager.newSubManager()) {
        Object result = run.apply(scope);
        if (result instanceof NDArray array) {
          array.attach(scope);
          array.toFloatArray();
        }
      }
    }
    for (int i = 0; i < REPEATS; i++) {
      try (NDManager scope = manager.newSubManager()) {
        long start = System.nanoTime();
        Object result = run.apply(scope);
        if (result instanceof NDArray array) {
          array.attach(scope);
          array.toFloatArray(); // the product is done when its values are read
        }
        best = Math.min(best, (System.nanoTime() - start) / 1e6);
      }
    }
    return best;
  }
}
