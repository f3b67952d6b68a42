package org.chatglmkit.djl;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.chatglmkit.mockserver.core.Json;

/**
 * Writes the safetensors format: an 8-byte little-endian header length, a JSON header naming each
 * tensor's dtype, shape and byte range, then the raw little-endian data. F32, F16 and BF16.
 */
final class SafeTensorsWriter {
  private SafeTensorsWriter() {}

  /** A tensor to write: its shape and its values in row-major order. */
  record Tensor(long[] shape, float[] values) {}

  static void write(Path file, Map<String, Tensor> tensors, String dtype) throws IOException {
    int width =
        switch (dtype) {
          case "F32" -> 4;
          case "F16", "BF16" -> 2;
          default -> throw new IllegalArgumentException("dtype " + dtype + " (F32, F16, BF16)");
        };
    ObjectNode header = Json.MAPPER.createObjectNode();
    header.putObject("__metadata__").put("format", "pt");
    long offset = 0;
    Map<String, long[]> ranges = new LinkedHashMap<>();
    for (Map.Entry<String, Tensor> entry : tensors.entrySet()) {
      long bytes = (long) entry.getValue().values().length * width;
      ObjectNode info = header.putObject(entry.getKey());
      info.put("dtype", dtype);
      var shape = info.putArray("shape");
      for (long dim : entry.getValue().shape()) {
        shape.add(dim);
      }
      info.putArray("data_offsets").add(offset).add(offset + bytes);
      ranges.put(entry.getKey(), new long[] {offset, offset + bytes});
      offset += bytes;
    }
    byte[] json = Json.MAPPER.writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
    int padded = (json.length + 7) / 8 * 8;
    try (OutputStream out = Files.newOutputStream(file)) {
      out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded).array());
      out.write(json);
      for (int i = json.length; i < padded; i++) {
        out.write(' ');
      }
      for (Tensor tensor : tensors.values()) {
        ByteBuffer data =
            ByteBuffer.allocate(tensor.values().length * width).order(ByteOrder.LITTLE_ENDIAN);
        for (float value : tensor.values()) {
          switch (dtype) {
            case "F32" -> data.putFloat(value);
            case "BF16" -> data.putShort(toBfloat16(value));
            default -> data.putShort(toHalf(value));
          }
        }
        out.write(data.array());
      }
    }
  }

  /** bfloat16: the top 16 bits of the float, rounded to nearest even. */
  static short toBfloat16(float value) {
    int bits = Float.floatToIntBits(value);
    return (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
  }

  /** IEEE half precision, rounded to nearest; tiny values flush towards zero. */
  static short toHalf(float value) {
    int bits = Float.floatToIntBits(value);
    int sign = (bits >>> 16) & 0x8000;
    int exponent = ((bits >>> 23) & 0xFF) - 127 + 15;
    int mantissa = bits & 0x7FFFFF;
    if (exponent <= 0) {
      if (exponent < -10) {
        return (short) sign;
      }
      mantissa = (mantissa | 0x800000) >> (1 - exponent);
      return (short) (sign | ((mantissa + 0x1000) >> 13));
    }
    if (exponent >= 31) {
      return (short) (sign | 0x7C00);
    }
    return (short) (sign | ((exponent << 10) + ((mantissa + 0x1000) >> 13)));
  }
}
