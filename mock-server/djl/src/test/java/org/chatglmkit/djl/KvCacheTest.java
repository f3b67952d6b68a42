package org.chatglmkit.djl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The cache's layout and its decode attention, against attention computed in doubles from the rows
 * as they were appended: across the capacity's doublings, on one core and on all of them.
 */
class KvCacheTest {
  /** Rows appended so far, as given: [positions, groups, kv] per layer. */
  private record Appended(float[][] keys, float[][] values) {}

  private static float[] random(Random random, int size) {
    float[] values = new float[size];
    for (int i = 0; i < size; i++) {
      values[i] = (float) random.nextGaussian();
    }
    return values;
  }

  /** softmax(q·k/√kv) · v for one head against group g's first {@code positions} rows. */
  private static double[] expected(
      float[] keys, float[] values, float[] q, int qAt, int g, int groups, int kv, int positions) {
    double[] scores = new double[positions];
    double max = Double.NEGATIVE_INFINITY;
    for (int p = 0; p < positions; p++) {
      for (int d = 0; d < kv; d++) {
        scores[p] += q[qAt + d] * (double) keys[(p * groups + g) * kv + d];
      }
      scores[p] /= Math.sqrt(kv);
      max = Math.max(max, scores[p]);
    }
    double sum = 0;
    for (int p = 0; p < positions; p++) {
      scores[p] = Math.exp(scores[p] - max);
      sum += scores[p];
    }
    double[] out = new double[kv];
    for (int p = 0; p < positions; p++) {
      for (int d = 0; d < kv; d++) {
        out[d] += scores[p] / sum * values[(p * groups + g) * kv + d];
      }
    }
    return out;
  }

  /**
   * Appends {@code steps} chunks of {@code t} tokens to a 2-layer cache, checking every decode
   * attention (the last token of each chunk) against the doubles' answer.
   */
  private static void decodesAsComputedDirectly(int heads, int groups, int kv, int t, int steps) {
    Random random = new Random(heads * 31 + kv);
    int layers = 2;
    int width = groups * kv;
    float[][] keys = new float[layers][t * steps * width];
    float[][] values = new float[layers][t * steps * width];
    try (KvCache cache = new KvCache(layers, groups, kv, t * steps)) {
      for (int step = 0; step < steps; step++) {
        for (int layer = 0; layer < layers; layer++) {
          // Two sequences' rows in one array, as a batch gives them: this cache is the second's.
          float[] k = random(random, 2 * t * width);
          float[] v = random(random, 2 * t * width);
          cache.append(layer, k, v, t, t);
          System.arraycopy(k, t * width, keys[layer], step * t * width, t * width);
          System.arraycopy(v, t * width, values[layer], step * t * width, t * width);
          int positions = (step + 1) * t;
          float[] q = random(random, 3 * heads * kv);
          float[] out = new float[2 * heads * kv];
          cache.attend(layer, positions, q, heads * kv, heads, out, heads * kv);
          for (int h = 0; h < heads; h++) {
            double[] want =
                expected(
                    keys[layer],
                    values[layer],
                    q,
                    (heads + h) * kv,
                    h / (heads / groups),
                    groups,
                    kv,
                    positions);
            for (int d = 0; d < kv; d++) {
              assertThat((double) out[(heads + h) * kv + d])
                  .as("layer %d, %d positions, head %d, channel %d", layer, positions, h, d)
                  .isCloseTo(want[d], within(1e-4));
            }
          }
          for (int i = 0; i < heads * kv; i++) {
            assertThat(out[i]).as("outside the asked range").isZero();
          }
        }
        cache.advance(t);
      }
    }
  }

  @Test
  void decodeAttentionMatchesDirectAttentionAcrossDoublings() {
    // 3 tokens at a time to 150 positions: capacities 64, 128, 150 (the limit).
    decodesAsComputedDirectly(4, 2, 8, 3, 50);
  }

  @Test
  void manyHeadsAndPositionsRunOnEveryCoreWithTheSameAnswer() {
    // 32 heads of 128 over 80 positions: past the parallel threshold.
    decodesAsComputedDirectly(32, 2, 128, 16, 5);
  }

  @Test
  void tensorsHoldTheRowsAsAppended() {
    int groups = 2;
    int kv = 4;
    Random random = new Random(7);
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        KvCache cache = new KvCache(1, groups, kv, 200)) {
      float[] k = random(random, 70 * groups * kv);
      float[] v = random(random, 70 * groups * kv);
      cache.append(0, k, v, 0, 60);
      cache.advance(60);
      cache.append(0, k, v, 60, 10); // past the first capacity of 64
      NDArray[] tensors = cache.tensors(0, 70, manager);
      assertThat(tensors[0].getShape().getShape()).containsExactly(groups, kv, 70);
      assertThat(tensors[1].getShape().getShape()).containsExactly(groups, 70, kv);
      float[] keys = tensors[0].toFloatArray();
      float[] values = tensors[1].toFloatArray();
      for (int p = 0; p < 70; p++) {
        for (int g = 0; g < groups; g++) {
          for (int d = 0; d < kv; d++) {
            assertThat(keys[(g * kv + d) * 70 + p]).isEqualTo(k[(p * groups + g) * kv + d]);
            assertThat(values[(g * 70 + p) * kv + d]).isEqualTo(v[(p * groups + g) * kv + d]);
          }
        }
      }
    }
  }

  @Test
  void aContextPastTheLimitIsRefused() {
    try (KvCache cache = new KvCache(1, 1, 2, 100)) {
      float[] rows = new float[101 * 2];
      assertThatThrownBy(() -> cache.append(0, rows, rows, 0, 101))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("exceeds seq_length 100");
    }
  }
}
