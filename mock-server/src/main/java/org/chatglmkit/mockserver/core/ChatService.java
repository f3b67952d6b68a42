package org.chatglmkit.mockserver.core;

import java.util.Map;
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
  private final RateLimiter limiter;
  private final ServingModel serving;
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
    this(backend, access, faults, latency, bodyLimit, RateLimits.NONE);
  }

  /**
   * @param limits per-key limits; {@link RateLimits#NONE} does no accounting at all
   */
  public ChatService(
      ChatBackend backend,
      AccessPolicy access,
      FaultPolicy faults,
      LatencyProfile latency,
      long bodyLimit,
      RateLimits limits) {
    this(backend, access, faults, latency, bodyLimit, limits, null);
  }

  /**
   * @param serving the serving model whose load sets the latency, or {@code null} for the fixed
   *     latency profile
   */
  public ChatService(
      ChatBackend backend,
      AccessPolicy access,
      FaultPolicy faults,
      LatencyProfile latency,
      long bodyLimit,
      RateLimits limits,
      ServingModel.Profile serving) {
    this.limiter = limits.any() ? new RateLimiter(limits) : null;
    this.serving = serving == null ? null : new ServingModel(serving);
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
   * @param arrivedNanos when the call arrived ({@link System#nanoTime()}); answers are due relative
   *     to it
   */
  public record Incoming(
      String method, String url, UnaryOperator<String> header, byte[] body, long arrivedNanos) {

    public Incoming(String method, String url, UnaryOperator<String> header, byte[] body) {
      this(method, url, header, body, System.nanoTime());
    }

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
   * @param reply the text to answer with instead of the backend's, or {@code null}
   * @param recording a recorded answer to replay instead of answering, or {@code null}
   */
  public record Overrides(Fault fault, LatencyProfile latency, String reply, Recording recording) {
    public static final Overrides NONE = new Overrides(null, null, null, null);

    public Overrides(Fault fault, LatencyProfile latency) {
      this(fault, latency, null, null);
    }

    public Overrides(Fault fault, LatencyProfile latency, String reply) {
      this(fault, latency, reply, null);
    }

    /** The overrides of a stub that replays {@code recording}. */
    public static Overrides replay(Recording recording) {
      return new Overrides(null, null, null, recording);
    }
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
    if (overrides.recording() != null) {
      Optional<ApiError> denied = access.check(incoming.header());
      return denied.isPresent()
          ? new Answer.Refused(route, denied.get())
          : new Answer.Replayed(route, overrides.recording());
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
    return decideStream(incoming, Overrides.NONE);
  }

  /** The same, as a stub of yours with {@code overrides} answers it. */
  public Optional<Answer> decideStream(Incoming incoming, Overrides overrides) {
    if (Answer.Route.of(incoming.method(), incoming.path()) != Answer.Route.CHAT
        || incoming.body().length > bodyLimit) {
      return Optional.empty();
    }
    if (overrides.recording() != null) {
      return Optional.of(decide(incoming, Answer.Route.CHAT, overrides));
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
      return Optional.of(chat(incoming, request, overrides));
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
    if (limiter == null && serving == null) {
      return chat(incoming, request, overrides, Ticket.NONE, Map.of());
    }
    int promptTokens = backend.estimatePromptTokens(request);
    Ticket ticket = Ticket.NONE;
    Map<String, String> headers = Map.of();
    if (limiter != null) {
      RateLimiter.Admission admission =
          limiter.admit(
              AccessPolicy.keyOf(incoming.header()),
              promptTokens,
              request.maxTokens(),
              request.stream());
      if (admission instanceof RateLimiter.Denied denied) {
        return new Answer.Refused(Answer.Route.CHAT, denied.error(), denied.headers());
      }
      ticket = ((RateLimiter.Granted) admission).ticket();
      headers = admission.headers();
    }
    if (serving != null) {
      ServingModel.Admission admission =
          serving.admit(
              incoming.arrivedNanos(),
              promptTokens,
              request.maxTokens() == null
                  ? RateLimiter.DEFAULT_COMPLETION_RESERVE
                  : request.maxTokens());
      if (admission instanceof ServingModel.Full full) {
        ticket.settle(0, 0);
        ticket.end();
        return new Answer.Refused(Answer.Route.CHAT, full.error(), headers);
      }
      ServingModel.Running running = (ServingModel.Running) admission;
      ticket = Ticket.both(ticket, running.ticket());
      if (overrides.latency() == null) {
        overrides = new Overrides(overrides.fault(), running.latency(), overrides.reply(), null);
      }
    }
    try {
      Answer answer = chat(incoming, request, overrides, ticket, headers);
      if (!(answer instanceof Answer.Streamed)) {
        ticket.end();
      }
      return answer;
    } catch (RuntimeException e) {
      ticket.settle(0, 0);
      ticket.end();
      throw e;
    }
  }

  private Answer chat(
      Incoming incoming,
      ChatRequest request,
      Overrides overrides,
      Ticket ticket,
      Map<String, String> headers) {
    Fault fault =
        overrides.fault() != null
            ? overrides.fault()
            : faults.pick(incoming.header().apply(FaultKind.HEADER)).orElse(null);
    LatencyProfile profile = overrides.latency() != null ? overrides.latency() : latency;
    ChatBackend backend =
        overrides.reply() != null
            ? new ScriptedBackend(this.backend, overrides.reply())
            : this.backend;
    Call call = new Call(request, CallInfo.next(backend.modelName()));
    FaultKind kind = fault == null ? null : fault.kind();
    if (kind == FaultKind.RESET) {
      ticket.settle(0, 0);
      return new Answer.Reset(Answer.Route.CHAT);
    }
    FaultKind brokenCalls = kind != null && kind.breaksCalls() ? kind : null;
    if (brokenCalls != null) {
      fault = null; // it changes the calls, not whether the answer comes
      kind = null;
    }
    boolean legacy = request.tools().legacy();
    if (kind != null
        && (!kind.shapesStream() || (kind == FaultKind.STREAM_ERROR && !request.stream()))) {
      // an unstreamed answer has no middle to break: its stream-error is a plain 500
      ticket.settle(0, 0);
      return new Answer.Refused(Answer.Route.CHAT, faults.errorFor(kind), headers);
    }
    if (request.stream()) {
      return new Answer.Streamed(
          call,
          new StreamPlan(
              profile, request.includeUsage(), fault, faults.stallMillis(), legacy, brokenCalls),
          backend,
          ticket,
          headers);
    }
    Completion completion = backend.complete(request);
    ticket.settle(completion.promptTokens(), completion.completionTokens());
    long delay = profile.totalMillis(completion.completionTokens());
    if (kind == FaultKind.STALL) {
      delay += faults.stallMillis();
    } else if (kind == FaultKind.HOLD_HEADERS) {
      delay += fault.holdMillis();
    }
    return new Answer.Completed(
        Answer.Route.CHAT,
        Responses.completion(call.info(), completion, legacy, brokenCalls),
        delay,
        headers);
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

  /** The per-key limits this service enforces. */
  public RateLimits limits() {
    return limiter == null ? RateLimits.NONE : limiter.limits();
  }

  /** The serving model, or {@code null} when the latency profile is fixed. */
  public ServingModel serving() {
    return serving;
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
