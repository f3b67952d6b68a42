package org.chatglmkit.conformance.targets;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.chatglmkit.conformance.cli.CliRun;
import org.chatglmkit.conformance.http.Call;
import org.chatglmkit.conformance.http.ChatGlmClient;
import org.chatglmkit.conformance.http.Exchange;
import org.chatglmkit.conformance.run.Outcome;
import org.chatglmkit.conformance.run.RunReport;
import org.chatglmkit.mockserver.client.Target;
import org.chatglmkit.mockserver.client.TargetSettings;
import org.chatglmkit.mockserver.core.LatencyProfile;
import org.chatglmkit.mockserver.server.ReferenceServer;
import org.chatglmkit.mockserver.server.ServerConfig;
import org.chatglmkit.schemas.Profile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The gate against targets that never give a usable answer: each run ends in bounded time with exit
 * 2 and one line naming why, never a hang, a stack trace or a full heap.
 */
class MisbehavingTargetsIT {
  private static final int TIMEOUT_S = 2;

  /**
   * Room over the bound a run is designed to keep, for a loaded 2-core machine (the gate's own
   * start, report writing, a busy scheduler). A gate that did not keep its bound would take its
   * --max-time (600 s by default), far beyond it.
   */
  private static final int SLACK_S = 10;

  @TempDir Path reports;

  static Stream<Arguments> targets() {
    return Stream.of(
        Arguments.of("never answers", Misbehaviours.neverAnswers(), "within 2 s"),
        Arguments.of("garbage bytes", Misbehaviours.garbage(), "no HTTP answer"),
        Arguments.of("closes at once", Misbehaviours.closesAtOnce(), "no HTTP answer"),
        Arguments.of("an endless stream", Misbehaviours.endlessStream(), "within 2 s"),
        Arguments.of("headers dribbled", Misbehaviours.dribbledHeaders(), "within 2 s"),
        Arguments.of("a body that never ends", Misbehaviours.bodyNeverEnds(), "within 2 s"),
        Arguments.of("a body flood", Misbehaviours.floodsTheBody(), "grew past 8388608 bytes"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("targets")
  void endsWithExitTwoAndOneLineWithinTheTimeout(
      String name, RawServer.Behaviour behaviour, String why) throws Exception {
    try (RawServer target = new RawServer(behaviour)) {
      CliRun run = gate(target, "--timeout", String.valueOf(TIMEOUT_S));
      assertThat(run.code()).as(run.err()).isEqualTo(2);
      assertThat(run.err().lines()).as(run.err()).hasSize(1);
      assertThat(run.err()).startsWith("chatglm-conformance: no ").contains(why);
      // Discovery and the baseline each wait at most one timeout, once.
      assertThat(run.seconds()).as(run.err()).isLessThan(2 * TIMEOUT_S + SLACK_S);
      assertThat(reports.resolve("summary.json")).exists();
    }
  }

  private CliRun gate(RawServer target, String... more) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--target",
                target.baseUrl(),
                "--api-key",
                "sk-test-0123456789abcdef",
                "--report-dir",
                reports.toString()));
    args.addAll(List.of(more));
    return CliRun.of(args.toArray(String[]::new));
  }

  @Test
  void boundsTheBaselineRequestItselfWhenTheModelIsGiven() throws Exception {
    try (RawServer target = new RawServer(Misbehaviours.bodyNeverEnds())) {
      CliRun run = gate(target, "--model", "glm", "--timeout", String.valueOf(TIMEOUT_S));
      assertThat(run.code()).as(run.err()).isEqualTo(2);
      assertThat(run.err())
          .isEqualTo(
              "chatglm-conformance: no complete answer to the baseline request (POST"
                  + " /v1/chat/completions, the simplest valid request): no answer (no complete"
                  + " answer within 2 s)");
      assertThat(run.seconds()).isLessThan(TIMEOUT_S + SLACK_S);
    }
  }

  static Stream<Arguments> early413Fronts() {
    return Stream.of(
        Arguments.of("closes without reading the body", false),
        Arguments.of("answers 100 Continue first, as Python's http.server does", true));
  }

  /**
   * A front that refuses a large body with 413 and closes without reading it: the client reads the
   * 413 that is already in its receive buffer even when writing the body failed, every time.
   */
  @ParameterizedTest(name = "a front that {0}")
  @MethodSource("early413Fronts")
  void readsTheEarly413OfAServerThatClosesWithoutReadingTheBody(String name, boolean sends100)
      throws Exception {
    try (ReferenceServer upstream = ReferenceServer.start(TargetSettings.embeddedServer().build());
        RawServer front =
            new RawServer(
                sends100
                    ? Misbehaviours.continueThen413(
                        upstream.baseUrl(), ServerConfig.DEFAULT_BODY_LIMIT)
                    : Misbehaviours.early413(upstream.baseUrl(), ServerConfig.DEFAULT_BODY_LIMIT));
        ChatGlmClient client =
            new ChatGlmClient(
                new Target(
                    front.baseUrl(), ServerConfig.DEVELOPMENT_KEY, null, Profile.OPENAI, false),
                ChatGlmClient.Limits.of(Duration.ofSeconds(5)))) {
      String body =
          "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"x_padding\": \""
              + "x".repeat(3 * 1024 * 1024)
              + "\"}";
      List<String> misses = new ArrayList<>();
      for (int i = 0; i < 50; i++) {
        Exchange answer = client.send(Call.chat(body, client.auth()));
        if (answer.status() != 413) {
          misses.add("exchange " + i + ": " + answer.brief());
        }
      }
      assertThat(misses).as("exchanges of 50 without the 413").isEmpty();
      // The whole gate through that front passes.
      RunReport report =
          Gate.run(
              front.baseUrl(),
              reports,
              TargetSettings.API_KEY,
              ServerConfig.DEVELOPMENT_KEY,
              TargetSettings.FORBIDDEN_KEY,
              TargetSettings.EMBEDDED_FORBIDDEN_KEY);
      assertThat(Gate.outcome(report).get(Outcome.Status.FAIL)).as(Gate.explain(report)).isEmpty();
      assertThat(Gate.outcome(report).get(Outcome.Status.PASS)).contains("TRANSPORT-BODY-LIMIT");
    }
  }

  @Test
  void stopsAtMaxTimeAgainstASlowTargetAndExitsTwo() {
    ServerConfig slow =
        TargetSettings.embeddedServer().latency(new LatencyProfile(1500, 40, 0)).build();
    try (ReferenceServer server = ReferenceServer.start(slow)) {
      CliRun run =
          CliRun.of(
              "--target",
              server.baseUrl(),
              "--api-key",
              ServerConfig.DEVELOPMENT_KEY,
              "--concurrency",
              "1",
              "--max-time",
              "4",
              "--report-dir",
              reports.toString());
      assertThat(run.code()).isEqualTo(2);
      assertThat(run.err()).contains("--max-time of 4 s ran out");
      assertThat(run.out()).contains("RUN", "ABORTED");
      assertThat(run.seconds()).isLessThan(4 + SLACK_S);
    }
  }
}
