package org.chatglmkit.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.chatglmkit.mockserver.core.Json;

/**
 * A checkpoint's tensors, loaded from {@code model.safetensors} or the shards that {@code
 * model.safetensors.index.json} names (F32, F16 or BF16), checked against the shapes the config
 * implies, tensor by tensor, so no more than one tensor is ever held twice. Norms and biases are
 * held as fp32. The weight matrices (the linear layers and the embedding) are held as {@link
 * WeightsKind}: fp32 DJL arrays (linear layers transposed, [in, out]), or compact int8/fp16 {@link
 * CompactMatrix} rows.
 *
 * <pre>{@code
 * try (ChatGlmWeights weights = ChatGlmWeights.load(dir, config, WeightsKind.INT8, manager)) {
 *   NDArray y = weights.linear(TensorNames.layer(0, TensorNames.DENSE), x);
 * }
 * }</pre>
 */
public final class ChatGlmWeights implements AutoCloseable {
  private final NDManager manager;
  private final WeightsKind kind;
  private final Map<String, NDArray> tensors;
  private final Map<String, CompactMatrix> compact;
  private final CompactMatrix.Scratch scratch;

  private ChatGlmWeights(
      NDManager manager,
      WeightsKind kind,
      Map<String, NDArray> tensors,
      Map<String, CompactMatrix> compact) {
    this.manager = manager;
    this.kind = kind;
    this.tensors = tensors;
    this.compact = compact;
    this.scratch = compact.isEmpty() ? null : new CompactMatrix.Scratch(manager);
  }

  /** Loads a checkpoint as fp32. */
  public static ChatGlmWeights load(Path dir, ChatGlmConfig config, NDManager parent) {
    return load(dir, config, WeightsKind.FP32, parent);
  }

  /**
   * Loads and checks a checkpoint; a missing file or tensor, or a wrong shape, fails here.
   *
   * @param kind how the weight matrices are held
   */
  public static ChatGlmWeights load(
      Path dir, ChatGlmConfig config, WeightsKind kind, NDManager parent) {
    NDManager manager = parent.newSubManager();
    Map<String, NDArray> tensors = new HashMap<>();
    Map<String, CompactMatrix> compact = new HashMap<>();
    Map<String, long[]> expected = TensorNames.expected(config);
    try {
      checkHeapRoom(expected, kind);
      for (Path path : files(dir)) {
        try (SafeTensorsFile file = SafeTensorsFile.open(path)) {
          for (SafeTensorsFile.Entry entry : file.entries().values()) {
            long[] shape = expected.get(entry.name());
            if (shape == null) {
              continue; // e.g. rotary_pos_emb.inv_freq: computed, not read
            }
            if (!Arrays.equals(entry.shape(), shape)) {
              throw new IllegalArgumentException(
                  "tensor "
                      + entry.name()
                      + " has shape "
                      + Arrays.toString(entry.shape())
                      + ", expected "
                      + Arrays.toString(shape));
            }
            boolean matrix = TensorNames.isLinear(entry.name()) || isEmbedding(entry.name());
            if (matrix && kind != WeightsKind.FP32) {
              compact.put(entry.name(), CompactMatrix.read(file, entry, kind.of(entry.name())));
            } else {
              tensors.put(entry.name(), readFp32(file, entry, manager));
            }
          }
        }
      }
      for (Map.Entry<String, long[]> tensor : expected.entrySet()) {
        if (!tensors.containsKey(tensor.getKey()) && !compact.containsKey(tensor.getKey())) {
          throw new IllegalArgumentException(
              "checkpoint "
                  + dir
                  + " lacks tensor "
                  + tensor.getKey()
                  + " (expected shape "
                  + Arrays.toString(tensor.getValue())
                  + ")");
        }
      }
      return new ChatGlmWeights(manager, kind, tensors, compact);
    } catch (IOException e) {
      manager.close();
      throw new UncheckedIOException("cannot read the checkpoint in " + dir, e);
    } catch (RuntimeException e) {
      manager.close();
      throw e;
    }
  }

  /**
   * Bytes the matrices take on the Java heap as {@code kind} (none in fp32: PyTorch holds them).
   */
  public static long heapBytes(ChatGlmConfig config, WeightsKind kind) {
    return heapBytes(TensorNames.expected(config), kind);
  }

  private static long heapBytes(Map<String, long[]> expected, WeightsKind kind) {
    if (kind == WeightsKind.FP32) {
      return 0;
    }
    long total = 0;
    for (Map.Entry<String, long[]> tensor : expected.entrySet()) {
      long[] shape = tensor.getValue();
      if (TensorNames.isLinear(tensor.getKey()) || isEmbedding(tensor.getKey())) {
        total += CompactMatrix.bytes(kind.of(tensor.getKey()), shape[0], shape[1]);
      }
    }
    return total;
  }

  /**
   * Refuses, before reading anything, weights the Java heap cannot hold, naming the {@code -Xmx}
   * that would (the weights and a gigabyte for the caches and a prefill's work).
   */
  private static void checkHeapRoom(Map<String, long[]> expected, WeightsKind kind) {
    Runtime runtime = Runtime.getRuntime();
    String refusal =
        heapRefusal(
            kind,
            heapBytes(expected, kind),
            runtime.totalMemory() - runtime.freeMemory(),
            runtime.maxMemory());
    if (refusal != null) {
      throw new IllegalArgumentException(refusal);
    }
  }

  /** Why {@code needed} bytes of weights do not fit a heap of {@code max} with {@code used}. */
  static String heapRefusal(WeightsKind kind, long needed, long used, long max) {
    if (needed <= max - used) {
      return null;
    }
    long gib = 1L << 30;
    return String.format(
        Locale.ROOT,
        "the %s weights take %.1f GB of Java heap and %.1f GB of it are free (-Xmx %.1f GB):"
            + " start java with -Xmx%dg or more",
        kind.label(),
        needed / 1e9,
        (max - used) / 1e9,
        max / 1e9,
        (needed + used + 2 * gib - 1) / gib);
  }

  private static boolean isEmbedding(String name) {
    return name.equals(TensorNames.EMBEDDING);
  }

  /**
   * One tensor as fp32. Linear layers are kept transposed ([in, out]), so every product is
   * activations × weights and its result belongs to the step that made it, not to the weights.
   */
  private static NDArray readFp32(
      SafeTensorsFile file, SafeTensorsFile.Entry entry, NDManager manager) throws IOException {
    long count = entry.rows() * entry.columns();
    float[] values = new float[Math.toIntExact(count)];
    file.readRows(entry, 0, Math.toIntExact(entry.rows()), values);
    NDArray array = manager.create(values, new Shape(entry.shape()));
    if (!TensorNames.isLinear(entry.name())) {
      return array;
    }
    NDArray view = array.transpose();
    NDArray transposed = view.duplicate();
    view.close();
    array.close();
    return transposed;
  }

  private static Set<Path> files(Path dir) throws IOException {
    Path index = dir.resolve("model.safetensors.index.json");
    Set<Path> files = new LinkedHashSet<>();
    if (Files.exists(index)) {
      JsonNode map = Json.MAPPER.readTree(index.toFile()).path("weight_map");
      map.elements().forEachRemaining(file -> files.add(dir.resolve(file.asText())));
    } else if (Files.exists(dir.resolve("model.safetensors"))) {
      files.add(dir.resolve("model.safetensors"));
    } else {
      throw new IllegalArgumentException(
          "no model.safetensors or model.safetensors.index.json in " + dir);
    }
    for (Path file : files) {
      if (!Files.exists(file)) {
        throw new IllegalArgumentException(
            "the index names " + file.getFileName() + ", which is missing");
      }
    }
    return files;
  }

  public WeightsKind kind() {
    return kind;
  }

  /** An fp32 tensor: a norm, a bias, or in fp32 mode a matrix (linear ones transposed). */
  NDArray get(String name) {
    return tensors.get(name);
  }

  NDArray layer(int index, String suffix) {
    return tensors.get(TensorNames.layer(index, suffix));
  }

  /** The embedding rows of {@code ids}, [ids, hidden], fp32, in {@code step}. */
  NDArray embed(long[] ids, NDManager step) {
    CompactMatrix table = compact.get(TensorNames.EMBEDDING);
    if (table == null) {
      NDArray rows = tensors.get(TensorNames.EMBEDDING).get(new NDIndex("{}", step.create(ids)));
      rows.attach(step);
      return rows;
    }
    NDArray rows = step.zeros(new Shape(ids.length, table.cols()));
    ByteBuffer view = CompactMatrix.directView(rows);
    for (int i = 0; i < ids.length; i++) {
      table.row(Math.toIntExact(ids[i]), view, 4 * i * table.cols());
    }
    return rows;
  }

  /** {@code x [n, in]} through the linear layer {@code name}: [n, out], fp32. */
  NDArray linear(String name, NDArray x) {
    CompactMatrix matrix = compact.get(name);
    return matrix == null ? x.matMul(tensors.get(name)) : matrix.multiply(x, scratch);
  }

  NDArray linear(int layer, String suffix, NDArray x) {
    return linear(TensorNames.layer(layer, suffix), x);
  }

  /** The matrix {@code name} held compactly ({@code null} when it is an fp32 tensor). */
  CompactMatrix compact(String name) {
    return compact.get(name);
  }

  CompactMatrix compact(int layer, String suffix) {
    return compact(TensorNames.layer(layer, suffix));
  }

  /** The quantized activations the compact products reuse (one decoder thread at a time). */
  QuantizedRows quantized() {
    return scratch.quantized();
  }

  /** Bytes the weights take in memory. */
  public long bytes() {
    long total = tensors.values().stream().mapToLong(a -> a.size() * 4).sum();
    for (CompactMatrix matrix : compact.values()) {
      total += matrix.bytes();
    }
    return total;
  }

  /** Bytes the embedding table takes (a decode step reads one row of it). */
  public long embeddingBytes() {
    CompactMatrix table = compact.get(TensorNames.EMBEDDING);
    return table != null ? table.bytes() : tensors.get(TensorNames.EMBEDDING).size() * 4;
  }

  /** The tensors held compactly, for tests. */
  List<String> compactNames() {
    return new ArrayList<>(compact.keySet());
  }

  @Override
  public void close() {
    manager.close();
  }
}
