package org.chatglmkit.djl;

/**
 * Activation rows quantized for int8 products, as Q8_0 engines do: each row is cut into blocks of
 * {@link MatVec#BLOCK} values (the last may be shorter), and each block gets its own scale, {@code
 * max |x| / 127}, and values {@code round(x / scale)} in −127…127 (held as {@code short}, the width
 * the kernels multiply in). A product with an int8 weight block is then a sum of integer products,
 * scaled once per block by both blocks' scales.
 *
 * <p>One instance is reused for every product of a step (the arrays grow to the largest seen and
 * stay): quantizing allocates nothing. Not thread-safe; the decoder thread owns it.
 */
final class QuantizedRows {
  /** From this many rows on, the kernels also read the rows back as floats ({@link #widened}). */
  static final int WIDENED_FROM = 4;

  private short[] values = new short[0];
  private float[] widened = new float[0];
  private float[] scales = new float[0];
  private int rows;
  private int cols;
  private int blocks;

  /** Quantizes rows {@code 0 … n−1} of {@code x} ({@code n × cols}, row-major). */
  QuantizedRows quantize(float[] x, int n, int cols) {
    int perRow = MatVec.blocks(cols);
    if (values.length < n * cols) {
      values = new short[n * cols];
    }
    if (scales.length < n * perRow) {
      scales = new float[n * perRow];
    }
    boolean widen = n >= WIDENED_FROM;
    if (widen && widened.length < n * cols) {
      widened = new float[n * cols];
    }
    this.rows = n;
    this.cols = cols;
    this.blocks = perRow;
    for (int s = 0; s < n; s++) {
      for (int b = 0; b < perRow; b++) {
        int from = s * cols + b * MatVec.BLOCK;
        int to = Math.min(from + MatVec.BLOCK, (s + 1) * cols);
        float max = 0;
        for (int i = from; i < to; i++) {
          max = Math.max(max, Math.abs(x[i]));
        }
        float scale = max / 127;
        float inverse = scale == 0 ? 0 : 1 / scale;
        for (int i = from; i < to; i++) {
          values[i] = (short) Math.round(x[i] * inverse);
        }
        if (widen) {
          for (int i = from; i < to; i++) {
            widened[i] = values[i] * scale;
          }
        }
        scales[s * perRow + b] = scale;
      }
    }
    return this;
  }

  /**
   * The quantized rows as floats, {@code q · scale} (set when {@link #WIDENED_FROM} rows or more
   * were quantized): what a batch's products multiply, so a sequence's activations are the same
   * numbers in a batch as alone.
   */
  float[] widened() {
    return widened;
  }

  /** The quantized values, {@code rows × cols}, row-major (the array may be longer). */
  short[] values() {
    return values;
  }

  /** The scales, {@code rows × blocks}, row-major (the array may be longer). */
  float[] scales() {
    return scales;
  }

  int rows() {
    return rows;
  }

  int cols() {
    return cols;
  }

  /** Blocks per row. */
  int blocks() {
    return blocks;
  }
}
