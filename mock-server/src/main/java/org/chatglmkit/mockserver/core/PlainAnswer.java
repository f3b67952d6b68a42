package org.chatglmkit.mockserver.core;

/**
 * What an unstreamed chat call gets: an injected error, a connection reset, or the completion, sent
 * after its delay. Decided once in {@link ChatService#answer}; adapters only send it.
 *
 * @param error the error to answer, or {@code null}
 * @param reset whether to reset the connection instead of answering
 * @param completion the completion, when there is neither error nor reset
 * @param delayMillis how long after the request the completion is due
 */
public record PlainAnswer(ApiError error, boolean reset, Completion completion, long delayMillis) {

  static PlainAnswer ofError(ApiError error) {
    return new PlainAnswer(error, false, null, 0);
  }

  static PlainAnswer ofReset() {
    return new PlainAnswer(null, true, null, 0);
  }
}
