package org.chatglmkit.mockserver.core;

import java.util.List;

/**
 * A validated chat-completion request.
 *
 * @param messages the conversation, at least one message
 * @param history earlier turns, placed before {@code messages}
 * @param temperature 0 to 2; 0 means greedy
 * @param maxTokens the cap on generated tokens, or {@code null} for none
 * @param stream whether the answer is streamed as server-sent events
 * @param includeUsage whether the last stream chunk carries {@code usage} ({@code
 *     stream_options.include_usage})
 * @param model the requested model name, or {@code null}
 * @param topP nucleus-sampling mass, or {@code null}
 * @param seed a sampling seed, or {@code null}
 * @param tools the functions offered and what is asked of them ({@link Tools#NONE} for none)
 */
public record ChatRequest(
    List<ChatMessage> messages,
    List<ChatMessage> history,
    double temperature,
    Integer maxTokens,
    boolean stream,
    boolean includeUsage,
    String model,
    Double topP,
    Long seed,
    Tools tools) {

  public ChatRequest {
    messages = List.copyOf(messages);
    history = List.copyOf(history);
    tools = tools == null ? Tools.NONE : tools;
  }

  /** A request that offers no functions. */
  public ChatRequest(
      List<ChatMessage> messages,
      List<ChatMessage> history,
      double temperature,
      Integer maxTokens,
      boolean stream,
      boolean includeUsage,
      String model,
      Double topP,
      Long seed) {
    this(
        messages,
        history,
        temperature,
        maxTokens,
        stream,
        includeUsage,
        model,
        topP,
        seed,
        Tools.NONE);
  }

  /** History then messages: the whole conversation in order. */
  public List<ChatMessage> conversation() {
    if (history.isEmpty()) {
      return messages;
    }
    List<ChatMessage> all = new java.util.ArrayList<>(history);
    all.addAll(messages);
    return all;
  }
}
