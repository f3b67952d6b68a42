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
        .containsEntry("stream-stalled-or-cut", 1L);
    assertThat(metrics.completed.sum()).isZero();
  }
}
