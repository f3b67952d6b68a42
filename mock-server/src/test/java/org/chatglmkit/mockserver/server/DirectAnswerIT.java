package org.chatglmkit.mockserver.server;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.tomakehurst.wiremock.stubbing.StubMapping;
import java.io.IOException;
import java.net.http.HttpResponse;
import org.chatglmkit.mockserver.core.FaultKind;
import org.chatglmkit.mockserver.core.LatencyProfile;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * With the journal off and no stub of the user's, unstreamed chat is answered by the front handler
 * (WireMock would add its Matched-Stub-Id header); the answer is the same, and a user stub takes
 * over the moment it is added.
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
    HttpResponse<String> viaWireMock = new Http(journaled.baseUrl()).post(BODY);
    assertThat(fast.headers().firstValue("Matched-Stub-Id")).isEmpty();
    assertThat(viaWireMock.headers().firstValue("Matched-Stub-Id")).isPresent();
    assertThat(fast.statusCode()).isEqualTo(200);
    assertThat(fast.headers().firstValue("Content-Type")).hasValue("application/json");
    String content = "\"content\"";
    assertThat(fast.body().substring(fast.body().indexOf(content)))
        .isEqualTo(viaWireMock.body().substring(viaWireMock.body().indexOf(content)));
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
    } finally {
      direct.wireMock().removeStub(mine);
    }
    HttpResponse<String> after = http.post(BODY);
    assertThat(after.body()).contains("chat.completion");
    assertThat(after.headers().firstValue("Matched-Stub-Id")).isEmpty();
  }
}
