package org.chatglmkit.djl;

import java.nio.ByteBuffer;

/**
 * The products of activations with compact weights, row range by row range: {@code y[s·rows + r] =
 * scale[r] · Σ_c x[s·cols + c] · w[r·cols + c]} for the rows {@code r} in {@code [from, to)} and
 * every activation row {@code s < n}. The weights are {@code rows × cols}, row-major, one row per
 * output (the checkpoint's layout), in a little-endian buffer: int8 with a scale per row, or fp16.
 * Each weight is widened to float in registers just before its multiply, so memory traffic is the
 * compact size and every sum is computed in float.
 *
 * <p>Two implementations: {@link VectorMatVec} (Java's Vector API, when the JVM was started with
 * {@code --add-modules jdk.incubator.vector}) and {@link ScalarMatVec} (plain Java, 3.4× slower for
 * one row here: {@code bench/matvec.sh}). {@link #best()} picks the first that works.
 */
interface MatVec {
  void int8(
      ByteBuffer w,
      float[] scales,
      int rows,
      int cols,
      float[] x,
      int n,
      float[] y,
      int from,
      int to);

  void fp16(ByteBuffer w, int rows, int cols, float[] x, int n, float[] y, int from, int to);

  /**
   * An int8 row widened: {@code scale · w[base + c]} for {@code c < cols}, as native-order floats
   * into {@code out} from byte {@code at} (a tensor's memory: no copy follows).
   */
  void widenInt8(ByteBuffer w, int base, int cols, float scale, ByteBuffer out, int at);

  /** The fp16 row from byte {@code base}, widened as {@link #widenInt8} does. */
  void widenFp16(ByteBuffer w, int base, int cols, ByteBuffer out, int at);

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
