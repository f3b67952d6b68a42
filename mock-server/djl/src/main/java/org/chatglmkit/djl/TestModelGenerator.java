package org.chatglmkit.djl;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.chatglmkit.mockserver.core.Json;

/**
 * Writes a small ChatGLM-layout checkpoint with seeded random weights: {@code config.json}, {@code
 * tokenizer.model} (the project's tiny SentencePiece model, {@code tokenizer/train.sh}) and {@code
 * model.safetensors}, or {@code model-0000k-of-0000n.safetensors} shards with {@code
 * model.safetensors.index.json}. The vocabulary is the tokenizer's pieces and the chat format's
 * special tokens; {@code _name_or_path} names the format. Norm weights are 1 ± 0.1, the rest normal
 * with σ 0.02, as a freshly initialised model.
 *
 * <pre>{@code
 * java -cp ... org.chatglmkit.djl.TestModelGenerator DIR [layers hidden heads kv groups ffn]
 *     [--seq-length N] [--shards N] [--dtype F32|F16|BF16] [--format chatglm3|chatglm2] [--seed S]
 * }</pre>
 */
public final class TestModelGenerator {
  /** The tokenizer every generated checkpoint gets (1000 pieces: unk 0, bos 1, eos 2). */
  public static final String TOKENIZER_RESOURCE = "/tokenizer/tokenizer.model";

  private TestModelGenerator() {}

  /** A tiny model for tests: 2 layers, hidden 64, 4 heads of 16, 2 KV groups, ffn 96. */
  public static ChatGlmConfig tiny(int vocab) {
    return new ChatGlmConfig(2, 64, 4, 16, 2, 96, vocab, 256, 1e-5, 1.0);
  }

  /**
   * A complete chat checkpoint of {@code shape} (whose vocabulary is replaced by the tokenizer's
   * pieces and {@code format}'s special tokens): it loads with {@link ChatGlmCheckpoint#open}.
   *
   * @return the config written
   */
  public static ChatGlmConfig generateChat(
      Path dir, ChatGlmConfig shape, ChatFormat.Version format, long seed, int shards, String dtype)
      throws IOException {
    byte[] tokenizer = bundledTokenizer();
    int specials = format == ChatFormat.Version.CHATGLM3 ? 9 : 5;
    ChatGlmConfig config = shape.withVocab(ChatGlmCheckpoint.countPieces(tokenizer) + specials);
    generate(dir, config, seed, shards, dtype);
    Files.write(dir.resolve("tokenizer.model"), tokenizer);
    ObjectNode json = (ObjectNode) Json.MAPPER.readTree(dir.resolve("config.json").toFile());
    json.put(
        "_name_or_path",
        "chatglmkit/random-" + format.name().toLowerCase(java.util.Locale.ROOT) + "-test");
    Json.MAPPER
        .writerWithDefaultPrettyPrinter()
        .writeValue(dir.resolve("config.json").toFile(), json);
    return config;
  }

  /** The project's tiny SentencePiece model. */
  public static byte[] bundledTokenizer() throws IOException {
    try (var in = TestModelGenerator.class.getResourceAsStream(TOKENIZER_RESOURCE)) {
      if (in == null) {
        throw new IOException(TOKENIZER_RESOURCE + " is missing from the classpath");
      }
      return in.readAllBytes();
    }
  }

  public static void generate(Path dir, ChatGlmConfig config, long seed, int shards, String dtype)
      throws IOException {
    Files.createDirectories(dir);
    ObjectNode json = config.toJson();
    json.put(
        "torch_dtype",
        dtype.equals("F32") ? "float32" : dtype.equals("F16") ? "float16" : "bfloat16");
    Json.MAPPER
        .writerWithDefaultPrettyPrinter()
        .writeValue(dir.resolve("config.json").toFile(), json);
    SplittableRandom random = new SplittableRandom(seed);
    Map<String, long[]> shapes = TensorNames.expected(config);
    List<String> names = new ArrayList<>(shapes.keySet());
    int perShard = (names.size() + shards - 1) / shards;
    ObjectNode index = Json.MAPPER.createObjectNode();
    ObjectNode weightMap = index.putObject("weight_map");
    long totalBytes = 0;
    for (int shard = 0; shard < shards; shard++) {
      String file =
          shards == 1
              ? "model.safetensors"
              : String.format("model-%05d-of-%05d.safetensors", shard + 1, shards);
      Map<String, SafeTensorsWriter.Tensor> tensors = new LinkedHashMap<>();
      for (String name :
          names.subList(shard * perShard, Math.min(names.size(), (shard + 1) * perShard))) {
        long[] shape = shapes.get(name);
        long count = 1;
        for (long dim : shape) {
          count *= dim;
        }
        float[] values = new float[Math.toIntExact(count)];
        boolean norm = name.endsWith("layernorm.weight");
        for (int i = 0; i < values.length; i++) {
          values[i] =
              norm
                  ? (float) (1 + 0.1 * (2 * random.nextDouble() - 1))
                  : (float) (0.02 * gaussian(random));
        }
        tensors.put(name, new SafeTensorsWriter.Tensor(shape, values));
        weightMap.put(name, file);
        totalBytes += count * (dtype.equals("F32") ? 4 : 2);
      }
      SafeTensorsWriter.write(dir.resolve(file), tensors, dtype);
    }
    if (shards > 1) {
      index.putObject("metadata").put("total_size", totalBytes);
      Json.MAPPER
          .writerWithDefaultPrettyPrinter()
          .writeValue(dir.resolve("model.safetensors.index.json").toFile(), index);
    }
  }

  private static double gaussian(SplittableRandom random) {
    double u = 1 - random.nextDouble();
    double v = random.nextDouble();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  public static void main(String[] args) throws IOException {
    if (args.length == 0 || args[0].startsWith("-")) {
      System.err.println(
          "usage: generate-test-model.sh DIR [layers hidden heads kv groups ffn] [--seq-length N]"
              + " [--shards N] [--dtype F32|F16|BF16] [--format chatglm3|chatglm2] [--seed S]");
      System.exit(2);
    }
    List<Integer> numbers = new ArrayList<>();
    int shards = 1;
    int seqLength = 2048;
    String dtype = "F32";
    ChatFormat.Version format = ChatFormat.Version.CHATGLM3;
    long seed = 42;
    for (int i = 1; i < args.length; i++) {
      switch (args[i]) {
        case "--shards" -> shards = Integer.parseInt(args[++i]);
        case "--seq-length" -> seqLength = Integer.parseInt(args[++i]);
        case "--dtype" -> dtype = args[++i];
        case "--format" -> format = ChatFormat.Version.parse(args[++i]);
        case "--seed" -> seed = Long.parseLong(args[++i]);
        default -> numbers.add(Integer.parseInt(args[i]));
      }
    }
    ChatGlmConfig shape =
        numbers.size() == 6
            ? new ChatGlmConfig(
                numbers.get(0),
                numbers.get(1),
                numbers.get(2),
                numbers.get(3),
                numbers.get(4),
                numbers.get(5),
                0,
                seqLength,
                1e-5,
                1.0)
            : tiny(0).withSeqLength(seqLength);
    ChatGlmConfig written = generateChat(Path.of(args[0]), shape, format, seed, shards, dtype);
    System.out.println("wrote " + written + " (" + format + ", " + dtype + ") to " + args[0]);
  }
}
