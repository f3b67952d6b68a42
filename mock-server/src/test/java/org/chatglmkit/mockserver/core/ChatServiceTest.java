package org.chatglmkit.mockserver.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.chatglmkit.mockserver.backend.DeterministicBackend;
import org.junit.jupiter.api.Test;

/** The core decides each call whole, without a server: route, refusal, fault, answer, schedule. */
class ChatServiceTest {
  static final String KEY = "core-key-0123456789";
  static final LatencyProfile LATENCY = new LatencyProfile(100, 10, 0);
  static final long STALL_MS = 5_000;
  static final long MS = 1_000_000;

  final ChatService service =
      new ChatService(
          new DeterministicBackend("chatglm3-6b", 6),
          new AccessPolicy(Set.of(KEY), Set.of("banned-key")),
          new FaultPolicy(Map.of(), 7, STALL_MS),
          LATENCY,
          1_000);

  static ChatService.Incoming call(String method, String url, String body, String... headers) {
    Map<String, String> map = new java.util.TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    for (int i = 0; i < headers.length; i += 2) {
      map.put(headers[i], headers[i + 1]);
    }
    return new ChatService.Incoming(method, url, map::get, body.getBytes(StandardCharsets.UTF_8));
  }

  static ChatService.Incoming chat(String body, String... headers) {
    List<String> all = new ArrayList<>(List.of("API-KEY", KEY));
    all.addAll(List.of(headers));
    return call("POST", "/v1/chat/completions", body, all.toArray(String[]::new));
  }

  static final String HI = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  static final String HI_STREAM =
      "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stream\":true}";

  static ApiError refused(Answer answer) {
    assertThat(answer).isInstanceOf(Answer.Refused.class);
    return ((Answer.Refused) answer).error();
  }

  @Test
  void routesByMethodAndPathWithTheirOwnHeaders() {
    ApiError missing = refused(service.decide(call("GET", "/v2/x?y=1", "")));
    assertThat(missing.status()).isEqualTo(404);
    assertThat(missing.message()).isEqualTo("no such path: GET /v2/x?y=1");

    Answer wrong = service.decide(call("DELETE", "/v1/chat/completions", ""));
    assertThat(wrong.route()).isEqualTo(Answer.Route.CHAT_WRONG_METHOD);
    assertThat(refused(wrong).headers()).containsExactly(Map.entry("Allow", "POST"));

    assertThat(refused(service.decide(call("GET", "/v1/models", ""))).status()).isEqualTo(401);
    Answer models = service.decide(call("GET", "/v1/models", "", "Authorization", "Bearer " + KEY));
    assertThat(models).isInstanceOf(Answer.Completed.class);
    assertThat(((Answer.Completed) models).json()).contains("\"chatglm3-6b\"");
  }

  @Test
  void refusesWhatAClientGotWrongWithoutThrowing() {
    assertThat(refused(service.decide(chat("x".repeat(1_001)))).status()).isEqualTo(413);
    Answer oversized = service.oversized("POST", "/v1/chat/completions");
    assertThat(oversized.route()).isEqualTo(Answer.Route.CHAT);
    assertThat(refused(oversized).message()).contains("1000 bytes");
    assertThat(refused(service.decide(call("POST", "/v1/chat/completions", HI))).status())
        .isEqualTo(401);
    assertThat(
            refused(
                    service.decide(
                        call("POST", "/v1/chat/completions", HI, "API-KEY", "banned-key")))
                .status())
        .isEqualTo(403);
    ApiError invalid = refused(service.decide(chat("{\"messages\": []}")));
    assertThat(invalid.status()).isEqualTo(400);
    assertThat(invalid.param()).isEqualTo("messages");
    assertThat(refused(service.decide(chat("{not json"))).status()).isEqualTo(400);
    assertThat(refused(service.decide(chat(HI, "Content-Type", "text/plain"))).status())
        .isEqualTo(400);
    ApiError unknownFault = refused(service.decide(chat(HI, FaultKind.HEADER, "explode")));
    assertThat(unknownFault.param()).isEqualTo(FaultKind.HEADER);
  }

  @Test
  void anUnstreamedAnswerIsDueWhenItsLastTokenIs() {
    Answer answer = service.decide(chat(HI));
    assertThat(answer).isInstanceOf(Answer.Completed.class);
    Answer.Completed done = (Answer.Completed) answer;
    assertThat(done.json()).contains("\"chat.completion\"").contains("\"completion_tokens\":6");
    assertThat(done.dueMillis()).isEqualTo(100 + 5 * 10);
    Answer stalled = service.decide(chat(HI, FaultKind.HEADER, "stall"));
    assertThat(((Answer.Completed) stalled).dueMillis()).isEqualTo(150 + STALL_MS);
  }

  @Test
  void faultsAreDecidedInTheCoreWithTheirHeaders() {
    ApiError limited = refused(service.decide(chat(HI, FaultKind.HEADER, "429")));
    assertThat(limited.status()).isEqualTo(429);
    assertThat(limited.headers()).containsEntry("Retry-After", "7");
    assertThat(refused(service.decide(chat(HI_STREAM, FaultKind.HEADER, "529"))).status())
        .isEqualTo(529);
    assertThat(service.decide(chat(HI_STREAM, FaultKind.HEADER, "reset")))
        .isInstanceOf(Answer.Reset.class);
    // an unstreamed answer has no middle to break: its stream-error is a 500
    assertThat(refused(service.decide(chat(HI, FaultKind.HEADER, "stream-error"))).status())
        .isEqualTo(500);
    // a stub of yours overrides the header
    Answer overridden =
        service.decide(
            chat(HI, FaultKind.HEADER, "429"),
            Answer.Route.CHAT,
            new ChatService.Overrides(Fault.of(FaultKind.OVERLOADED), null));
    assertThat(refused(overridden).status()).isEqualTo(529);
  }

  @Test
  void decidesStreamsAloneForAnAdapterThatLeavesTheRestToWireMock() {
    assertThat(service.decideStream(chat(HI_STREAM))).get().isInstanceOf(Answer.Streamed.class);
    assertThat(service.decideStream(chat(HI_STREAM, FaultKind.HEADER, "429")))
        .get()
        .satisfies(answer -> assertThat(refused(answer).status()).isEqualTo(429));
    assertThat(service.decideStream(chat(HI))).as("unstreamed").isEmpty();
    assertThat(service.decideStream(call("POST", "/v1/chat/completions", HI_STREAM)))
        .as("no key")
        .isEmpty();
    assertThat(service.decideStream(chat("{\"stream\": true}"))).as("invalid").isEmpty();
    assertThat(service.decideStream(call("POST", "/v2/x", HI_STREAM, "API-KEY", KEY)))
        .as("another path")
        .isEmpty();
  }

  record Event(long dueMillis, String frame, boolean last) {}

  static List<Event> play(Answer answer) {
    assertThat(answer).isInstanceOf(Answer.Streamed.class);
    List<Event> events = new ArrayList<>();
    ((Answer.Streamed) answer)
        .start(
            0,
            (due, frame, last) ->
                events.add(new Event(due / MS, new String(frame, StandardCharsets.UTF_8), last)));
    return events;
  }

  @Test
  void aStreamIsAScheduleOfFramesInOrderEachWithItsMoment() {
    List<Event> events =
        play(
            service.decide(
                chat(
                    "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stream\":true,"
                        + "\"stream_options\":{\"include_usage\":true}}")));
    assertThat(events).hasSize(6 + 2);
    assertThat(events.stream().map(Event::dueMillis))
        .containsExactly(100L, 110L, 120L, 130L, 140L, 150L, 150L, 150L);
    assertThat(events.get(0).frame()).contains("\"role\":\"assistant\"");
    assertThat(events.get(1).frame()).doesNotContain("\"role\"");
    assertThat(events.get(6).frame()).contains("\"finish_reason\":\"stop\"").contains("\"usage\"");
    assertThat(events.get(7)).isEqualTo(new Event(150, Responses.DONE_FRAME, true));
    assertThat(events.stream().filter(Event::last)).hasSize(1);
  }

  @Test
  void streamFaultsStrikeAfterThreeContentEvents() {
    List<Event> broken = play(service.decide(chat(HI_STREAM, FaultKind.HEADER, "stream-error")));
    assertThat(broken).hasSize(Fault.DEFAULT_AFTER + 1);
    Event error = broken.get(Fault.DEFAULT_AFTER);
    assertThat(error.last()).isTrue();
    assertThat(error.frame()).contains("\"error\"").contains("stream-error");
    assertThat(error.dueMillis()).isEqualTo(130);

    List<Event> stalled = play(service.decide(chat(HI_STREAM, FaultKind.HEADER, "stall")));
    assertThat(stalled).hasSize(Fault.DEFAULT_AFTER + 1);
    assertThat(stalled.get(3)).isEqualTo(new Event(130 + STALL_MS, "", true));
  }

  @Test
  void aShortAnswerMeetsItsFaultAtTheEnd() {
    List<Event> events =
        play(
            service.decide(
                chat(
                    "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stream\":true,"
                        + "\"max_tokens\":2}",
                    FaultKind.HEADER,
                    "stream-error")));
    assertThat(events).hasSize(3);
    assertThat(events.get(2).frame()).contains("\"error\"");
    assertThat(events.get(2).last()).isTrue();
  }

  @Test
  void aStreamCanBeSentWholeByAnAdapterThatCannotStream() {
    Answer.Whole whole = ((Answer.Streamed) service.decide(chat(HI_STREAM))).whole();
    assertThat(whole.dueMillis()).isEqualTo(150);
    assertThat(whole.body()).startsWith("data: {").endsWith(Responses.DONE_FRAME);
    assertThat(whole.body().split("\n\n")).hasSize(6 + 2);
  }

  @Test
  void aContentFrameIsTheTextTheJsonTreeGives() {
    CallInfo info = new CallInfo("chatcmpl-1", "glm \"quoted\" \\ model", 1_700_000_000L);
    byte[] prefix = Responses.chunkPrefix(info);
    for (String text :
        List.of(
            "hi",
            "",
            " 你好",
            "line\nbreak\ttab",
            "\"quote\" \\ slash",
            "\u0001\u001f",
            "😀",
            "</script>")) {
      for (boolean first : new boolean[] {true, false}) {
        assertThat(new String(Responses.contentFrame(prefix, text, first), StandardCharsets.UTF_8))
            .isEqualTo(Responses.chunkFrame(info, text, first, null, null));
      }
    }
  }

  @Test
  void aBackendErrorEndsTheStreamWithAnErrorEvent() {
    ChatService failing =
        new ChatService(
            new ChatBackend() {
              @Override
              public String modelName() {
                return "m";
              }

              @Override
              public Generation generate(ChatRequest request, TokenSink sink) {
                sink.onToken("a");
                sink.onError(ApiError.internal("out of memory"));
                sink.onToken("ignored");
                return () -> {};
              }
            },
            new AccessPolicy(Set.of(KEY), Set.of()),
            FaultPolicy.none(),
            LATENCY,
            1_000);
    List<Event> events = play(failing.decide(chat(HI_STREAM)));
    assertThat(events).hasSize(2);
    assertThat(events.get(1))
        .isEqualTo(new Event(100, Responses.errorFrame(ApiError.internal("out of memory")), true));
  }
}
