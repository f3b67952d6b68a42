package org.chatglmkit.mockserver.server;

import static com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder.responseDefinition;

import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.extension.Parameters;
import com.github.tomakehurst.wiremock.extension.ResponseDefinitionTransformerV2;
import com.github.tomakehurst.wiremock.http.ResponseDefinition;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import java.util.stream.Collectors;
import org.chatglmkit.mockserver.core.Answer;
import org.chatglmkit.mockserver.core.ApiError;
import org.chatglmkit.mockserver.core.ApiException;
import org.chatglmkit.mockserver.core.ChatService;
import org.chatglmkit.mockserver.core.Fault;
import org.chatglmkit.mockserver.core.FaultKind;
import org.chatglmkit.mockserver.core.LatencyProfile;
import org.chatglmkit.mockserver.core.Recording;
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
  private final double replaySpeed;

  public ApiTransformer(ChatService service) {
    this(service, 1);
  }

  /**
   * @param replaySpeed how much faster than recorded the recordings are replayed
   */
  public ApiTransformer(ChatService service, double replaySpeed) {
    this.service = service;
    this.replaySpeed = replaySpeed;
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
          case "replay" ->
              Answer.Route.of(
                  request.getMethod().getName(),
                  new ChatService.Incoming("", request.getUrl(), name -> null, new byte[0]).path());
          default -> Answer.Route.CHAT;
        };
    ChatService.Overrides overrides;
    try {
      overrides = overrides(parameters, service.latency(), replaySpeed);
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

  /**
   * A stub's parameters as overrides of the server's answer: {@code fault}, {@code ttftMs}, {@code
   * itlMs} and {@code reply}.
   *
   * @throws IllegalArgumentException for a fault that does not parse
   */
  static ChatService.Overrides overrides(
      Parameters parameters, LatencyProfile server, double replaySpeed) {
    if (parameters == null) {
      return ChatService.Overrides.NONE;
    }
    if ("replay".equals(parameters.getString("operation", "chat"))) {
      double speed =
          replaySpeed
              * (parameters.get("speed") instanceof Number factor ? factor.doubleValue() : 1.0);
      if (!(speed > 0)) {
        throw new IllegalArgumentException("a replay's speed must be above 0");
      }
      return ChatService.Overrides.replay(Recording.fromParameters(parameters).faster(speed));
    }
    Fault fault =
        parameters.containsKey("fault") ? Fault.parse(parameters.getString("fault")) : null;
    LatencyProfile latency = null;
    if (parameters.containsKey("ttftMs") || parameters.containsKey("itlMs")) {
      latency =
          new LatencyProfile(
              parameters.getInt("ttftMs", (int) server.ttftMillis()),
              parameters.getInt("itlMs", (int) server.itlMillis()),
              server.jitterMillis());
    }
    String reply = parameters.containsKey("reply") ? parameters.getString("reply") : null;
    return new ChatService.Overrides(fault, latency, reply);
  }

  /** The answer as WireMock sends it. */
  static ResponseDefinition definition(Answer answer) {
    ResponseDefinition definition = bare(answer);
    if (answer.headers().isEmpty()) {
      return definition;
    }
    ResponseDefinitionBuilder builder = ResponseDefinitionBuilder.like(definition);
    answer.headers().forEach(builder::withHeader);
    return builder.build();
  }

  private static ResponseDefinition bare(Answer answer) {
    if (answer instanceof Answer.Refused refused) {
      return error(refused.error());
    }
    if (answer instanceof Answer.Replayed replayed) {
      Recording recording = replayed.recording();
      ResponseDefinitionBuilder builder =
          responseDefinition().withStatus(recording.status()).withBody(recording.wholeBody());
      recording.headers().forEach(builder::withHeader);
      return delayed(builder, Math.round(recording.atMillis()));
    }
    if (answer instanceof Answer.Reset) {
      return responseDefinition()
          .withFault(com.github.tomakehurst.wiremock.http.Fault.CONNECTION_RESET_BY_PEER)
          .build();
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
