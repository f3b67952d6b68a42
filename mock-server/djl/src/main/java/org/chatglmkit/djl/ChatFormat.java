package org.chatglmkit.djl;

import ai.djl.sentencepiece.SpProcessor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.chatglmkit.mockserver.core.ChatMessage;
import org.chatglmkit.mockserver.core.Json;

/**
 * Turns a conversation into prompt tokens the way the published models were trained, and names the
 * tokens that end an answer. The special tokens follow the SentencePiece vocabulary, in the order
 * of the published tokenizers: {@code [MASK] [gMASK] [sMASK] sop eop} and, for ChatGLM3, {@code
 * <|system|> <|user|> <|assistant|> <|observation|>}.
 *
 * <ul>
 *   <li>ChatGLM3: {@code [gMASK] sop}, then per message {@code <|role|>} + "\n" + content, then
 *       {@code <|assistant|>}; the answer ends at EOS, {@code <|user|>} or {@code <|observation|>}.
 *   <li>ChatGLM2: {@code [gMASK] sop} + "[Round 1]\n\n问:…\n\n答:…\n\n" for each earlier exchange,
 *       then the last question and "答:"; system messages lead the first question. Ends at EOS.
 * </ul>
 */
public final class ChatFormat {
  /** The two formats. */
  public enum Version {
    CHATGLM2,
    CHATGLM3;

    /** {@code chatglm2} or {@code chatglm3}, as on the command line. */
    public static Version parse(String text) {
      return switch (text.strip().toLowerCase(Locale.ROOT)) {
        case "chatglm2" -> CHATGLM2;
        case "chatglm3" -> CHATGLM3;
        default ->
            throw new IllegalArgumentException(
                "chat format must be chatglm2 or chatglm3, not " + text);
      };
    }

    /**
     * The format a checkpoint directory was trained with: ChatGLM3 when its {@code
     * tokenizer_config.json} knows the role tokens, otherwise what {@code config.json}'s {@code
     * _name_or_path} names ({@code chatglm2…} or {@code chatglm3…}); ChatGLM3 when neither says.
     */
    public static Version of(Path dir) {
      Path tokenizerConfig = dir.resolve("tokenizer_config.json");
      try {
        if (Files.isRegularFile(tokenizerConfig)
            && Files.readString(tokenizerConfig).contains("<|user|>")) {
          return CHATGLM3;
        }
        Path config = dir.resolve("config.json");
        if (Files.isRegularFile(config)) {
          String name = Json.MAPPER.readTree(config.toFile()).path("_name_or_path").asText("");
          if (name.toLowerCase(Locale.ROOT).contains("chatglm2")) {
            return CHATGLM2;
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read the chat format of " + dir, e);
      }
      return CHATGLM3;
    }
  }

  private static final List<String> SPECIAL =
      List.of(
          "[MASK]",
          "[gMASK]",
          "[sMASK]",
          "sop",
          "eop",
          "<|system|>",
          "<|user|>",
          "<|assistant|>",
          "<|observation|>");

  private final Version version;
  private final SpProcessor processor;
  private final int vocabulary;
  private final int eos;

  /**
   * @param processor the SentencePiece model
   * @param vocabulary its size; the special tokens come right after it
   * @param eos the SentencePiece end-of-sentence id
   */
  public ChatFormat(Version version, SpProcessor processor, int vocabulary, int eos) {
    this.version = version;
    this.processor = processor;
    this.vocabulary = vocabulary;
    this.eos = eos;
  }

  /** How many ids the model's vocabulary needs: the SentencePiece ones and the special ones. */
  public int idsNeeded() {
    return vocabulary + (version == Version.CHATGLM3 ? SPECIAL.size() : 5);
  }

  public Version version() {
    return version;
  }

  public int special(String token) {
    int index = SPECIAL.indexOf(token);
    if (index < 0 || (version == Version.CHATGLM2 && index >= 5)) {
      throw new IllegalArgumentException(token + " is not a special token of " + version);
    }
    return vocabulary + index;
  }

  /** The tokens that end an answer. */
  public Set<Integer> stopTokens() {
    return version == Version.CHATGLM3
        ? Set.of(eos, special("<|user|>"), special("<|observation|>"))
        : Set.of(eos);
  }

  /** Whether an id is one of the special tokens (never shown as text). */
  public boolean isSpecial(int id) {
    return id >= vocabulary || id == eos;
  }

  /** The prompt for a conversation (history first, then messages), ready for the model. */
  public int[] prompt(List<ChatMessage> conversation) {
    List<Integer> ids = new ArrayList<>(List.of(special("[gMASK]"), special("sop")));
    if (version == Version.CHATGLM3) {
      for (ChatMessage message : conversation) {
        ids.add(special("<|" + message.role().toLowerCase(Locale.ROOT) + "|>"));
        add(ids, "\n" + (message.content() == null ? "" : message.content()));
      }
      ids.add(special("<|assistant|>"));
    } else {
      add(ids, glm2Text(conversation));
    }
    return ids.stream().mapToInt(Integer::intValue).toArray();
  }

  private void add(List<Integer> ids, String text) {
    for (int id : processor.encode(text)) {
      ids.add(id);
    }
  }

  private static String glm2Text(List<ChatMessage> conversation) {
    StringBuilder text = new StringBuilder();
    StringBuilder system = new StringBuilder();
    String question = null;
    int round = 1;
    for (ChatMessage message : conversation) {
      String content = message.content() == null ? "" : message.content();
      switch (message.role()) {
        case "system" -> system.append(content).append('\n');
        case "user" ->
            question = (question == null ? system.toString() : question + "\n") + content;
        default -> {
          text.append("[Round ")
              .append(round++)
              .append("]\n\n问:")
              .append(question == null ? "" : question);
          text.append("\n\n答:").append(content).append("\n\n");
          question = null;
          system.setLength(0);
        }
      }
    }
    text.append("[Round ").append(round).append("]\n\n问:").append(question == null ? "" : question);
    return text.append("\n\n答:").toString();
  }
}
