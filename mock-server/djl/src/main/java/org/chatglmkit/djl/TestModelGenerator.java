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
 *     [--seq-length N] [--padded-vocab N] [--shards N] [--dtype F32|F16|BF16] [--format chatglm3|chatglm2] [--seed S]
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
   * A complete chat checkpoint of {@code shape}, whose vocabulary is the tokenizer's pieces and
   * {@code format}'s special tokens, or {@code shape}'s when larger (a padded embedding): it loads
   * with {@link ChatGlmCheckpoint#open}.
   *
   * @return the config written
   */
  public static ChatGlmConfig generateChat(
      Path dir, ChatGlmConfig shape, ChatFormat.Version format, long seed, int shards, String dtype)
      throws IOException {
    byte[] tokenizer = bundledTokenizer();
    int specials = format == ChatFormat.Version.CHATGLM3 ? 9 : 5;
    // As in the published files, the embedding may be padded beyond the ids the tokenizer uses.
    int used = ChatGlmCheckpoint.countPieces(tokenizer) + specials;
    ChatGlmConfig config = shape.withVocab(Math.max(shape.vocab(), used));
    generate(dir, config, seed, shards, dtype, used);
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
    generate(dir, config, seed, shards, dtype, config.vocab());
  }

  /**
   * Writes a checkpoint whose embedding and output rows from {@code usedIds} on are zero: padding
   * that no token maps to, and that a greedy choice never picks over the real ids (a trained model
   * learns as much; random rows would win most choices in a vocabulary padded 64-fold).
   */
  public static void generate(
      Path dir, ChatGlmConfig config, long seed, int shards, String dtype, int usedIds)
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
      Map<String, long[]> tensors = new LinkedHashMap<>();
      for (String name :
          names.subList(shard * perShard, Math.min(names.size(), (shard + 1) * perShard))) {
        tensors.put(name, shapes.get(name));
        weightMap.put(name, file);
        long count = 1;
        for (long dim : shapes.get(name)) {
          count *= dim;
        }
        totalBytes += count * (dtype.equals("F32") ? 4 : 2);
      }
      SafeTensorsWriter.write(
          dir.resolve(file), tensors, dtype, name -> values(name, config, usedIds, random));
    }
    if (shards > 1) {
      index.putObject("metadata").put("total_size", totalBytes);
      Json.MAPPER
          .writerWithDefaultPrettyPrinter()
          .writeValue(dir.resolve("model.safetensors.index.json").toFile(), index);
    }
  }

  /**
   * A tensor's random values: norms 1 ± 0.1, the rest normal with σ 0.02, except the embedding and
   * output rows of unused ids, which are zero.
   */
  private static SafeTensorsWriter.Values values(
      String name, ChatGlmConfig config, int usedIds, SplittableRandom random) {
    if (name.endsWith("layernorm.weight")) {
      return (chunk, n) -> {
        for (int i = 0; i < n; i++) {
          chunk[i] = (float) (1 + 0.1 * (2 * random.nextDouble() - 1));
        }
      };
    }
    boolean padded = name.equals(TensorNames.EMBEDDING) || name.equals(TensorNames.OUTPUT);
    long usedValues = padded ? (long) usedIds * config.hidden() : Long.MAX_VALUE;
    long[] at = {0};
    return (chunk, n) -> {
      for (int i = 0; i < n; i++, at[0]++) {
        chunk[i] = at[0] < usedValues ? (float) (0.02 * gaussian(random)) : 0f;
      }
    };
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
              + " [--padded-vocab N] [--shards N] [--dtype F32|F16|BF16] [--format chatglm3|chatglm2] [--seed S]");
      System.exit(2);
    }
    List<Integer> numbers = new ArrayList<>();
    int shards = 1;
    int seqLength = 2048;
    int paddedVocab = 0;
    String dtype = "F32";
    ChatFormat.Version format = ChatFormat.Version.CHATGLM3;
    long seed = 42;
    for (int i = 1; i < args.length; i++) {
      switch (args[i]) {
        case "--shards" -> shards = Integer.parseInt(args[++i]);
        case "--seq-length" -> seqLength = Integer.parseInt(args[++i]);
        case "--padded-vocab" -> paddedVocab = Integer.parseInt(args[++i]);
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
                paddedVocab,
                seqLength,
                1e-5,
                1.0)
            : tiny(paddedVocab).withSeqLength(seqLength);
    ChatGlmConfig written = generateChat(Path.of(args[0]), shape, format, seed, shards, dtype);
    System.out.println("wrote " + written + " (" + format + ", " + dtype + ") to " + args[0]);
  }
}
