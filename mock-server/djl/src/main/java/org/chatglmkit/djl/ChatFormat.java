package org.chatglmkit.djl;

import ai.djl.sentencepiece.SpProcessor;
import com.fasterxml.jackson.databind.JsonNode;
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
import org.chatglmkit.mockserver.core.ToolCall;
import org.chatglmkit.mockserver.core.Tools;

/**
 * Turns a conversation into prompt tokens the way the published models and their servers do, and
 * names the tokens that end an answer. The special tokens follow the SentencePiece vocabulary, in
 * the order of the published tokenizers: {@code [MASK] [gMASK] [sMASK] sop eop} and, for ChatGLM3,
 * {@code <|system|> <|user|> <|assistant|> <|observation|>}.
 *
 * <ul>
 *   <li>ChatGLM3 (the published {@code tokenization_chatglm.py}, {@code build_chat_input}): {@code
 *       [gMASK] sop}, then per message {@code <|role|>}, the encoding of "\n" (the empty metadata
 *       and its newline) and, encoded on its own, the content; then {@code <|assistant|>}. The
 *       answer ends at EOS, {@code <|user|>} or {@code <|observation|>}.
 *   <li>ChatGLM2 (THUDM/ChatGLM2-6B: {@code openai_api.py} and the tokenizer's {@code
 *       build_prompt}): the last message is the query, a leading system message is put in front of
 *       it as it is, the messages between become history when they pair up as user and assistant;
 *       then {@code [gMASK] sop} and one encoding of "[Round 1]\n\n问：…\n\n答：…\n\n" per exchange,
 *       "[Round n]\n\n问：" + query + "\n\n答：" (full-width colons). Ends at EOS.
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

  /** The system message that offers tools, as the published ChatGLM3 demo writes it. */
  static final String TOOLS_PROMPT =
      "Answer the following questions as best as you can. You have access to the following tools:";

  /** The prompt for a conversation (history first, then messages), ready for the model. */
  public int[] prompt(List<ChatMessage> conversation) {
    return prompt(conversation, Tools.NONE);
  }

  /**
   * The prompt for a conversation that may offer functions. With ChatGLM3 (as its published demo
   * and tokenizer build it): a first system message holds {@link #TOOLS_PROMPT}, a newline and the
   * request's tool list as {@code json.dumps(tools, indent=4, ensure_ascii=False)} (it replaces the
   * conversation's own first system message); a tool's or function's result is an {@code
   * <|observation|>} turn; an assistant turn that called is one {@code <|assistant|>} turn per
   * call, whose metadata is the function's name and whose content is the call's text. A named
   * {@code tool_choice} starts the answer with that function's name as the metadata, so the model
   * writes its call.
   *
   * @throws IllegalArgumentException for functions offered to ChatGLM2, which has no tool format
   */
  public int[] prompt(List<ChatMessage> conversation, Tools tools) {
    List<Integer> ids = new ArrayList<>(List.of(special("[gMASK]"), special("sop")));
    if (version == Version.CHATGLM2) {
      if (tools.callable()) {
        throw new IllegalArgumentException("ChatGLM2 has no tool format");
      }
      add(ids, glm2Text(conversation));
      return ids.stream().mapToInt(Integer::intValue).toArray();
    }
    boolean offered = tools.callable();
    boolean skipSystem = offered;
    if (offered) {
      turn(ids, "system", "", TOOLS_PROMPT + "\n" + PythonJson.dumps(tools.definitions()));
    }
    for (ChatMessage message : conversation) {
      if (skipSystem && message.role().equals("system")) {
        skipSystem = false;
        continue;
      }
      if (message.isResult()) {
        turn(ids, "observation", "", text(message));
      } else if (message.role().equals("assistant") && !message.toolCalls().isEmpty()) {
        for (ToolCall call : message.toolCalls()) {
          turn(ids, "assistant", call.name(), callText(call));
        }
      } else {
        turn(ids, message.role().toLowerCase(Locale.ROOT), "", text(message));
      }
    }
    ids.add(special("<|assistant|>"));
    if (tools.choice() == Tools.Choice.NAMED) {
      add(ids, tools.named() + "\n");
    }
    return ids.stream().mapToInt(Integer::intValue).toArray();
  }

  /** One turn: {@code <|role|>}, the encoding of "metadata\n", the encoding of the content. */
  private void turn(List<Integer> ids, String role, String metadata, String content) {
    ids.add(special("<|" + role + "|>"));
    add(ids, metadata + "\n");
    add(ids, content);
  }

  private static String text(ChatMessage message) {
    return message.content() == null ? "" : message.content();
  }

  /**
   * A call as the model writes it: {@code ```python}, {@code tool_call(...)} with the arguments as
   * Python literals, {@code ```}; arguments that are no JSON object are written as they came.
   */
  static String callText(ToolCall call) {
    String body;
    try {
      JsonNode arguments = Json.MAPPER.readTree(call.arguments());
      body =
          arguments != null && arguments.isObject()
              ? ToolCallText.write(arguments)
              : call.arguments();
    } catch (IOException e) {
      body = call.arguments();
    }
    return "```python\n" + body + "\n```";
  }

  /** The SentencePiece ids of {@code text} (no special tokens). */
  public int[] encode(String text) {
    return processor.encode(text);
  }

  private void add(List<Integer> ids, String text) {
    for (int id : processor.encode(text)) {
      ids.add(id);
    }
  }

  /**
   * The ChatGLM2 prompt text: what the published {@code openai_api.py} makes of the messages
   * (query, system, history), written as the published tokenizer's {@code build_prompt} writes it.
   */
  static String glm2Text(List<ChatMessage> conversation) {
    List<String> texts = new ArrayList<>();
    List<String> roles = new ArrayList<>();
    for (ChatMessage message : conversation) {
      roles.add(message.role());
      texts.add(message.content() == null ? "" : message.content());
    }
    String query = texts.isEmpty() ? "" : texts.remove(texts.size() - 1);
    if (!roles.isEmpty()) {
      roles.remove(roles.size() - 1);
    }
    if (!roles.isEmpty() && roles.get(0).equals("system")) {
      query = texts.remove(0) + query;
      roles.remove(0);
    }
    StringBuilder prompt = new StringBuilder();
    int round = 0;
    if (roles.size() % 2 == 0) {
      for (int i = 0; i < roles.size(); i += 2) {
        if (roles.get(i).equals("user") && roles.get(i + 1).equals("assistant")) {
          round++;
          prompt
              .append("[Round ")
              .append(round)
              .append("]\n\n问：")
              .append(texts.get(i))
              .append("\n\n答：")
              .append(texts.get(i + 1))
              .append("\n\n");
        }
      }
    }
    return prompt
        .append("[Round ")
        .append(round + 1)
        .append("]\n\n问：")
        .append(query)
        .append("\n\n答：")
        .toString();
  }
}
