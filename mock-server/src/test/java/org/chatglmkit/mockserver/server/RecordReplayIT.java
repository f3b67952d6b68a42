package org.chatglmkit.mockserver.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.chatglmkit.mockserver.core.LatencyProfile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real server recorded through the reference server, then replayed from the recordings: the same
 * answers, each event at its recorded moment (or faster), matched by conversation, and no key in
 * any recording.
 */
class RecordReplayIT {
  static final String REAL_KEY = "sk-real-server-0123456789";

  @TempDir Path dir;

  private static List<Double> gaps(List<Http.Event> events) {
    return java.util.stream.IntStream.range(1, events.size())
        .mapToObj(i -> events.get(i).atMillis() - events.get(i - 1).atMillis())
        .toList();
  }

  @Test
  void recordsARealServerAndReplaysItAtItsPace() throws Exception {
    String streamed = Http.body("record me", "\"stream\": true");
    String unstreamed = Http.body("record me", "");
    List<Http.Event> original;
    String originalAnswer;
    try (ReferenceServer real =
            ReferenceServer.start(
                ServerConfig.builder()
                    .port(0)
                    .apiKey(REAL_KEY)
                    .latency(new LatencyProfile(150, 30, 0))
                    .replyTokens(8)
                    .build());
        ReferenceServer recorder =
            ReferenceServer.start(
                ServerConfig.builder()
                    .port(0)
                    .recordReplay(new ServerConfig.RecordReplay(URI.create(real.baseUrl()), dir, 1))
                    .build())) {
      Http http = new Http(recorder.baseUrl());
      original = http.stream(http.chat(streamed).header("Authorization", "Bearer " + REAL_KEY));
      // a client that has its whole answer finds it recorded
      assertThat(recorder.recorded()).isEqualTo(1);
      HttpResponse<String> answer =
          http.send(http.chat(unstreamed).header("Authorization", "Bearer " + REAL_KEY));
      assertThat(recorder.recorded()).isEqualTo(2);
      originalAnswer = answer.body();
      assertThat(answer.statusCode()).isEqualTo(200);
      // the answers came through as the real server sent them: a stream event by event
      assertThat(original).hasSize(8 + 2);
      assertThat(original.get(0).atMillis()).isGreaterThanOrEqualTo(150);
      assertThat(gaps(original).subList(0, 6)).allMatch(gap -> gap >= 20);
      // a refused key is passed back, not recorded
      assertThat(http.send(http.chat(unstreamed).header("API-KEY", "wrong-key-0000")).statusCode())
          .isEqualTo(401);
      assertThat(recorder.recorded()).isEqualTo(2);
    }
    List<Path> recordings;
    try (Stream<Path> files = Files.list(dir.resolve("mappings"))) {
      recordings = files.sorted().toList();
    }
    assertThat(recordings).hasSize(2);
    for (Path recording : recordings) {
      assertThat(Files.readString(recording))
          .doesNotContain(REAL_KEY)
          .doesNotContain("wrong-key-0000")
          .contains("\"operation\" : \"replay\"");
    }

    // when each event of the stream came, as the recording says
    List<Double> recorded = new java.util.ArrayList<>();
    for (Path recording : recordings) {
      var events =
          org.chatglmkit.mockserver.core.Json.MAPPER
              .readTree(recording.toFile())
              .at("/response/transformerParameters/events");
      events.forEach(event -> recorded.add(event.path("atMs").asDouble()));
    }
    assertThat(recorded).hasSize(original.size());
    assertThat(recorded.get(0)).isGreaterThanOrEqualTo(150);

    for (double speed : new double[] {1, 3}) {
      try (ReferenceServer replay =
          ReferenceServer.start(
              ServerConfig.builder()
                  .port(0)
                  .apiKey(REAL_KEY)
                  .rootDir(dir)
                  .recordReplay(new ServerConfig.RecordReplay(null, null, speed))
                  .build())) {
        Http http = new Http(replay.baseUrl());
        List<Http.Event> replayed = http.stream(http.chat(streamed).header("API-KEY", REAL_KEY));
        assertThat(replayed.stream().map(Http.Event::data))
            .containsExactlyElementsOf(original.stream().map(Http.Event::data).toList());
        // each event at its recorded moment, scaled
        for (int i = 0; i < recorded.size(); i++) {
          double due = recorded.get(i) / speed;
          assertThat(replayed.get(i).atMillis()).as("event %d", i).isBetween(due - 5, due + 60);
        }
        // the unstreamed answer, whole
        assertThat(http.send(http.chat(unstreamed).header("API-KEY", REAL_KEY)).body())
            .isEqualTo(originalAnswer);
        // the replaying server's own keys hold
        assertThat(http.post(unstreamed).statusCode()).isEqualTo(401);
        // another conversation is not in the recordings: the reference server answers it
        HttpResponse<String> other =
            http.send(http.chat(Http.body("something else", "")).header("API-KEY", REAL_KEY));
        assertThat(other.statusCode()).isEqualTo(200);
        assertThat(other.body()).isNotEqualTo(originalAnswer);
      }
    }
  }

  @Test
  void aRealServerThatMisbehavesIsPassedOnInBoundedTimeAndRecordedAsItCame() throws Exception {
    try (ReferenceServer real =
            ReferenceServer.start(
                ServerConfig.builder()
                    .port(0)
                    .apiKey(REAL_KEY)
                    .latency(new LatencyProfile(20, 5, 0))
                    .build());
        ReferenceServer recorder =
            ReferenceServer.start(
                ServerConfig.builder()
                    .port(0)
                    .recordReplay(new ServerConfig.RecordReplay(URI.create(real.baseUrl()), dir, 1))
                    .build())) {
      Http http = new Http(recorder.baseUrl());
      long start = System.nanoTime();
      // the real server resets the connection after 4 events: the client's read fails too
      try {
        http.stream(
            http.chat(Http.body("cut me", "\"stream\": true"))
                .header("Authorization", "Bearer " + REAL_KEY)
                .header("X-ChatGLM-Fault", "cut-reset;after=4"));
      } catch (java.io.IOException e) {
        // what a client of the real server meets too
      }
      // a body that is no JSON passes through as it is
      HttpResponse<String> garbage =
          http.send(http.chat("{not json").header("Authorization", "Bearer " + REAL_KEY));
      assertThat(garbage.statusCode()).isEqualTo(400);
      assertThat((System.nanoTime() - start) / 1e9).isLessThan(10);
    }
    try (ReferenceServer unreachable =
        ReferenceServer.start(
            ServerConfig.builder()
                .port(0)
                .recordReplay(
                    new ServerConfig.RecordReplay(URI.create("http://127.0.0.1:9"), dir, 1))
                .build())) {
      Http http = new Http(unreachable.baseUrl());
      HttpResponse<String> answer = http.post(Http.body("hello", ""));
      assertThat(answer.statusCode()).isEqualTo(502);
      assertThat(answer.body()).contains("the recorded server did not answer");
      assertThat(unreachable.recorded()).isZero();
    }
    List<Path> recordings;
    try (Stream<Path> files = Files.list(dir.resolve("mappings"))) {
      recordings = files.sorted().toList();
    }
    // the cut stream, as far as it came, and the 400
    assertThat(recordings).hasSize(2);
    String cut = Files.readString(recordings.get(0));
    assertThat(cut).contains("\"events\"").doesNotContain("[DONE]").doesNotContain(REAL_KEY);
    // the broken body's recording matches that body only
    assertThat(Files.readString(recordings.get(1))).contains("\"equalTo\" : \"{not json\"");
  }
}
