package org.chatglmkit.djl;

import java.nio.ByteBuffer;

/**
 * The products of activations with compact weights, row range by row range, for the rows {@code r}
 * in {@code [from, to)} and every activation row {@code s}. The weights are {@code rows × cols},
 * row-major, one row per output (the checkpoint's layout), in a Java array (the Vector API loads
 * from an array at 1.5 times the speed it loads from a direct buffer, whose every load checks and
 * computes an address: {@code bench/matvec.sh} measures both):
 *
 * <ul>
 *   <li>int8, with a scale per block of {@link #BLOCK} weights along the row ({@code scales[r ·
 *       blocks(cols) + b]}), multiplied by activations quantized the same way ({@link
 *       QuantizedRows}): each block's products are summed as integers and scaled once, {@code
 *       y[s·rows + r] = Σ_b wscale[r,b] · xscale[s,b] · Σ_{c in b} w[r,c] · q[s,c]}, as Q8_0
 *       engines do, so no weight is converted to float;
 *   <li>fp16, each weight widened to float in registers just before its multiply.
 * </ul>
 *
 * <p>Memory traffic is the compact size. Two implementations: {@link VectorMatVec} (Java's Vector
 * API, when the JVM was started with {@code --add-modules jdk.incubator.vector}) and {@link
 * ScalarMatVec} (plain Java, several times slower: {@code bench/matvec.sh}). {@link #best()} picks
 * the first that works.
 */
interface MatVec {
  /** Weights and activations per int8 scale. */
  int BLOCK = 64;

  /** Blocks in a row of {@code cols} (the last may be shorter). */
  static int blocks(int cols) {
    return (cols + BLOCK - 1) / BLOCK;
  }

  void int8(
      byte[] w, float[] scales, int rows, int cols, QuantizedRows x, float[] y, int from, int to);

  /** {@code y[s·rows + r] = Σ_c x[s·cols + c] · w[r·cols + c]} for fp16 weights, {@code s < n}. */
  void fp16(short[] w, int rows, int cols, float[] x, int n, float[] y, int from, int to);

  /**
   * Int8 row {@code row} widened: {@code scale[row, c / BLOCK] · w[row·cols + c]} for {@code c <
   * cols}, as native-order floats into {@code out} from byte {@code at} (a tensor's memory: no copy
   * follows).
   */
  void widenInt8(byte[] w, float[] scales, int row, int cols, ByteBuffer out, int at);

  /** The fp16 row from index {@code base} of {@code w}, widened as {@link #widenInt8} does. */
  void widenFp16(short[] w, int base, int cols, ByteBuffer out, int at);

  /**
   * A weighted sum of {@code count} rows of {@code m}, {@code stride} apart from {@code at}: {@code
   * out[outAt + j] = Σ_i coef[coefAt + i] · m[at + i·stride + j]} for {@code j < width}, the sum
   * taken in order of {@code i}. Attention is two of them: a query's scores are its channels
   * weighting the rows of the transposed keys ({@code kv} rows of positions), and its context is
   * its probabilities weighting the rows of the values (a row per position).
   */
  void weightedRows(
      float[] m,
      int at,
      int stride,
      int count,
      float[] coef,
      int coefAt,
      int width,
      float[] out,
      int outAt);

  /** {@code vector (…)} or {@code scalar}, for the start-up banner and benchmark reports. */
  String name();

  /** The vector kernel when the JVM has {@code jdk.incubator.vector}, else the scalar one. */
  static MatVec best() {
    return Holder.BEST;
  }

  /** Whether {@link #best()} is the scalar kernel, and the flag that would change that. */
  static String hint() {
    return best() instanceof ScalarMatVec
        ? "scalar kernel: start java with --add-modules jdk.incubator.vector for the vector one"
        : "";
  }

  /** Resolved once: loading {@link VectorMatVec} without the module would fail to link. */
  final class Holder {
    static final MatVec BEST = choose();

    private Holder() {}

    private static MatVec choose() {
      if (ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()
          && !Boolean.getBoolean("chatglm.scalar-kernel")) {
        try {
          return VectorMatVec.create();
        } catch (LinkageError | RuntimeException e) {
          // an API this JDK's incubator module lacks: the scalar kernel still works
        }
      }
      return new ScalarMatVec();
    }
  }
}
