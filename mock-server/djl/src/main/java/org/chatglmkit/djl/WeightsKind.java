package org.chatglmkit.djl;

import java.util.Locale;

/**
 * How the weight matrices are held in memory (norms and biases are always fp32): {@code fp32} as
 * DJL arrays multiplied by PyTorch; {@code fp16} (2 bytes), widened to float in registers by {@link
 * MatVec} just before each multiply; {@code int8} (1 byte, a scale per block of 64 weights along
 * the row: the official {@code quantize(8)}'s rule applied per block), multiplied by activations
 * quantized per block too, in integers, with each block's sum scaled in float ({@link MatVec}).
 */
public enum WeightsKind {
  FP32(4),
  FP16(2),
  INT8(1);

  private final int bytes;

  WeightsKind(int bytes) {
    this.bytes = bytes;
  }

  /** Bytes per weight-matrix parameter. */
  public int bytesPerParameter() {
    return bytes;
  }

  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * How the matrix {@code name} is held: as this kind, except that int8 keeps the embedding and the
   * output layer as fp16, as the official {@code quantize(8)} quantizes only the layers' linear
   * weights (the output layer sets every logit directly; quantizing it too cost greedy agreement on
   * the generated models in {@code CompactWeightsTest}).
   */
  WeightsKind of(String name) {
    return this == INT8 && (name.equals(TensorNames.EMBEDDING) || name.equals(TensorNames.OUTPUT))
        ? FP16
        : this;
  }

  /** {@code fp32}, {@code fp16} or {@code int8}, any case. */
  public static WeightsKind parse(String text) {
    for (WeightsKind kind : values()) {
      if (kind.label().equalsIgnoreCase(text.strip())) {
        return kind;
      }
    }
    throw new IllegalArgumentException("--weights: '" + text + "' is not fp32, fp16 or int8");
  }

  /**
   * The default: fp32 when the model in fp32 and one full context's KV cache fit the usable share
   * of {@code available} bytes, else int8.
   */
  public static WeightsKind choose(ChatGlmConfig shape, long available) {
    long fp32 = TensorNames.parameters(shape) * 4 + MemoryBudget.perSequence(shape);
    return fp32 <= available * MemoryBudget.USABLE ? FP32 : INT8;
  }
}
