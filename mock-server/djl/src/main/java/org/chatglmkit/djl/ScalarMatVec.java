package org.chatglmkit.djl;

import java.nio.ByteBuffer;

/**
 * {@link MatVec} in plain Java: int8 blocks summed as integers, fp16 in two partial sums widened
 * one value at a time.
 */
final class ScalarMatVec implements MatVec {
  @Override
  public void int8(
      byte[] w, float[] scales, int rows, int cols, QuantizedRows x, float[] y, int from, int to) {
    int blocks = MatVec.blocks(cols);
    short[] q = x.values();
    float[] xScales = x.scales();
    for (int r = from; r < to; r++) {
      for (int s = 0; s < x.rows(); s++) {
        float sum = 0;
        for (int b = 0; b < blocks; b++) {
          int start = b * BLOCK;
          int end = Math.min(start + BLOCK, cols);
          int dot = 0;
          for (int c = start; c < end; c++) {
            dot += w[r * cols + c] * q[s * cols + c];
          }
          sum += scales[r * blocks + b] * xScales[s * blocks + b] * dot;
        }
        y[s * rows + r] = sum;
      }
    }
  }

  @Override
  public void fp16(short[] w, int rows, int cols, float[] x, int n, float[] y, int from, int to) {
    for (int r = from; r < to; r++) {
      int base = r * cols;
      for (int s = 0; s < n; s++) {
        int xs = s * cols;
        float a0 = 0;
        float a1 = 0;
        int c = 0;
        for (; c + 2 <= cols; c += 2) {
          a0 += x[xs + c] * Half.toFloat(w[base + c]);
          a1 += x[xs + c + 1] * Half.toFloat(w[base + c + 1]);
        }
        for (; c < cols; c++) {
          a0 += x[xs + c] * Half.toFloat(w[base + c]);
        }
        y[s * rows + r] = a0 + a1;
      }
    }
  }

  @Override
  public void widenInt8(byte[] w, float[] scales, int row, int cols, ByteBuffer out, int at) {
    int blocks = MatVec.blocks(cols);
    for (int c = 0; c < cols; c++) {
      out.putFloat(at + 4 * c, scales[row * blocks + c / BLOCK] * w[row * cols + c]);
    }
  }

  @Override
  public void widenFp16(short[] w, int base, int cols, ByteBuffer out, int at) {
    for (int c = 0; c < cols; c++) {
      out.putFloat(at + 4 * c, Half.toFloat(w[base + c]));
    }
  }

  @Override
  public String name() {
    return "scalar";
  }

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
    for (int j = 0; j < width; j++) {
      float sum = 0;
      for (int i = 0; i < count; i++) {
        sum += coef[coefAt + i] * m[at + i * stride + j];
      }
      out[outAt + j] = sum;
    }
  }
}
