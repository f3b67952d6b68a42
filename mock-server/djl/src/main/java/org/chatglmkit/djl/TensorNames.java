package org.chatglmkit.djl;

import java.util.LinkedHashMap;
import java.util.Map;

/** The tensor names and shapes of the Hugging Face ChatGLM2/3 checkpoints. */
final class TensorNames {
  static final String EMBEDDING = "transformer.embedding.word_embeddings.weight";
  static final String FINAL_NORM = "transformer.encoder.final_layernorm.weight";
  static final String OUTPUT = "transformer.output_layer.weight";

  private TensorNames() {}

  static String layer(int index, String suffix) {
    return "transformer.encoder.layers." + index + "." + suffix;
  }

  static final String INPUT_NORM = "input_layernorm.weight";
  static final String QKV_WEIGHT = "self_attention.query_key_value.weight";
  static final String QKV_BIAS = "self_attention.query_key_value.bias";
  static final String DENSE = "self_attention.dense.weight";
  static final String POST_NORM = "post_attention_layernorm.weight";
  static final String H_TO_4H = "mlp.dense_h_to_4h.weight";
  static final String FOUR_H_TO_H = "mlp.dense_4h_to_h.weight";

  /** Whether a tensor is the weight of a linear layer (multiplied, not added or scaled). */
  static boolean isLinear(String name) {
    return name.equals(OUTPUT)
        || name.endsWith(QKV_WEIGHT)
        || name.endsWith(DENSE)
        || name.endsWith(H_TO_4H)
        || name.endsWith(FOUR_H_TO_H);
  }

  /** The parameters of a checkpoint of {@code config}: the sum of its tensors' sizes. */
  static long parameters(ChatGlmConfig config) {
    long total = 0;
    for (long[] shape : expected(config).values()) {
      long count = 1;
      for (long dim : shape) {
        count *= dim;
      }
      total += count;
    }
    return total;
  }

  /** Every tensor a checkpoint of {@code config} holds, with its shape, in file order. */
  static Map<String, long[]> expected(ChatGlmConfig config) {
    Map<String, long[]> shapes = new LinkedHashMap<>();
    shapes.put(EMBEDDING, new long[] {config.vocab(), config.hidden()});
    for (int i = 0; i < config.layers(); i++) {
      shapes.put(layer(i, INPUT_NORM), new long[] {config.hidden()});
      shapes.put(layer(i, QKV_WEIGHT), new long[] {config.qkvWidth(), config.hidden()});
      shapes.put(layer(i, QKV_BIAS), new long[] {config.qkvWidth()});
      shapes.put(
          layer(i, DENSE),
          new long[] {config.hidden(), (long) config.heads() * config.kvChannels()});
      shapes.put(layer(i, POST_NORM), new long[] {config.hidden()});
      shapes.put(layer(i, H_TO_4H), new long[] {2L * config.ffn(), config.hidden()});
      shapes.put(layer(i, FOUR_H_TO_H), new long[] {config.hidden(), config.ffn()});
    }
    shapes.put(FINAL_NORM, new long[] {config.hidden()});
    shapes.put(OUTPUT, new long[] {config.vocab(), config.hidden()});
    return shapes;
  }
}
