package org.chatglmkit.mockserver.core;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * Produces answers. The reference server asks its backend for every completion, streamed or not.
 *
 * <pre>{@code
 * ChatBackend backend = new DeterministicBackend("chatglm3-6b", 0);
 * Completion answer = backend.complete(request);
 * }</pre>
 */
public interface ChatBackend extends AutoCloseable {

  /** The model name answers carry. */
  String modelName();

  /**
   * Starts generating {@code request}'s answer into {@code sink}.
   *
   * @return a handle that stops the generation (a client went away)
   * @throws ApiException when the request cannot be served at all (too long, overloaded)
   */
  Generation generate(ChatRequest request, TokenSink sink);

  /**
   * The request's prompt tokens as far as they are known before generating, for the tokens a rate
   * limit reserves (the real count settles it): here a quarter of the characters plus one per
   * message, as hosted APIs estimate; a backend with a tokenizer may count exactly.
   */
  default int estimatePromptTokens(ChatRequest request) {
    int count = 0;
    for (ChatMessage message : request.conversation()) {
      count += 1 + (message.content() == null ? 0 : (message.content().length() + 3) / 4);
    }
    return count;
  }

  /** The request's prompt tokens as its answer's usage counts them (the estimate, unless known). */
  default int promptTokens(ChatRequest request) {
    return estimatePromptTokens(request);
  }

  /** Generates the whole answer and waits for it. */
  default Completion complete(ChatRequest request) {
    CompletableFuture<Completion> done = new CompletableFuture<>();
    List<String> tokens = new ArrayList<>();
    List<String[]> calls = new ArrayList<>();
    List<StringBuilder> arguments = new ArrayList<>();
    generate(
        request,
        new TokenSink() {
          @Override
          public void onToken(String text) {
            tokens.add(text);
          }

          @Override
          public void onToolCall(int index, String id, String name) {
            calls.add(new String[] {id, name});
            arguments.add(new StringBuilder());
          }

          @Override
          public void onToolArguments(int index, String piece) {
            arguments.get(index).append(piece);
          }

          @Override
          public void onFinish(String finishReason, int promptTokens, int completionTokens) {
            List<ToolCall> made = new ArrayList<>();
            for (int i = 0; i < calls.size(); i++) {
              made.add(new ToolCall(calls.get(i)[0], calls.get(i)[1], arguments.get(i).toString()));
            }
            done.complete(
                new Completion(tokens, finishReason, promptTokens, completionTokens, made));
          }

          @Override
          public void onError(ApiError error) {
            done.completeExceptionally(new ApiException(error));
          }
        });
    try {
      return done.get();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof ApiException apiException) {
        throw apiException;
      }
      throw new ApiException(ApiError.internal("generation failed"));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ApiException(ApiError.internal("interrupted"));
    }
  }

  @Override
  default void close() {}

  /** A running generation. */
  interface Generation {
    /** Stops generating and frees what the generation holds; safe to call more than once. */
    void cancel();
  }
}
