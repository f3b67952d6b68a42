package org.chatglmkit.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Map;
import org.chatglmkit.mockserver.core.Json;

/**
 * Reads a safetensors file of bfloat16 tensors into fp32 NDArrays. DJL decodes F32 and F16
 * safetensors itself, but its PyTorch engine aborts on BF16 ones; bfloat16 is the top half of a
 * float, so the widening is a shift.
 */
final class Bf16Reader {
  private Bf16Reader() {}

  /** Whether the header (read from the start of {@code head}) names any BF16 tensor. */
  static boolean isBf16(byte[] head) {
    return new String(head, StandardCharsets.UTF_8).contains("\"BF16\"");
  }

  static NDList read(NDManager manager, InputStream in) throws IOException {
    byte[] length = in.readNBytes(8);
    long headerLength = ByteBuffer.wrap(length).order(ByteOrder.LITTLE_ENDIAN).getLong();
    JsonNode header = Json.MAPPER.readTree(in.readNBytes(Math.toIntExact(headerLength)));
    byte[] data = in.readAllBytes();
    ByteBuffer buffer = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
    NDList list = new NDList();
    Iterator<Map.Entry<String, JsonNode>> fields = header.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> field = fields.next();
      if (field.getKey().equals("__metadata__")) {
        continue;
      }
      JsonNode info = field.getValue();
      if (!info.path("dtype").asText().equals("BF16")) {
        throw new IOException(field.getKey() + ": mixed dtypes in one file are not supported");
      }
      long[] shape = new long[info.path("shape").size()];
      for (int i = 0; i < shape.length; i++) {
        shape[i] = info.path("shape").get(i).asLong();
      }
      int start = info.path("data_offsets").get(0).asInt();
      int end = info.path("data_offsets").get(1).asInt();
      float[] values = new float[(end - start) / 2];
      for (int i = 0; i < values.length; i++) {
        values[i] = Float.intBitsToFloat((buffer.getShort(start + 2 * i) & 0xFFFF) << 16);
      }
      NDArray array = manager.create(values, new Shape(shape));
      array.setName(field.getKey());
      list.add(array);
    }
    return list;
  }
}
