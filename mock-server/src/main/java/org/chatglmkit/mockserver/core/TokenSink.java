package org.chatglmkit.mockserver.core;

/** Receives a generation as it happens; calls arrive in order, possibly on another thread. */
public interface TokenSink {
  /** One more piece of text (a token, or several once they form whole UTF-8 characters). */
  void onToken(String text);

  /** The answer is complete. */
  void onFinish(String finishReason, int promptTokens, int completionTokens);

  /** Generation failed after it started. */
  void onError(ApiError error);
}
