package org.chatglmkit.djl;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.chatglmkit.mockserver.core.Json;

/**
 * Writes the safetensors format: an 8-byte little-endian header length, a JSON header naming each
 * tensor's dtype, shape and byte range, then the raw little-endian data. F32, F16 and BF16. Values
 * are asked for a chunk at a time, so a tensor of any size is written without being held.
 */
final class SafeTensorsWriter {
  private static final int CHUNK = 1 << 20;

  private SafeTensorsWriter() {}

  /** The values of one tensor, in row-major order, a chunk at a time. */
  interface Values {
    /** Fills {@code chunk[0, count)} with the next {@code count} values. */
    void next(float[] chunk, int count);
  }

  /**
   * Writes {@code shapes} (in their order) to {@code file} as {@code dtype}, each tensor's values
   * from {@code values.get(name)}.
   */
  static void write(
      Path file,
      Map<String, long[]> shapes,
      String dtype,
      java.util.function.Function<String, Values> values)
      throws IOException {
    int width =
        switch (dtype) {
          case "F32" -> 4;
          case "F16", "BF16" -> 2;
          default -> throw new IllegalArgumentException("dtype " + dtype + " (F32, F16, BF16)");
        };
    ObjectNode header = Json.MAPPER.createObjectNode();
    header.putObject("__metadata__").put("format", "pt");
    long offset = 0;
    for (Map.Entry<String, long[]> entry : shapes.entrySet()) {
      long bytes = count(entry.getValue()) * width;
      ObjectNode info = header.putObject(entry.getKey());
      info.put("dtype", dtype);
      var shape = info.putArray("shape");
      for (long dim : entry.getValue()) {
        shape.add(dim);
      }
      info.putArray("data_offsets").add(offset).add(offset + bytes);
      offset += bytes;
    }
    byte[] json = Json.MAPPER.writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
    int padded = (json.length + 7) / 8 * 8;
    float[] chunk = new float[CHUNK];
    ByteBuffer data = ByteBuffer.allocate(CHUNK * width).order(ByteOrder.LITTLE_ENDIAN);
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
      out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded).array());
      out.write(json);
      for (int i = json.length; i < padded; i++) {
        out.write(' ');
      }
      for (Map.Entry<String, long[]> entry : shapes.entrySet()) {
        Values source = values.apply(entry.getKey());
        for (long left = count(entry.getValue()); left > 0; ) {
          int n = (int) Math.min(left, CHUNK);
          source.next(chunk, n);
          data.clear();
          for (int i = 0; i < n; i++) {
            switch (dtype) {
              case "F32" -> data.putFloat(chunk[i]);
              case "BF16" -> data.putShort(toBfloat16(chunk[i]));
              default -> data.putShort(Half.fromFloat(chunk[i]));
            }
          }
          out.write(data.array(), 0, n * width);
          left -= n;
        }
      }
    }
  }

  private static long count(long[] shape) {
    long count = 1;
    for (long dim : shape) {
      count *= dim;
    }
    return count;
  }

  /** bfloat16: the top 16 bits of the float, rounded to nearest even. */
  static short toBfloat16(float value) {
    int bits = Float.floatToIntBits(value);
    return (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
  }
}
