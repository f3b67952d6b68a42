package org.chatglmkit.djl;

import java.nio.ByteBuffer;

/** {@link MatVec} in plain Java: four partial sums per dot product, widened one value at a time. */
final class ScalarMatVec implements MatVec {
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
    for (int r = from; r < to; r++) {
      int base = r * cols;
      for (int s = 0; s < n; s++) {
        int xs = s * cols;
        float a0 = 0;
        float a1 = 0;
        float a2 = 0;
        float a3 = 0;
        int c = 0;
        for (; c + 4 <= cols; c += 4) {
          a0 += x[xs + c] * w.get(base + c);
          a1 += x[xs + c + 1] * w.get(base + c + 1);
          a2 += x[xs + c + 2] * w.get(base + c + 2);
          a3 += x[xs + c + 3] * w.get(base + c + 3);
        }
        for (; c < cols; c++) {
          a0 += x[xs + c] * w.get(base + c);
        }
        y[s * rows + r] = scales[r] * ((a0 + a1) + (a2 + a3));
      }
    }
  }

  @Override
  public void fp16(
      ByteBuffer w, int rows, int cols, float[] x, int n, float[] y, int from, int to) {
    for (int r = from; r < to; r++) {
      int base = 2 * r * cols;
      for (int s = 0; s < n; s++) {
        int xs = s * cols;
        float a0 = 0;
        float a1 = 0;
        int c = 0;
        for (; c + 2 <= cols; c += 2) {
          a0 += x[xs + c] * Half.toFloat(w.getShort(base + 2 * c));
          a1 += x[xs + c + 1] * Half.toFloat(w.getShort(base + 2 * c + 2));
        }
        for (; c < cols; c++) {
          a0 += x[xs + c] * Half.toFloat(w.getShort(base + 2 * c));
        }
        y[s * rows + r] = a0 + a1;
      }
    }
  }

  @Override
  public void widenInt8(ByteBuffer w, int base, int cols, float scale, ByteBuffer out, int at) {
    for (int c = 0; c < cols; c++) {
      out.putFloat(at + 4 * c, scale * w.get(base + c));
    }
  }

  @Override
  public void widenFp16(ByteBuffer w, int base, int cols, ByteBuffer out, int at) {
    for (int c = 0; c < cols; c++) {
      out.putFloat(at + 4 * c, Half.toFloat(w.getShort(base + 2 * c)));
    }
  }

  @Override
  public String name() {
    return "scalar";
  }
}
