package org.chatglmkit.djl;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * A compact matrix's product takes the kernels below {@link CompactMatrix#WIDENED_FROM} rows and
 * widened weight blocks from there: both give the product of the weights it holds.
 */
class CompactMatrixTest {
  private static final int ROWS = 300;
  private static final int COLS = 200;

  @Test
  void bothPathsGiveTheProductOfTheHeldWeightsAtTheirBoundary() {
    SplittableRandom random = new SplittableRandom(7);
    float[] weights = new float[ROWS * COLS];
    for (int i = 0; i < weights.length; i++) {
      weights[i] = (float) (0.05 * random.nextGaussian());
    }
    try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
      // Blocks of 64 weight rows: four whole blocks and a last one of 44.
      CompactMatrix.Scratch scratch = new CompactMatrix.Scratch(manager, 64 * COLS + 17);
      for (WeightsKind kind : new WeightsKind[] {WeightsKind.INT8, WeightsKind.FP16}) {
        CompactMatrix matrix = CompactMatrix.of(kind, ROWS, COLS, weights);
        float[][] held = heldWeights(matrix);
        for (int n : new int[] {CompactMatrix.WIDENED_FROM - 1, CompactMatrix.WIDENED_FROM}) {
          float[] x = new float[n * COLS];
          for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextDouble(-2, 2);
          }
          NDArray product = matrix.multiply(manager.create(x, new Shape(n, COLS)), scratch);
          assertThat(product.getShape()).isEqualTo(new Shape(n, ROWS));
          float[] y = product.toFloatArray();
          boolean kernel = n < CompactMatrix.WIDENED_FROM;
          for (int s = 0; s < n; s++) {
            for (int r = 0; r < ROWS; r++) {
              double exact = 0;
              double magnitude = 0;
              double quantizationBound = 0;
              for (int c = 0; c < COLS; c++) {
                exact += (double) x[s * COLS + c] * held[r][c];
                magnitude += Math.abs((double) x[s * COLS + c] * held[r][c]);
                quantizationBound += Math.abs(held[r][c]) * blockMax(x, s, c) / 254;
              }
              // The int8 kernel multiplies activations quantized per block (each off by at most
              // half a step, max/254); the widened blocks and fp16 multiply them as they are.
              double tolerance =
                  1e-5 * magnitude + (kernel && kind == WeightsKind.INT8 ? quantizationBound : 0);
              assertThat(Math.abs(y[s * ROWS + r] - exact))
                  .as("%s, %d rows, output (%d, %d)", kind, n, s, r)
                  .isLessThanOrEqualTo(tolerance + 1e-7);
            }
          }
        }
      }
    }
  }

  /** The weights as the matrix holds them (int8 times its scales, or fp16), widened to floats. */
  private static float[][] heldWeights(CompactMatrix matrix) {
    float[][] held = new float[matrix.rows()][matrix.cols()];
    ByteBuffer row = ByteBuffer.allocateDirect(4 * matrix.cols()).order(ByteOrder.nativeOrder());
    for (int r = 0; r < matrix.rows(); r++) {
      matrix.row(r, row, 0);
      row.asFloatBuffer().get(held[r]);
    }
    return held;
  }

  /** The largest |x| in the quantization block of row {@code s} that holds column {@code c}. */
  private static double blockMax(float[] x, int s, int c) {
    int from = c / MatVec.BLOCK * MatVec.BLOCK;
    double max = 0;
    for (int i = from; i < Math.min(from + MatVec.BLOCK, COLS); i++) {
      max = Math.max(max, Math.abs(x[s * COLS + i]));
    }
    return max;
  }
}
