package org.chatglmkit.djl;

import ai.djl.ndarray.NDManager;
import ai.djl.sentencepiece.SpProcessor;
import ai.djl.sentencepiece.SpTokenizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.chatglmkit.mockserver.core.Json;

/**
 * A ChatGLM checkpoint directory in the Hugging Face layout, loaded and ready to generate: {@code
 * config.json}, the safetensors weights, {@code tokenizer.model} and the chat format. Everything is
 * checked here, so a bad directory fails at start-up with a message naming what is wrong.
 *
 * <pre>{@code
 * try (ChatGlmCheckpoint checkpoint = ChatGlmCheckpoint.open(dir, null)) {
 *   int[] prompt = checkpoint.format().prompt(messages);
 * }
 * }</pre>
 */
public final class ChatGlmCheckpoint implements AutoCloseable {
  private final Path dir;
  private final NDManager manager;
  private final ChatGlmWeights weights;
  private final ChatGlmModel model;
  private final SpTokenizer tokenizer;
  private final ChatFormat format;
  private final String[] pieces;
  private boolean closed;

  private ChatGlmCheckpoint(
      Path dir,
      NDManager manager,
      ChatGlmWeights weights,
      ChatGlmModel model,
      SpTokenizer tokenizer,
      ChatFormat format,
      String[] pieces) {
    this.dir = dir;
    this.manager = manager;
    this.weights = weights;
    this.model = model;
    this.tokenizer = tokenizer;
    this.format = format;
    this.pieces = pieces;
  }

  /**
   * Loads a checkpoint directory.
   *
   * @param version the chat format, or {@code null} to read it from the checkpoint ({@link
   *     ChatFormat.Version#of})
   * @throws IllegalArgumentException for a missing file or tensor, a wrong shape, or a vocabulary
   *     that does not fit the tokenizer
   */
  public static ChatGlmCheckpoint open(Path dir, ChatFormat.Version version) {
    return open(dir, version, null);
  }

  /**
   * Loads a checkpoint directory with its weight matrices held as {@code weights}.
   *
   * @param weights fp32, fp16 or int8, or {@code null} for {@link WeightsKind#choose}: fp32 when it
   *     fits the memory available, else int8
   */
  public static ChatGlmCheckpoint open(Path dir, ChatFormat.Version version, WeightsKind weights) {
    if (System.getProperty("ai.djl.offline") == null) {
      System.setProperty("ai.djl.offline", "true"); // the natives come from Maven; never download
    }
    for (String file : new String[] {"config.json", "tokenizer.model"}) {
      if (!Files.isRegularFile(dir.resolve(file))) {
        throw new IllegalArgumentException("model directory " + dir + " has no " + file);
      }
    }
    ChatGlmConfig config = ChatGlmConfig.read(dir.resolve("config.json"));
    byte[] spModel;
    try {
      spModel = Files.readAllBytes(dir.resolve("tokenizer.model"));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + dir.resolve("tokenizer.model"), e);
    }
    int vocabulary = countPieces(spModel);
    SpTokenizer tokenizer = new SpTokenizer(spModel);
    NDManager manager = null;
    try {
      SpProcessor processor = tokenizer.getProcessor();
      ChatFormat format =
          new ChatFormat(
              version == null ? ChatFormat.Version.of(dir) : version,
              processor,
              vocabulary,
              processor.getId("</s>"));
      if (format.idsNeeded() > config.vocab()) {
        throw new IllegalArgumentException(
            String.format(
                Locale.ROOT,
                "padded_vocab_size %d of config.json is smaller than the %d ids the tokenizer"
                    + " (%d pieces) and the %s special tokens need",
                config.vocab(),
                format.idsNeeded(),
                vocabulary,
                format.version()));
      }
      String[] pieces = new String[vocabulary];
      for (int id = 0; id < vocabulary; id++) {
        pieces[id] = processor.getToken(id);
      }
      manager = NDManager.newBaseManager("PyTorch");
      WeightsKind kind =
          weights != null
              ? weights
              : WeightsKind.choose(config, MemoryBudget.of(config, 1, null).available());
      ChatGlmWeights loaded = ChatGlmWeights.load(dir, config, kind, manager);
      return new ChatGlmCheckpoint(
          dir,
          manager,
          loaded,
          new ChatGlmModel(config, loaded, manager),
          tokenizer,
          format,
          pieces);
    } catch (RuntimeException e) {
      if (manager != null) {
        manager.close();
      }
      tokenizer.close();
      throw e;
    }
  }

  /**
   * The number of pieces of a SentencePiece model: the top-level {@code pieces} entries (field 1)
   * of its {@code ModelProto}. DJL's processor does not tell the vocabulary size.
   */
  static int countPieces(byte[] proto) {
    int count = 0;
    int[] at = {0};
    while (at[0] < proto.length) {
      long tag = varint(proto, at);
      switch ((int) (tag & 7)) {
        case 0 -> varint(proto, at);
        case 1 -> at[0] += 8;
        case 2 -> {
          long length = varint(proto, at);
          at[0] += (int) length;
          if (tag >>> 3 == 1) {
            count++;
          }
        }
        case 5 -> at[0] += 4;
        default ->
            throw new IllegalArgumentException("tokenizer.model is not a SentencePiece model");
      }
    }
    if (count == 0 || at[0] != proto.length) {
      throw new IllegalArgumentException("tokenizer.model is not a SentencePiece model");
    }
    return count;
  }

  private static long varint(byte[] bytes, int[] at) {
    long value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (at[0] >= bytes.length) {
        throw new IllegalArgumentException("tokenizer.model is truncated");
      }
      byte b = bytes[at[0]++];
      value |= (long) (b & 0x7F) << shift;
      if (b >= 0) {
        return value;
      }
    }
    throw new IllegalArgumentException("tokenizer.model is not a SentencePiece model");
  }

  public Path directory() {
    return dir;
  }

  /**
   * The model's name: the last part of {@code config.json}'s {@code _name_or_path}, else the
   * directory's.
   */
  public String name() {
    try {
      String name =
          Json.MAPPER
              .readTree(dir.resolve("config.json").toFile())
              .path("_name_or_path")
              .asText("");
      if (!name.isBlank()) {
        return name.substring(name.lastIndexOf('/') + 1);
      }
    } catch (IOException e) {
      // fall back to the directory's name
    }
    Path file = dir.toAbsolutePath().normalize().getFileName();
    return file == null ? "chatglm" : file.toString();
  }

  public ChatGlmModel model() {
    return model;
  }

  public ChatFormat format() {
    return format;
  }

  /** The text piece of a SentencePiece id, or {@code null} for a special or padding id. */
  public String piece(int id) {
    return id >= 0 && id < pieces.length ? pieces[id] : null;
  }

  /** The weights' size in memory, in bytes. */
  public long weightBytes() {
    return weights.bytes();
  }

  /** The embedding table's size in memory, in bytes. */
  public long embeddingBytes() {
    return weights.embeddingBytes();
  }

  /** How the weight matrices are held. */
  public WeightsKind weightsKind() {
    return weights.kind();
  }

  /** Frees the weights and the tokenizer; safe to call more than once. */
  @Override
  public synchronized void close() {
    if (closed) {
      return; // a second native free would crash the JVM
    }
    closed = true;
    weights.close();
    manager.close();
    tokenizer.close();
  }
}
