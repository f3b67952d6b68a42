package org.chatglmkit.mockserver.core;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * What the API answers to one HTTP call, decided whole by {@link ChatService#decide}. Adapters only
 * send it: the Jetty front handler asynchronously, the WireMock transformer for stubs of yours.
 *
 * <pre>{@code
 * Answer answer = service.decide(incoming);
 * if (answer instanceof Answer.Refused refused) ...        // refused.error(): status, body, headers
 * else if (answer instanceof Answer.Reset) ...             // TCP reset
 * else if (answer instanceof Answer.Completed done) ...    // 200 JSON, due done.dueMillis() after arrival
 * else if (answer instanceof Answer.Streamed stream) ...   // stream.start(arrival, events)
 * }</pre>
 */
public sealed interface Answer {

  /** The route the call took (which of the API's stubs WireMock would have matched). */
  Route route();

  /** The headers the answer carries besides its own ({@code x-ratelimit-*}); empty for most. */
  Map<String, String> headers();

  /**
   * An error answer; the error carries its own headers ({@code Retry-After}, {@code Allow}).
   *
   * @param headers more headers ({@code x-ratelimit-*})
   */
  record Refused(Route route, ApiError error, Map<String, String> headers) implements Answer {
    public Refused(Route route, ApiError error) {
      this(route, error, Map.of());
    }
  }

  /** The connection is reset (TCP RST) instead of answering. */
  record Reset(Route route) implements Answer {
    @Override
    public Map<String, String> headers() {
      return Map.of();
    }
  }

  /** A 200 with a JSON body, due {@code dueMillis} after the request arrived. */
  record Completed(Route route, String json, long dueMillis, Map<String, String> headers)
      implements Answer {
    public Completed(Route route, String json, long dueMillis) {
      this(route, json, dueMillis, Map.of());
    }
  }

  /**
   * A 200 stream of server-sent events: the accepted call and the schedule its events follow.
   *
   * @param call the accepted chat call
   * @param plan when its events are due and the fault it plays, if any
   * @param ticket what the call holds of its key's limits; the adapter {@link Ticket#end() ends} it
   *     when the stream ends for the client
   * @param headers more headers ({@code x-ratelimit-*})
   */
  record Streamed(
      ChatService.Call call,
      StreamPlan plan,
      ChatBackend backend,
      Ticket ticket,
      Map<String, String> headers)
      implements Answer {

    public Streamed(ChatService.Call call, StreamPlan plan, ChatBackend backend) {
      this(call, plan, backend, Ticket.NONE, Map.of());
    }

    @Override
    public Route route() {
      return Route.CHAT;
    }

    /**
     * Starts generating; the events reach {@code out} in order, each with the moment it is due.
     *
     * @param arrivedNanos when the request arrived ({@link System#nanoTime()}); events are due
     *     relative to it
     * @return the running generation, to cancel when the client leaves
     * @throws ApiException when the backend refuses the request (too long, overloaded)
     */
    public ChatBackend.Generation start(long arrivedNanos, EventSchedule.Events out) {
      EventSchedule.Events events = out;
      if (ticket != Ticket.NONE) {
        events =
            (dueNanos, frame, last) -> {
              if (last) {
                ticket.endsAt(dueNanos);
              }
              out.at(dueNanos, frame, last);
            };
      }
      TokenSink sink = new EventSchedule(call.info(), plan, arrivedNanos, events);
      return backend.generate(call.request(), ticket == Ticket.NONE ? sink : settling(sink));
    }

    /** Settles the ticket's tokens when the answer finishes. */
    private TokenSink settling(TokenSink sink) {
      return new TokenSink() {
        @Override
        public void onToken(String text) {
          sink.onToken(text);
        }

        @Override
        public void onToolCall(int index, String id, String name) {
          sink.onToolCall(index, id, name);
        }

        @Override
        public void onToolArguments(int index, String piece) {
          sink.onToolArguments(index, piece);
        }

        @Override
        public void onFinish(String finishReason, int promptTokens, int completionTokens) {
          ticket.settle(promptTokens, completionTokens);
          sink.onFinish(finishReason, promptTokens, completionTokens);
        }

        @Override
        public void onError(ApiError error) {
          sink.onError(error);
        }
      };
    }

    /**
     * The whole stream as one body, for an adapter that cannot stream (a stub of yours that routes
     * a stream to the API): the frames in order and when the last is due.
     *
     * @throws ApiException when the backend refuses the request
     */
    public Whole whole() {
      List<byte[]> frames = new ArrayList<>();
      CompletableFuture<Long> lastDue = new CompletableFuture<>();
      start(
          0,
          (dueNanos, frame, last) -> {
            synchronized (frames) {
              frames.add(frame);
            }
            if (last) {
              lastDue.complete(dueNanos);
            }
          });
      try {
        long due = lastDue.get();
        ticket.end();
        synchronized (frames) {
          ByteArrayOutputStream body = new ByteArrayOutputStream();
          frames.forEach(body::writeBytes);
          return new Whole(body.toString(StandardCharsets.UTF_8), due / 1_000_000);
        }
      } catch (ExecutionException e) {
        throw new ApiException(ApiError.internal("generation failed"));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new ApiException(ApiError.internal("interrupted"));
      }
    }
  }

  /**
   * A recorded answer of a real server, replayed as it came (see {@link Recording}).
   *
   * @param recording the answer, already scaled to the replay's speed
   */
  record Replayed(Route route, Recording recording) implements Answer {
    @Override
    public Map<String, String> headers() {
      return Map.of();
    }
  }

  /** A stream's frames in one body and when its last frame is due, in ms after arrival. */
  record Whole(String body, long dueMillis) {}

  /** The API's routes, by method and path. */
  enum Route {
    /** {@code POST /v1/chat/completions}. */
    CHAT,
    /** {@code GET /v1/models}. */
    MODELS,
    /** Any other method on the chat path: 405 with {@code Allow: POST}. */
    CHAT_WRONG_METHOD,
    /** Anything else: 404. */
    NOT_FOUND;

    /** The route of {@code method} on {@code path} (the path without its query). */
    public static Route of(String method, String path) {
      if (ChatService.CHAT_PATH.equals(path)) {
        return "POST".equals(method) ? CHAT : CHAT_WRONG_METHOD;
      }
      return ChatService.MODELS_PATH.equals(path) && "GET".equals(method) ? MODELS : NOT_FOUND;
    }
  }
}
