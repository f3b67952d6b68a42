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
 * jdk.incubator.vector}). One float lane per weight: a chunk of {@code L} int8 (or fp16) weights is
 * loaded, widened to {@code L} floats in registers and multiplied into the running sums of up to
 * four activation rows, so each weight is read from memory once per step however many sequences the
 * batch holds. fp16 is widened with integer operations: the half's exponent and mantissa moved into
 * a float's places, times 2^112.
 *
 * <p>The int8 and fp16 loops are written out twice on purpose: a shared loop that took the chunk
 * loader as a function would leave the JIT a call it does not inline, and vector operations it does
 * not inline run as objects, tens of times slower.
 */
final class VectorMatVec implements MatVec {
  private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
  private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
  private static final VectorSpecies<Byte> B =
      ByteVector.SPECIES_PREFERRED.withShape(VectorShape.forBitSize(F.length() * 8));
  private static final VectorSpecies<Short> S =
      ShortVector.SPECIES_PREFERRED.withShape(VectorShape.forBitSize(F.length() * 16));
  private static final int L = F.length();
  private static final Associative ADD = VectorOperators.ADD;

  private VectorMatVec() {}

  /** The kernel, after one product checked against the scalar kernel's. */
  static VectorMatVec create() {
    VectorMatVec kernel = new VectorMatVec();
    ByteBuffer w = ByteBuffer.allocate(2 * 3 * L).order(ByteOrder.LITTLE_ENDIAN);
    float[] x = new float[3 * L];
    for (int i = 0; i < x.length; i++) {
      w.put(i, (byte) (i * 37 - 50));
      x[i] = i * 0.25f - 3;
    }
    float[] expected = new float[2];
    float[] actual = new float[2];
    new ScalarMatVec().int8(w, new float[] {0.5f, 2f}, 2, x.length / 2, x, 1, expected, 0, 2);
    kernel.int8(w, new float[] {0.5f, 2f}, 2, x.length / 2, x, 1, actual, 0, 2);
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
      ByteBuffer w,
      float[] scales,
      int rows,
      int cols,
      float[] x,
      int n,
      float[] y,
      int from,
      int to) {
    int r = from;
    if (n >= 4) {
      // Two weight rows at a time: each activation chunk loaded serves eight sums.
      for (; r + 2 <= to; r += 2) {
        int s = 0;
        for (; s + 4 <= n; s += 4) {
          int8Rows4x2(w, r, rows, cols, x, s, y, scales[r], scales[r + 1]);
        }
        for (; s < n; s++) {
          y[s * rows + r] = scales[r] * int8Row(w, r * cols, cols, x, s * cols);
          y[s * rows + r + 1] = scales[r + 1] * int8Row(w, (r + 1) * cols, cols, x, s * cols);
        }
      }
    }
    for (; r < to; r++) {
      int s = 0;
      for (; s + 4 <= n; s += 4) {
        int8Rows4(w, r, rows, cols, x, s, y, scales[r]);
      }
      for (; s < n; s++) {
        y[s * rows + r] = scales[r] * int8Row(w, r * cols, cols, x, s * cols);
      }
    }
  }

  @Override
  public void fp16(
      ByteBuffer w, int rows, int cols, float[] x, int n, float[] y, int from, int to) {
    int r = from;
    if (n >= 4) {
      for (; r + 2 <= to; r += 2) {
        int s = 0;
        for (; s + 4 <= n; s += 4) {
          fp16Rows4x2(w, r, rows, cols, x, s, y);
        }
        for (; s < n; s++) {
          y[s * rows + r] = fp16Row(w, 2 * r * cols, cols, x, s * cols);
          y[s * rows + r + 1] = fp16Row(w, 2 * (r + 1) * cols, cols, x, s * cols);
        }
      }
    }
    for (; r < to; r++) {
      int s = 0;
      for (; s + 4 <= n; s += 4) {
        fp16Rows4(w, r, rows, cols, x, s, y);
      }
      for (; s < n; s++) {
        y[s * rows + r] = fp16Row(w, 2 * r * cols, cols, x, s * cols);
      }
    }
  }

  /** One weight row (from byte {@code base}) times one activation row (from {@code xs}). */
  private static float int8Row(ByteBuffer w, int base, int cols, float[] x, int xs) {
    int bound = cols - cols % (2 * L);
    FloatVector a0 = FloatVector.zero(F);
    FloatVector a1 = FloatVector.zero(F);
    for (int c = 0; c < bound; c += 2 * L) {
      a0 = int8Chunk(w, base + c).fma(FloatVector.fromArray(F, x, xs + c), a0);
      a1 = int8Chunk(w, base + c + L).fma(FloatVector.fromArray(F, x, xs + c + L), a1);
    }
    float sum = a0.add(a1).reduceLanes(VectorOperators.ADD);
    for (int c = bound; c < cols; c++) {
      sum += x[xs + c] * w.get(base + c);
    }
    return sum;
  }

  /** Weight rows {@code r, r+1} times activation rows {@code s … s+3}: eight sums. */
  private static void int8Rows4x2(
      ByteBuffer w,
      int r,
      int rows,
      int cols,
      float[] x,
      int s,
      float[] y,
      float scale0,
      float scale1) {
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
      FloatVector w0 = int8Chunk(w, base + c);
      FloatVector w1 = int8Chunk(w, base + cols + c);
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
    y[s * rows + r] = scale0 * (a0.reduceLanes(ADD) + int8Tail(w, base, bound, cols, x, x0));
    y[(s + 1) * rows + r] =
        scale0 * (a1.reduceLanes(ADD) + int8Tail(w, base, bound, cols, x, x0 + cols));
    y[(s + 2) * rows + r] =
        scale0 * (a2.reduceLanes(ADD) + int8Tail(w, base, bound, cols, x, x0 + 2 * cols));
    y[(s + 3) * rows + r] =
        scale0 * (a3.reduceLanes(ADD) + int8Tail(w, base, bound, cols, x, x0 + 3 * cols));
    y[s * rows + r + 1] = scale1 * (b0.reduceLanes(ADD) + int8Tail(w, next, bound, cols, x, x0));
    y[(s + 1) * rows + r + 1] =
        scale1 * (b1.reduceLanes(ADD) + int8Tail(w, next, bound, cols, x, x0 + cols));
    y[(s + 2) * rows + r + 1] =
        scale1 * (b2.reduceLanes(ADD) + int8Tail(w, next, bound, cols, x, x0 + 2 * cols));
    y[(s + 3) * rows + r + 1] =
        scale1 * (b3.reduceLanes(ADD) + int8Tail(w, next, bound, cols, x, x0 + 3 * cols));
  }

  /** As {@link #int8Rows4x2}, fp16 weights. */
  private static void fp16Rows4x2(
      ByteBuffer w, int r, int rows, int cols, float[] x, int s, float[] y) {
    int base = 2 * r * cols;
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
      FloatVector w0 = fp16Chunk(w, base + 2 * c);
      FloatVector w1 = fp16Chunk(w, base + 2 * (cols + c));
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
    int next = base + 2 * cols;
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

  /** Weight row {@code r} times activation rows {@code s … s+3}, each weight chunk read once. */
  private static void int8Rows4(
      ByteBuffer w, int r, int rows, int cols, float[] x, int s, float[] y, float scale) {
    int base = r * cols;
    int bound = cols - cols % L;
    int x0 = s * cols;
    FloatVector a0 = FloatVector.zero(F);
    FloatVector a1 = FloatVector.zero(F);
    FloatVector a2 = FloatVector.zero(F);
    FloatVector a3 = FloatVector.zero(F);
    for (int c = 0; c < bound; c += L) {
      FloatVector wv = int8Chunk(w, base + c);
      a0 = wv.fma(FloatVector.fromArray(F, x, x0 + c), a0);
      a1 = wv.fma(FloatVector.fromArray(F, x, x0 + cols + c), a1);
      a2 = wv.fma(FloatVector.fromArray(F, x, x0 + 2 * cols + c), a2);
      a3 = wv.fma(FloatVector.fromArray(F, x, x0 + 3 * cols + c), a3);
    }
    y[s * rows + r] =
        scale * (a0.reduceLanes(VectorOperators.ADD) + int8Tail(w, base, bound, cols, x, x0));
    y[(s + 1) * rows + r] =
        scale
            * (a1.reduceLanes(VectorOperators.ADD) + int8Tail(w, base, bound, cols, x, x0 + cols));
    y[(s + 2) * rows + r] =
        scale
            * (a2.reduceLanes(VectorOperators.ADD)
                + int8Tail(w, base, bound, cols, x, x0 + 2 * cols));
    y[(s + 3) * rows + r] =
        scale
            * (a3.reduceLanes(VectorOperators.ADD)
                + int8Tail(w, base, bound, cols, x, x0 + 3 * cols));
  }

  private static float int8Tail(ByteBuffer w, int base, int from, int cols, float[] x, int xs) {
    float sum = 0;
    for (int c = from; c < cols; c++) {
      sum += x[xs + c] * w.get(base + c);
    }
    return sum;
  }

  /** As {@link #int8Row}, fp16 weights from byte {@code base}. */
  private static float fp16Row(ByteBuffer w, int base, int cols, float[] x, int xs) {
    int bound = cols - cols % (2 * L);
    FloatVector a0 = FloatVector.zero(F);
    FloatVector a1 = FloatVector.zero(F);
    for (int c = 0; c < bound; c += 2 * L) {
      a0 = fp16Chunk(w, base + 2 * c).fma(FloatVector.fromArray(F, x, xs + c), a0);
      a1 = fp16Chunk(w, base + 2 * (c + L)).fma(FloatVector.fromArray(F, x, xs + c + L), a1);
    }
    float sum = a0.add(a1).reduceLanes(VectorOperators.ADD);
    return sum + fp16Tail(w, base, bound, cols, x, xs);
  }

  /** As {@link #int8Rows4}, fp16 weights. */
  private static void fp16Rows4(
      ByteBuffer w, int r, int rows, int cols, float[] x, int s, float[] y) {
    int base = 2 * r * cols;
    int bound = cols - cols % L;
    int x0 = s * cols;
    FloatVector a0 = FloatVector.zero(F);
    FloatVector a1 = FloatVector.zero(F);
    FloatVector a2 = FloatVector.zero(F);
    FloatVector a3 = FloatVector.zero(F);
    for (int c = 0; c < bound; c += L) {
      FloatVector wv = fp16Chunk(w, base + 2 * c);
      a0 = wv.fma(FloatVector.fromArray(F, x, x0 + c), a0);
      a1 = wv.fma(FloatVector.fromArray(F, x, x0 + cols + c), a1);
      a2 = wv.fma(FloatVector.fromArray(F, x, x0 + 2 * cols + c), a2);
      a3 = wv.fma(FloatVector.fromArray(F, x, x0 + 3 * cols + c), a3);
    }
    y[s * rows + r] = a0.reduceLanes(VectorOperators.ADD) + fp16Tail(w, base, bound, cols, x, x0);
    y[(s + 1) * rows + r] =
        a1.reduceLanes(VectorOperators.ADD) + fp16Tail(w, base, bound, cols, x, x0 + cols);
    y[(s + 2) * rows + r] =
        a2.reduceLanes(VectorOperators.ADD) + fp16Tail(w, base, bound, cols, x, x0 + 2 * cols);
    y[(s + 3) * rows + r] =
        a3.reduceLanes(VectorOperators.ADD) + fp16Tail(w, base, bound, cols, x, x0 + 3 * cols);
  }

  /** Columns {@code from … cols} of an fp16 row, one at a time. */
  private static float fp16Tail(ByteBuffer w, int base, int from, int cols, float[] x, int xs) {
    float sum = 0;
    for (int c = from; c < cols; c++) {
      sum += x[xs + c] * Half.toFloat(w.getShort(base + 2 * c));
    }
    return sum;
  }

  @Override
  public void widenInt8(ByteBuffer w, int base, int cols, float scale, ByteBuffer out, int at) {
    ByteOrder order = out.order();
    int bound = cols - cols % L;
    for (int c = 0; c < bound; c += L) {
      int8Chunk(w, base + c).mul(scale).intoByteBuffer(out, at + 4 * c, order);
    }
    for (int c = bound; c < cols; c++) {
      out.putFloat(at + 4 * c, scale * w.get(base + c));
    }
  }

  @Override
  public void widenFp16(ByteBuffer w, int base, int cols, ByteBuffer out, int at) {
    ByteOrder order = out.order();
    int bound = cols - cols % L;
    for (int c = 0; c < bound; c += L) {
      fp16Chunk(w, base + 2 * c).intoByteBuffer(out, at + 4 * c, order);
    }
    for (int c = bound; c < cols; c++) {
      out.putFloat(at + 4 * c, Half.toFloat(w.getShort(base + 2 * c)));
    }
  }

  /** {@code L} int8 weights from byte {@code at}, as floats. */
  private static FloatVector int8Chunk(ByteBuffer w, int at) {
    return (FloatVector)
        ByteVector.fromByteBuffer(B, w, at, ByteOrder.LITTLE_ENDIAN)
            .convertShape(VectorOperators.B2F, F, 0);
  }

  /** {@code L} fp16 weights from byte {@code at}, as floats (finite halves; see {@link Half}). */
  private static FloatVector fp16Chunk(ByteBuffer w, int at) {
    IntVector half =
        (IntVector)
            ShortVector.fromByteBuffer(S, w, at, ByteOrder.LITTLE_ENDIAN)
                .convertShape(VectorOperators.S2I, I, 0);
    IntVector sign = half.and(0x8000).lanewise(VectorOperators.LSHL, 16);
    FloatVector magnitude =
        half.and(0x7FFF).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(0x1p112f);
    return magnitude.reinterpretAsInts().or(sign).reinterpretAsFloats();
  }
}
