package org.chatglmkit.mockserver.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.chatglmkit.mockserver.core.FaultKind;
import org.chatglmkit.mockserver.core.FaultPolicy;
import org.chatglmkit.mockserver.core.LatencyProfile;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The stream faults on the wire: what a client reads, and how the connection ends. */
class StreamFaultsIT {
  static ReferenceServer server;
  static Http http;

  @BeforeAll
  static void start() {
    server =
        ReferenceServer.start(
            ServerConfig.builder()
                .port(0)
                .apiKey(Http.KEY)
                .latency(new LatencyProfile(20, 5, 0))
                .faults(new FaultPolicy(Map.of(), 1, 600))
                .replyTokens(12)
                .requestJournal(false)
                .build());
    http = new Http(server.baseUrl());
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  /** The whole body as read, and when the headers came (ms after sending). */
  record Read(String body, double headersMillis) {}

  private static Read read(String fault) throws Exception {
    long start = System.nanoTime();
    HttpResponse<InputStream> response =
        Http.CLIENT.send(
            http.chat(Http.body("hi", "\"stream\": true"))
                .header("API-KEY", Http.KEY)
                .header(FaultKind.HEADER, fault)
                .build(),
            HttpResponse.BodyHandlers.ofInputStream());
    double headers = (System.nanoTime() - start) / 1e6;
    assertThat(response.statusCode()).isEqualTo(200);
    try (InputStream body = response.body()) {
      return new Read(new String(body.readAllBytes(), StandardCharsets.UTF_8), headers);
    }
  }

  private static long count(String text, String part) {
    return text.split(java.util.regex.Pattern.quote(part), -1).length - 1L;
  }

  @Test
  void aCutEndsTheResponseCleanlyWithoutDone() throws Exception {
    Read read = read("cut;after=5");
    assertThat(count(read.body(), "data: ")).isEqualTo(5);
    assertThat(read.body()).doesNotContain("[DONE]").endsWith("\n\n");
  }

  @Test
  void aCutByResetFailsTheReadAfterTheFirstEvents() {
    assertThatThrownBy(() -> read("cut-reset;after=5")).isInstanceOf(IOException.class);
  }

  @Test
  void aMalformedChunkThenTheRestOfTheStream() throws Exception {
    Read read = read("malformed-chunk");
    assertThat(count(read.body(), "data: ")).isEqualTo(12 + 2);
    assertThat(read.body()).contains("[DONE]");
  }

  @Test
  void aDuplicatedEvent() throws Exception {
    String body = read("duplicate-event").body();
    String[] events = body.split("\n\n");
    assertThat(events[3]).isEqualTo(events[4]);
    assertThat(events).hasSize(12 + 3);
  }

  @Test
  void heldHeadersComeLate() throws Exception {
    Read read = read("hold-headers;ms=400");
    assertThat(read.headersMillis()).isGreaterThanOrEqualTo(400);
    assertThat(read.body()).contains("[DONE]");
    assertThat(read("keepalive-flood;n=3").headersMillis()).isLessThan(400);
  }

  @Test
  void aFloodOfKeepAliveComments() throws Exception {
    String body = read("keepalive-flood;n=40").body();
    assertThat(count(body, ": keep-alive\n\n")).isEqualTo(40L * 13);
    assertThat(count(body, "data: ")).isEqualTo(12 + 2);
  }

  @Test
  void noFinalChunk() throws Exception {
    String body = read("no-final-chunk").body();
    assertThat(body).doesNotContain("finish_reason\":\"").endsWith("data: [DONE]\n\n");
  }
}
