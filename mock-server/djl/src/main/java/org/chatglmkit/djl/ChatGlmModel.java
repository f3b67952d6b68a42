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
    return new KvCache(manager, config.layers());
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
      float[] flat = logits.toFloatArray();
      float[][] out = new float[streams][];
      for (int s = 0; s < streams; s++) {
        out[s] = Arrays.copyOfRange(flat, s * config.vocab(), (s + 1) * config.vocab());
      }
      took(StepProfile.Part.FINAL_NORM_AND_LM_HEAD, clock);
      StepProfile on = profile;
      if (on != null) {
        on.step();
      }
      return out;
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
    NDList contexts = new NDList();
    for (int s = 0; s < caches.size(); s++) {
      String range = s * t + ":" + (s + 1) * t;
      NDArray[] all = caches.get(s).append(layer, k.get(range), v.get(range));
      int perGroup = heads / groups;
      NDArray keys = all[0].repeat(1, perGroup);
      NDArray values = all[1].repeat(1, perGroup);
      keys.attach(h.getManager());
      values.attach(h.getManager());
      NDArray scores =
          q.get(range).transpose(1, 0, 2).matMul(keys.transpose(1, 2, 0)).div(Math.sqrt(kv));
      if (masks[s] != null) {
        scores = scores.add(masks[s]);
      }
      contexts.add(
          scores
              .softmax(-1)
              .matMul(values.transpose(1, 0, 2))
              .transpose(1, 0, 2)
              .reshape(t, heads * kv));
    }
    NDArray context = contexts.size() == 1 ? contexts.get(0) : NDArrays.concat(contexts, 0);
    clock = took(StepProfile.Part.ATTENTION, clock);
    NDArray projected = weights.linear(layer, TensorNames.DENSE, context);
    took(StepProfile.Part.OUTPUT_PROJECTION, clock);
    return projected;
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
   * cos and sin of each row's position and rotary pair, shaped [rows, 1, pairs] to broadcast over
   * heads; row {@code s·t + p} is token {@code p} of sequence {@code s}, at position past + p.
   */
  private NDArray[] rotary(NDManager step, int[] pasts, int t) {
    int pairs = inverseFrequencies.length;
    int rows = pasts.length * t;
    float[] cos = new float[rows * pairs];
    float[] sin = new float[rows * pairs];
    for (int row = 0; row < rows; row++) {
      int position = pasts[row / t] + row % t;
      for (int i = 0; i < pairs; i++) {
        double angle = position * inverseFrequencies[i];
        cos[row * pairs + i] = (float) Math.cos(angle);
        sin[row * pairs + i] = (float) Math.sin(angle);
      }
    }
    return new NDArray[] {
      step.create(cos, new Shape(rows, 1, pairs)), step.create(sin, new Shape(rows, 1, pairs))
    };
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
