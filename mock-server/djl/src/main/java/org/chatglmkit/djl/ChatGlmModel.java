package org.chatglmkit.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.List;

/**
 * The ChatGLM2/3 transformer on DJL NDArrays: word embedding; per layer RMSNorm, fused
 * query/key/value with bias, rotary embedding on the first half of each head in interleaved pairs,
 * multi-query attention over {@code groups} key/value heads with a KV cache, a residual, RMSNorm,
 * SwiGLU MLP and a residual; final RMSNorm; output layer.
 *
 * <pre>{@code
 * try (KvCache cache = model.newCache()) {
 *   float[] logits = model.forward(promptTokens, cache); // prefill
 *   logits = model.forward(new int[] {next}, cache);     // one cached decode step
 * }
 * }</pre>
 */
public final class ChatGlmModel {
  private final ChatGlmConfig config;
  private final ChatGlmWeights weights;
  private final NDManager manager;

  /** θ_i = base^(−2i/rotary) of each rotary pair, computed once. */
  private final double[] inverseFrequencies;

  private volatile StepProfile profile;

  /** The norms and biases as Java arrays, for {@link #decode}; read on its first step. */
  private Vectors vectors;

  public ChatGlmModel(ChatGlmConfig config, ChatGlmWeights weights, NDManager manager) {
    this.config = config;
    this.weights = weights;
    this.manager = manager;
    this.inverseFrequencies = new double[config.rotaryDims() / 2];
    double base = 10000 * config.ropeRatio();
    for (int i = 0; i < inverseFrequencies.length; i++) {
      inverseFrequencies[i] = 1 / Math.pow(base, (2.0 * i) / config.rotaryDims());
    }
  }

  /** Times every later step part by part into {@code profile}; {@code null} turns it off. */
  public void profile(StepProfile profile) {
    this.profile = profile;
  }

  /** The time since {@code start} added to {@code part} when profiling; returns now. */
  private long took(StepProfile.Part part, long start) {
    StepProfile on = profile;
    return on == null ? start : on.add(part, start);
  }

  /** Now, when profiling; 0 otherwise. */
  private long now() {
    return profile == null ? 0 : System.nanoTime();
  }

  public ChatGlmConfig config() {
    return config;
  }

  public KvCache newCache() {
    return new KvCache(config.layers(), config.groups(), config.kvChannels(), config.seqLength());
  }

  /** Feeds {@code tokens} after what {@code cache} holds; returns the next token's logits. */
  public float[] forward(int[] tokens, KvCache cache) {
    return forward(new int[][] {tokens}, List.of(cache))[0];
  }

  /**
   * One step for several sequences at once, each with its own cache (of any length) and the same
   * number of new tokens: the linear layers run once over all of them, so the weights are read once
   * per step instead of once per sequence. Returns each sequence's next-token logits.
   */
  public float[][] forward(int[][] tokens, List<KvCache> caches) {
    int streams = tokens.length;
    int t = tokens[0].length;
    int[] pasts = new int[streams];
    for (int s = 0; s < streams; s++) {
      if (tokens[s].length != t) {
        throw new IllegalArgumentException(
            "every sequence of a batch feeds the same number of tokens");
      }
      pasts[s] = caches.get(s).length();
      if (pasts[s] + t > config.seqLength()) {
        throw new IllegalArgumentException(
            "context of " + (pasts[s] + t) + " tokens exceeds seq_length " + config.seqLength());
      }
    }
    long clock = now();
    try (NDManager step = manager.newSubManager()) {
      long[] ids = new long[streams * t];
      for (int s = 0; s < streams; s++) {
        for (int i = 0; i < t; i++) {
          ids[s * t + i] = tokens[s][i];
        }
      }
      NDArray x = weights.embed(ids, step);
      if (t == 1 && weights.kind() != WeightsKind.FP32) {
        return decode(x, pasts, caches, step, clock);
      }
      NDArray[] rope = rotary(step, pasts, t);
      // A single new token may see every cached one: decode steps need no mask.
      NDArray[] masks = new NDArray[streams];
      for (int s = 0; s < streams && t > 1; s++) {
        masks[s] = causalMask(step, pasts[s], t);
      }
      for (int layer = 0; layer < config.layers(); layer++) {
        // A layer's temporaries are freed when it ends: a long prefill's, kept for the whole
        // step, would be gigabytes at full size.
        try (NDManager scope = step.newSubManager()) {
          x.attach(scope);
          NDArray h = rmsNorm(x, weights.layer(layer, TensorNames.INPUT_NORM));
          clock = took(StepProfile.Part.EMBEDDING_AND_NORMS, clock);
          NDArray mid = x.add(attention(layer, h, rope, masks, caches, t));
          clock = now();
          NDArray normed = rmsNorm(mid, weights.layer(layer, TensorNames.POST_NORM));
          clock = took(StepProfile.Part.EMBEDDING_AND_NORMS, clock);
          NDArray out = mid.add(mlp(layer, normed));
          clock = took(StepProfile.Part.MLP, clock);
          out.attach(step);
          x = out;
        }
      }
      caches.forEach(cache -> cache.advance(t));
      clock = now();
      NDArray lastRows = x.get(new NDIndex("{}", step.create(lastRowIndices(streams, t))));
      NDArray logits =
          weights.linear(
              TensorNames.OUTPUT, rmsNorm(lastRows, weights.get(TensorNames.FINAL_NORM)));
      return finish(logits.toFloatArray(), streams, clock);
    }
  }

  /**
   * A decode step (one new token per sequence) with compact weights, all in Java arrays: norms,
   * residuals, bias, rotary, attention over the caches and SwiGLU are loops over a few thousand
   * values here, where on the engine each was several operations of tens of microseconds each
   * (about 80 a layer), and the engine's attention copied the cache into a new tensor every step.
   */
  private float[][] decode(
      NDArray embedded, int[] pasts, List<KvCache> caches, NDManager step, long clock) {
    int n = pasts.length;
    int hidden = config.hidden();
    int ffn = config.ffn();
    int heads = config.heads();
    int groups = config.groups();
    int kv = config.kvChannels();
    Vectors vectors = vectors();
    float[] x = embedded.toFloatArray();
    float[] h = new float[n * hidden];
    float[] qkv = new float[n * config.qkvWidth()];
    float[] q = new float[n * heads * kv];
    float[] k = new float[n * groups * kv];
    float[] v = new float[n * groups * kv];
    float[] context = new float[n * heads * kv];
    float[] out = new float[n * hidden];
    float[] up = new float[n * 2 * ffn];
    float[] gated = new float[n * ffn];
    float[][] rope = rotaryTables(pasts, 1);
    QuantizedRows quantized = weights.quantized();
    for (int layer = 0; layer < config.layers(); layer++) {
      rmsNorm(x, vectors.inputNorms[layer], h, n);
      clock = took(StepProfile.Part.EMBEDDING_AND_NORMS, clock);
      weights.compact(layer, TensorNames.QKV_WEIGHT).multiply(h, n, qkv, quantized);
      splitQkv(qkv, vectors.qkvBiases[layer], rope, q, k, v, n);
      clock = took(StepProfile.Part.QKV, clock);
      for (int s = 0; s < n; s++) {
        caches.get(s).decode(layer, k, v, s, q, heads, context);
      }
      clock = took(StepProfile.Part.ATTENTION, clock);
      weights.compact(layer, TensorNames.DENSE).multiply(context, n, out, quantized);
      clock = took(StepProfile.Part.OUTPUT_PROJECTION, clock);
      add(x, out);
      rmsNorm(x, vectors.postNorms[layer], h, n);
      clock = took(StepProfile.Part.EMBEDDING_AND_NORMS, clock);
      weights.compact(layer, TensorNames.H_TO_4H).multiply(h, n, up, quantized);
      swiGlu(up, gated, n, ffn);
      weights.compact(layer, TensorNames.FOUR_H_TO_H).multiply(gated, n, out, quantized);
      add(x, out);
      clock = took(StepProfile.Part.MLP, clock);
    }
    caches.forEach(cache -> cache.advance(1));
    clock = now();
    rmsNorm(x, vectors.finalNorm, h, n);
    float[] logits = new float[n * config.vocab()];
    weights.compact(TensorNames.OUTPUT).multiply(h, n, logits, quantized);
    return finish(logits, n, clock);
  }

  /** Each sequence's row of {@code logits} ([streams · vocab]); ends the step's profile. */
  private float[][] finish(float[] logits, int streams, long clock) {
    float[][] rows = new float[streams][];
    for (int s = 0; s < streams; s++) {
      rows[s] = Arrays.copyOfRange(logits, s * config.vocab(), (s + 1) * config.vocab());
    }
    took(StepProfile.Part.FINAL_NORM_AND_LM_HEAD, clock);
    StepProfile on = profile;
    if (on != null) {
      on.step();
    }
    return rows;
  }

  /** The norms and biases as Java arrays, read from the engine on the first decode step. */
  private record Vectors(
      float[][] inputNorms, float[][] postNorms, float[][] qkvBiases, float[] finalNorm) {}

  private Vectors vectors() {
    if (vectors == null) {
      int layers = config.layers();
      float[][] inputNorms = new float[layers][];
      float[][] postNorms = new float[layers][];
      float[][] qkvBiases = new float[layers][];
      for (int layer = 0; layer < layers; layer++) {
        inputNorms[layer] = weights.layer(layer, TensorNames.INPUT_NORM).toFloatArray();
        postNorms[layer] = weights.layer(layer, TensorNames.POST_NORM).toFloatArray();
        qkvBiases[layer] = weights.layer(layer, TensorNames.QKV_BIAS).toFloatArray();
      }
      vectors =
          new Vectors(
              inputNorms, postNorms, qkvBiases, weights.get(TensorNames.FINAL_NORM).toFloatArray());
    }
    return vectors;
  }

  // The loops of a decode step are methods of their own: the JIT compiles each soon, and a step
  // that profiling recompiles (timing a part it never timed before) runs them compiled meanwhile.
  // Written inline, the SwiGLU loop ran in the interpreter after such a change: 70 ms more a token.

  /** {@code x += y}. */
  private static void add(float[] x, float[] y) {
    for (int i = 0; i < x.length; i++) {
      x[i] += y[i];
    }
  }

  /** {@code silu(gate) · value} of each row of {@code up} ([n, 2 · ffn]: gates, then values). */
  private static void swiGlu(float[] up, float[] gated, int n, int ffn) {
    for (int s = 0; s < n; s++) {
      for (int i = 0; i < ffn; i++) {
        float gate = up[s * 2 * ffn + i];
        gated[s * ffn + i] = gate * (1 / (1 + (float) Math.exp(-gate))) * up[s * 2 * ffn + ffn + i];
      }
    }
  }

  /** {@link #rmsNorm(NDArray, NDArray)} on {@code n} rows, in the engine's order of operations. */
  private void rmsNorm(float[] x, float[] weight, float[] out, int n) {
    int d = weight.length;
    float epsilon = (float) config.epsilon();
    for (int s = 0; s < n; s++) {
      double squares = 0;
      for (int i = s * d; i < (s + 1) * d; i++) {
        squares += x[i] * x[i];
      }
      float rms = (float) Math.sqrt((float) (squares / d) + epsilon);
      for (int i = s * d; i < (s + 1) * d; i++) {
        out[i] = x[i] / rms * weight[i - s * d];
      }
    }
  }

  /**
   * The fused projection's rows split into queries, keys and values, plus the bias, with queries
   * and keys rotated as {@link #applyRotary} does: the first {@code rotaryDims} of each head in
   * interleaved pairs.
   */
  private void splitQkv(
      float[] qkv, float[] bias, float[][] rope, float[] q, float[] k, float[] v, int n) {
    int kv = config.kvChannels();
    int width = config.qkvWidth();
    int pairs = config.rotaryDims() / 2;
    int qWidth = config.heads() * kv;
    int kWidth = config.groups() * kv;
    for (int s = 0; s < n; s++) {
      for (int c = 0; c < width; c++) {
        float value = qkv[s * width + c] + bias[c];
        if (c < qWidth) {
          q[s * qWidth + c] = value;
        } else if (c < qWidth + kWidth) {
          k[s * kWidth + c - qWidth] = value;
        } else {
          v[s * kWidth + c - qWidth - kWidth] = value;
        }
      }
      rotate(q, s * qWidth, config.heads(), kv, pairs, rope, s * pairs);
      rotate(k, s * kWidth, config.groups(), kv, pairs, rope, s * pairs);
    }
  }

  private static void rotate(
      float[] x, int from, int heads, int kv, int pairs, float[][] rope, int at) {
    for (int head = 0; head < heads; head++) {
      int base = from + head * kv;
      for (int i = 0; i < pairs; i++) {
        float even = x[base + 2 * i];
        float odd = x[base + 2 * i + 1];
        float cos = rope[0][at + i];
        float sin = rope[1][at + i];
        x[base + 2 * i] = even * cos - odd * sin;
        x[base + 2 * i + 1] = odd * cos + even * sin;
      }
    }
  }

  private static long[] lastRowIndices(int streams, int t) {
    long[] rows = new long[streams];
    for (int s = 0; s < streams; s++) {
      rows[s] = (long) s * t + t - 1;
    }
    return rows;
  }

  private NDArray rmsNorm(NDArray x, NDArray weight) {
    NDArray rms = x.mul(x).mean(new int[] {-1}, true).add(config.epsilon()).sqrt();
    return x.div(rms).mul(weight);
  }

  /** Attention over all rows: one fused projection, then each sequence against its own cache. */
  private NDArray attention(
      int layer, NDArray h, NDArray[] rope, NDArray[] masks, List<KvCache> caches, int t) {
    int rows = (int) h.getShape().get(0);
    int heads = config.heads();
    int groups = config.groups();
    int kv = config.kvChannels();
    long clock = now();
    NDArray qkv =
        weights
            .linear(layer, TensorNames.QKV_WEIGHT, h)
            .add(weights.layer(layer, TensorNames.QKV_BIAS));
    NDArray q = applyRotary(qkv.get(":, 0:" + heads * kv).reshape(rows, heads, kv), rope);
    NDArray k =
        applyRotary(
            qkv.get(":, " + heads * kv + ":" + (heads + groups) * kv).reshape(rows, groups, kv),
            rope);
    NDArray v = qkv.get(":, " + (heads + groups) * kv + ":").reshape(rows, groups, kv);
    clock = took(StepProfile.Part.QKV, clock);
    NDArray context = attend(layer, q, k, v, masks, caches, t, h.getManager());
    clock = took(StepProfile.Part.ATTENTION, clock);
    NDArray projected = weights.linear(layer, TensorNames.DENSE, context);
    took(StepProfile.Part.OUTPUT_PROJECTION, clock);
    return projected;
  }

  /**
   * Each sequence's queries ([rows, heads, kv]) against its cache, after appending its keys and
   * values ([rows, groups, kv]); {@code t} rows per sequence. Returns the contexts, [rows, heads ·
   * kv], in {@code scope}.
   */
  private NDArray attend(
      int layer,
      NDArray q,
      NDArray k,
      NDArray v,
      NDArray[] masks,
      List<KvCache> caches,
      int t,
      NDManager scope) {
    int heads = config.heads();
    int groups = config.groups();
    int kv = config.kvChannels();
    float[] newKeys = k.toFloatArray();
    float[] newValues = v.toFloatArray();
    if (t == 1) {
      // A decode step (fp32 weights): attention in Java, as compact weights' steps do, where the
      // engine would copy the whole cache into tensors for one query a sequence.
      float[] queries = q.toFloatArray();
      float[] context = new float[caches.size() * heads * kv];
      for (int s = 0; s < caches.size(); s++) {
        caches.get(s).decode(layer, newKeys, newValues, s, queries, heads, context);
      }
      return CompactMatrix.nativeArray(scope, context, new Shape(caches.size(), heads * kv));
    }
    NDList contexts = new NDList();
    for (int s = 0; s < caches.size(); s++) {
      String range = s * t + ":" + (s + 1) * t;
      KvCache cache = caches.get(s);
      cache.append(layer, newKeys, newValues, s * t, t);
      // Each key/value group serves heads / groups query heads (heads group by group): the queries
      // go to their group, [groups, perGroup · t, kv], against the group's keys, [groups, kv,
      // positions].
      int perGroup = heads / groups;
      int positions = cache.length() + t;
      NDArray[] cached = cache.tensors(layer, positions, scope);
      NDArray keys = cached[0];
      NDArray values = cached[1];
      NDArray scores =
          q.get(range)
              .transpose(1, 0, 2)
              .reshape(groups, perGroup * t, kv)
              .matMul(keys)
              .div(Math.sqrt(kv))
              .reshape(heads, t, positions);
      if (masks[s] != null) {
        scores = scores.add(masks[s]);
      }
      contexts.add(
          scores
              .softmax(-1)
              .reshape(groups, perGroup * t, positions)
              .matMul(values)
              .reshape(heads, t, kv)
              .transpose(1, 0, 2)
              .reshape(t, heads * kv));
    }
    return contexts.size() == 1 ? contexts.get(0) : NDArrays.concat(contexts, 0);
  }

  private NDArray mlp(int layer, NDArray h) {
    int ffn = config.ffn();
    NDArray up = weights.linear(layer, TensorNames.H_TO_4H, h);
    NDArray gate = up.get(":, 0:" + ffn);
    NDArray value = up.get(":, " + ffn + ":");
    NDArray silu = gate.mul(gate.neg().exp().add(1).pow(-1));
    return weights.linear(layer, TensorNames.FOUR_H_TO_H, silu.mul(value));
  }

  /**
   * cos and sin of each row's position and rotary pair, {@code [2][rows · pairs]}; row {@code s·t +
   * p} is token {@code p} of sequence {@code s}, at position past + p.
   */
  private float[][] rotaryTables(int[] pasts, int t) {
    int pairs = inverseFrequencies.length;
    int rows = pasts.length * t;
    float[][] table = new float[2][rows * pairs];
    for (int row = 0; row < rows; row++) {
      int position = pasts[row / t] + row % t;
      for (int i = 0; i < pairs; i++) {
        double angle = position * inverseFrequencies[i];
        table[0][row * pairs + i] = (float) Math.cos(angle);
        table[1][row * pairs + i] = (float) Math.sin(angle);
      }
    }
    return table;
  }

  /** {@link #rotaryTables} as arrays shaped [rows, 1, pairs], to broadcast over heads. */
  private NDArray[] rotary(NDManager step, int[] pasts, int t) {
    float[][] table = rotaryTables(pasts, t);
    Shape shape = new Shape((long) pasts.length * t, 1, inverseFrequencies.length);
    return new NDArray[] {step.create(table[0], shape), step.create(table[1], shape)};
  }

  /** Rotates the first half of each head's dimensions, taken as interleaved pairs. */
  private NDArray applyRotary(NDArray x, NDArray[] rope) {
    int t = (int) x.getShape().get(0);
    int n = (int) x.getShape().get(1);
    int rot = config.rotaryDims();
    NDArray rotated = x.get(":, :, 0:" + rot).reshape(t, n, rot / 2, 2);
    NDArray even = rotated.get(":, :, :, 0");
    NDArray odd = rotated.get(":, :, :, 1");
    NDArray outEven = even.mul(rope[0]).sub(odd.mul(rope[1]));
    NDArray outOdd = odd.mul(rope[0]).add(even.mul(rope[1]));
    NDArray out = outEven.stack(outOdd, -1).reshape(t, n, rot);
    return out.concat(x.get(":, :, " + rot + ":"), -1);
  }

  /** 0 where query i (at position past+i) may see key j, −∞ where j is in its future. */
  private static NDArray causalMask(NDManager step, int past, int t) {
    int total = past + t;
    float[] mask = new float[t * total];
    for (int i = 0; i < t; i++) {
      for (int j = 0; j < total; j++) {
        mask[i * total + j] = j > past + i ? Float.NEGATIVE_INFINITY : 0f;
      }
    }
    return step.create(mask, new Shape(t, total));
  }
}
