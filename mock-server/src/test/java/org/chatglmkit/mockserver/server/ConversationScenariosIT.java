package org.chatglmkit.mockserver.server;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.extension.Parameters;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import org.chatglmkit.mockserver.core.Json;
import org.chatglmkit.mockserver.core.LatencyProfile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A client team's test suite, as docs/reference-server.md shows it: the server embedded in JUnit 5,
 * stubs that match on the conversation and answer with scripted text, a fault or a latency;
 * streamed answers stay paced event by event.
 */
class ConversationScenariosIT {
  ReferenceServer server;
  Http http;

  @BeforeEach
  void start() {
    server =
        ReferenceServer.start(
            ServerConfig.builder()
                .port(0)
                .apiKey(Http.KEY)
                .latency(new LatencyProfile(20, 10, 0))
                .build());
    http = new Http(server.baseUrl());
    // the second turn that asks about a refund gets a scripted answer
    server
        .wireMock()
        .stubFor(
            post(urlPathEqualTo("/v1/chat/completions"))
                .andMatching(
                    ConversationMatcher.NAME,
                    Parameters.from(Map.of("turns", 2, "lastUserMessage", "refund")))
                .willReturn(
                    aResponse()
                        .withTransformers(ApiTransformer.NAME)
                        .withTransformerParameter("reply", "Your refund is on its way.")));
    // a request that offers tools meets a stream cut after two events
    server
        .wireMock()
        .stubFor(
            post(urlPathEqualTo("/v1/chat/completions"))
                .andMatching(ConversationMatcher.NAME, Parameters.one("hasTools", true))
                .willReturn(
                    aResponse()
                        .withTransformers(ApiTransformer.NAME)
                        .withTransformerParameter("fault", "cut;after=2")));
    // the slow model answers its first token after 300 ms
    server
        .wireMock()
        .stubFor(
            post(urlPathEqualTo("/v1/chat/completions"))
                .andMatching(ConversationMatcher.NAME, Parameters.one("model", "glm-slow"))
                .willReturn(
                    aResponse()
                        .withTransformers(ApiTransformer.NAME)
                        .withTransformerParameter("ttftMs", 300)));
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private static String conversation(String extra, String... turns) {
    StringBuilder messages = new StringBuilder();
    for (int i = 0; i < turns.length; i++) {
      if (i > 0) {
        messages.append(',');
      }
      messages
          .append("{\"role\":\"")
          .append(i % 2 == 0 ? "user" : "assistant")
          .append("\",\"content\":\"")
          .append(turns[i])
          .append("\"}");
    }
    return "{\"messages\":[" + messages + "]" + (extra.isEmpty() ? "" : "," + extra) + "}";
  }

  private static JsonNode json(String text) throws java.io.IOException {
    return Json.MAPPER.readTree(text);
  }

  private static String content(List<Http.Event> events) throws java.io.IOException {
    StringBuilder text = new StringBuilder();
    for (Http.Event event : events) {
      if (!event.data().equals("[DONE]")) {
        text.append(
            json(event.data()).path("choices").path(0).path("delta").path("content").asText(""));
      }
    }
    return text.toString();
  }

  @Test
  void theSecondTurnAboutARefundGetsTheScriptedAnswerStreamedTokenByToken() throws Exception {
    String body =
        conversation("\"stream\":true", "Hello", "Hi! How can I help?", "Where is my refund?");
    List<Http.Event> events = http.stream(http.chat(body).header("API-KEY", Http.KEY));
    assertThat(content(events)).isEqualTo("Your refund is on its way.");
    // six words, paced 10 ms apart: not one body
    assertThat(events.get(events.size() - 1).atMillis() - events.get(0).atMillis())
        .isGreaterThanOrEqualTo(40);
    // unstreamed, the same text; the first turn is not matched and gets the server's own answer
    JsonNode answer =
        json(http.post(conversation("", "Hello", "Hi!", "Where is my refund?")).body());
    assertThat(answer.at("/choices/0/message/content").asText())
        .isEqualTo("Your refund is on its way.");
    assertThat(answer.at("/usage/completion_tokens").asInt()).isEqualTo(6);
    assertThat(
            json(http.post(conversation("", "Where is my refund?")).body())
                .at("/choices/0/message/content")
                .asText())
        .isNotEqualTo("Your refund is on its way.");
  }

  @Test
  void aRequestWithToolsMeetsACutStream() throws Exception {
    String tools =
        "\"stream\":true,\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"lookup\","
            + "\"parameters\":{\"type\":\"object\",\"properties\":{}}}}]";
    List<Http.Event> events =
        http.stream(http.chat(conversation(tools, "Hello")).header("API-KEY", Http.KEY));
    assertThat(events).hasSize(2).noneMatch(event -> event.data().equals("[DONE]"));
    // without tools the same request streams to its end
    List<Http.Event> whole =
        http.stream(
            http.chat(conversation("\"stream\":true", "Hello")).header("API-KEY", Http.KEY));
    assertThat(whole.get(whole.size() - 1).data()).isEqualTo("[DONE]");
  }

  @Test
  void theSlowModelAnswersLate() throws Exception {
    List<Http.Event> slow =
        http.stream(
            http.chat(conversation("\"stream\":true,\"model\":\"glm-slow\"", "Hello"))
                .header("API-KEY", Http.KEY));
    assertThat(slow.get(0).atMillis()).isGreaterThanOrEqualTo(300);
    List<Http.Event> usual =
        http.stream(
            http.chat(conversation("\"stream\":true", "Hello")).header("API-KEY", Http.KEY));
    assertThat(usual.get(0).atMillis()).isLessThan(300);
  }

  @Test
  void aStubOfYoursWithItsOwnBodyAnswersAStreamAsItSays() throws Exception {
    server
        .wireMock()
        .stubFor(
            post(urlPathEqualTo("/v1/chat/completions"))
                .andMatching(ConversationMatcher.NAME, Parameters.one("lastUserMessage", "canned"))
                .willReturn(
                    aResponse()
                        .withHeader("Content-Type", "text/event-stream")
                        .withBody("data: {\"canned\":true}\n\ndata: [DONE]\n\n")));
    HttpResponse<String> response =
        http.send(
            http.chat(conversation("\"stream\":true", "a canned answer please"))
                .header("API-KEY", Http.KEY));
    assertThat(response.body()).isEqualTo("data: {\"canned\":true}\n\ndata: [DONE]\n\n");
  }

  @Test
  void aConditionThatCannotHoldMatchesNothing() {
    assertThat(ConversationMatcher.matches("not json".getBytes(), Parameters.one("turns", 1)))
        .isFalse();
    assertThat(
            ConversationMatcher.matches(
                conversation("", "hi").getBytes(), Parameters.one("unknownCondition", 1)))
        .isFalse();
    assertThat(
            ConversationMatcher.matches(
                conversation("", "hi", "ok", "tool result").getBytes(),
                Parameters.from(Map.of("turns", 2, "lastRole", "user"))))
        .isTrue();
  }
}
