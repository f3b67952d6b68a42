package org.chatglmkit.mockserver.core;

import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * The API core: from one HTTP call (method, path, headers, body) to the whole {@link Answer}: key
 * check, body limit, parsing and validation (once), fault choice, the completion or the stream's
 * schedule. Adapters only move bytes.
 *
 * <pre>{@code
 * Answer answer = service.decide(new ChatService.Incoming("POST", path, request::getHeader, body));
 * }</pre>
 */
public final class ChatService {
  public static final String CHAT_PATH = "/v1/chat/completions";
  public static final String MODELS_PATH = "/v1/models";

  private final ChatBackend backend;
  private final AccessPolicy access;
  private final FaultPolicy faults;
  private final LatencyProfile latency;
  private final long bodyLimit;
  private final RequestParser parser = new RequestParser();

  /**
   * @param bodyLimit the largest body accepted, in bytes; a larger one is refused with 413
   */
  public ChatService(
      ChatBackend backend,
      AccessPolicy access,
      FaultPolicy faults,
      LatencyProfile latency,
      long bodyLimit) {
    this.backend = backend;
    this.access = access;
    this.faults = faults;
    this.latency = latency;
    this.bodyLimit = bodyLimit;
  }

  /**
   * One HTTP call as the core sees it.
   *
   * @param method the HTTP method
   * @param url the path with its query, as received
   * @param header a header's first value by name (case-insensitive), or {@code null}
   * @param body the body; longer than the limit means it was cut there and is refused
   */
  public record Incoming(String method, String url, UnaryOperator<String> header, byte[] body) {

    /** The path without its query. */
    public String path() {
      int query = url.indexOf('?');
      return query < 0 ? url : url.substring(0, query);
    }
  }

  /**
   * What a stub of yours sets for a chat call, or {@link #NONE}.
   *
   * @param fault the fault to play instead of the one the header or the rates pick, or {@code null}
   * @param latency the latency profile instead of the server's, or {@code null}
   */
  public record Overrides(FaultKind fault, LatencyProfile latency) {
    public static final Overrides NONE = new Overrides(null, null);
  }

  /** An accepted chat request and the identity its answer carries. */
  public record Call(ChatRequest request, CallInfo info) {}

  /** The whole answer to {@code incoming}, by the route its method and path take. */
  public Answer decide(Incoming incoming) {
    return decide(incoming, Answer.Route.of(incoming.method(), incoming.path()), Overrides.NONE);
  }

  /**
   * The whole answer to {@code incoming} on {@code route} (a stub of yours may route a call
   * anywhere). Never throws for anything a client sends: every refusal is an {@link
   * Answer.Refused}.
   */
  public Answer decide(Incoming incoming, Answer.Route route, Overrides overrides) {
    if (incoming.body().length > bodyLimit) {
      return new Answer.Refused(route, ApiError.tooLarge(bodyLimit));
    }
    try {
      return switch (route) {
        case NOT_FOUND ->
            new Answer.Refused(
                route,
                ApiError.notFound("no such path: " + incoming.method() + " " + incoming.url()));
        case CHAT_WRONG_METHOD ->
            new Answer.Refused(
                route,
                ApiError.methodNotAllowed(
                    "method " + incoming.method() + " is not allowed here; use POST", "POST"));
        case MODELS -> {
          authorize(incoming.header());
          yield new Answer.Completed(route, modelList(), 0);
        }
        case CHAT -> chat(incoming, overrides);
      };
    } catch (ApiException e) {
      return new Answer.Refused(route, e.error());
    }
  }

  /**
   * The answer to a call whose body is over the limit, for an adapter that knows it before reading
   * the body (from its declared length, or from reading one byte past the limit).
   */
  public Answer oversized(String method, String path) {
    return new Answer.Refused(Answer.Route.of(method, path), ApiError.tooLarge(bodyLimit));
  }

  /**
   * The whole answer to a chat call that asks to stream, or empty for any other call (another
   * route, a refusal, an unstreamed request): for an adapter that must stream itself what it can,
   * and leave the rest to someone else (WireMock, while a stub of yours exists). The body is parsed
   * once either way for a stream.
   */
  public Optional<Answer> decideStream(Incoming incoming) {
    if (Answer.Route.of(incoming.method(), incoming.path()) != Answer.Route.CHAT
        || incoming.body().length > bodyLimit) {
      return Optional.empty();
    }
    ChatRequest request;
    try {
      authorize(incoming.header());
      request = parser.parse(incoming.body(), incoming.header().apply("Content-Type"));
    } catch (ApiException e) {
      return Optional.empty();
    }
    if (!request.stream()) {
      return Optional.empty();
    }
    try {
      return Optional.of(chat(incoming, request, Overrides.NONE));
    } catch (ApiException e) {
      return Optional.of(new Answer.Refused(Answer.Route.CHAT, e.error()));
    }
  }

  private Answer chat(Incoming incoming, Overrides overrides) {
    authorize(incoming.header());
    return chat(
        incoming,
        parser.parse(incoming.body(), incoming.header().apply("Content-Type")),
        overrides);
  }

  private Answer chat(Incoming incoming, ChatRequest request, Overrides overrides) {
    FaultKind fault =
        overrides.fault() != null
            ? overrides.fault()
            : faults.pick(incoming.header().apply(FaultKind.HEADER)).orElse(null);
    LatencyProfile profile = overrides.latency() != null ? overrides.latency() : latency;
    Call call = new Call(request, CallInfo.next(backend.modelName()));
    if (fault == FaultKind.RESET) {
      return new Answer.Reset(Answer.Route.CHAT);
    }
    FaultKind brokenCalls = fault != null && fault.breaksCalls() ? fault : null;
    if (brokenCalls != null) {
      fault = null; // it changes the calls, not whether the answer comes
    }
    boolean legacy = request.tools().legacy();
    boolean streamFault = fault == FaultKind.STALL || fault == FaultKind.STREAM_ERROR;
    if (fault != null && (!streamFault || (fault == FaultKind.STREAM_ERROR && !request.stream()))) {
      // an unstreamed answer has no middle to break: its stream-error is a plain 500
      return new Answer.Refused(Answer.Route.CHAT, faults.errorFor(fault));
    }
    if (request.stream()) {
      return new Answer.Streamed(
          call,
          new StreamPlan(
              profile, request.includeUsage(), fault, faults.stallMillis(), legacy, brokenCalls),
          backend);
    }
    Completion completion = backend.complete(request);
    long delay = profile.totalMillis(completion.completionTokens());
    if (fault == FaultKind.STALL) {
      delay += faults.stallMillis();
    }
    return new Answer.Completed(
        Answer.Route.CHAT,
        Responses.completion(call.info(), completion, legacy, brokenCalls),
        delay);
  }

  /** Checks only the key. */
  private void authorize(UnaryOperator<String> header) {
    Optional<ApiError> denied = access.check(header);
    if (denied.isPresent()) {
      throw new ApiException(denied.get());
    }
  }

  public ChatBackend backend() {
    return backend;
  }

  public FaultPolicy faults() {
    return faults;
  }

  public LatencyProfile latency() {
    return latency;
  }

  public long bodyLimit() {
    return bodyLimit;
  }

  /** The body of {@code GET /v1/models}. */
  public String modelList() {
    var body = Json.MAPPER.createObjectNode();
    body.put("object", "list");
    var model = body.putArray("data").addObject();
    model.put("id", backend.modelName());
    model.put("object", "model");
    model.put("created", 0);
    model.put("owned_by", "chatglmkit");
    return body.toString();
  }
}
