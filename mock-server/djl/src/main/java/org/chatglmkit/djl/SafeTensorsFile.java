package org.chatglmkit.djl;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import org.chatglmkit.mockserver.core.Json;

/**
 * One safetensors file, read tensor by tensor and row by row, so that a shard of any size is never
 * held whole in memory: an 8-byte little-endian header length, a JSON header naming each tensor's
 * dtype, shape and byte range, then the data. F32, F16 and BF16 rows are widened to float as they
 * are read. The file is read with positioned reads, not mapped, so its pages count as cache, not as
 * the process's memory.
 *
 * <pre>{@code
 * try (SafeTensorsFile file = SafeTensorsFile.open(path)) {
 *   for (SafeTensorsFile.Entry entry : file.entries().values()) {
 *     float[] row = new float[(int) entry.columns()];
 *     file.readRows(entry, 0, 1, row);
 *   }
 * }
 * }</pre>
 */
final class SafeTensorsFile implements AutoCloseable {
  /**
   * A tensor of the file.
   *
   * @param name its name
   * @param dtype {@code F32}, {@code F16} or {@code BF16}
   * @param shape its shape
   * @param start the absolute file offset of its first byte
   */
  record Entry(String name, String dtype, long[] shape, long start) {
    /** Rows: the first dimension (1 for a scalar or a vector's single row). */
    long rows() {
      return shape.length < 2 ? 1 : shape[0];
    }

    /** Elements per row. */
    long columns() {
      long count = 1;
      for (int i = shape.length < 2 ? 0 : 1; i < shape.length; i++) {
        count *= shape[i];
      }
      return count;
    }

    int width() {
      return dtype.equals("F32") ? 4 : 2;
    }
  }

  /** Bytes read per positioned read. */
  private static final int CHUNK = 4 << 20;

  private final Path path;
  private final FileChannel channel;
  private final Map<String, Entry> entries;
  private final ByteBuffer buffer = ByteBuffer.allocate(CHUNK).order(ByteOrder.LITTLE_ENDIAN);

  private SafeTensorsFile(Path path, FileChannel channel, Map<String, Entry> entries) {
    this.path = path;
    this.channel = channel;
    this.entries = entries;
  }

  /**
   * Opens a file and reads its header.
   *
   * @throws IOException when the file cannot be read, or its header is not a safetensors header, or
   *     it holds a dtype other than F32, F16 and BF16, or a range beyond the file's end
   */
  static SafeTensorsFile open(Path path) throws IOException {
    FileChannel channel = FileChannel.open(path, StandardOpenOption.READ);
    try {
      ByteBuffer length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      readFully(channel, length, 0);
      long headerLength = length.flip().getLong();
      if (headerLength <= 0 || headerLength > 100 << 20 || 8 + headerLength > channel.size()) {
        throw new IOException(
            path + " is not a safetensors file (header length " + headerLength + ")");
      }
      ByteBuffer headerBytes = ByteBuffer.allocate((int) headerLength);
      readFully(channel, headerBytes, 8);
      JsonNode header = Json.MAPPER.readTree(headerBytes.array());
      long dataStart = 8 + headerLength;
      Map<String, Entry> entries = new LinkedHashMap<>();
      for (Map.Entry<String, JsonNode> field : header.properties()) {
        if (field.getKey().equals("__metadata__")) {
          continue;
        }
        JsonNode info = field.getValue();
        String dtype = info.path("dtype").asText();
        if (!dtype.equals("F32") && !dtype.equals("F16") && !dtype.equals("BF16")) {
          throw new IOException(
              path
                  + ": tensor "
                  + field.getKey()
                  + " is "
                  + dtype
                  + " (F32, F16 or BF16 expected)");
        }
        long[] shape = new long[info.path("shape").size()];
        long count = 1;
        for (int i = 0; i < shape.length; i++) {
          shape[i] = info.path("shape").get(i).asLong();
          count *= shape[i];
        }
        long begin = info.path("data_offsets").path(0).asLong(-1);
        long end = info.path("data_offsets").path(1).asLong(-1);
        Entry entry = new Entry(field.getKey(), dtype, shape, dataStart + begin);
        if (begin < 0 || end - begin != count * entry.width() || dataStart + end > channel.size()) {
          throw new IOException(
              path
                  + ": tensor "
                  + field.getKey()
                  + " has a byte range that does not fit its shape"
                  + " or the file");
        }
        entries.put(field.getKey(), entry);
      }
      return new SafeTensorsFile(path, channel, entries);
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e instanceof IOException io ? io : new IOException(path + ": " + e.getMessage(), e);
    }
  }

  Path path() {
    return path;
  }

  /** The file's tensors in header order. */
  Map<String, Entry> entries() {
    return entries;
  }

  /**
   * Reads {@code count} rows from row {@code first} into {@code out} (row-major, widened to float);
   * {@code out} holds at least {@code count × columns} values.
   */
  void readRows(Entry entry, long first, int count, float[] out) throws IOException {
    long columns = entry.columns();
    long total = count * columns;
    int width = entry.width();
    long position = entry.start() + first * columns * width;
    int done = 0;
    while (done < total) {
      int values = (int) Math.min(total - done, CHUNK / width);
      buffer.clear().limit(values * width);
      readFully(channel, buffer, position);
      buffer.flip();
      switch (entry.dtype()) {
        case "F32" -> buffer.asFloatBuffer().get(out, done, values);
        case "BF16" -> {
          for (int i = 0; i < values; i++) {
            out[done + i] = Float.intBitsToFloat((buffer.getShort(2 * i) & 0xFFFF) << 16);
          }
        }
        default -> {
          for (int i = 0; i < values; i++) {
            out[done + i] = Half.toFloat(buffer.getShort(2 * i));
          }
        }
      }
      done += values;
      position += (long) values * width;
    }
  }

  private static void readFully(FileChannel channel, ByteBuffer into, long position)
      throws IOException {
    while (into.hasRemaining()) {
      int read = channel.read(into, position);
      if (read < 0) {
        throw new IOException("unexpected end of file");
      }
      position += read;
    }
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
