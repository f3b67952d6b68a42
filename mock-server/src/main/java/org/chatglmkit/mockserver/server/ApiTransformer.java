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
import org.chatglmkit.mockserver.core.Answer;
import org.chatglmkit.mockserver.core.ApiError;
import org.chatglmkit.mockserver.core.ApiException;
import org.chatglmkit.mockserver.core.ChatService;
import org.chatglmkit.mockserver.core.FaultKind;
import org.chatglmkit.mockserver.core.LatencyProfile;
import org.chatglmkit.mockserver.core.Responses;

/**
 * The WireMock face of the API: stubs that name this transformer get the core's {@link Answer},
 * translated into a WireMock response. It serves while a stub of yours exists (the front handler
 * answers directly otherwise); a stream comes as one body, since WireMock cannot send events one by
 * one.
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
    Answer.Route route =
        switch (parameters.getString("operation", "chat")) {
          case "models" -> Answer.Route.MODELS;
          case "not-found" -> Answer.Route.NOT_FOUND;
          case "method-not-allowed" -> Answer.Route.CHAT_WRONG_METHOD;
          default -> Answer.Route.CHAT;
        };
    ChatService.Overrides overrides;
    try {
      overrides = overrides(parameters);
    } catch (IllegalArgumentException e) {
      return error(ApiError.internal("stub " + NAME + ": " + e.getMessage()));
    }
    Answer answer =
        service.decide(
            new ChatService.Incoming(
                request.getMethod().getName(),
                request.getUrl(),
                request::getHeader,
                request.getBody()),
            route,
            overrides);
    return definition(answer);
  }

  private ChatService.Overrides overrides(Parameters parameters) {
    FaultKind fault =
        parameters.containsKey("fault") ? FaultKind.parse(parameters.getString("fault")) : null;
    LatencyProfile latency = null;
    if (parameters.containsKey("ttftMs") || parameters.containsKey("itlMs")) {
      LatencyProfile server = service.latency();
      latency =
          new LatencyProfile(
              parameters.getInt("ttftMs", (int) server.ttftMillis()),
              parameters.getInt("itlMs", (int) server.itlMillis()),
              server.jitterMillis());
    }
    return new ChatService.Overrides(fault, latency);
  }

  /** The answer as WireMock sends it. */
  static ResponseDefinition definition(Answer answer) {
    if (answer instanceof Answer.Refused refused) {
      return error(refused.error());
    }
    if (answer instanceof Answer.Reset) {
      return responseDefinition().withFault(Fault.CONNECTION_RESET_BY_PEER).build();
    }
    if (answer instanceof Answer.Completed completed) {
      return delayed(json(200, completed.json()), completed.dueMillis());
    }
    Answer.Whole whole;
    try {
      whole = ((Answer.Streamed) answer).whole();
    } catch (ApiException e) {
      return error(e.error());
    }
    return delayed(
        responseDefinition()
            .withStatus(200)
            .withHeader("Content-Type", Responses.EVENT_STREAM)
            .withBody(whole.body()),
        whole.dueMillis());
  }

  /**
   * No delay at all when none is due: a zero delay still sends the answer through WireMock's
   * scheduler, a thread hop per request.
   */
  private static ResponseDefinition delayed(ResponseDefinitionBuilder builder, long dueMillis) {
    return dueMillis > 0
        ? builder.withFixedDelay((int) Math.min(Integer.MAX_VALUE, dueMillis)).build()
        : builder.build();
  }

  private static ResponseDefinitionBuilder json(int status, String body) {
    return responseDefinition()
        .withStatus(status)
        .withHeader("Content-Type", Responses.JSON)
        .withBody(body);
  }

  static ResponseDefinition error(ApiError error) {
    ResponseDefinitionBuilder builder = json(error.status(), error.toJson());
    error.headers().forEach(builder::withHeader);
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
