package org.chatglmkit.mockserver.core;

import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * The API core that every server adapter calls: key check, body parsing and validation, fault
 * choice. Adapters only move bytes.
 *
 * <pre>{@code
 * ChatService.Call call = service.accept(request::getHeader, body); // throws ApiException
 * }</pre>
 */
public final class ChatService {
  private final ChatBackend backend;
  private final AccessPolicy access;
  private final FaultPolicy faults;
  private final LatencyProfile latency;
  private final RequestParser parser = new RequestParser();

  public ChatService(
      ChatBackend backend, AccessPolicy access, FaultPolicy faults, LatencyProfile latency) {
    this.backend = backend;
    this.access = access;
    this.faults = faults;
    this.latency = latency;
  }

  /** An accepted chat request and what to do with it. */
  public record Call(ChatRequest request, CallInfo info, Optional<FaultKind> fault) {}

  /**
   * Checks the key, parses and validates the body and picks a fault.
   *
   * @throws ApiException with the error to answer
   */
  public Call accept(UnaryOperator<String> header, byte[] body) {
    authorize(header);
    ChatRequest request = parser.parse(body, header.apply("Content-Type"));
    Optional<FaultKind> fault = faults.pick(header.apply(FaultKind.HEADER));
    return new Call(request, CallInfo.next(backend.modelName()), fault);
  }

  /**
   * The unstreamed answer to an accepted call: the fault's error or reset, or the completion with
   * the delay {@code latency} gives it (plus the stall, for a stalled call).
   *
   * @param fault the fault to play, or {@code null}
   * @throws ApiException when the backend refuses the request
   */
  public PlainAnswer answer(Call call, FaultKind fault, LatencyProfile latency) {
    if (fault == FaultKind.RESET) {
      return PlainAnswer.ofReset();
    }
    if (fault != null && fault != FaultKind.STALL) {
      return PlainAnswer.ofError(faults.errorFor(fault));
    }
    Completion completion = backend.complete(call.request());
    long delay = latency.totalMillis(completion.completionTokens());
    if (fault == FaultKind.STALL) {
      delay += faults.stallMillis();
    }
    return new PlainAnswer(null, false, completion, delay);
  }

  /** Checks only the key (for endpoints without a body). */
  public void authorize(UnaryOperator<String> header) {
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
