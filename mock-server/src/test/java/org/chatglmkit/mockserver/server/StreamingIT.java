package org.chatglmkit.mockserver.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.chatglmkit.mockserver.core.Fault;
import org.chatglmkit.mockserver.core.FaultKind;
import org.chatglmkit.mockserver.core.FaultPolicy;
import org.chatglmkit.mockserver.core.LatencyProfile;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Paced streaming, stalls, configured fault rates and clients that leave mid-stream. */
class StreamingIT {
  static ReferenceServer server;
  static Http http;

  @BeforeAll
  static void start() {
    server =
        ReferenceServer.start(
            ServerConfig.builder()
                .port(0)
                .apiKey(Http.KEY)
                .latency(new LatencyProfile(200, 20, 0))
                .faults(new FaultPolicy(Map.of(), 1, 600))
                .replyTokens(20)
                .build());
    http = new Http(server.baseUrl());
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  void sendsEachTokenWhenItIsDueNotAllAtTheEnd() throws Exception {
    List<Http.Event> events =
        http.stream(
            http.chat(Http.body("pace me", "\"stream\": true")).header("API-KEY", Http.KEY));
    assertThat(events).hasSize(22);
    double first = events.get(0).atMillis();
    double last = events.get(events.size() - 1).atMillis();
    // First token at the configured TTFT; 19 more gaps of 20 ms before the end.
    assertThat(first).isBetween(190.0, 400.0);
    assertThat(last - first).isGreaterThan(19 * 20 * 0.8);
    // and the server counted what it wrote: 20 tokens, the final chunk, [DONE], at least
    assertThat(server.pacing().all().events()).isGreaterThanOrEqualTo(22);
  }

  @Test
  void thePacerRunsAboveJettysThreads() throws Exception {
    // a stream, so that Jetty's pool and the pacer both have threads to look at
    assertThat(
            http.stream(http.chat(Http.body("hi", "\"stream\": true")).header("API-KEY", Http.KEY)))
        .isNotEmpty();
    Set<Thread> threads = Thread.getAllStackTraces().keySet();
    List<Thread> jetty = threads.stream().filter(t -> t.getName().startsWith("qtp")).toList();
    List<Thread> pacer = threads.stream().filter(t -> t.getName().startsWith("sse-pacer")).toList();
    assertThat(jetty).isNotEmpty().allMatch(t -> t.getPriority() == Thread.MIN_PRIORITY);
    assertThat(pacer).isNotEmpty().allMatch(t -> t.getPriority() == Thread.NORM_PRIORITY);
  }

  @Test
  void stallsAStreamThenEndsItWithoutDone() throws Exception {
    long start = System.nanoTime();
    List<Http.Event> events =
        http.stream(
            http.chat(Http.body("stall", "\"stream\": true"))
                .header("API-KEY", Http.KEY)
                .header("X-ChatGLM-Fault", "stall"));
    double elapsed = (System.nanoTime() - start) / 1e6;
    assertThat(events).hasSize(Fault.DEFAULT_AFTER);
    assertThat(elapsed).isGreaterThan(600);
  }

  @Test
  void freesAStreamWhenTheClientLeaves() throws Exception {
    HttpResponse<InputStream> response =
        Http.CLIENT.send(
            http.chat(Http.body("leave early", "\"stream\": true"))
                .header("API-KEY", Http.KEY)
                .build(),
            HttpResponse.BodyHandlers.ofInputStream());
    InputStream body = response.body();
    assertThat(body.read()).isEqualTo('d');
    assertThat(server.activeStreams()).isEqualTo(1);
    body.close();
    long deadline = System.currentTimeMillis() + 3000;
    while (server.activeStreams() > 0 && System.currentTimeMillis() < deadline) {
      Thread.sleep(20);
    }
    assertThat(server.activeStreams()).isZero();
    assertThat(http.post(Http.body("still serving", "")).statusCode()).isEqualTo(200);
  }

  @Test
  void injectsConfiguredFaultRates() throws Exception {
    try (ReferenceServer always529 =
        ReferenceServer.start(
            ServerConfig.builder()
                .port(0)
                .apiKey(Http.KEY)
                .faults(new FaultPolicy(Map.of(FaultKind.OVERLOADED, 1.0), 7, 1000))
                .build())) {
      Http client = new Http(always529.baseUrl());
      for (int i = 0; i < 5; i++) {
        HttpResponse<String> response = client.post(Http.body("x", ""));
        assertThat(response.statusCode()).isEqualTo(529);
        assertThat(response.headers().firstValue("Retry-After")).hasValue("7");
      }
    }
  }
}
