package org.chatglmkit.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import org.chatglmkit.mockserver.core.Json;

/**
 * A checkpoint's tensors, loaded from {@code model.safetensors} or the shards that {@code
 * model.safetensors.index.json} names, checked against the shapes the config implies, and held as
 * fp32 (fp16 and bf16 files are converted at load: compute on this CPU is fp32, and the converted
 * weights take twice the file's size in memory; bf16 files go through {@link Bf16Reader}).
 */
public final class ChatGlmWeights implements AutoCloseable {
  private final NDManager manager;
  private final Map<String, NDArray> tensors;

  private ChatGlmWeights(NDManager manager, Map<String, NDArray> tensors) {
    this.manager = manager;
    this.tensors = tensors;
  }

  /** Loads and checks a checkpoint; a missing file or tensor, or a wrong shape, fails here. */
  public static ChatGlmWeights load(Path dir, ChatGlmConfig config, NDManager parent) {
    NDManager manager = parent.newSubManager();
    Map<String, NDArray> tensors = new HashMap<>();
    try {
      for (Path file : files(dir)) {
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 20)) {
          in.mark(1 << 16);
          boolean bf16 = Bf16Reader.isBf16(in.readNBytes(1 << 16));
          in.reset();
          NDList decoded = bf16 ? Bf16Reader.read(manager, in) : NDList.decode(manager, in);
          for (NDArray array : decoded) {
            String name = array.getName();
            NDArray fp32 = array;
            if (array.getDataType() != DataType.FLOAT32) {
              fp32 = array.toType(DataType.FLOAT32, false);
              array.close();
            }
            tensors.put(name, fp32);
          }
        }
      }
      for (Map.Entry<String, long[]> expected : TensorNames.expected(config).entrySet()) {
        NDArray found = tensors.get(expected.getKey());
        if (found == null) {
          throw new IllegalArgumentException(
              "checkpoint "
                  + dir
                  + " lacks tensor "
                  + expected.getKey()
                  + " (expected shape "
                  + Arrays.toString(expected.getValue())
                  + ")");
        }
        if (!Arrays.equals(found.getShape().getShape(), expected.getValue())) {
          throw new IllegalArgumentException(
              "tensor "
                  + expected.getKey()
                  + " has shape "
                  + Arrays.toString(found.getShape().getShape())
                  + ", expected "
                  + Arrays.toString(expected.getValue()));
        }
      }
      // Linear layers are kept transposed ([in, out]), so every product is activations × weights
      // and its result belongs to the step that made it, not to the weights.
      for (String name : TensorNames.expected(config).keySet()) {
        if (TensorNames.isLinear(name)) {
          NDArray original = tensors.get(name);
          NDArray view = original.transpose();
          NDArray transposed = view.duplicate();
          view.close();
          original.close();
          tensors.put(name, transposed);
        }
      }
      return new ChatGlmWeights(manager, tensors);
    } catch (IOException e) {
      manager.close();
      throw new UncheckedIOException("cannot read the checkpoint in " + dir, e);
    } catch (RuntimeException e) {
      manager.close();
      throw e;
    }
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

  /** A tensor; linear weights come transposed, [in, out]. */
  NDArray get(String name) {
    return tensors.get(name);
  }

  NDArray layer(int index, String suffix) {
    return tensors.get(TensorNames.layer(index, suffix));
  }

  /** Bytes the weights take in memory. */
  public long bytes() {
    return tensors.values().stream().mapToLong(a -> a.size() * 4).sum();
  }

  @Override
  public void close() {
    manager.close();
  }
}
