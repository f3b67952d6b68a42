package org.chatglmkit.mockserver.server;

import static com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder.responseDefinition;

import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.extension.Parameters;
import com.github.tomakehurst.wiremock.extension.ResponseDefinitionTransformerV2;
import com.github.tomakehurst.wiremock.http.Fault;
import com.github.tomakehurst.wiremock.http.ResponseDefinition;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import java.util.stream.Collectors;
import org.chatglmkit.mockserver.core.ApiError;
import org.chatglmkit.mockserver.core.ApiException;
import org.chatglmkit.mockserver.core.ChatService;
import org.chatglmkit.mockserver.core.Completion;
import org.chatglmkit.mockserver.core.FaultKind;
import org.chatglmkit.mockserver.core.LatencyProfile;
import org.chatglmkit.mockserver.core.PlainAnswer;
import org.chatglmkit.mockserver.core.Responses;

/**
 * The WireMock face of the API: stubs that name this transformer get their answer from the core.
 *
 * <p>Transformer parameters: {@code operation} ({@code chat}, {@code models}, {@code not-found},
 * {@code method-not-allowed}); for {@code chat}, optionally {@code fault} (a {@link FaultKind}
 * name), {@code ttftMs} and {@code itlMs}. A stub of your own can, for example, answer one prompt
 * with a 529:
 *
 * <pre>{@code
 * {"request": {"method": "POST", "urlPath": "/v1/chat/completions",
 *              "bodyPatterns": [{"contains": "overload me"}]},
 *  "response": {"transformers": ["chatglm-api"],
 *               "transformerParameters": {"operation": "chat", "fault": "529"}}}
 * }</pre>
 */
public final class ApiTransformer implements ResponseDefinitionTransformerV2 {
  public static final String NAME = "chatglm-api";

  private final ChatService service;

  public ApiTransformer(ChatService service) {
    this.service = service;
  }

  @Override
  public String getName() {
    return NAME;
  }

  @Override
  public boolean applyGlobally() {
    return false;
  }

  @Override
  public ResponseDefinition transform(ServeEvent event) {
    LoggedRequest request = event.getRequest();
    Parameters parameters = event.getTransformerParameters();
    String route = request.getMethod() + " " + request.getUrl();
    try {
      return switch (parameters.getString("operation", "chat")) {
        case "models" -> {
          service.authorize(request::getHeader);
          yield json(200, service.modelList()).build();
        }
        case "not-found" -> error(ApiError.notFound("no such path: " + route));
        case "method-not-allowed" ->
            error(
                ApiError.methodNotAllowed(
                    "method " + request.getMethod() + " is not allowed here; use POST"));
        default -> chat(request, parameters);
      };
    } catch (ApiException e) {
      return error(e.error());
    }
  }

  private ResponseDefinition chat(LoggedRequest request, Parameters parameters) {
    ChatService.Call call = service.accept(request::getHeader, request.getBody());
    FaultKind fault =
        parameters.containsKey("fault")
            ? FaultKind.parse(parameters.getString("fault"))
            : call.fault().orElse(null);
    LatencyProfile latency =
        new LatencyProfile(
            parameters.getInt("ttftMs", (int) service.latency().ttftMillis()),
            parameters.getInt("itlMs", (int) service.latency().itlMillis()),
            service.latency().jitterMillis());
    PlainAnswer answer = service.answer(call, fault, latency);
    if (answer.reset()) {
      return responseDefinition().withFault(Fault.CONNECTION_RESET_BY_PEER).build();
    }
    if (answer.error() != null) {
      return error(answer.error());
    }
    ResponseDefinitionBuilder builder =
        call.request().stream()
            ? bufferedStream(call, answer.completion())
            : json(200, Responses.completion(call.info(), answer.completion()));
    // No delay at all when none is due: a zero delay still sends the answer through WireMock's
    // scheduler, a thread hop per request.
    return answer.delayMillis() > 0
        ? builder.withFixedDelay((int) Math.min(Integer.MAX_VALUE, answer.delayMillis())).build()
        : builder.build();
  }

  /** A whole stream in one body: only for stubs of yours that route streams here. */
  private static ResponseDefinitionBuilder bufferedStream(
      ChatService.Call call, Completion completion) {
    StringBuilder body = new StringBuilder();
    for (int i = 0; i < completion.tokens().size(); i++) {
      body.append(
          Responses.chunkFrame(call.info(), completion.tokens().get(i), i == 0, null, null));
    }
    body.append(
        Responses.chunkFrame(
            call.info(), null, completion.tokens().isEmpty(), completion.finishReason(), null));
    body.append(Responses.DONE_FRAME);
    return responseDefinition()
        .withStatus(200)
        .withHeader("Content-Type", Responses.EVENT_STREAM)
        .withBody(body.toString());
  }

  private static ResponseDefinitionBuilder json(int status, String body) {
    return responseDefinition()
        .withStatus(status)
        .withHeader("Content-Type", Responses.JSON)
        .withBody(body);
  }

  static ResponseDefinition error(ApiError error) {
    ResponseDefinitionBuilder builder = json(error.status(), error.toJson());
    if (error.retryAfterSeconds() != null) {
      builder.withHeader("Retry-After", String.valueOf(error.retryAfterSeconds()));
    }
    if (error.status() == 405) {
      builder.withHeader("Allow", "POST");
    }
    return builder.build();
  }

  @Override
  public String toString() {
    return NAME
        + " "
        + service.faults().rates().entrySet().stream()
            .map(e -> e.getKey().id() + "=" + e.getValue())
            .collect(Collectors.joining(","));
  }
}
