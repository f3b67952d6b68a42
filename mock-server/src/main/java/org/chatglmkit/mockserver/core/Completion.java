package org.chatglmkit.mockserver.core;

import java.util.List;

/**
 * A finished answer.
 *
 * @param tokens the generated text pieces, in order; their concatenation is the content
 * @param finishReason {@code stop} or {@code length}
 * @param promptTokens how many tokens the prompt had
 */
public record Completion(List<String> tokens, String finishReason, int promptTokens) {

  public Completion {
    tokens = List.copyOf(tokens);
  }

  public String content() {
    return String.join("", tokens);
  }

  public int completionTokens() {
    return tokens.size();
  }
}
