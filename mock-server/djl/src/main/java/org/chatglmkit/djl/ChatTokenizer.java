package org.chatglmkit.djl;

import ai.djl.sentencepiece.SpProcessor;
import ai.djl.sentencepiece.SpTokenizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.chatglmkit.mockserver.core.ChatMessage;

/**
 * A ChatGLM tokenizer without the weights, for counting tokens on the client side: the prompt of a
 * conversation exactly as the model (and the DJL server) builds it, special tokens included, and
 * the tokens of a plain text.
 *
 * <pre>{@code
 * try (ChatTokenizer tokens = ChatTokenizer.open(Path.of("chatglm3-6b"))) {
 *   int prompt = tokens.promptTokens(List.of(new ChatMessage("user", "Hello")));
 * }
 * }</pre>
 */
public final class ChatTokenizer implements AutoCloseable {
  private final SpTokenizer tokenizer;
  private final SpProcessor processor;
  private final ChatFormat format;

  private ChatTokenizer(SpTokenizer tokenizer, ChatFormat format) {
    this.tokenizer = tokenizer;
    this.processor = tokenizer.getProcessor();
    this.format = format;
  }

  /**
   * Opens a checkpoint directory (its {@code tokenizer.model}; the chat format from its config
   * files) or a {@code tokenizer.model} file (ChatGLM3's chat format).
   *
   * @throws IllegalArgumentException when the path holds no SentencePiece model
   */
  public static ChatTokenizer open(Path path) {
    if (System.getProperty("ai.djl.offline") == null) {
      System.setProperty("ai.djl.offline", "true");
    }
    boolean directory = Files.isDirectory(path);
    Path model = directory ? path.resolve("tokenizer.model") : path;
    if (!Files.isRegularFile(model)) {
      throw new IllegalArgumentException("no tokenizer.model at " + path);
    }
    byte[] proto;
    try {
      proto = Files.readAllBytes(model);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + model, e);
    }
    int vocabulary = ChatGlmCheckpoint.countPieces(proto);
    SpTokenizer tokenizer = new SpTokenizer(proto);
    ChatFormat.Version version =
        directory ? ChatFormat.Version.of(path) : ChatFormat.Version.CHATGLM3;
    SpProcessor processor = tokenizer.getProcessor();
    return new ChatTokenizer(
        tokenizer, new ChatFormat(version, processor, vocabulary, processor.getId("</s>")));
  }

  /** The chat format prompts are built with. */
  public ChatFormat.Version version() {
    return format.version();
  }

  /** The prompt tokens of a conversation (earlier turns first), as the model is given them. */
  public synchronized int promptTokens(List<ChatMessage> conversation) {
    return format.prompt(conversation).length;
  }

  /** The tokens of a text on its own. */
  public synchronized int textTokens(String text) {
    return text.isEmpty() ? 0 : processor.encode(text).length;
  }

  @Override
  public void close() {
    tokenizer.close();
  }
}
