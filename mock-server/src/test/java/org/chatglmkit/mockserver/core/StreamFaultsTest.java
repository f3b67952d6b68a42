package org.chatglmkit.mockserver.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.chatglmkit.mockserver.core.ChatServiceTest.HI_STREAM;
import static org.chatglmkit.mockserver.core.ChatServiceTest.MS;
import static org.chatglmkit.mockserver.core.ChatServiceTest.chat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.chatglmkit.mockserver.backend.DeterministicBackend;
import org.junit.jupiter.api.Test;

/**
 * Each stream fault as the core schedules it: which frames, when, and how the stream ends (the
 * answer has 6 tokens, 100 ms to the first and 10 ms between, with usage).
 */
class StreamFaultsTest {
  final ChatService service =
      new ChatService(
          new DeterministicBackend("chatglm3-6b", 6),
          new AccessPolicy(Set.of(ChatServiceTest.KEY), Set.of()),
          new FaultPolicy(Map.of(), 1, 5_000),
          new LatencyProfile(100, 10, 0),
          10_000);

  static final String WITH_USAGE =
      "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stream\":true,"
          + "\"stream_options\":{\"include_usage\":true}}";

  /** A frame, when it is due, and how the stream ends with it. */
  record Frame(long dueMillis, String text, String end) {}

  static List<Frame> play(Answer answer) {
    assertThat(answer).isInstanceOf(Answer.Streamed.class);
    List<Frame> frames = new ArrayList<>();
    ((Answer.Streamed) answer)
        .start(
            0,
            new EventSchedule.Events() {
              @Override
              public void at(long due, byte[] frame, boolean last) {
                frames.add(
                    new Frame(
                        due / MS, new String(frame, StandardCharsets.UTF_8), last ? "end" : ""));
              }

              @Override
              public void reset(long due) {
                frames.add(new Frame(due / MS, "", "reset"));
              }
            });
    return frames;
  }

  private List<Frame> with(String fault) {
    return play(service.decide(chat(WITH_USAGE, FaultKind.HEADER, fault)));
  }

  @Test
  void aCutEndsCleanlyWithoutDoneAfterTheEventsItWasToldOf() {
    List<Frame> frames = with("cut;after=4");
    assertThat(frames).hasSize(5);
    assertThat(frames.subList(0, 4)).allMatch(frame -> frame.text().contains("chat.completion"));
    assertThat(frames.get(4)).isEqualTo(new Frame(140, "", "end"));
    assertThat(frames).noneMatch(frame -> frame.text().contains("[DONE]"));
  }

  @Test
  void aCutAtAFractionCountsTheWholeAnswer() {
    // 6 tokens: half is after 3
    List<Frame> frames = with("cut-reset;at=0.5");
    assertThat(frames).hasSize(4);
    assertThat(frames.get(3)).isEqualTo(new Frame(130, "", "reset"));
    assertThat(with("cut;at=1")).hasSize(7).last().isEqualTo(new Frame(150, "", "end"));
  }

  @Test
  void aMalformedChunkIsJsonCutShortAndTheStreamGoesOn() {
    List<Frame> frames = with("malformed-chunk;after=2");
    assertThat(frames).hasSize(6 + 2);
    String broken = frames.get(2).text();
    assertThat(broken).startsWith("data: {").endsWith("\n\n");
    assertThat(parses(broken.substring(5).strip())).isFalse();
    assertThat(frames.get(7).text()).isEqualTo(Responses.DONE_FRAME);
  }

  @Test
  void aDuplicatedEventComesTwiceAtTheSameMoment() {
    List<Frame> frames = with("duplicate-event");
    assertThat(frames).hasSize(6 + 3);
    assertThat(frames.get(3)).isEqualTo(frames.get(4));
    assertThat(frames.get(2)).isNotEqualTo(frames.get(3));
  }

  @Test
  void withoutTheFinalChunkDoneFollowsTheLastToken() {
    List<Frame> frames = with("no-final-chunk");
    assertThat(frames).hasSize(6 + 1);
    assertThat(frames).noneMatch(frame -> frame.text().contains("finish_reason\":\"stop"));
    assertThat(frames).noneMatch(frame -> frame.text().contains("usage"));
    assertThat(frames.get(6)).isEqualTo(new Frame(150, Responses.DONE_FRAME, "end"));
  }

  @Test
  void aFloodPutsCommentsBeforeEveryEvent() {
    List<Frame> frames = with("keepalive-flood;n=7");
    assertThat(frames).hasSize(6 + 2);
    for (Frame frame : frames.subList(0, 7)) {
      assertThat(frame.text().split(": keep-alive\n\n", -1)).hasSize(8);
      assertThat(frame.text()).endsWith("\n\n").contains("data: {");
    }
  }

  @Test
  void heldHeadersDelayEveryEvent() {
    List<Frame> frames = with("hold-headers;ms=700");
    assertThat(frames).hasSize(6 + 2);
    assertThat(frames.get(0).dueMillis()).isEqualTo(800);
    Answer unstreamed = service.decide(chat(ChatServiceTest.HI, FaultKind.HEADER, "hold-headers"));
    assertThat(((Answer.Completed) unstreamed).dueMillis()).isEqualTo(150 + 1_000);
  }

  @Test
  void faultsThatWaitLongerThanTheAnswerStrikeAtItsEnd() {
    List<Frame> cut = with("cut;after=50");
    assertThat(cut).hasSize(7).last().isEqualTo(new Frame(150, "", "end"));
    List<Frame> duplicated = with("duplicate-event;after=50");
    assertThat(duplicated.get(6)).isEqualTo(duplicated.get(7));
    assertThat(duplicated.get(6).text()).contains("finish_reason");
  }

  @Test
  void faultSettingsParseOrSayWhatIsWrong() {
    assertThat(Fault.parse("cut;after=5")).isEqualTo(new Fault(FaultKind.CUT, 5, -1, 1000, 100));
    assertThat(Fault.parse(" hold-headers ; ms = 20 ").id()).isEqualTo("hold-headers;ms=20");
    assertThatThrownBy(() -> Fault.parse("cut;after=x")).hasMessageContaining("no number");
    assertThatThrownBy(() -> Fault.parse("cut;at=2")).hasMessageContaining("fraction");
    assertThatThrownBy(() -> Fault.parse("cut;when=2")).hasMessageContaining("unknown");
    ApiError refused =
        ((Answer.Refused) service.decide(chat(HI_STREAM, FaultKind.HEADER, "cut;after=-1")))
            .error();
    assertThat(refused.status()).isEqualTo(400);
    assertThat(refused.param()).isEqualTo(FaultKind.HEADER);
  }

  @Test
  void aSeedGivesTheSameFaultsToTheSameSequenceOfRequests() {
    Map<FaultKind, Double> rates =
        Map.of(FaultKind.CUT, 0.2, FaultKind.DUPLICATE_EVENT, 0.2, FaultKind.RATE_LIMIT, 0.2);
    List<Optional<Fault>> first = draws(new FaultPolicy(rates, 1, 1000, 42L));
    assertThat(draws(new FaultPolicy(rates, 1, 1000, 42L))).isEqualTo(first);
    assertThat(draws(new FaultPolicy(rates, 1, 1000, 43L))).isNotEqualTo(first);
    // about 60% of 200 draws get a fault
    assertThat(first.stream().filter(Optional::isPresent).count()).isBetween(90L, 150L);
  }

  private static List<Optional<Fault>> draws(FaultPolicy policy) {
    List<Optional<Fault>> draws = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      draws.add(policy.pick(null));
    }
    return draws;
  }

  private static boolean parses(String text) {
    try {
      Json.MAPPER.readTree(text);
      return true;
    } catch (Exception e) {
      return false;
    }
  }
}
