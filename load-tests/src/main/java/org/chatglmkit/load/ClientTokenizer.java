package org.chatglmkit.load;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.chatglmkit.djl.ChatTokenizer;
import org.chatglmkit.mockserver.core.ChatMessage;

/**
 * Token counts on the client side ({@code --tokenizer}): the ChatGLM SentencePiece model through
 * DJL, prompts built with the model's chat template (special tokens included), so that the count is
 * the one the model sees.
 */
final class ClientTokenizer implements AutoCloseable {
  private final ChatTokenizer tokenizer;

  private ClientTokenizer(ChatTokenizer tokenizer) {
    this.tokenizer = tokenizer;
  }

  /** Opens a checkpoint directory or a {@code tokenizer.model}; {@code null} for none. */
  static ClientTokenizer open(String path) {
    return path == null ? null : new ClientTokenizer(ChatTokenizer.open(Path.of(path)));
  }

  /** What the summary says the tokenizer is. */
  String describe(String path) {
    return path
        + " ("
        + tokenizer.version().name().toLowerCase(java.util.Locale.ROOT)
        + " template)";
  }

  /** The prompt tokens of a conversation (a JSON list of messages, earlier turns first). */
  long prompt(JsonNode messages) {
    List<ChatMessage> conversation = new ArrayList<>();
    for (JsonNode message : messages) {
      conversation.add(
          new ChatMessage(
              message.path("role").asText("user"),
              message.path("content").isTextual() ? message.path("content").asText() : "",
              null));
    }
    return tokenizer.promptTokens(conversation);
  }

  /** The tokens of a plain text. */
  long text(String text) {
    return tokenizer.textTokens(text);
  }

  @Override
  public void close() {
    tokenizer.close();
  }
}
