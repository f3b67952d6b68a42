package org.chatglmkit.mockserver.server;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import com.github.tomakehurst.wiremock.stubbing.StubMapping;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.util.List;
import org.chatglmkit.mockserver.core.ChatBackend;
import org.chatglmkit.mockserver.core.ChatRequest;
import org.chatglmkit.mockserver.core.FaultKind;
import org.chatglmkit.mockserver.core.LatencyProfile;
import org.chatglmkit.mockserver.core.TokenSink;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * While WireMock holds only the API's stubs, every API call is answered by the front handler
 * (WireMock would add its Matched-Stub-Id header), journal on or off; the answer is the same as
 * through WireMock, the journal records it as WireMock would, and a user stub takes over the moment
 * it is added.
 */
class DirectAnswerIT {
  private static final String BODY =
      "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"temperature\": 0}";

  static ReferenceServer direct;
  static ReferenceServer journaled;

  @BeforeAll
  static void start() {
    ServerConfig.Builder config =
        ServerConfig.builder().port(0).apiKey(Http.KEY).latency(new LatencyProfile(40, 0, 0));
    direct = ReferenceServer.start(config.requestJournal(false).build());
    journaled = ReferenceServer.start(config.requestJournal(true).build());
  }

  @AfterAll
  static void stop() {
    direct.close();
    journaled.close();
  }

  @Test
  void answersTheSameWithoutWireMockInBetween() throws Exception {
    HttpResponse<String> fast = new Http(direct.baseUrl()).post(BODY);
    HttpResponse<String> fastJournaled = new Http(journaled.baseUrl()).post(BODY);
    // A stub of yours that names the API transformer sends the call through WireMock.
    StubMapping throughWireMock =
        journaled
            .wireMock()
            .stubFor(
                post(urlPathEqualTo("/v1/chat/completions"))
                    .atPriority(1)
                    .withHeader("X-Route", equalTo("wiremock"))
                    .willReturn(aResponse().withTransformers(ApiTransformer.NAME)));
    HttpResponse<String> viaWireMock;
    try {
      Http http = new Http(journaled.baseUrl());
      viaWireMock =
          http.send(http.chat(BODY).header("API-KEY", Http.KEY).header("X-Route", "wiremock"));
    } finally {
      journaled.wireMock().removeStub(throughWireMock);
    }
    assertThat(fast.headers().firstValue("Matched-Stub-Id")).isEmpty();
    assertThat(fastJournaled.headers().firstValue("Matched-Stub-Id")).isEmpty();
    assertThat(viaWireMock.headers().firstValue("Matched-Stub-Id")).isPresent();
    String content = "\"content\"";
    for (HttpResponse<String> answer : List.of(fast, fastJournaled, viaWireMock)) {
      assertThat(answer.statusCode()).isEqualTo(200);
      assertThat(answer.headers().firstValue("Content-Type")).hasValue("application/json");
      assertThat(answer.body().substring(answer.body().indexOf(content)))
          .isEqualTo(fast.body().substring(fast.body().indexOf(content)));
    }
  }

  @Test
  void journalsWhatItAnswersDirectlyAsWireMockWould() throws Exception {
    journaled.wireMock().resetRequests();
    Http http = new Http(journaled.baseUrl());
    assertThat(http.post(BODY).statusCode()).isEqualTo(200);
    List<Http.Event> events =
        http.stream(
            http.chat(Http.body("stream me", "\"stream\": true")).header("API-KEY", Http.KEY));
    assertThat(events.get(events.size() - 1).data()).isEqualTo("[DONE]");
    assertThat(http.send(http.chat(BODY)).statusCode()).isEqualTo(401);
    assertThat(http.get("/v1/nothing").statusCode()).isEqualTo(404);

    List<ServeEvent> journal = journaled.wireMock().getAllServeEvents();
    assertThat(journal).hasSize(4);
    // newest first
    assertThat(journal.get(0).getRequest().getUrl()).isEqualTo("/v1/nothing");
    assertThat(journal.get(0).getResponse().getStatus()).isEqualTo(404);
    assertThat(journal.get(1).getResponse().getStatus()).isEqualTo(401);
    assertThat(journal.get(2).getRequest().getBodyAsString()).contains("stream me");
    assertThat(journal.get(2).getResponse().getHeaders().getHeader("Content-Type").firstValue())
        .isEqualTo("text/event-stream");
    assertThat(journal.get(3).getResponse().getBodyAsString()).contains("chat.completion");
    for (ServeEvent event : journal) {
      assertThat(event.getWasMatched()).as("matched an API stub").isTrue();
      assertThat(event.getStubMapping().getResponse().getTransformers())
          .containsExactly(ApiTransformer.NAME);
      assertThat(event.getRequest().toString()).doesNotContain(Http.KEY);
    }
    assertThat(journal.get(3).getRequest().getHeader("API-KEY")).isEqualTo("…6789");
    // WireMock's own lookups see them
    assertThat(
            journaled
                .wireMock()
                .countRequestsMatching(
                    postRequestedFor(urlPathEqualTo("/v1/chat/completions")).build())
                .getCount())
        .isEqualTo(3);
    assertThat(journaled.wireMock().findAllUnmatchedRequests()).isEmpty();
  }

  @Test
  void aFaultOfTheServersOwnIsAJson500AndTheServerGoesOn() throws Exception {
    ChatBackend broken =
        new ChatBackend() {
          @Override
          public String modelName() {
            return "broken";
          }

          @Override
          public Generation generate(ChatRequest request, TokenSink sink) {
            throw new IllegalStateException("a bug in the backend");
          }
        };
    try (ReferenceServer server =
        ReferenceServer.start(ServerConfig.builder().port(0).apiKey(Http.KEY).build(), broken)) {
      Http http = new Http(server.baseUrl());
      for (String body : List.of(BODY, Http.body("hi", "\"stream\": true"))) {
        HttpResponse<String> answer = http.post(body);
        assertThat(answer.statusCode()).isEqualTo(500);
        assertThat(answer.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(answer.body())
            .contains("\"api_error\"")
            .doesNotContain("<html")
            .doesNotContain("at org.");
      }
      assertThat(http.get("/v1/models").statusCode()).isEqualTo(200);
    }
  }

  @Test
  void waitsTheLatencyProfileAndInjectsFaults() throws Exception {
    Http http = new Http(direct.baseUrl());
    long start = System.nanoTime();
    assertThat(http.post(BODY).statusCode()).isEqualTo(200);
    assertThat((System.nanoTime() - start) / 1e6).isGreaterThanOrEqualTo(40);
    HttpResponse<String> busy =
        http.send(http.chat(BODY).header("API-KEY", Http.KEY).header(FaultKind.HEADER, "429"));
    assertThat(busy.statusCode()).isEqualTo(429);
    assertThat(busy.headers().firstValue("Retry-After")).isPresent();
    assertThatThrownBy(
            () ->
                http.send(
                    http.chat(BODY).header("API-KEY", Http.KEY).header(FaultKind.HEADER, "reset")))
        .isInstanceOf(IOException.class);
    assertThat(http.send(http.chat(BODY)).statusCode()).isEqualTo(401);
  }

  @Test
  void handsOverToWireMockWhileAUserStubExists() throws Exception {
    Http http = new Http(direct.baseUrl());
    StubMapping mine =
        direct
            .wireMock()
            .stubFor(
                post(urlPathEqualTo("/v1/chat/completions"))
                    .willReturn(aResponse().withStatus(200).withBody("mine")));
    try {
      assertThat(http.post(BODY).body()).isEqualTo("mine");
      // a stream that your stub matches gets your stub's answer, from WireMock
      HttpResponse<String> yours =
          http.send(
              http.chat(Http.body("stream me", "\"stream\": true")).header("API-KEY", Http.KEY));
      assertThat(yours.body()).isEqualTo("mine");
      assertThat(yours.headers().firstValue("Matched-Stub-Id")).isPresent();
    } finally {
      direct.wireMock().removeStub(mine);
    }
    StubMapping narrow =
        direct
            .wireMock()
            .stubFor(
                post(urlPathEqualTo("/v1/chat/completions"))
                    .withRequestBody(
                        com.github.tomakehurst.wiremock.client.WireMock.containing("only me"))
                    .willReturn(aResponse().withStatus(200).withBody("mine")));
    try {
      // a stream your stub does not match is answered by the API and paced in front of WireMock
      // (which would add Matched-Stub-Id)
      HttpResponse<String> stream =
          http.send(
              http.chat(Http.body("stream me", "\"stream\": true")).header("API-KEY", Http.KEY));
      assertThat(stream.headers().firstValue("Content-Type")).hasValue("text/event-stream");
      assertThat(stream.headers().firstValue("Matched-Stub-Id")).isEmpty();
      assertThat(stream.body()).endsWith("data: [DONE]\n\n");
    } finally {
      direct.wireMock().removeStub(narrow);
    }
    HttpResponse<String> after = http.post(BODY);
    assertThat(after.body()).contains("chat.completion");
    assertThat(after.headers().firstValue("Matched-Stub-Id")).isEmpty();
  }
}
