package org.chatglmkit.djl;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.chatglmkit.mockserver.core.Json;

/**
 * The same equations written out in plain Java loops over plain arrays, with a safetensors reader
 * of its own: the independent computation the DJL model is checked against. Slow and obvious on
 * purpose.
 */
final class ReferenceChatGlm {
  private final ChatGlmConfig c;
  private final Map<String, float[]> w = new HashMap<>();
  private final List<float[][]> keys = new ArrayList<>(); // per layer: [position][groups*kv]
  private final List<float[][]> values = new ArrayList<>();
  private int length;

  ReferenceChatGlm(Path dir) throws IOException {
    this.c = ChatGlmConfig.read(dir.resolve("config.json"));
    try (var files = Files.list(dir)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".safetensors")).toList()) {
        read(file);
      }
    }
    for (int i = 0; i < c.layers(); i++) {
      keys.add(new float[c.seqLength()][]);
      values.add(new float[c.seqLength()][]);
    }
  }

  private void read(Path file) throws IOException {
    ByteBuffer all;
    try (FileChannel channel = FileChannel.open(file)) {
      all = ByteBuffer.allocate((int) channel.size()).order(ByteOrder.LITTLE_ENDIAN);
      while (all.hasRemaining() && channel.read(all) >= 0) {}
    }
    all.flip();
    long headerLength = all.getLong(0);
    byte[] header = new byte[(int) headerLength];
    all.get(8, header);
    JsonNode json = Json.MAPPER.readTree(new String(header, StandardCharsets.UTF_8));
    int base = 8 + (int) headerLength;
    Iterator<Map.Entry<String, JsonNode>> fields = json.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> field = fields.next();
      if (field.getKey().equals("__metadata__")) {
        continue;
      }
      String dtype = field.getValue().path("dtype").asText();
      int start = base + field.getValue().path("data_offsets").get(0).asInt();
      int end = base + field.getValue().path("data_offsets").get(1).asInt();
      int width = dtype.equals("F32") ? 4 : 2;
      float[] data = new float[(end - start) / width];
      for (int i = 0; i < data.length; i++) {
        int at = start + i * width;
        data[i] =
            switch (dtype) {
              case "F32" -> all.getFloat(at);
              case "BF16" -> Float.intBitsToFloat((all.getShort(at) & 0xFFFF) << 16);
              default -> halfToFloat(all.getShort(at));
            };
      }
      w.put(field.getKey(), data);
    }
  }

  private static float halfToFloat(short half) {
    int h = half & 0xFFFF;
    int sign = (h >>> 15) << 31;
    int exponent = (h >>> 10) & 0x1F;
    int mantissa = h & 0x3FF;
    if (exponent == 0) {
      return (sign == 0 ? 1 : -1) * mantissa * (float) Math.pow(2, -24);
    }
    if (exponent == 31) {
      return Float.intBitsToFloat(sign | 0x7F800000 | (mantissa << 13));
    }
    return Float.intBitsToFloat(sign | ((exponent - 15 + 127) << 23) | (mantissa << 13));
  }

  private float[] layer(int i, String suffix) {
    return w.get(TensorNames.layer(i, suffix));
  }

  /** out[o] = Σ_i x[i] · W[o][i] (+ bias[o]); W as stored, [out, in]. */
  private static double[] linear(double[] x, float[] weight, float[] bias, int out) {
    int in = x.length;
    double[] y = new double[out];
    for (int o = 0; o < out; o++) {
      double sum = bias == null ? 0 : bias[o];
      for (int i = 0; i < in; i++) {
        sum += x[i] * weight[o * in + i];
      }
      y[o] = sum;
    }
    return y;
  }

  private double[] rmsNorm(double[] x, float[] weight) {
    double sum = 0;
    for (double v : x) {
      sum += v * v;
    }
    double scale = 1 / Math.sqrt(sum / x.length + c.epsilon());
    double[] y = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      y[i] = x[i] * scale * weight[i];
    }
    return y;
  }

  /** Rotates dims [offset, offset + rotary) of a head at {@code position}, pairs (2i, 2i+1). */
  private void rotate(double[] v, int offset, int position) {
    int rot = c.rotaryDims();
    double base = 10000 * c.ropeRatio();
    for (int i = 0; i < rot / 2; i++) {
      double angle = position / Math.pow(base, (2.0 * i) / rot);
      double a = v[offset + 2 * i];
      double b = v[offset + 2 * i + 1];
      v[offset + 2 * i] = a * Math.cos(angle) - b * Math.sin(angle);
      v[offset + 2 * i + 1] = b * Math.cos(angle) + a * Math.sin(angle);
    }
  }

  /** Feeds one token; returns the logits for the next. */
  float[] step(int token) {
    int h = c.hidden();
    int kv = c.kvChannels();
    int heads = c.heads();
    int groups = c.groups();
    int position = length++;
    double[] x = new double[h];
    float[] embedding = w.get(TensorNames.EMBEDDING);
    for (int i = 0; i < h; i++) {
      x[i] = embedding[token * h + i];
    }
    for (int l = 0; l < c.layers(); l++) {
      double[] n = rmsNorm(x, layer(l, TensorNames.INPUT_NORM));
      double[] qkv =
          linear(n, layer(l, TensorNames.QKV_WEIGHT), layer(l, TensorNames.QKV_BIAS), c.qkvWidth());
      for (int head = 0; head < heads + groups; head++) {
        rotate(qkv, head * kv, position);
      }
      float[] k = new float[groups * kv];
      float[] v = new float[groups * kv];
      for (int i = 0; i < groups * kv; i++) {
        k[i] = (float) qkv[heads * kv + i];
        v[i] = (float) qkv[(heads + groups) * kv + i];
      }
      keys.get(l)[position] = k;
      values.get(l)[position] = v;
      double[] context = new double[heads * kv];
      for (int head = 0; head < heads; head++) {
        int group = head / (heads / groups);
        double[] scores = new double[position + 1];
        double max = Double.NEGATIVE_INFINITY;
        for (int p = 0; p <= position; p++) {
          double dot = 0;
          for (int d = 0; d < kv; d++) {
            dot += qkv[head * kv + d] * keys.get(l)[p][group * kv + d];
          }
          scores[p] = dot / Math.sqrt(kv);
          max = Math.max(max, scores[p]);
        }
        double total = 0;
        for (int p = 0; p <= position; p++) {
          scores[p] = Math.exp(scores[p] - max);
          total += scores[p];
        }
        for (int p = 0; p <= position; p++) {
          for (int d = 0; d < kv; d++) {
            context[head * kv + d] += scores[p] / total * values.get(l)[p][group * kv + d];
          }
        }
      }
      double[] attention = linear(context, layer(l, TensorNames.DENSE), null, h);
      for (int i = 0; i < h; i++) {
        x[i] += attention[i];
      }
      double[] m = rmsNorm(x, layer(l, TensorNames.POST_NORM));
      double[] up = linear(m, layer(l, TensorNames.H_TO_4H), null, 2 * c.ffn());
      double[] act = new double[c.ffn()];
      for (int i = 0; i < c.ffn(); i++) {
        double gate = up[i];
        act[i] = gate / (1 + Math.exp(-gate)) * up[c.ffn() + i];
      }
      double[] down = linear(act, layer(l, TensorNames.FOUR_H_TO_H), null, h);
      for (int i = 0; i < h; i++) {
        x[i] += down[i];
      }
    }
    double[] logits =
        linear(
            rmsNorm(x, w.get(TensorNames.FINAL_NORM)), w.get(TensorNames.OUTPUT), null, c.vocab());
    float[] out = new float[logits.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = (float) logits[i];
    }
    return out;
  }
}
