package org.chatglmkit.mockserver.core;

import java.util.List;

/**
 * A finished answer.
 *
 * @param tokens the generated text pieces, in order; their concatenation is the content
 * @param finishReason {@code stop}, {@code length}, {@code tool_calls} or {@code function_call}
 * @param promptTokens how many tokens the prompt had
 * @param completionTokens how many tokens were generated (a model may need several tokens for one
 *     piece of text, or generate a token that shows no text)
 * @param toolCalls the calls the answer makes, in order; empty for a text answer
 */
public record Completion(
    List<String> tokens,
    String finishReason,
    int promptTokens,
    int completionTokens,
    List<ToolCall> toolCalls) {

  public Completion {
    tokens = List.copyOf(tokens);
    toolCalls = List.copyOf(toolCalls);
  }

  /** A text answer. */
  public Completion(
      List<String> tokens, String finishReason, int promptTokens, int completionTokens) {
    this(tokens, finishReason, promptTokens, completionTokens, List.of());
  }

  /** A text answer whose every piece of text is one token. */
  public Completion(List<String> tokens, String finishReason, int promptTokens) {
    this(tokens, finishReason, promptTokens, tokens.size());
  }

  public String content() {
    return String.join("", tokens);
  }
}
