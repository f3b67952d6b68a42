package org.chatglmkit.mockserver.server;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.http.ImmutableRequest;
import com.github.tomakehurst.wiremock.http.RequestMethod;
import com.github.tomakehurst.wiremock.http.ResponseDefinition;
import com.github.tomakehurst.wiremock.matching.RequestMatcherExtension;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import com.github.tomakehurst.wiremock.stubbing.StubMapping;
import java.util.Map;
import java.util.Optional;
import org.chatglmkit.mockserver.core.ChatService;
import org.chatglmkit.mockserver.core.LatencyProfile;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.server.Request;

/**
 * Which stub a streaming chat call meets, while stubs of yours exist: WireMock writes a body in one
 * piece, so a stream that the API is to answer (an API stub, or a stub of yours that names the
 * {@code chatglm-api} transformer) is answered and paced by the front handler, with that stub's
 * parameters; a stub of yours that answers by itself is left to WireMock.
 *
 * <p>Stubs are tried as WireMock tries them (priority, then the newest first). A stub that changes
 * a scenario's state is left to WireMock, which keeps the state.
 */
final class StreamStubs {
  private final WireMockServer wireMock;
  private final LatencyProfile serverLatency;
  private final double replaySpeed;
  private final Map<String, RequestMatcherExtension> matchers;

  StreamStubs(WireMockServer wireMock, LatencyProfile serverLatency, double replaySpeed) {
    this.wireMock = wireMock;
    this.serverLatency = serverLatency;
    this.replaySpeed = replaySpeed;
    this.matchers = Map.of(ConversationMatcher.NAME, new ConversationMatcher());
  }

  /**
   * The overrides of the stub that answers this streaming call through the API, or empty when
   * WireMock is to answer it (a stub of yours with its own response, one in a scenario that changes
   * state, or none at all).
   */
  Optional<ChatService.Overrides> apiAnswers(Request request, byte[] body) {
    ImmutableRequest.Builder wanted =
        ImmutableRequest.create()
            .withAbsoluteUrl(request.getHttpURI().asString())
            .withMethod(RequestMethod.fromString(request.getMethod()))
            .withBody(body);
    for (HttpField field : request.getHeaders()) {
      wanted.withHeader(field.getName(), field.getValue());
    }
    ImmutableRequest call = wanted.build();
    for (StubMapping stub : wireMock.getStubMappings()) {
      if (!inState(stub) || !stub.getRequest().match(call, matchers).isExactMatch()) {
        continue;
      }
      ResponseDefinition response = stub.getResponse();
      String operation =
          response.getTransformerParameters() == null
              ? "chat"
              : response.getTransformerParameters().getString("operation", "chat");
      if (stub.modifiesScenarioState()
          || response.getTransformers() == null
          || !response.getTransformers().contains(ApiTransformer.NAME)
          || !(operation.equals("chat") || operation.equals("replay"))) {
        return Optional.empty();
      }
      try {
        return Optional.of(
            ApiTransformer.overrides(
                response.getTransformerParameters(), serverLatency, replaySpeed));
      } catch (IllegalArgumentException e) {
        return Optional.empty(); // WireMock's transformer answers it with the stub's error
      }
    }
    return Optional.empty();
  }

  private boolean inState(StubMapping stub) {
    if (!stub.isInScenario() || stub.getRequiredScenarioState() == null) {
      return true;
    }
    return wireMock.getAllScenarios().getScenarios().stream()
        .filter(scenario -> scenario.getName().equals(stub.getScenarioName()))
        .map(Scenario::getState)
        .findFirst()
        .orElse(Scenario.STARTED)
        .equals(stub.getRequiredScenarioState());
  }
}
