package org.chatglmkit.conformance.checks;

import java.util.Optional;
import org.chatglmkit.conformance.http.Exchange;
import org.chatglmkit.conformance.http.StreamResult;
import org.chatglmkit.mockserver.client.TargetClient;

/**
 * The exchange every run begins with: the target's model list (when no model was given), then the
 * simplest valid request, unstreamed and (in the openai profile) streamed. When it fails, the
 * checks that need a successful answer are blocked by its cause instead of failing one by one.
 *
 * @param models the answer to {@code GET /v1/models}, or {@code null} when a model was given
 * @param model the model the run names in its requests, or {@code null}
 * @param modelSource where that model came from
 * @param unstreamed the answer to the simplest valid request
 * @param streamed the same request streamed, or {@code null} when the profile has no streaming
 * @param apiKeyAttempt the first answer, with the key in {@code API-KEY}; when it was refused and
 *     the key as a bearer token was not, the run goes on with bearer tokens
 */
public record Baseline(
    Exchange models,
    String model,
    String modelSource,
    Exchange unstreamed,
    StreamResult streamed,
    Exchange apiKeyAttempt) {

  /** Whether the run sends the key as a bearer token because API-KEY was refused. */
  public boolean usesBearer() {
    return apiKeyAttempt != null && apiKeyAttempt != unstreamed;
  }

  /** Why no HTTP answer came to the baseline at all (the run cannot judge anything), if so. */
  public Optional<String> unanswered() {
    if (models != null && models.status() == 0 && !models.stoppedByTimeLimit()) {
      return Optional.of(
          "no HTTP answer to GET /v1/models (model discovery; --model skips it): "
              + models.failure());
    }
    if (unstreamed.status() == 0 || (unstreamed.failure() != null && unstreamed.status() == 200)) {
      return Optional.of(
          "no complete answer to the baseline request (POST /v1/chat/completions, the simplest"
              + " valid request): "
              + unstreamed.brief());
    }
    return Optional.empty();
  }

  /** Whether the baseline got what {@code part} needs. */
  public boolean has(Needs.Part part) {
    return cause(part).isEmpty();
  }

  /** Why the baseline did not get what {@code part} needs, if it did not. */
  public Optional<String> cause(Needs.Part part) {
    if (part == Needs.Part.COMPLETION) {
      if (unstreamed.answered() && unstreamed.status() == 200) {
        return Optional.empty();
      }
      return Optional.of(
          "the baseline request (the simplest valid request) got " + unstreamed.brief() + hint());
    }
    if (streamed == null || streamed.ended()) {
      return Optional.empty();
    }
    return Optional.of(
        "the baseline stream (the simplest valid request, stream: true) got " + streamed.brief());
  }

  /** The first cause, for the head of the report. */
  public Optional<String> rootCause() {
    return cause(Needs.Part.COMPLETION).or(() -> cause(Needs.Part.STREAM));
  }

  private String hint() {
    return TargetClient.modelHint(unstreamed.status(), unstreamed.body(), model != null)
        .map(hint -> "; " + hint)
        .orElse("");
  }
}
