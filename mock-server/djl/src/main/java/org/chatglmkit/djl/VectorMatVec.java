package org.chatglmkit.djl;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorOperators.Associative;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link MatVec} on Java's Vector API (incubating in Java 17; needs {@code --add-modules
 * jdk.incubator.vector}).
 *
 * <p>int8: integer products, as Q8_0 engines compute them. A chunk of weights is widened to shorts
 * and multiplied by the quantized activations (Java 17's Vector API has no dot-product instruction,
 * and widening bytes to floats is several times slower here than to shorts: {@code
 * bench/matvec.sh}); the pairs of shorts are summed into ints, and each block's ints become floats
 * once, times the weight block's and the activation block's scales.
 *
 * <p>fp16: one float lane per weight: a chunk of {@code L} halves is widened to {@code L} floats in
 * registers and multiplied into the running sums of up to four activation rows, so each weight is
 * read from memory once per step however many sequences the batch holds. The halves are widened
 * with integer operations: the exponent and mantissa moved into a float's places, times 2^112.
 *
 * <p>Loops are written out rather than shared through a function argument, and no method here takes
 * or returns a vector: the JIT turns vectors into registers only within one compiled method, so a
 * vector that crosses a call it does not inline becomes an object. Whether it inlines a small
 * helper depends on what it compiled before (a helper already compiled on its own is called, not
 * inlined): on the 6B checkpoint, one stream's steps went from 0.46 to 3.7 s, allocating gigabytes
 * a second, once a batch had run, while the kernels had helpers that returned vectors.
 */
final class VectorMatVec implements MatVec {
  private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
  private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
  private static final VectorSpecies<Byte> B =
      ByteVector.SPECIES_PREFERRED.withShape(VectorShape.forBitSize(F.length() * 8));
  private static final VectorSpecies<Short> S =
      ShortVector.SPECIES_PREFERRED.withShape(VectorShape.forBitSize(F.length() * 16));
  private static final int L = F.length();
  // The int8 products: LS weights widened to shorts, times LS quantized activations.
  private static final VectorSpecies<Short> SP = ShortVector.SPECIES_PREFERRED;
  private static final VectorSpecies<Byte> BP =
      ByteVector.SPECIES_PREFERRED.withShape(VectorShape.forBitSize(SP.length() * 8));
  private static final int LS = SP.length();
  private static final int STEP = 2 * LS;
  private static final Associative ADD = VectorOperators.ADD;
  private static final ScalarMatVec SCALAR = new ScalarMatVec();

  /**
   * Columns from which one activation row takes four weight rows at a time ({@link #int8FourRows}).
   */
  static final int FOUR_ROWS_FROM = 4096;

  /**
   * Activation rows (a short prompt's) from which four fp16 weight rows at a time are widened once
   * into this thread's float tile ({@link #floatTile}) and multiplied from there by every
   * activation row, rather than widened again in registers for every four activation rows: fp16's
   * widening is integer work, and a 16- to 64-row product took about half the time ({@code
   * bench/matvec.sh}, its "prefill" table).
   */
  static final int TILE_FROM = 8;

  /**
   * Columns widened into the tile at a time: four weight rows of them (16 KB) stay in the core's
   * first-level cache while every activation row passes over them.
   */
  private static final int TILE_COLS = 1024;

  private static final ThreadLocal<float[]> TILE =
      ThreadLocal.withInitial(() -> new float[4 * TILE_COLS]);

  /** Each (activation row, weight row) pair's running lane sums across the tile's columns. */
  private static final ThreadLocal<float[]> TILE_SUMS = ThreadLocal.withInitial(() -> new float[0]);

  private VectorMatVec() {}

  /** The kernel, after products checked against the scalar kernel's. */
  static VectorMatVec create() {
    if (MatVec.BLOCK % STEP != 0 || MatVec.BLOCK % L != 0 || I.length() != L || LS != 2 * L) {
      throw new IllegalStateException("vector shapes this kernel does not handle");
    }
    VectorMatVec kernel = new VectorMatVec();
    int cols = 2 * MatVec.BLOCK + 5;
    byte[] w = new byte[2 * cols];
    float[] x = new float[cols];
    for (int i = 0; i < x.length; i++) {
      w[i] = (byte) (i * 37 - 50);
      w[cols + i] = (byte) (i * 11 + 3);
      x[i] = i * 0.25f - 3;
    }
    float[] scales = {0.5f, 2f, 0.25f, 1f, 3f, 0.75f};
    QuantizedRows q = new QuantizedRows().quantize(x, 1, cols);
    float[] expected = new float[2];
    float[] actual = new float[2];
    new ScalarMatVec().int8(w, scales, 2, cols, q, expected, 0, 2);
    kernel.int8(w, scales, 2, cols, q, actual, 0, 2);
    for (int i = 0; i < 2; i++) {
      if (Math.abs(expected[i] - actual[i]) > 1e-3 * (1 + Math.abs(expected[i]))) {
        throw new IllegalStateException("the vector kernel disagrees with the scalar one");
      }
    }
    return kernel;
  }

  @Override
  public String name() {
    return "vector (" + L + " float lanes)";
  }

  // Each loop is its own small method: the JIT compiles vector operations to instructions only
  // when it inlines them, and a large method that holds all the paths stops being inlined (one
  // measured case: fp16 products 5× slower after the int8 ones had run).

  @Override
  public void int8(
      byte[] w, float[] scales, int rows, int cols, QuantizedRows x, float[] y, int from, int to) {
    // One weight row at a time against each activation row: the row (a few kilobytes) is read from
    // memory once and from the core's cache after that. One to three activation rows take integer
    // products, each (r, s) sum computed as it is alone; four or more, widened weights.
    if (x.rows() == 1) {
      int8OneRow(w, scales, rows, cols, x, y, from, to);
    } else if (x.rows() >= QuantizedRows.WIDENED_FROM) {
      int8Widened(w, scales, rows, cols, x, y, from, to);
    } else {
      int8Rows(w, scales, rows, cols, x, y, from, to);
    }
  }

  private static void int8OneRow(
      byte[] w, float[] scales, int rows, int cols, QuantizedRows x, float[] y, int from, int to) {
    int blocks = MatVec.blocks(cols);
    int r = from;
    if (cols >= FOUR_ROWS_FROM && STEP == MatVec.BLOCK && cols % MatVec.BLOCK == 0) {
      for (; r + 4 <= to; r += 4) {
        int8FourRows(w, r, cols, scales, x.values(), x.scales(), y);
      }
    }
    for (; r < to; r++) {
      y[r] = int8Row(w, r * cols, scales, r * blocks, x.values(), 0, x.scales(), 0, cols);
    }
  }

  /**
   * {@link #int8Row} for weight rows {@code r … r+3} at once, each activation chunk loaded once for
   * the four, with each row's sums in the same order (the same results). For long rows: a row's
   * quantized activations (two bytes a column) and the weights streaming past them no longer fit
   * the core's first-level cache, and the activations, read once per weight row, then come from the
   * second. On this machine, one activation row times the MLP's down projection (13,696 columns,
   * {@code bench/matvec.sh}): 2.0 ms four rows at a time against 3.0 ms one row at a time. From
   * 4,096 columns (the model's width) four rows at a time also read memory faster: a driver
   * streaming 2 GB of int8 rows on both cores read 20.5–23.2 GB/s of them four at a time against
   * 15.2–18.9 one at a time (the probe: 25); at 768–2,048 columns it read 8.7–15.5 against
   * 13.3–17.7.
   */
  private static void int8FourRows(
      byte[] w, int r, int cols, float[] ws, short[] q, float[] xs, float[] y) {
    int blocks = cols / MatVec.BLOCK;
    int w0 = r * cols;
    int w1 = w0 + cols;
    int w2 = w1 + cols;
    int w3 = w2 + cols;
    int s0 = r * blocks;
    FloatVector acc0 = FloatVector.zero(F);
    FloatVector acc1 = FloatVector.zero(F);
    FloatVector acc2 = FloatVector.zero(F);
    FloatVector acc3 = FloatVector.zero(F);
    for (int b = 0; b < blocks; b++) {
      int c = b * MatVec.BLOCK;
      ShortVector q0 = ShortVector.fromArray(SP, q, c);
      ShortVector q1 = ShortVector.fromArray(SP, q, c + LS);
      float xscale = xs[b];
      IntVector p0 =
          ((ShortVector)
                  ByteVector.fromArray(BP, w, w0 + c).convertShape(VectorOperators.B2S, SP, 0))
              .mul(q0)
              .add(
                  ((ShortVector)
                          ByteVector.fromArray(BP, w, w0 + c + LS)
                              .convertShape(VectorOperators.B2S, SP, 0))
                      .mul(q1))
              .reinterpretAsInts();
      IntVector p1 =
          ((ShortVector)
                  ByteVector.fromArray(BP, w, w1 + c).convertShape(VectorOperators.B2S, SP, 0))
              .mul(q0)
              .add(
                  ((ShortVector)
                          ByteVector.fromArray(BP, w, w1 + c + LS)
                              .convertShape(VectorOperators.B2S, SP, 0))
                      .mul(q1))
              .reinterpretAsInts();
      IntVector p2 =
          ((ShortVector)
                  ByteVector.fromArray(BP, w, w2 + c).convertShape(VectorOperators.B2S, SP, 0))
              .mul(q0)
              .add(
                  ((ShortVector)
                          ByteVector.fromArray(BP, w, w2 + c + LS)
                              .convertShape(VectorOperators.B2S, SP, 0))
                      .mul(q1))
              .reinterpretAsInts();
      IntVector p3 =
          ((ShortVector)
                  ByteVector.fromArray(BP, w, w3 + c).convertShape(VectorOperators.B2S, SP, 0))
              .mul(q0)
              .add(
                  ((ShortVector)
                          ByteVector.fromArray(BP, w, w3 + c + LS)
                              .convertShape(VectorOperators.B2S, SP, 0))
                      .mul(q1))
              .reinterpretAsInts();
      acc0 =
          ((FloatVector)
                  p0.lanewise(VectorOperators.ASHR, 16)
                      .add(p0.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16))
                      .convertShape(VectorOperators.I2F, F, 0))
              .fma(FloatVector.broadcast(F, ws[s0 + b] * xscale), acc0);
      acc1 =
          ((FloatVector)
                  p1.lanewise(VectorOperators.ASHR, 16)
                      .add(p1.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16))
                      .convertShape(VectorOperators.I2F, F, 0))
              .fma(FloatVector.broadcast(F, ws[s0 + blocks + b] * xscale), acc1);
      acc2 =
          ((FloatVector)
                  p2.lanewise(VectorOperators.ASHR, 16)
                      .add(p2.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16))
                      .convertShape(VectorOperators.I2F, F, 0))
              .fma(FloatVector.broadcast(F, ws[s0 + 2 * blocks + b] * xscale), acc2);
      acc3 =
          ((FloatVector)
                  p3.lanewise(VectorOperators.ASHR, 16)
                      .add(p3.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16))
                      .convertShape(VectorOperators.I2F, F, 0))
              .fma(FloatVector.broadcast(F, ws[s0 + 3 * blocks + b] * xscale), acc3);
    }
    y[r] = acc0.reduceLanes(ADD);
    y[r + 1] = acc1.reduceLanes(ADD);
    y[r + 2] = acc2.reduceLanes(ADD);
    y[r + 3] = acc3.reduceLanes(ADD);
  }

  /**
   * Four activation rows or more (a batch): integer products cost about as much per activation row
   * as per weight (this kernel is bound by its arithmetic, not by memory), so here each weight
   * chunk is widened to floats once, times its block's scale, and multiplied into the sums of four
   * rows of the quantized activations read back as floats: the same numbers as the integer path,
   * summed in float.
   */
  private static void int8Widened(
      byte[] w, float[] scales, int rows, int cols, QuantizedRows x, float[] y, int from, int to) {
    int n = x.rows();
    float[] xf = x.widened();
    // Four weight rows by four activation rows: each weight chunk widened serves four sums, each
    // activation chunk loaded serves four (sixteen sums in registers). What is left (weight rows
    // beyond a multiple of four, activation rows beyond one) goes a row at a time. (Widened once
    // into a tile for a short prompt's rows, as fp16 does, int8 ran no faster: bench/matvec.sh.)
    int quads = from + (to - from) / 4 * 4;
    int whole = n - n % 4;
    for (int r = from; r < quads; r += 4) {
      for (int s = 0; s < whole; s += 4) {
        int8Widened4x4(w, scales, r, rows, cols, xf, s, y);
      }
    }
    for (int r = from; r < to; r++) {
      for (int s = r < quads ? whole : 0; s < n; s++) {
        y[s * rows + r] = int8WidenedRow(w, scales, r, cols, xf, s * cols);
      }
    }
  }

  /**
   * A short prompt's fp16 product: four weight rows widened once into the tile serve every
   * activation row; a last weight row or three take {@link #fp16SpreadRow}.
   */
  private static void fp16Tiled(
      short[] w, int rows, int cols, float[] x, int n, float[] y, int from, int to) {
    float[] tile = TILE.get();
    float[] sums = tileSums(n);
    int bound = cols - cols % L;
    int quads = from + (to - from) / 4 * 4;
    for (int r = from; r < quads; r += 4) {
      java.util.Arrays.fill(sums, 0, 4 * n * L, 0f);
      for (int k = 0; k < bound; k += TILE_COLS) {
        int end = Math.min(bound, k + TILE_COLS);
        widenFp16Tile(w, r, cols, k, end, tile);
        floatTile(tile, k, end, cols, x, n, sums);
      }
      reduceTile(sums, n, r, rows, y);
      for (int s = 0; s < n && bound < cols; s++) {
        for (int i = 0; i < 4; i++) {
          y[s * rows + r + i] += fp16Tail(w, (r + i) * cols, bound, cols, x, s * cols);
        }
      }
    }
    if (quads < to) {
      float[] spread = spread(x, n, cols);
      for (int r = quads; r < to; r++) {
        for (int s = 0; s < n; s++) {
          y[s * rows + r] = fp16SpreadRow(w, r * cols, cols, spread, x, s * cols);
        }
      }
    }
  }

  /** This thread's lane sums, room for {@code n} activation rows by four weight rows. */
  private static float[] tileSums(int n) {
    float[] sums = TILE_SUMS.get();
    if (sums.length < 4 * n * L) {
      sums = new float[4 * n * L];
      TILE_SUMS.set(sums);
    }
    return sums;
  }

  /** Columns {@code k … end} of fp16 rows {@code r … r+3} as floats, as {@link #widenFp16} does. */
  private static void widenFp16Tile(short[] w, int r, int cols, int k, int end, float[] tile) {
    for (int i = 0; i < 4; i++) {
      int base = (r + i) * cols;
      for (int c = k; c < end; c += L) {
        IntVector half =
            (IntVector)
                ShortVector.fromArray(S, w, base + c).convertShape(VectorOperators.S2I, I, 0);
        half.and(0x7FFF)
            .lanewise(VectorOperators.LSHL, 13)
            .reinterpretAsFloats()
            .mul(0x1p112f)
            .reinterpretAsInts()
            .or(half.and(0x8000).lanewise(VectorOperators.LSHL, 16))
            .reinterpretAsFloats()
            .intoArray(tile, i * TILE_COLS + c - k);
      }
    }
  }

  /**
   * The tile (columns {@code k … end} of four weight rows, widened) times the same columns of every
   * activation row of {@code x}, added to the lane sums: four activation rows at a time (sixteen
   * sums in registers, loads and multiply-adds only), then one at a time. Each lane's sum runs over
   * the columns in order, as {@link #fp16Rows4x2} runs it, so the products are the same.
   */
  private static void floatTile(
      float[] tile, int k, int end, int cols, float[] x, int n, float[] sums) {
    int s = 0;
    for (; s + 4 <= n; s += 4) {
      floatTile4x4(tile, k, end, cols, x, s, sums);
    }
    for (; s < n; s++) {
      floatTile4x1(tile, k, end, cols, x, s, sums);
    }
  }

  private static void floatTile4x4(
      float[] tile, int k, int end, int cols, float[] x, int s, float[] sums) {
    int x0 = s * cols;
    // The lane sums of (activation row s + j, weight row i) are at (4·(s + j) + i)·L.
    int at = 4 * s * L;
    FloatVector a0 = FloatVector.fromArray(F, sums, at);
    FloatVector b0 = FloatVector.fromArray(F, sums, at + L);
    FloatVector c0 = FloatVector.fromArray(F, sums, at + 2 * L);
    FloatVector d0 = FloatVector.fromArray(F, sums, at + 3 * L);
    FloatVector a1 = FloatVector.fromArray(F, sums, at + 4 * L);
    FloatVector b1 = FloatVector.fromArray(F, sums, at + 5 * L);
    FloatVector c1 = FloatVector.fromArray(F, sums, at + 6 * L);
    FloatVector d1 = FloatVector.fromArray(F, sums, at + 7 * L);
    FloatVector a2 = FloatVector.fromArray(F, sums, at + 8 * L);
    FloatVector b2 = FloatVector.fromArray(F, sums, at + 9 * L);
    FloatVector c2 = FloatVector.fromArray(F, sums, at + 10 * L);
    FloatVector d2 = FloatVector.fromArray(F, sums, at + 11 * L);
    FloatVector a3 = FloatVector.fromArray(F, sums, at + 12 * L);
    FloatVector b3 = FloatVector.fromArray(F, sums, at + 13 * L);
    FloatVector c3 = FloatVector.fromArray(F, sums, at + 14 * L);
    FloatVector d3 = FloatVector.fromArray(F, sums, at + 15 * L);
    for (int c = k; c < end; c += L) {
      int t = c - k;
      FloatVector wa = FloatVector.fromArray(F, tile, t);
      FloatVector wb = FloatVector.fromArray(F, tile, TILE_COLS + t);
      FloatVector wc = FloatVector.fromArray(F, tile, 2 * TILE_COLS + t);
      FloatVector wd = FloatVector.fromArray(F, tile, 3 * TILE_COLS + t);
      FloatVector v = FloatVector.fromArray(F, x, x0 + c);
      a0 = wa.fma(v, a0);
      b0 = wb.fma(v, b0);
      c0 = wc.fma(v, c0);
      d0 = wd.fma(v, d0);
      v = FloatVector.fromArray(F, x, x0 + cols + c);
      a1 = wa.fma(v, a1);
      b1 = wb.fma(v, b1);
      c1 = wc.fma(v, c1);
      d1 = wd.fma(v, d1);
      v = FloatVector.fromArray(F, x, x0 + 2 * cols + c);
      a2 = wa.fma(v, a2);
      b2 = wb.fma(v, b2);
      c2 = wc.fma(v, c2);
      d2 = wd.fma(v, d2);
      v = FloatVector.fromArray(F, x, x0 + 3 * cols + c);
      a3 = wa.fma(v, a3);
      b3 = wb.fma(v, b3);
      c3 = wc.fma(v, c3);
      d3 = wd.fma(v, d3);
    }
    a0.intoArray(sums, at);
    b0.intoArray(sums, at + L);
    c0.intoArray(sums, at + 2 * L);
    d0.intoArray(sums, at + 3 * L);
    a1.intoArray(sums, at + 4 * L);
    b1.intoArray(sums, at + 5 * L);
    c1.intoArray(sums, at + 6 * L);
    d1.intoArray(sums, at + 7 * L);
    a2.intoArray(sums, at + 8 * L);
    b2.intoArray(sums, at + 9 * L);
    c2.intoArray(sums, at + 10 * L);
    d2.intoArray(sums, at + 11 * L);
    a3.intoArray(sums, at + 12 * L);
    b3.intoArray(sums, at + 13 * L);
    c3.intoArray(sums, at + 14 * L);
    d3.intoArray(sums, at + 15 * L);
  }

  private static void floatTile4x1(
      float[] tile, int k, int end, int cols, float[] x, int s, float[] sums) {
    int x0 = s * cols;
    int at = 4 * s * L;
    FloatVector a = FloatVector.fromArray(F, sums, at);
    FloatVector b = FloatVector.fromArray(F, sums, at + L);
    FloatVector c = FloatVector.fromArray(F, sums, at + 2 * L);
    FloatVector d = FloatVector.fromArray(F, sums, at + 3 * L);
    for (int col = k; col < end; col += L) {
      int t = col - k;
      FloatVector v = FloatVector.fromArray(F, x, x0 + col);
      a = FloatVector.fromArray(F, tile, t).fma(v, a);
      b = FloatVector.fromArray(F, tile, TILE_COLS + t).fma(v, b);
      c = FloatVector.fromArray(F, tile, 2 * TILE_COLS + t).fma(v, c);
      d = FloatVector.fromArray(F, tile, 3 * TILE_COLS + t).fma(v, d);
    }
    a.intoArray(sums, at);
    b.intoArray(sums, at + L);
    c.intoArray(sums, at + 2 * L);
    d.intoArray(sums, at + 3 * L);
  }

  /** {@code y[s·rows + r + i]} = the lanes of (activation row s, weight row r + i) summed. */
  private static void reduceTile(float[] sums, int n, int r, int rows, float[] y) {
    for (int s = 0; s < n; s++) {
      for (int i = 0; i < 4; i++) {
        y[s * rows + r + i] = FloatVector.fromArray(F, sums, (4 * s + i) * L).reduceLanes(ADD);
      }
    }
  }

  /**
   * Int8 weight rows {@code r … r+3}, widened, times activation rows {@code s … s+3}. (Two weight
   * rows at a time, as fp16 does, took about 1.2 times as long, {@code bench/matvec.sh}: 0.16–0.17×
   * against 0.13–0.14× fp32's time for four rows; they load each activation chunk for two products
   * rather than four.)
   */
  private static void int8Widened4x4(
      byte[] w, float[] scales, int r, int rows, int cols, float[] x, int s, float[] y) {
    int blocks = MatVec.blocks(cols);
    int s0 = r * blocks;
    int bound = cols - cols % L;
    int x0 = s * cols;
    FloatVector a0 = FloatVector.zero(F);
    FloatVector a1 = FloatVector.zero(F);
    FloatVector a2 = FloatVector.zero(F);
    FloatVector a3 = FloatVector.zero(F);
    FloatVector b0 = FloatVector.zero(F);
    FloatVector b1 = FloatVector.zero(F);
    FloatVector b2 = FloatVector.zero(F);
    FloatVector b3 = FloatVector.zero(F);
    FloatVector c0 = FloatVector.zero(F);
    FloatVector c1 = FloatVector.zero(F);
    FloatVector c2 = FloatVector.zero(F);
    FloatVector c3 = FloatVector.zero(F);
    FloatVector d0 = FloatVector.zero(F);
    FloatVector d1 = FloatVector.zero(F);
    FloatVector d2 = FloatVector.zero(F);
    FloatVector d3 = FloatVector.zero(F);
    for (int c = 0; c < bound; c += L) {
      int block = c / MatVec.BLOCK;
      FloatVector wa =
          ((FloatVector)
                  ByteVector.fromArray(B, w, r * cols + c).convertShape(VectorOperators.B2F, F, 0))
              .mul(scales[s0 + block]);
      FloatVector wb =
          ((FloatVector)
                  ByteVector.fromArray(B, w, (r + 1) * cols + c)
                      .convertShape(VectorOperators.B2F, F, 0))
              .mul(scales[s0 + blocks + block]);
      FloatVector wc =
          ((FloatVector)
                  ByteVector.fromArray(B, w, (r + 2) * cols + c)
                      .convertShape(VectorOperators.B2F, F, 0))
              .mul(scales[s0 + 2 * blocks + block]);
      FloatVector wd =
          ((FloatVector)
                  ByteVector.fromArray(B, w, (r + 3) * cols + c)
                      .convertShape(VectorOperators.B2F, F, 0))
              .mul(scales[s0 + 3 * blocks + block]);
      FloatVector v = FloatVector.fromArray(F, x, x0 + c);
      a0 = wa.fma(v, a0);
      b0 = wb.fma(v, b0);
      c0 = wc.fma(v, c0);
      d0 = wd.fma(v, d0);
      v = FloatVector.fromArray(F, x, x0 + cols + c);
      a1 = wa.fma(v, a1);
      b1 = wb.fma(v, b1);
      c1 = wc.fma(v, c1);
      d1 = wd.fma(v, d1);
      v = FloatVector.fromArray(F, x, x0 + 2 * cols + c);
      a2 = wa.fma(v, a2);
      b2 = wb.fma(v, b2);
      c2 = wc.fma(v, c2);
      d2 = wd.fma(v, d2);
      v = FloatVector.fromArray(F, x, x0 + 3 * cols + c);
      a3 = wa.fma(v, a3);
      b3 = wb.fma(v, b3);
      c3 = wc.fma(v, c3);
      d3 = wd.fma(v, d3);
    }
    // Written out: vectors put in an array are objects, not registers.
    y[s * rows + r] = a0.reduceLanes(ADD) + int8WidenedTail(w, scales, r, bound, cols, x, x0);
    y[(s + 1) * rows + r] =
        a1.reduceLanes(ADD) + int8WidenedTail(w, scales, r, bound, cols, x, x0 + cols);
    y[(s + 2) * rows + r] =
        a2.reduceLanes(ADD) + int8WidenedTail(w, scales, r, bound, cols, x, x0 + 2 * cols);
    y[(s + 3) * rows + r] =
        a3.reduceLanes(ADD) + int8WidenedTail(w, scales, r, bound, cols, x, x0 + 3 * cols);
    y[s * rows + r + 1] =
        b0.reduceLanes(ADD) + int8WidenedTail(w, scales, r + 1, bound, cols, x, x0);
    y[(s + 1) * rows + r + 1] =
        b1.reduceLanes(ADD) + int8WidenedTail(w, scales, r + 1, bound, cols, x, x0 + cols);
    y[(s + 2) * rows + r + 1] =
        b2.reduceLanes(ADD) + int8WidenedTail(w, scales, r + 1, bound, cols, x, x0 + 2 * cols);
    y[(s + 3) * rows + r + 1] =
        b3.reduceLanes(ADD) + int8WidenedTail(w, scales, r + 1, bound, cols, x, x0 + 3 * cols);
    y[s * rows + r + 2] =
        c0.reduceLanes(ADD) + int8WidenedTail(w, scales, r + 2, bound, cols, x, x0);
    y[(s + 1) * rows + r + 2] =
        c1.reduceLanes(ADD) + int8WidenedTail(w, scales, r + 2, bound, cols, x, x0 + cols);
    y[(s + 2) * rows + r + 2] =
        c2.reduceLanes(ADD) + int8WidenedTail(w, scales, r + 2, bound, cols, x, x0 + 2 * cols);
    y[(s + 3) * rows + r + 2] =
        c3.reduceLanes(ADD) + int8WidenedTail(w, scales, r + 2, bound, cols, x, x0 + 3 * cols);
    y[s * rows + r + 3] =
        d0.reduceLanes(ADD) + int8WidenedTail(w, scales, r + 3, bound, cols, x, x0);
    y[(s + 1) * rows + r + 3] =
        d1.reduceLanes(ADD) + int8WidenedTail(w, scales, r + 3, bound, cols, x, x0 + cols);
    y[(s + 2) * rows + r + 3] =
        d2.reduceLanes(ADD) + int8WidenedTail(w, scales, r + 3, bound, cols, x, x0 + 2 * cols);
    y[(s + 3) * rows + r + 3] =
        d3.reduceLanes(ADD) + int8WidenedTail(w, scales, r + 3, bound, cols, x, x0 + 3 * cols);
  }

  /** One int8 weight row, widened, times one activation row of floats. */
  private static float int8WidenedRow(
      byte[] w, float[] scales, int r, int cols, float[] x, int xs) {
    int blocks = MatVec.blocks(cols);
    int bound = cols - cols % L;
    FloatVector acc = FloatVector.zero(F);
    for (int c = 0; c < bound; c += L) {
      acc =
          ((FloatVector)
                  ByteVector.fromArray(B, w, r * cols + c).convertShape(VectorOperators.B2F, F, 0))
              .mul(scales[r * blocks + c / MatVec.BLOCK])
              .fma(FloatVector.fromArray(F, x, xs + c), acc);
    }
    return acc.reduceLanes(ADD) + int8WidenedTail(w, scales, r, bound, cols, x, xs);
  }

  private static float int8WidenedTail(
      byte[] w, float[] scales, int r, int from, int cols, float[] x, int xs) {
    int blocks = MatVec.blocks(cols);
    float sum = 0;
    for (int c = from; c < cols; c++) {
      sum += scales[r * blocks + c / MatVec.BLOCK] * w[r * cols + c] * x[xs + c];
    }
    return sum;
  }

  private static void int8Rows(
      byte[] w, float[] scales, int rows, int cols, QuantizedRows x, float[] y, int from, int to) {
    int blocks = MatVec.blocks(cols);
    short[] q = x.values();
    float[] xScales = x.scales();
    boolean twice = STEP == MatVec.BLOCK && cols % MatVec.BLOCK == 0;
    for (int r = from; r < to; r++) {
      int s = 0;
      if (twice) {
        for (; s + 2 <= x.rows(); s += 2) {
          int8RowTwice(w, r, rows, cols, scales, q, s, xScales, y);
        }
      }
      for (; s < x.rows(); s++) {
        y[s * rows + r] =
            int8Row(w, r * cols, scales, r * blocks, q, s * cols, xScales, s * blocks, cols);
      }
    }
  }

  @Override
  public void fp16(short[] w, int rows, int cols, float[] x, int n, float[] y, int from, int to) {
    // From four activation rows on, two weight rows and four activation rows at a time: each
    // activation chunk loaded serves eight sums, each weight chunk widened serves four; from
    // TILE_FROM rows, four weight rows widened once into the tile. Fewer rows, and what is left (a
    // last weight row, the activation rows beyond a multiple of four), take fp16SpreadRow.
    if (n >= TILE_FROM) {
      fp16Tiled(w, rows, cols, x, n, y, from, to);
      return;
    }
    int whole = n - n % 4;
    int pairs = whole == 0 ? from : from + (to - from) / 2 * 2;
    for (int r = from; r < pairs; r += 2) {
      for (int s = 0; s < whole; s += 4) {
        fp16Rows4x2(w, r, rows, cols, x, s, y);
      }
    }
    if (whole == 0 && cols >= FOUR_ROWS_FROM && cols % (2 * L) == 0) {
      // One to three activation rows on wide rows: four weight rows at a time, which read memory
      // faster (the LM head in a driver on both cores: 25 ms against 38).
      float[] spread = spread(x, n, cols);
      int quads = from + (to - from) / 4 * 4;
      for (int s = 0; s < n; s++) {
        for (int r = from; r < quads; r += 4) {
          fp16SpreadFourRows(w, r, rows, cols, spread, s, y);
        }
        for (int r = quads; r < to; r++) {
          y[s * rows + r] = fp16SpreadRow(w, r * cols, cols, spread, x, s * cols);
        }
      }
      return;
    }
    if (pairs < to || whole < n) {
      float[] spread = spread(x, n, cols);
      for (int r = from; r < to; r++) {
        for (int s = r < pairs ? whole : 0; s < n; s++) {
          y[s * rows + r] = fp16SpreadRow(w, r * cols, cols, spread, x, s * cols);
        }
      }
    }
  }

  private static final ThreadLocal<float[]> SPREAD = ThreadLocal.withInitial(() -> new float[0]);

  /**
   * {@code x}'s rows with each chunk of {@code 2L} values reordered as its even then its odd
   * columns, times 2^56 (a columns tail that fills no chunk is left out), in this thread's reused
   * array.
   */
  private static float[] spread(float[] x, int n, int cols) {
    float[] spread = SPREAD.get();
    if (spread.length < n * cols) {
      spread = new float[n * cols];
      SPREAD.set(spread);
    }
    int bound = cols - cols % (2 * L);
    for (int s = 0; s < n; s++) {
      for (int c = s * cols; c < s * cols + bound; c += 2 * L) {
        for (int j = 0; j < L; j++) {
          spread[c + j] = x[c + 2 * j] * 0x1p56f;
          spread[c + L + j] = x[c + 2 * j + 1] * 0x1p56f;
        }
      }
    }
    return spread;
  }

  /**
   * fp16 weight row from byte {@code base} times one activation row, for fewer than four activation
   * rows (and what four-row chunks leave): {@code SP.length()} halves are loaded at once and split
   * into their even and odd lanes by integer shifts, with no conversion instruction (Java 17
   * compiles the short-to-int conversion to several): the even half of each int lane is shifted to
   * the top, and both are moved 3 bits down arithmetically and masked, which puts sign, exponent
   * and mantissa in a float's places for a value 2^-112 times the half's (exact, subnormals
   * included). The activations are laid out to match ({@link #spread}), times 2^56, and the sum is
   * multiplied by 2^56: every product is the exact product of half and activation, as in the other
   * paths.
   */
  private static float fp16SpreadRow(
      short[] w, int base, int cols, float[] spread, float[] x, int xs) {
    int bound = cols - cols % (2 * L);
    FloatVector even = FloatVector.zero(F);
    FloatVector odd = FloatVector.zero(F);
    for (int c = 0; c < bound; c += 2 * L) {
      IntVector pairs = ShortVector.fromArray(SP, w, base + c).reinterpretAsInts();
      FloatVector low =
          pairs
              .lanewise(VectorOperators.LSHL, 16)
              .lanewise(VectorOperators.ASHR, 3)
              .and(0x8FFFFFFF)
              .reinterpretAsFloats();
      FloatVector high =
          pairs
              .and(0xFFFF0000)
              .lanewise(VectorOperators.ASHR, 3)
              .and(0x8FFFFFFF)
              .reinterpretAsFloats();
      even = low.fma(FloatVector.fromArray(F, spread, xs + c), even);
      odd = high.fma(FloatVector.fromArray(F, spread, xs + c + L), odd);
    }
    return even.add(odd).reduceLanes(ADD) * 0x1p56f + fp16Tail(w, base, bound, cols, x, xs);
  }

  /**
   * {@link #fp16SpreadRow} for weight rows {@code r … r+3} and activation row {@code s} (whole
   * chunks only), each activation chunk loaded once for the four, each sum in the same order (the
   * same results).
   */
  private static void fp16SpreadFourRows(
      short[] w, int r, int rows, int cols, float[] spread, int s, float[] y) {
    int b0 = r * cols;
    int b1 = b0 + cols;
    int b2 = b1 + cols;
    int b3 = b2 + cols;
    int xs = s * cols;
    FloatVector e0 = FloatVector.zero(F);
    FloatVector o0 = FloatVector.zero(F);
    FloatVector e1 = FloatVector.zero(F);
    FloatVector o1 = FloatVector.zero(F);
    FloatVector e2 = FloatVector.zero(F);
    FloatVector o2 = FloatVector.zero(F);
    FloatVector e3 = FloatVector.zero(F);
    FloatVector o3 = FloatVector.zero(F);
    for (int c = 0; c < cols; c += 2 * L) {
      FloatVector xe = FloatVector.fromArray(F, spread, xs + c);
      FloatVector xo = FloatVector.fromArray(F, spread, xs + c + L);
      IntVector p = ShortVector.fromArray(SP, w, b0 + c).reinterpretAsInts();
      e0 =
          p.lanewise(VectorOperators.LSHL, 16)
              .lanewise(VectorOperators.ASHR, 3)
              .and(0x8FFFFFFF)
              .reinterpretAsFloats()
              .fma(xe, e0);
      o0 =
          p.and(0xFFFF0000)
              .lanewise(VectorOperators.ASHR, 3)
              .and(0x8FFFFFFF)
              .reinterpretAsFloats()
              .fma(xo, o0);
      p = ShortVector.fromArray(SP, w, b1 + c).reinterpretAsInts();
      e1 =
          p.lanewise(VectorOperators.LSHL, 16)
              .lanewise(VectorOperators.ASHR, 3)
              .and(0x8FFFFFFF)
              .reinterpretAsFloats()
              .fma(xe, e1);
      o1 =
          p.and(0xFFFF0000)
              .lanewise(VectorOperators.ASHR, 3)
              .and(0x8FFFFFFF)
              .reinterpretAsFloats()
              .fma(xo, o1);
      p = ShortVector.fromArray(SP, w, b2 + c).reinterpretAsInts();
      e2 =
          p.lanewise(VectorOperators.LSHL, 16)
              .lanewise(VectorOperators.ASHR, 3)
              .and(0x8FFFFFFF)
              .reinterpretAsFloats()
              .fma(xe, e2);
      o2 =
          p.and(0xFFFF0000)
              .lanewise(VectorOperators.ASHR, 3)
              .and(0x8FFFFFFF)
              .reinterpretAsFloats()
              .fma(xo, o2);
      p = ShortVector.fromArray(SP, w, b3 + c).reinterpretAsInts();
      e3 =
          p.lanewise(VectorOperators.LSHL, 16)
              .lanewise(VectorOperators.ASHR, 3)
              .and(0x8FFFFFFF)
              .reinterpretAsFloats()
              .fma(xe, e3);
      o3 =
          p.and(0xFFFF0000)
              .lanewise(VectorOperators.ASHR, 3)
              .and(0x8FFFFFFF)
              .reinterpretAsFloats()
              .fma(xo, o3);
    }
    y[s * rows + r] = e0.add(o0).reduceLanes(ADD) * 0x1p56f;
    y[s * rows + r + 1] = e1.add(o1).reduceLanes(ADD) * 0x1p56f;
    y[s * rows + r + 2] = e2.add(o2).reduceLanes(ADD) * 0x1p56f;
    y[s * rows + r + 3] = e3.add(o3).reduceLanes(ADD) * 0x1p56f;
  }

  /** fp16 weight rows {@code r, r+1} times activation rows {@code s … s+3}: eight sums. */
  private static void fp16Rows4x2(
      short[] w, int r, int rows, int cols, float[] x, int s, float[] y) {
    int base = r * cols;
    int bound = cols - cols % L;
    int x0 = s * cols;
    FloatVector a0 = FloatVector.zero(F);
    FloatVector a1 = FloatVector.zero(F);
    FloatVector a2 = FloatVector.zero(F);
    FloatVector a3 = FloatVector.zero(F);
    FloatVector b0 = FloatVector.zero(F);
    FloatVector b1 = FloatVector.zero(F);
    FloatVector b2 = FloatVector.zero(F);
    FloatVector b3 = FloatVector.zero(F);
    for (int c = 0; c < bound; c += L) {
      IntVector hw0 =
          (IntVector) ShortVector.fromArray(S, w, base + c).convertShape(VectorOperators.S2I, I, 0);
      FloatVector w0 =
          hw0.and(0x7FFF)
              .lanewise(VectorOperators.LSHL, 13)
              .reinterpretAsFloats()
              .mul(0x1p112f)
              .reinterpretAsInts()
              .or(hw0.and(0x8000).lanewise(VectorOperators.LSHL, 16))
              .reinterpretAsFloats();
      IntVector hw1 =
          (IntVector)
              ShortVector.fromArray(S, w, base + cols + c).convertShape(VectorOperators.S2I, I, 0);
      FloatVector w1 =
          hw1.and(0x7FFF)
              .lanewise(VectorOperators.LSHL, 13)
              .reinterpretAsFloats()
              .mul(0x1p112f)
              .reinterpretAsInts()
              .or(hw1.and(0x8000).lanewise(VectorOperators.LSHL, 16))
              .reinterpretAsFloats();
      FloatVector v0 = FloatVector.fromArray(F, x, x0 + c);
      FloatVector v1 = FloatVector.fromArray(F, x, x0 + cols + c);
      FloatVector v2 = FloatVector.fromArray(F, x, x0 + 2 * cols + c);
      FloatVector v3 = FloatVector.fromArray(F, x, x0 + 3 * cols + c);
      a0 = w0.fma(v0, a0);
      a1 = w0.fma(v1, a1);
      a2 = w0.fma(v2, a2);
      a3 = w0.fma(v3, a3);
      b0 = w1.fma(v0, b0);
      b1 = w1.fma(v1, b1);
      b2 = w1.fma(v2, b2);
      b3 = w1.fma(v3, b3);
    }
    int next = base + cols;
    y[s * rows + r] = a0.reduceLanes(ADD) + fp16Tail(w, base, bound, cols, x, x0);
    y[(s + 1) * rows + r] = a1.reduceLanes(ADD) + fp16Tail(w, base, bound, cols, x, x0 + cols);
    y[(s + 2) * rows + r] = a2.reduceLanes(ADD) + fp16Tail(w, base, bound, cols, x, x0 + 2 * cols);
    y[(s + 3) * rows + r] = a3.reduceLanes(ADD) + fp16Tail(w, base, bound, cols, x, x0 + 3 * cols);
    y[s * rows + r + 1] = b0.reduceLanes(ADD) + fp16Tail(w, next, bound, cols, x, x0);
    y[(s + 1) * rows + r + 1] = b1.reduceLanes(ADD) + fp16Tail(w, next, bound, cols, x, x0 + cols);
    y[(s + 2) * rows + r + 1] =
        b2.reduceLanes(ADD) + fp16Tail(w, next, bound, cols, x, x0 + 2 * cols);
    y[(s + 3) * rows + r + 1] =
        b3.reduceLanes(ADD) + fp16Tail(w, next, bound, cols, x, x0 + 3 * cols);
  }

  /**
   * One int8 weight row (from byte {@code base}, its block scales from {@code ws[wb]}) times one
   * quantized activation row (from {@code q[qs]}, scales from {@code xs[xb]}). Per step of {@code
   * STEP} weights (a whole block with 512-bit vectors), two chunks of {@code LS} weights are
   * widened to shorts and multiplied by {@code LS} activations each, and the two products added as
   * shorts (|product| ≤ 127², so two fit); each int lane of the result then holds two shorts, which
   * are separated by shifts and added. A block's int sums become floats once, times both scales.
   */
  private static float int8Row(
      byte[] w, int base, float[] ws, int wb, short[] q, int qs, float[] xs, int xb, int cols) {
    if (STEP != MatVec.BLOCK) {
      return int8RowNarrow(w, base, ws, wb, q, qs, xs, xb, cols);
    }
    // 512-bit vectors: a block is one step. Written without an inner loop: a loop of one pass
    // inside the block loop cost this product a tenth to a third of its speed (bench/matvec.sh),
    // the JIT no longer treating the block loop as the innermost one.
    int full = cols / MatVec.BLOCK;
    FloatVector acc = FloatVector.zero(F);
    for (int b = 0; b < full; b++) {
      int c = b * MatVec.BLOCK;
      ShortVector w0 =
          (ShortVector)
              ByteVector.fromArray(BP, w, base + c).convertShape(VectorOperators.B2S, SP, 0);
      ShortVector w1 =
          (ShortVector)
              ByteVector.fromArray(BP, w, base + c + LS).convertShape(VectorOperators.B2S, SP, 0);
      IntVector pairs =
          w0.mul(ShortVector.fromArray(SP, q, qs + c))
              .add(w1.mul(ShortVector.fromArray(SP, q, qs + c + LS)))
              .reinterpretAsInts();
      IntVector dot =
          pairs
              .lanewise(VectorOperators.ASHR, 16)
              .add(pairs.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16));
      acc =
          ((FloatVector) dot.convertShape(VectorOperators.I2F, F, 0))
              .fma(FloatVector.broadcast(F, ws[wb + b] * xs[xb + b]), acc);
    }
    return full < MatVec.blocks(cols)
        ? acc.reduceLanes(ADD) + int8RowTail(w, base, ws, wb, q, qs, xs, xb, cols)
        : acc.reduceLanes(ADD);
  }

  /** {@link #int8Row} for vectors narrower than 512 bits: a block takes several steps. */
  private static float int8RowNarrow(
      byte[] w, int base, float[] ws, int wb, short[] q, int qs, float[] xs, int xb, int cols) {
    int full = cols / MatVec.BLOCK;
    FloatVector acc = FloatVector.zero(F);
    for (int b = 0; b < full; b++) {
      int c = b * MatVec.BLOCK;
      IntVector dot = IntVector.zero(I);
      for (int k = 0; k < MatVec.BLOCK; k += STEP) {
        int at = base + c + k;
        int qa = qs + c + k;
        ShortVector w0 =
            (ShortVector) ByteVector.fromArray(BP, w, at).convertShape(VectorOperators.B2S, SP, 0);
        ShortVector w1 =
            (ShortVector)
                ByteVector.fromArray(BP, w, at + LS).convertShape(VectorOperators.B2S, SP, 0);
        IntVector pairs =
            w0.mul(ShortVector.fromArray(SP, q, qa))
                .add(w1.mul(ShortVector.fromArray(SP, q, qa + LS)))
                .reinterpretAsInts();
        dot =
            dot.add(pairs.lanewise(VectorOperators.ASHR, 16))
                .add(pairs.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16));
      }
      acc =
          ((FloatVector) dot.convertShape(VectorOperators.I2F, F, 0))
              .fma(FloatVector.broadcast(F, ws[wb + b] * xs[xb + b]), acc);
    }
    return full < MatVec.blocks(cols)
        ? acc.reduceLanes(ADD) + int8RowTail(w, base, ws, wb, q, qs, xs, xb, cols)
        : acc.reduceLanes(ADD);
  }

  /** {@link #int8Row}'s last block when it is shorter than {@link MatVec#BLOCK}, one at a time. */
  private static float int8RowTail(
      byte[] w, int base, float[] ws, int wb, short[] q, int qs, float[] xs, int xb, int cols) {
    int full = cols / MatVec.BLOCK;
    int dot = 0;
    for (int c = full * MatVec.BLOCK; c < cols; c++) {
      dot += w[base + c] * q[qs + c];
    }
    return ws[wb + full] * xs[xb + full] * dot;
  }

  /**
   * As {@link #int8Row} for activation rows {@code s} and {@code s+1}, each weight chunk widened
   * once for both, with the same sums in the same order (a batch changes no sequence's result). For
   * whole blocks of one step each.
   */
  private static void int8RowTwice(
      byte[] w, int r, int rows, int cols, float[] ws, short[] q, int s, float[] xs, float[] y) {
    int blocks = cols / MatVec.BLOCK;
    int base = r * cols;
    int q0 = s * cols;
    int q1 = q0 + cols;
    FloatVector acc0 = FloatVector.zero(F);
    FloatVector acc1 = FloatVector.zero(F);
    for (int b = 0; b < blocks; b++) {
      int c = b * MatVec.BLOCK;
      ShortVector w0 =
          (ShortVector)
              ByteVector.fromArray(BP, w, base + c).convertShape(VectorOperators.B2S, SP, 0);
      ShortVector w1 =
          (ShortVector)
              ByteVector.fromArray(BP, w, base + c + LS).convertShape(VectorOperators.B2S, SP, 0);
      IntVector pairs0 =
          w0.mul(ShortVector.fromArray(SP, q, q0 + c))
              .add(w1.mul(ShortVector.fromArray(SP, q, q0 + c + LS)))
              .reinterpretAsInts();
      IntVector pairs1 =
          w0.mul(ShortVector.fromArray(SP, q, q1 + c))
              .add(w1.mul(ShortVector.fromArray(SP, q, q1 + c + LS)))
              .reinterpretAsInts();
      IntVector dot0 =
          pairs0
              .lanewise(VectorOperators.ASHR, 16)
              .add(pairs0.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16));
      IntVector dot1 =
          pairs1
              .lanewise(VectorOperators.ASHR, 16)
              .add(pairs1.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16));
      float scale = ws[r * blocks + b];
      acc0 =
          ((FloatVector) dot0.convertShape(VectorOperators.I2F, F, 0))
              .fma(FloatVector.broadcast(F, scale * xs[s * blocks + b]), acc0);
      acc1 =
          ((FloatVector) dot1.convertShape(VectorOperators.I2F, F, 0))
              .fma(FloatVector.broadcast(F, scale * xs[(s + 1) * blocks + b]), acc1);
    }
    y[s * rows + r] = acc0.reduceLanes(ADD);
    y[(s + 1) * rows + r] = acc1.reduceLanes(ADD);
  }

  /** Columns {@code from … cols} of an fp16 row, one at a time. */
  private static float fp16Tail(short[] w, int base, int from, int cols, float[] x, int xs) {
    float sum = 0;
    for (int c = from; c < cols; c++) {
      sum += x[xs + c] * Half.toFloat(w[base + c]);
    }
    return sum;
  }

  @Override
  public void widenInt8(byte[] w, float[] scales, int row, int cols, ByteBuffer out, int at) {
    ByteOrder order = out.order();
    int base = row * cols;
    int blocks = MatVec.blocks(cols);
    int bound = cols - cols % L;
    for (int c = 0; c < bound; c += L) {
      // L divides BLOCK: a chunk lies in one block.
      ((FloatVector) ByteVector.fromArray(B, w, base + c).convertShape(VectorOperators.B2F, F, 0))
          .mul(scales[row * blocks + c / MatVec.BLOCK])
          .intoByteBuffer(out, at + 4 * c, order);
    }
    for (int c = bound; c < cols; c++) {
      out.putFloat(at + 4 * c, scales[row * blocks + c / MatVec.BLOCK] * w[base + c]);
    }
  }

  @Override
  public void widenFp16(short[] w, int base, int cols, ByteBuffer out, int at) {
    ByteOrder order = out.order();
    int bound = cols - cols % L;
    for (int c = 0; c < bound; c += L) {
      IntVector half =
          (IntVector) ShortVector.fromArray(S, w, base + c).convertShape(VectorOperators.S2I, I, 0);
      FloatVector wv =
          half.and(0x7FFF)
              .lanewise(VectorOperators.LSHL, 13)
              .reinterpretAsFloats()
              .mul(0x1p112f)
              .reinterpretAsInts()
              .or(half.and(0x8000).lanewise(VectorOperators.LSHL, 16))
              .reinterpretAsFloats();
      wv.intoByteBuffer(out, at + 4 * c, order);
    }
    for (int c = bound; c < cols; c++) {
      out.putFloat(at + 4 * c, Half.toFloat(w[base + c]));
    }
  }

  /**
   * Four vectors of {@code out} at a time, each a chain of multiply-adds into a register over the
   * rows (no sum crosses lanes); then one vector at a time; the last columns as the scalar kernel
   * takes them.
   */
  @Override
  public void weightedRows(
      float[] m,
      int at,
      int stride,
      int count,
      float[] coef,
      int coefAt,
      int width,
      float[] out,
      int outAt) {
    int j = 0;
    for (; j + 4 * L <= width; j += 4 * L) {
      FloatVector a0 = FloatVector.zero(F);
      FloatVector a1 = FloatVector.zero(F);
      FloatVector a2 = FloatVector.zero(F);
      FloatVector a3 = FloatVector.zero(F);
      for (int i = 0; i < count; i++) {
        FloatVector c = FloatVector.broadcast(F, coef[coefAt + i]);
        int row = at + i * stride + j;
        a0 = FloatVector.fromArray(F, m, row).fma(c, a0);
        a1 = FloatVector.fromArray(F, m, row + L).fma(c, a1);
        a2 = FloatVector.fromArray(F, m, row + 2 * L).fma(c, a2);
        a3 = FloatVector.fromArray(F, m, row + 3 * L).fma(c, a3);
      }
      a0.intoArray(out, outAt + j);
      a1.intoArray(out, outAt + j + L);
      a2.intoArray(out, outAt + j + 2 * L);
      a3.intoArray(out, outAt + j + 3 * L);
    }
    for (; j + L <= width; j += L) {
      FloatVector a0 = FloatVector.zero(F);
      for (int i = 0; i < count; i++) {
        a0 =
            FloatVector.fromArray(F, m, at + i * stride + j)
                .fma(FloatVector.broadcast(F, coef[coefAt + i]), a0);
      }
      a0.intoArray(out, outAt + j);
    }
    if (j < width) {
      SCALAR.weightedRows(m, at + j, stride, count, coef, coefAt, width - j, out, outAt + j);
    }
  }
}
