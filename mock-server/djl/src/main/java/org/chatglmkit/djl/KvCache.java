package org.chatglmkit.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.stream.IntStream;

/**
 * The keys and values of one sequence so far, per layer, in Java arrays laid out for a decode
 * step's attention: keys transposed, {@code [groups, kv, capacity]}, so a query's scores against
 * every position are sums of whole rows; values {@code [groups, capacity, kv]}, so its context is a
 * weighted sum of rows. Appending writes in place; the capacity doubles when it runs out (up to the
 * model's {@code seq_length}), so a step copies nothing of what is cached. A prefill's attention
 * takes the same arrays as engine tensors ({@link #tensors}).
 *
 * <p>Used by the decoder thread only; closing it drops the arrays.
 */
public final class KvCache implements AutoCloseable {
  private static final int FIRST_CAPACITY = 64;

  /** Attention over at least this many multiply-adds (heads × positions × kv) uses every core. */
  private static final int PARALLEL_WORK = 1 << 18;

  private final MatVec kernel = MatVec.best();
  private final int groups;
  private final int kv;
  private final int limit;
  private final float[][] keys;
  private final float[][] values;
  private float[] scores = new float[0];
  private int capacity;
  private int length;

  KvCache(int layers, int groups, int kv, int limit) {
    this.groups = groups;
    this.kv = kv;
    this.limit = limit;
    this.keys = new float[layers][];
    this.values = new float[layers][];
  }

  /** Positions already cached. */
  public int length() {
    return length;
  }

  /**
   * Writes {@code t} new positions of a layer, after the {@link #length()} cached: rows {@code from
   * … from+t−1} of {@code k} and {@code v} ({@code [rows, groups, kv]}, row-major).
   */
  void append(int layer, float[] k, float[] v, int from, int t) {
    if (length + t > capacity) {
      grow(length + t);
    }
    if (keys[layer] == null) {
      keys[layer] = new float[groups * kv * capacity];
      values[layer] = new float[groups * kv * capacity];
    }
    float[] keyRows = keys[layer];
    float[] valueRows = values[layer];
    for (int i = 0; i < t; i++) {
      int position = length + i;
      for (int g = 0; g < groups; g++) {
        int at = ((from + i) * groups + g) * kv;
        for (int d = 0; d < kv; d++) {
          keyRows[(g * kv + d) * capacity + position] = k[at + d];
        }
        System.arraycopy(v, at, valueRows, (g * capacity + position) * kv, kv);
      }
    }
  }

  /** Room for {@code needed} positions: the capacity doubled (at most the limit), rows moved. */
  private void grow(int needed) {
    if (needed > limit) {
      throw new IllegalArgumentException(
          "context of " + needed + " tokens exceeds seq_length " + limit);
    }
    int next = Math.max(FIRST_CAPACITY, capacity);
    while (next < needed) {
      next *= 2;
    }
    next = Math.min(next, limit);
    for (int layer = 0; layer < keys.length; layer++) {
      if (keys[layer] == null) {
        continue;
      }
      float[] keyRows = new float[groups * kv * next];
      float[] valueRows = new float[groups * kv * next];
      for (int row = 0; row < groups * kv; row++) {
        System.arraycopy(keys[layer], row * capacity, keyRows, row * next, length);
      }
      for (int g = 0; g < groups; g++) {
        System.arraycopy(values[layer], g * capacity * kv, valueRows, g * next * kv, length * kv);
      }
      keys[layer] = keyRows;
      values[layer] = valueRows;
    }
    capacity = next;
  }

  /**
   * A layer's first {@code positions} keys as {@code [groups, kv, positions]} and values as {@code
   * [groups, positions, kv]}, copied into engine tensors of {@code manager}.
   */
  NDArray[] tensors(int layer, int positions, NDManager manager) {
    float[] keyRows = new float[groups * kv * positions];
    float[] valueRows = new float[groups * positions * kv];
    for (int row = 0; row < groups * kv; row++) {
      System.arraycopy(keys[layer], row * capacity, keyRows, row * positions, positions);
    }
    for (int g = 0; g < groups; g++) {
      System.arraycopy(
          values[layer], g * capacity * kv, valueRows, g * positions * kv, positions * kv);
    }
    return new NDArray[] {
      CompactMatrix.nativeArray(manager, keyRows, new Shape(groups, kv, positions)),
      CompactMatrix.nativeArray(manager, valueRows, new Shape(groups, positions, kv))
    };
  }

  /**
   * Sequence {@code s}'s decode step in a layer, as a batch holds it: its new key and value (row
   * {@code s} of {@code k} and {@code v}, {@code [n, groups, kv]}) appended, then its query heads
   * (row {@code s} of {@code q}, {@code [n, heads, kv]}) attending to every position, itself
   * included, into row {@code s} of {@code out}.
   */
  void decode(int layer, float[] k, float[] v, int s, float[] q, int heads, float[] out) {
    append(layer, k, v, s, 1);
    attend(layer, length + 1, q, s * heads * kv, heads, out, s * heads * kv);
  }

  /**
   * One new token's attention in a layer, over its first {@code positions} keys and values (the
   * token's own included): for each of {@code heads} query heads ({@code q[qAt …]}, {@code [heads,
   * kv]}; heads group by group, {@code heads / groups} to a key/value group), softmax of the scores
   * {@code q·k / √kv} weighting the values, into {@code out[outAt …]}, {@code [heads, kv]}.
   */
  void attend(int layer, int positions, float[] q, int qAt, int heads, float[] out, int outAt) {
    if (scores.length < heads * positions) {
      scores = new float[heads * capacity];
    }
    float[] keyRows = keys[layer];
    float[] valueRows = values[layer];
    int perGroup = heads / groups;
    IntStream all = IntStream.range(0, heads);
    (heads * (long) positions * kv < PARALLEL_WORK ? all : all.parallel())
        .forEach(
            h ->
                head(
                    keyRows,
                    valueRows,
                    h / perGroup,
                    q,
                    qAt + h * kv,
                    positions,
                    h,
                    out,
                    outAt + h * kv));
  }

  /** One query head against group {@code g}; its scores go in row {@code h} of {@link #scores}. */
  private void head(
      float[] keyRows,
      float[] valueRows,
      int g,
      float[] q,
      int qAt,
      int positions,
      int h,
      float[] out,
      int outAt) {
    float[] s = scores;
    int at = h * positions;
    kernel.weightedRows(keyRows, g * kv * capacity, capacity, kv, q, qAt, positions, s, at);
    float root = (float) Math.sqrt(kv);
    float max = Float.NEGATIVE_INFINITY;
    for (int p = 0; p < positions; p++) {
      s[at + p] /= root;
      max = Math.max(max, s[at + p]);
    }
    float sum = 0;
    for (int p = 0; p < positions; p++) {
      float e = (float) Math.exp(s[at + p] - max);
      s[at + p] = e;
      sum += e;
    }
    for (int p = 0; p < positions; p++) {
      s[at + p] /= sum;
    }
    kernel.weightedRows(valueRows, g * capacity * kv, kv, positions, s, at, kv, out, outAt);
  }

  void advance(int tokens) {
    length += tokens;
  }

  @Override
  public void close() {
    Arrays.fill(keys, null);
    Arrays.fill(values, null);
    scores = new float[0];
  }
}
