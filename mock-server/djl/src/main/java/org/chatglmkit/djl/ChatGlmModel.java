package org.chatglmkit.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

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

  public ChatGlmModel(ChatGlmConfig config, ChatGlmWeights weights, NDManager manager) {
    this.config = config;
    this.weights = weights;
    this.manager = manager;
  }

  public ChatGlmConfig config() {
    return config;
  }

  public KvCache newCache() {
    return new KvCache(manager, config.layers());
  }

  /** Feeds {@code tokens} after what {@code cache} holds; returns the next token's logits. */
  public float[] forward(int[] tokens, KvCache cache) {
    int past = cache.length();
    if (past + tokens.length > config.seqLength()) {
      throw new IllegalArgumentException(
          "context of "
              + (past + tokens.length)
              + " tokens exceeds seq_length "
              + config.seqLength());
    }
    try (NDManager step = manager.newSubManager()) {
      long[] ids = new long[tokens.length];
      for (int i = 0; i < tokens.length; i++) {
        ids[i] = tokens[i];
      }
      NDArray x = weights.get(TensorNames.EMBEDDING).get(new NDIndex("{}", step.create(ids)));
      x.attach(step);
      NDArray[] rope = rotary(step, past, tokens.length);
      NDArray mask = causalMask(step, past, tokens.length);
      for (int layer = 0; layer < config.layers(); layer++) {
        x =
            x.add(
                attention(
                    layer,
                    rmsNorm(x, weights.layer(layer, TensorNames.INPUT_NORM)),
                    rope,
                    mask,
                    cache));
        x = x.add(mlp(layer, rmsNorm(x, weights.layer(layer, TensorNames.POST_NORM))));
      }
      cache.advance(tokens.length);
      NDArray last = rmsNorm(x.get(tokens.length - 1), weights.get(TensorNames.FINAL_NORM));
      return last.matMul(weights.get(TensorNames.OUTPUT)).toFloatArray();
    }
  }

  private NDArray rmsNorm(NDArray x, NDArray weight) {
    NDArray rms = x.mul(x).mean(new int[] {-1}, true).add(config.epsilon()).sqrt();
    return x.div(rms).mul(weight);
  }

  private NDArray attention(int layer, NDArray h, NDArray[] rope, NDArray mask, KvCache cache) {
    int t = (int) h.getShape().get(0);
    int heads = config.heads();
    int groups = config.groups();
    int kv = config.kvChannels();
    NDArray qkv =
        h.matMul(weights.layer(layer, TensorNames.QKV_WEIGHT))
            .add(weights.layer(layer, TensorNames.QKV_BIAS));
    NDArray q = qkv.get(":, 0:" + heads * kv).reshape(t, heads, kv);
    NDArray k = qkv.get(":, " + heads * kv + ":" + (heads + groups) * kv).reshape(t, groups, kv);
    NDArray v = qkv.get(":, " + (heads + groups) * kv + ":").reshape(t, groups, kv);
    q = applyRotary(q, rope);
    k = applyRotary(k, rope);
    NDArray[] all = cache.append(layer, k, v);
    int perGroup = heads / groups;
    NDArray keys = all[0].repeat(1, perGroup);
    NDArray values = all[1].repeat(1, perGroup);
    keys.attach(h.getManager());
    values.attach(h.getManager());
    keys = keys.transpose(1, 2, 0); // [heads, kv, past+t]
    values = values.transpose(1, 0, 2); // [heads, past+t, kv]
    NDArray scores = q.transpose(1, 0, 2).matMul(keys).div(Math.sqrt(kv)).add(mask);
    NDArray context = scores.softmax(-1).matMul(values).transpose(1, 0, 2).reshape(t, heads * kv);
    return context.matMul(weights.layer(layer, TensorNames.DENSE));
  }

  private NDArray mlp(int layer, NDArray h) {
    int ffn = config.ffn();
    NDArray up = h.matMul(weights.layer(layer, TensorNames.H_TO_4H));
    NDArray gate = up.get(":, 0:" + ffn);
    NDArray value = up.get(":, " + ffn + ":");
    NDArray silu = gate.mul(gate.neg().exp().add(1).pow(-1));
    return silu.mul(value).matMul(weights.layer(layer, TensorNames.FOUR_H_TO_H));
  }

  /** cos and sin of each position and rotary pair, shaped [t, 1, pairs] to broadcast over heads. */
  private NDArray[] rotary(NDManager step, int past, int t) {
    int pairs = config.rotaryDims() / 2;
    double base = 10000 * config.ropeRatio();
    float[] cos = new float[t * pairs];
    float[] sin = new float[t * pairs];
    for (int p = 0; p < t; p++) {
      for (int i = 0; i < pairs; i++) {
        double theta = 1.0 / Math.pow(base, (2.0 * i) / config.rotaryDims());
        double angle = (past + p) * theta;
        cos[p * pairs + i] = (float) Math.cos(angle);
        sin[p * pairs + i] = (float) Math.sin(angle);
      }
    }
    return new NDArray[] {
      step.create(cos, new Shape(t, 1, pairs)), step.create(sin, new Shape(t, 1, pairs))
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
