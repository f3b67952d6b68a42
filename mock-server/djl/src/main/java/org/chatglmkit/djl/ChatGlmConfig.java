package org.chatglmkit.djl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import org.chatglmkit.mockserver.core.Json;

/**
 * The shape of a ChatGLM2/ChatGLM3 checkpoint, read from its {@code config.json} (the Hugging Face
 * field names). ChatGLM3-6B: 28 layers, hidden 4096, 32 heads, kv_channels 128, 2 KV groups, ffn
 * 13696, vocab 65024.
 *
 * @param layers {@code num_layers}
 * @param hidden {@code hidden_size}
 * @param heads {@code num_attention_heads}
 * @param kvChannels {@code kv_channels}, the width of one head
 * @param groups {@code multi_query_group_num}, the number of key/value heads
 * @param ffn {@code ffn_hidden_size}
 * @param vocab {@code padded_vocab_size}
 * @param seqLength {@code seq_length}, the longest context
 * @param epsilon {@code layernorm_epsilon}
 * @param ropeRatio {@code rope_ratio} (1 when absent), scaling the rotary base of 10000
 */
public record ChatGlmConfig(
    int layers,
    int hidden,
    int heads,
    int kvChannels,
    int groups,
    int ffn,
    int vocab,
    int seqLength,
    double epsilon,
    double ropeRatio) {

  public ChatGlmConfig {
    if (heads % groups != 0) {
      throw new IllegalArgumentException(
          "num_attention_heads " + heads + " is not a multiple of multi_query_group_num " + groups);
    }
    if (kvChannels % 4 != 0) {
      throw new IllegalArgumentException("kv_channels " + kvChannels + " is not a multiple of 4");
    }
  }

  /** The parameters of a checkpoint of this shape: the sum of its tensors' sizes. */
  public long parameters() {
    return TensorNames.parameters(this);
  }

  /** This shape with another vocabulary size. */
  public ChatGlmConfig withVocab(int newVocab) {
    return new ChatGlmConfig(
        layers, hidden, heads, kvChannels, groups, ffn, newVocab, seqLength, epsilon, ropeRatio);
  }

  /** This shape with another context length. */
  public ChatGlmConfig withSeqLength(int newSeqLength) {
    return new ChatGlmConfig(
        layers, hidden, heads, kvChannels, groups, ffn, vocab, newSeqLength, epsilon, ropeRatio);
  }

  /** Width of the fused query/key/value projection. */
  public int qkvWidth() {
    return (heads + 2 * groups) * kvChannels;
  }

  /** Dimensions of each head that get the rotary embedding: the first half. */
  public int rotaryDims() {
    return kvChannels / 2;
  }

  public static ChatGlmConfig read(Path configJson) {
    try {
      JsonNode node = Json.MAPPER.readTree(configJson.toFile());
      return new ChatGlmConfig(
          required(node, "num_layers"),
          required(node, "hidden_size"),
          required(node, "num_attention_heads"),
          required(node, "kv_channels"),
          node.path("multi_query_attention").asBoolean(true)
              ? required(node, "multi_query_group_num")
              : required(node, "num_attention_heads"),
          required(node, "ffn_hidden_size"),
          required(node, "padded_vocab_size"),
          required(node, "seq_length"),
          node.path("layernorm_epsilon").asDouble(1e-5),
          node.path("rope_ratio").asDouble(1.0));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + configJson, e);
    }
  }

  private static int required(JsonNode node, String field) {
    if (!node.path(field).isNumber()) {
      throw new IllegalArgumentException("config.json lacks the number " + field);
    }
    return node.path(field).asInt();
  }

  /** The {@code config.json} of this shape, as the published checkpoints write it. */
  public ObjectNode toJson() {
    ObjectNode node = Json.MAPPER.createObjectNode();
    node.put("model_type", "chatglm");
    node.putArray("architectures").add("ChatGLMModel");
    node.put("num_layers", layers);
    node.put("hidden_size", hidden);
    node.put("num_attention_heads", heads);
    node.put("kv_channels", kvChannels);
    node.put("multi_query_attention", true);
    node.put("multi_query_group_num", groups);
    node.put("ffn_hidden_size", ffn);
    node.put("padded_vocab_size", vocab);
    node.put("seq_length", seqLength);
    node.put("layernorm_epsilon", epsilon);
    node.put("rmsnorm", true);
    node.put("add_bias_linear", false);
    node.put("add_qkv_bias", true);
    node.put("apply_residual_connection_post_layernorm", false);
    node.put("post_layer_norm", true);
    node.put("rope_ratio", ropeRatio);
    node.put("torch_dtype", "float32");
    return node;
  }
}
