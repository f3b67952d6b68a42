package org.chatglmkit.djl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The int8 and fp16 kernels against sums in double, activation quantization, and fp16 widening bit
 * by bit.
 */
class MatVecTest {
  private static final List<MatVec> KERNELS = List.of(new ScalarMatVec(), MatVec.best());

  @Test
  void theTestsRunTheVectorKernel() {
    // Surefire starts the JVM with --add-modules jdk.incubator.vector; without it these tests
    // would check the scalar kernel twice.
    assertThat(MatVec.best()).isInstanceOf(VectorMatVec.class);
    assertThat(MatVec.hint()).isEmpty();
  }

  /**
   * No method of the vector kernel takes or returns a vector. The JIT keeps vectors in registers
   * only within one compiled method, and whether it inlines a small helper depends on what it
   * compiled before: on the 6B checkpoint, one stream's steps went from 0.46 to 3.7 s after a batch
   * had run, allocating gigabytes a second, while the kernels had helpers that returned vectors. (A
   * benchmark would show such a collapse, {@code bench/full-size.sh}'s one stream after the batch;
   * this keeps its cause out.)
   */
  @Test
  void noKernelMethodPassesAVectorAcrossACall() {
    for (java.lang.reflect.Method method : VectorMatVec.class.getDeclaredMethods()) {
      List<Class<?>> types = new java.util.ArrayList<>(List.of(method.getParameterTypes()));
      types.add(method.getReturnType());
      for (Class<?> type : types) {
        assertThat(type.getPackageName()).as("%s", method).isNotEqualTo("jdk.incubator.vector");
      }
    }
  }

  /**
   * Every conversion names the species it converts to ({@code convertShape(I2F, F, 0)}), never
   * leaves the JIT to look it up ({@code convert(I2F, 0)}). In the 6B server the JIT compiled such
   * a conversion as a call into the library's plain-Java fallback (its profile of the library's
   * shape lookup had seen other shapes), every vector then an object: one stream's steps took 0.7 s
   * instead of 0.26, allocating gigabytes a second. In a fresh JVM, as here, the same code compiles
   * well, so the class file is checked for the call.
   */
  @Test
  void everyConversionNamesItsTargetShape() throws java.io.IOException {
    byte[] code;
    try (java.io.InputStream in = VectorMatVec.class.getResourceAsStream("VectorMatVec.class")) {
      code = in.readAllBytes();
    }
    String constants = new String(code, java.nio.charset.StandardCharsets.ISO_8859_1);
    assertThat(constants.contains("convertShape"))
        .as("the class converts with convertShape")
        .isTrue();
    assertThat(constants.contains("(Ljdk/incubator/vector/VectorOperators$Conversion;I)"))
        .as("VectorMatVec calls convert(Conversion, int)")
        .isFalse();
  }

  /**
   * Once compiled, a product allocates nothing: every vector operation became an instruction (see
   * {@link #everyConversionNamesItsTargetShape} for one that did not, in a server). Each path is
   * called until a round of calls allocates nothing (the JIT compiles it meanwhile), for at most 30
   * seconds.
   */
  @Test
  void eachProductPathAllocatesNothingOnceCompiled() {
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    SplittableRandom random = new SplittableRandom(9);
    int rows = 8;
    java.util.Map<String, Runnable> paths = new java.util.LinkedHashMap<>();
    for (int cols : new int[] {4 * MatVec.BLOCK, VectorMatVec.FOUR_ROWS_FROM}) {
      byte[] int8 = new byte[rows * cols];
      short[] fp16 = new short[rows * cols];
      for (int i = 0; i < rows * cols; i++) {
        int8[i] = (byte) (random.nextInt(255) - 127);
        fp16[i] = Half.fromFloat((float) random.nextDouble(-1, 1));
      }
      float[] scales = new float[rows * MatVec.blocks(cols)];
      java.util.Arrays.fill(scales, 0.01f);
      for (int n : new int[] {1, 2, 4, 5, VectorMatVec.TILE_FROM + 1}) {
        float[] x = randomFloats(random, n * cols);
        QuantizedRows q = new QuantizedRows().quantize(x, n, cols);
        float[] y = new float[n * rows];
        MatVec kernel = MatVec.best();
        paths.put(
            "int8, " + n + " × " + cols,
            () -> kernel.int8(int8, scales, rows, cols, q, y, 0, rows));
        paths.put(
            "fp16, " + n + " × " + cols, () -> kernel.fp16(fp16, rows, cols, x, n, y, 0, rows));
      }
    }
    float[] cache = randomFloats(random, 128 * 100);
    float[] coef = randomFloats(random, 128);
    float[] out = new float[128];
    paths.put(
        "attention's weighted rows",
        () -> MatVec.best().weightedRows(cache, 0, 100, 128, coef, 0, 100, out, 0));
    for (java.util.Map.Entry<String, Runnable> path : paths.entrySet()) {
      long deadline = System.nanoTime() + 30_000_000_000L;
      long allocated;
      do {
        long before = threads.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < 200; i++) {
          path.getValue().run();
        }
        allocated = threads.getCurrentThreadAllocatedBytes() - before;
      } while (allocated > 0 && System.nanoTime() < deadline);
      assertThat(allocated).as("bytes allocated by 200 products, %s", path.getKey()).isZero();
    }
  }

  @Test
  void int8ProductsEqualBlockSumsInDouble() {
    SplittableRandom random = new SplittableRandom(1);
    // Widths below one block, of whole blocks, and with a short last block (96 = 64 + 32, 100 has
    // 36 left, 4096 is 64 blocks, long rows take four weight rows at a time); 1 to 6 activation
    // rows, and a short prompt's (8 and 11: with and without rows beyond a multiple of 4).
    for (int cols : new int[] {5, 16, 64, 96, 100, 4096, VectorMatVec.FOUR_ROWS_FROM}) {
      int blocks = MatVec.blocks(cols);
      for (int n : new int[] {1, 2, 4, 6, 8, 11}) {
        int rows = 7;
        byte[] w = randomInt8(random, rows, cols);
        float[] scales = randomScales(random, rows * blocks);
        float[] x = randomFloats(random, n * cols);
        QuantizedRows q = new QuantizedRows().quantize(x, n, cols);
        double[] expected = new double[n * rows];
        for (int s = 0; s < n; s++) {
          for (int r = 0; r < rows; r++) {
            double sum = 0;
            for (int c = 0; c < cols; c++) {
              int b = c / MatVec.BLOCK;
              sum +=
                  (double) scales[r * blocks + b]
                      * q.scales()[s * blocks + b]
                      * w[r * cols + c]
                      * q.values()[s * cols + c];
            }
            expected[s * rows + r] = sum;
          }
        }
        for (MatVec kernel : KERNELS) {
          float[] y = new float[n * rows];
          // Two row ranges, as the parallel split calls it.
          kernel.int8(w, scales, rows, cols, q, y, 0, 3);
          kernel.int8(w, scales, rows, cols, q, y, 3, rows);
          assertClose(y, expected, kernel.name() + " int8 cols " + cols + " n " + n);
        }
      }
    }
  }

  /**
   * A short prompt's fp16 rows, multiplied from the tile of widened weights, get the sums that four
   * rows at a time get with the weights widened in registers (a batch of decode steps), bit for
   * bit.
   */
  @Test
  void promptRowsThroughTheTileGetTheSumsOfFourRowsAtATime() {
    SplittableRandom random = new SplittableRandom(11);
    MatVec kernel = MatVec.best();
    int n = 3 * 4;
    assertThat(n).isGreaterThanOrEqualTo(VectorMatVec.TILE_FROM);
    // 100 columns: a tail beyond the vectors; 4,096: four of the tile's column chunks.
    for (int cols : new int[] {100, 4096}) {
      int rows = 9; // two tiles of four and a row left
      short[] fp16 = new short[rows * cols];
      for (int i = 0; i < fp16.length; i++) {
        fp16[i] = Half.fromFloat((float) (random.nextGaussian() * 0.05));
      }
      float[] x = randomFloats(random, n * cols);
      float[] all = new float[n * rows];
      kernel.fp16(fp16, rows, cols, x, n, all, 0, rows);
      for (int first = 0; first < n; first += 4) {
        float[] four = java.util.Arrays.copyOfRange(x, first * cols, (first + 4) * cols);
        float[] byFour = new float[4 * rows];
        kernel.fp16(fp16, rows, cols, four, 4, byFour, 0, rows);
        for (int i = 0; i < 4 * rows; i++) {
          assertThat(all[first * rows + i])
              .as("cols %d, output %d", cols, first * rows + i)
              .isEqualTo(byFour[i]);
        }
      }
    }
  }

  @Test
  void wideRowsTakenFourAtATimeGetTheSameSumsAsOneAtATime() {
    SplittableRandom random = new SplittableRandom(7);
    int rows = 6;
    int cols = VectorMatVec.FOUR_ROWS_FROM;
    byte[] w = randomInt8(random, rows, cols);
    float[] scales = randomScales(random, rows * MatVec.blocks(cols));
    QuantizedRows q = new QuantizedRows().quantize(randomFloats(random, cols), 1, cols);
    float[] together = new float[rows];
    MatVec.best().int8(w, scales, rows, cols, q, together, 0, rows);
    for (int r = 0; r < rows; r++) {
      float[] alone = new float[rows];
      MatVec.best().int8(w, scales, rows, cols, q, alone, r, r + 1);
      assertThat(together[r]).as("row %d", r).isEqualTo(alone[r]);
    }
    // fp16 the same way
    short[] halves = new short[rows * cols];
    for (int i = 0; i < halves.length; i++) {
      halves[i] = Half.fromFloat((float) random.nextDouble(-1, 1));
    }
    float[] x = randomFloats(random, cols);
    MatVec.best().fp16(halves, rows, cols, x, 1, together, 0, rows);
    for (int r = 0; r < rows; r++) {
      float[] alone = new float[rows];
      MatVec.best().fp16(halves, rows, cols, x, 1, alone, r, r + 1);
      assertThat(together[r]).as("fp16 row %d", r).isEqualTo(alone[r]);
    }
  }

  @Test
  void twoOrThreeSequencesGetTheirInt8ProductsBitForBitAsAlone() {
    // Batches of two and three share each widened weight chunk with the same sums in the same
    // order; from four on, weights are widened to floats and the sums are float sums (close).
    SplittableRandom random = new SplittableRandom(4);
    int rows = 9;
    int cols = 3 * MatVec.BLOCK;
    byte[] w = randomInt8(random, rows, cols);
    float[] scales = randomScales(random, rows * MatVec.blocks(cols));
    for (int n : new int[] {2, 3, 4, 5}) {
      float[] x = randomFloats(random, n * cols);
      float[] together = new float[n * rows];
      MatVec.best()
          .int8(w, scales, rows, cols, new QuantizedRows().quantize(x, n, cols), together, 0, rows);
      for (int s = 0; s < n; s++) {
        float[] one = java.util.Arrays.copyOfRange(x, s * cols, (s + 1) * cols);
        float[] alone = new float[rows];
        MatVec.best()
            .int8(
                w, scales, rows, cols, new QuantizedRows().quantize(one, 1, cols), alone, 0, rows);
        for (int r = 0; r < rows; r++) {
          if (n < QuantizedRows.WIDENED_FROM) {
            assertThat(together[s * rows + r])
                .as("n %d, row %d, output %d", n, s, r)
                .isEqualTo(alone[r]);
          } else {
            assertThat((double) together[s * rows + r])
                .as("n %d, row %d, output %d", n, s, r)
                .isCloseTo(alone[r], within(1e-5 * (1 + Math.abs(alone[r]))));
          }
        }
      }
    }
  }

  @Test
  void extremeInt8ValuesDoNotOverflowTheShortSums() {
    // Every weight −127 and every activation its block's largest: each product is 127², the
    // largest the kernel adds in a short before widening.
    int cols = 4 * MatVec.BLOCK;
    byte[] w = new byte[cols];
    java.util.Arrays.fill(w, (byte) -127);
    float[] x = new float[cols];
    java.util.Arrays.fill(x, -3f);
    QuantizedRows q = new QuantizedRows().quantize(x, 1, cols);
    float[] scales = new float[MatVec.blocks(cols)];
    java.util.Arrays.fill(scales, 1f / 127);
    for (MatVec kernel : KERNELS) {
      float[] y = new float[1];
      kernel.int8(w, scales, 1, cols, q, y, 0, 1);
      // Σ (−1) · (−3) over the row
      assertThat((double) y[0]).as(kernel.name()).isCloseTo(3.0 * cols, within(1e-3 * cols));
    }
  }

  @Test
  void activationsQuantizePerBlock() {
    float[] x = new float[2 * 70];
    for (int i = 0; i < x.length; i++) {
      x[i] = i % 70 < 64 ? 0.01f * (i % 7) : -100f; // a large value in each row's short block
    }
    x[3] = 1.27f;
    QuantizedRows q = new QuantizedRows().quantize(x, 2, 70);
    assertThat(q.blocks()).isEqualTo(2);
    // Row 0, block 0: max 1.27, so 0.01 per step; the large values cost only their own block.
    assertThat(q.scales()[0]).isCloseTo(0.01f, within(1e-7f));
    assertThat(q.values()[3]).isEqualTo((short) 127);
    assertThat(q.values()[2]).isEqualTo((short) 2);
    assertThat(q.scales()[1]).isCloseTo(100f / 127, within(1e-5f));
    assertThat(q.values()[64]).isEqualTo((short) -127);
    // Row 1, block 0: max 0.06.
    assertThat(q.scales()[2]).isCloseTo(0.06f / 127, within(1e-8f));
    assertThat(q.values()[70 + 6]).isEqualTo((short) 127);
  }

  @Test
  void fp16ProductsEqualSumsInDouble() {
    SplittableRandom random = new SplittableRandom(2);
    for (int cols : new int[] {5, 16, 96, 100, 4096}) {
      // 1 and 3 rows take one path; 4 the four-row path alone; 5 both; from TILE_FROM the tile.
      for (int n : new int[] {1, 3, 4, 5, VectorMatVec.TILE_FROM, VectorMatVec.TILE_FROM + 3}) {
        int rows = 5;
        short[] w = new short[rows * cols];
        double[] weights = new double[rows * cols];
        for (int i = 0; i < rows * cols; i++) {
          short half = Half.fromFloat((float) (random.nextGaussian() * 0.05));
          w[i] = half;
          weights[i] = Half.toFloat(half);
        }
        float[] x = randomFloats(random, n * cols);
        double[] expected = new double[n * rows];
        for (int s = 0; s < n; s++) {
          for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
              expected[s * rows + r] += x[s * cols + c] * weights[r * cols + c];
            }
          }
        }
        for (MatVec kernel : KERNELS) {
          float[] y = new float[n * rows];
          kernel.fp16(w, rows, cols, x, n, y, 0, 1); // a part of one row, then of four
          kernel.fp16(w, rows, cols, x, n, y, 1, rows);
          assertClose(y, expected, kernel.name() + " fp16 cols " + cols + " n " + n);
        }
      }
    }
  }

  @Test
  void weightedRowsEqualSumsInDoubleAtEveryWidth() {
    SplittableRandom random = new SplittableRandom(4);
    // Widths on each side of one vector and of four (16 float lanes here), and none at all.
    for (int width : new int[] {0, 1, 15, 16, 17, 63, 64, 67, 130}) {
      for (int count : new int[] {1, 3, 50}) {
        int stride = width + 5; // rows apart by more than their width, as transposed keys are
        int at = 7;
        float[] m = randomFloats(random, at + count * stride);
        float[] coef = randomFloats(random, 2 + count);
        double[] expected = new double[width];
        for (int j = 0; j < width; j++) {
          for (int i = 0; i < count; i++) {
            expected[j] += (double) coef[2 + i] * m[at + i * stride + j];
          }
        }
        for (MatVec kernel : KERNELS) {
          float[] out = new float[width + 3];
          kernel.weightedRows(m, at, stride, count, coef, 2, width, out, 3);
          assertClose(
              java.util.Arrays.copyOfRange(out, 3, width + 3),
              expected,
              kernel.name() + " width " + width + " count " + count);
          assertThat(out[0] + out[1] + out[2]).as("before outAt").isZero();
        }
      }
    }
  }

  @Test
  void everyFiniteHalfWidensExactlyInBothKernels() {
    // All 63,488 finite halves (both signs, subnormals and zeros included) as a 992 × 64 matrix;
    // multiplying by one-hot rows picks one column, so each product is one widened weight. One
    // activation row, four and a short prompt's take the kernel's three ways of widening; the
    // prefill's widened rows are checked too.
    int cols = 64;
    short[] halves = new short[2 * 0x7C00];
    for (int i = 0; i < 0x7C00; i++) {
      halves[2 * i] = (short) i;
      halves[2 * i + 1] = (short) (i | 0x8000);
    }
    int rows = halves.length / cols;
    short[] w = halves;
    for (MatVec kernel : KERNELS) {
      for (int n : new int[] {1, 4, VectorMatVec.TILE_FROM}) {
        for (int column = 0; column < cols; column++) {
          float[] x = new float[n * cols];
          for (int s = 0; s < n; s++) {
            x[s * cols + column] = 1;
          }
          float[] y = new float[n * rows];
          kernel.fp16(w, rows, cols, x, n, y, 0, rows);
          for (int s = 0; s < n; s++) {
            for (int r = 0; r < rows; r++) {
              float expected = Half.toFloat(halves[r * cols + column]);
              assertThat(Float.floatToIntBits(y[s * rows + r] + 0f))
                  .as(
                      "%s, %d rows: half %04x",
                      kernel.name(), n, halves[r * cols + column] & 0xFFFF)
                  .isEqualTo(Float.floatToIntBits(expected + 0f));
            }
          }
        }
      }
      ByteBuffer out = ByteBuffer.allocateDirect(4 * cols).order(ByteOrder.nativeOrder());
      for (int r = 0; r < rows; r++) {
        kernel.widenFp16(w, r * cols, cols, out, 0);
        for (int c = 0; c < cols; c++) {
          assertThat(Float.floatToIntBits(out.getFloat(4 * c)))
              .as("%s, widened row: half %04x", kernel.name(), halves[r * cols + c] & 0xFFFF)
              .isEqualTo(Float.floatToIntBits(Half.toFloat(halves[r * cols + c])));
        }
      }
    }
  }

  @Test
  void widenedRowsEqualTheWeights() {
    SplittableRandom random = new SplittableRandom(3);
    for (int cols : new int[] {5, 16, 100, 200}) {
      byte[] int8 = new byte[2 * cols];
      short[] fp16 = new short[2 * cols];
      for (int i = 0; i < 2 * cols; i++) {
        int8[i] = (byte) (random.nextInt(255) - 127);
        fp16[i] = Half.fromFloat((float) random.nextGaussian());
      }
      for (MatVec kernel : KERNELS) {
        ByteBuffer out = ByteBuffer.allocateDirect(4 * (cols + 3)).order(ByteOrder.nativeOrder());
        int blocks = MatVec.blocks(cols);
        float[] scales = new float[2 * blocks];
        for (int i = 0; i < scales.length; i++) {
          scales[i] = 0.5f + i;
        }
        kernel.widenInt8(int8, scales, 1, cols, out, 12); // the second row, 3 floats in
        for (int c = 0; c < cols; c++) {
          assertThat(out.getFloat(12 + 4 * c))
              .isEqualTo(scales[blocks + c / MatVec.BLOCK] * int8[cols + c]);
        }
        kernel.widenFp16(fp16, cols, cols, out, 12);
        for (int c = 0; c < cols; c++) {
          assertThat(out.getFloat(12 + 4 * c)).isEqualTo(Half.toFloat(fp16[cols + c]));
        }
      }
    }
  }

  @Test
  void halvesConvertAsIeeeSays() {
    assertThat(Half.toFloat((short) 0x3C00)).isEqualTo(1f);
    assertThat(Half.toFloat((short) 0xC000)).isEqualTo(-2f);
    assertThat(Half.toFloat((short) 0x7BFF)).isEqualTo(65504f);
    assertThat(Half.toFloat((short) 0x0001)).isEqualTo(0x1p-24f); // smallest subnormal
    assertThat(Half.toFloat((short) 0x0400)).isEqualTo(0x1p-14f); // smallest normal
    assertThat(Half.toFloat((short) 0x7C00)).isEqualTo(Float.POSITIVE_INFINITY);
    assertThat(Half.toFloat((short) 0x7E00)).isNaN();
    for (int bits = 0; bits < 0x10000; bits++) {
      if ((bits & 0x7FFF) < 0x7C00) {
        assertThat(Half.fromFloat(Half.toFloat((short) bits)) & 0xFFFF)
            .as("round trip of %04x", bits)
            .isEqualTo(bits);
      }
    }
  }

  private static byte[] randomInt8(SplittableRandom random, int rows, int cols) {
    byte[] w = new byte[rows * cols];
    for (int i = 0; i < rows * cols; i++) {
      w[i] = (byte) (random.nextInt(255) - 127);
    }
    return w;
  }

  private static float[] randomScales(SplittableRandom random, int count) {
    float[] scales = new float[count];
    for (int i = 0; i < count; i++) {
      scales[i] = (float) random.nextDouble(0.001, 0.1);
    }
    return scales;
  }

  private static float[] randomFloats(SplittableRandom random, int count) {
    float[] values = new float[count];
    for (int i = 0; i < count; i++) {
      values[i] = (float) random.nextDouble(-1, 1);
    }
    return values;
  }

  private static void assertClose(float[] actual, double[] expected, String what) {
    for (int i = 0; i < actual.length; i++) {
      assertThat((double) actual[i])
          .as("%s, element %d", what, i)
          .isCloseTo(
              expected[i], org.assertj.core.data.Offset.offset(1e-4 * (1 + Math.abs(expected[i]))));
    }
  }
}
