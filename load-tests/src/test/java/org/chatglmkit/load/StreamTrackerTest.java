package org.chatglmkit.load;

import static org.assertj.core.api.Assertions.assertThat;

import org.chatglmkit.schemas.Profile;
import org.junit.jupiter.api.Test;

class StreamTrackerTest {
  private final Metrics metrics = new Metrics(new LoadConfig.Slo(null, null, null));
  private final StreamTracker tracker =
      new StreamTracker(metrics, new Conformance(Profile.OPENAI, metrics, true));

  private static String chunk(String content, String finish) {
    return "{\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","
        + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\""
        + content
        + "\"},\"finish_reason\":"
        + (finish == null ? "null" : "\"" + finish + "\"")
        + "}]}";
  }

  /** Gatling renders each SSE message as JSON with the raw data text as the data member. */
  private static String gatling(String data) {
    return "{\"event\":\"message\",\"data\":" + data + "}";
  }

  @Test
  void readsTheDataOfGatlingMessagesIncludingDone() {
    assertThat(StreamTracker.data(gatling("[DONE]"))).isEqualTo("[DONE]");
    assertThat(StreamTracker.data(gatling("{\"a\":{\"b\":1}}"))).isEqualTo("{\"a\":{\"b\":1}}");
    assertThat(StreamTracker.data("{\"data\":\"plain text\"}")).isEqualTo("plain text");
  }

  @Test
  void timesContentEventsAndRecordsASuccessAtDone() {
    tracker.start(7);
    assertThat(tracker.onMessage(7, gatling(chunk("Hel", null)))).isFalse();
    assertThat(tracker.onMessage(7, gatling(chunk("lo", null)))).isFalse();
    assertThat(tracker.onMessage(7, gatling(chunk("", "stop")))).isFalse();
    assertThat(tracker.onMessage(7, gatling("[DONE]"))).isTrue();
    tracker.finish(7, false);
    assertThat(metrics.completed.sum()).isEqualTo(1);
    assertThat(metrics.outputTokens.sum()).isEqualTo(2);
    assertThat(metrics.itl.getTotalCount()).isEqualTo(1);
    assertThat(metrics.violations).isEmpty();
    assertThat(metrics.checkedDocuments.sum()).isEqualTo(3);
  }

  @Test
  void countsSchemaViolationsOfChunksByRule() {
    tracker.start(1);
    tracker.onMessage(1, gatling("{\"object\":\"chat.completion.chunk\",\"choices\":[]}"));
    tracker.onMessage(1, gatling("[DONE]"));
    tracker.finish(1, false);
    assertThat(Metrics.counts(metrics.violations)).containsKey("STREAM-CHUNK-IDS");
  }

  @Test
  void classifiesFailures() {
    tracker.start(1);
    tracker.onMessage(1, gatling(chunk("a", null)));
    assertThat(
            tracker.onMessage(1, gatling("{\"error\":{\"message\":\"x\",\"type\":\"api_error\"}}")))
        .isTrue();
    tracker.finish(1, true);
    tracker.start(2);
    tracker.finish(2, true);
    tracker.start(3);
    tracker.onMessage(3, gatling(chunk("a", null)));
    tracker.finish(3, true);
    assertThat(Metrics.counts(metrics.errors))
        .containsEntry("stream-error-event", 1L)
        .containsEntry("stream-not-opened", 1L)
        .containsEntry("stream-cut", 1L);
    assertThat(metrics.completed.sum()).isZero();
  }

  @Test
  void aStreamThatWaitedForTheTimeoutStalledOneThatEndedEarlyWasCut() throws Exception {
    StreamTracker quick =
        new StreamTracker(
            metrics,
            new Conformance(Profile.OPENAI, metrics, true),
            java.time.Duration.ofMillis(100));
    quick.start(1);
    quick.onMessage(1, gatling(chunk("a", null)));
    quick.finish(1, true);
    quick.start(2);
    quick.onMessage(2, gatling(chunk("a", null)));
    Thread.sleep(120);
    quick.finish(2, true);
    assertThat(Metrics.counts(metrics.errors))
        .containsEntry("stream-cut", 1L)
        .containsEntry("stream-stalled", 1L);
  }

  @Test
  void aStreamWithoutFinalChunkIsWholeInTheDocumentedProfile() {
    StreamTracker documented =
        new StreamTracker(metrics, new Conformance(Profile.DOCUMENTED, metrics, true));
    documented.start(1);
    documented.onMessage(1, gatling(chunk("a", null)));
    documented.onMessage(1, gatling("[DONE]"));
    assertThat(documented.finish(1, false).ok()).isTrue();
    assertThat(metrics.errors).isEmpty();
    assertThat(metrics.completed.sum()).isEqualTo(1);
  }

  @Test
  void namesAMissingFinalChunkAndAnEventSentTwice() {
    tracker.start(1);
    tracker.onMessage(1, gatling(chunk("a", null)));
    tracker.onMessage(1, gatling("[DONE]"));
    tracker.finish(1, false);
    // the same event twice, and usage says the answer had 2 tokens: 3 content events is one too
    // many
    String usage =
        "{\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","
            + "\"choices\":[],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2,"
            + "\"total_tokens\":3}}";
    tracker.start(2);
    tracker.onMessage(2, gatling(chunk("ha", null)));
    tracker.onMessage(2, gatling(chunk("ha", null)));
    tracker.onMessage(2, gatling(chunk("!", "stop")));
    tracker.onMessage(2, gatling(usage));
    tracker.onMessage(2, gatling("[DONE]"));
    tracker.finish(2, false);
    // a model that repeats a token is no fault: usage counts both
    tracker.start(3);
    tracker.onMessage(3, gatling(chunk("ha", null)));
    tracker.onMessage(3, gatling(chunk("ha", "stop")));
    tracker.onMessage(3, gatling(usage));
    tracker.onMessage(3, gatling("[DONE]"));
    tracker.finish(3, false);
    assertThat(Metrics.counts(metrics.errors))
        .containsEntry("stream-no-final-chunk", 1L)
        .containsEntry("stream-duplicate-event", 1L)
        .hasSize(2);
    assertThat(metrics.completed.sum()).isEqualTo(1);
  }
}
