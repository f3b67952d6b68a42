package org.chatglmkit.mockserver.core;

/**
 * Receives a generation as it happens; calls arrive in order, possibly on another thread. An answer
 * is text ({@link #onToken}) or calls ({@link #onToolCall} then {@link #onToolArguments} pieces),
 * then {@link #onFinish} or {@link #onError}.
 */
public interface TokenSink {
  /** One more piece of text (a token, or several once they form whole UTF-8 characters). */
  void onToken(String text);

  /**
   * A call starts.
   *
   * @param index its place among the answer's calls, from 0
   * @param id its id ({@code call_…})
   * @param name the function it calls
   */
  void onToolCall(int index, String id, String name);

  /** One more piece of call {@code index}'s arguments; the pieces join to its JSON string. */
  void onToolArguments(int index, String piece);

  /** The answer is complete. */
  void onFinish(String finishReason, int promptTokens, int completionTokens);

  /** Generation failed after it started. */
  void onError(ApiError error);
}
