package org.chatglmkit.mockserver.core;

import java.util.List;

/**
 * A finished answer.
 *
 * @param tokens the generated text pieces, in order; their concatenation is the content
 * @param finishReason {@code stop} or {@code length}
 * @param promptTokens how many tokens the prompt had
 * @param completionTokens how many tokens were generated (a model may need several tokens for one
 *     piece of text, or generate a token that shows no text)
 */
public record Completion(
    List<String> tokens, String finishReason, int promptTokens, int completionTokens) {

  public Completion {
    tokens = List.copyOf(tokens);
  }

  /** A completion whose every piece of text is one token. */
  public Completion(List<String> tokens, String finishReason, int promptTokens) {
    this(tokens, finishReason, promptTokens, tokens.size());
  }

  public String content() {
    return String.join("", tokens);
  }
}
