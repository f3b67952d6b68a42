package org.chatglmkit.conformance.targets;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;
import org.chatglmkit.conformance.cli.ConformanceCli;
import org.chatglmkit.conformance.http.Call;
import org.chatglmkit.conformance.http.ChatGlmClient;
import org.chatglmkit.conformance.http.Exchange;
import org.chatglmkit.conformance.run.Outcome;
import org.chatglmkit.conformance.run.RunReport;
import org.chatglmkit.mockserver.core.LatencyProfile;
import org.chatglmkit.mockserver.server.ReferenceServer;
import org.chatglmkit.mockserver.server.ServerConfig;
import org.chatglmkit.mockserver.target.Target;
import org.chatglmkit.mockserver.target.TargetSettings;
import org.chatglmkit.schemas.Profile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

/**
 * The gate against targets that never give a usable answer: each run ends in bounded time with exit
 * 2 and one line naming why, never a hang, a stack trace or a full heap.
 */
class MisbehavingTargetsIT {
  private static final int TIMEOUT_S = 2;

  @TempDir Path reports;

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();
  private PrintStream savedOut;
  private PrintStream savedErr;

  @BeforeEach
  void capture() {
    savedOut = System.out;
    savedErr = System.err;
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  @AfterEach
  void restore() {
    System.setOut(savedOut);
    System.setErr(savedErr);
  }

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
      long started = System.nanoTime();
      int code =
          new CommandLine(new ConformanceCli())
              .execute(
                  "--target", target.baseUrl(),
                  "--api-key", "sk-test-0123456789abcdef",
                  "--timeout-s", String.valueOf(TIMEOUT_S),
                  "--report-dir", reports.toString());
      double seconds = (System.nanoTime() - started) / 1e9;
      String message = err.toString(StandardCharsets.UTF_8).strip();
      assertThat(code).as(message).isEqualTo(2);
      assertThat(message.lines()).as(message).hasSize(1);
      assertThat(message).startsWith("chatglm-conformance: no ").contains(why);
      // Discovery and the baseline each wait at most one timeout, once.
      assertThat(seconds).as(message).isLessThan(2 * TIMEOUT_S + 3);
      assertThat(reports.resolve("summary.json")).exists();
    }
  }

  @Test
  void boundsTheBaselineRequestItselfWhenTheModelIsGiven() throws Exception {
    try (RawServer target = new RawServer(Misbehaviours.bodyNeverEnds())) {
      long started = System.nanoTime();
      int code =
          new CommandLine(new ConformanceCli())
              .execute(
                  "--target", target.baseUrl(),
                  "--api-key", "sk-test-0123456789abcdef",
                  "--model", "glm",
                  "--timeout-s", String.valueOf(TIMEOUT_S),
                  "--report-dir", reports.toString());
      double seconds = (System.nanoTime() - started) / 1e9;
      String message = err.toString(StandardCharsets.UTF_8).strip();
      assertThat(code).as(message).isEqualTo(2);
      assertThat(message)
          .isEqualTo(
              "chatglm-conformance: no complete answer to the baseline request (POST"
                  + " /v1/chat/completions, the simplest valid request): no answer (no complete"
                  + " answer within 2 s)");
      assertThat(seconds).isLessThan(TIMEOUT_S + 3);
    }
  }

  @Test
  void readsTheEarly413OfAServerThatClosesWithoutReadingTheBody() throws Exception {
    try (ReferenceServer upstream = ReferenceServer.start(TargetSettings.embeddedServer().build());
        RawServer front =
            new RawServer(
                Misbehaviours.early413(upstream.baseUrl(), ServerConfig.DEFAULT_BODY_LIMIT));
        ChatGlmClient client =
            new ChatGlmClient(
                new Target(
                    front.baseUrl(), ServerConfig.DEVELOPMENT_KEY, null, Profile.OPENAI, false),
                ChatGlmClient.Limits.of(Duration.ofSeconds(5)))) {
      String body =
          "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"x_padding\": \""
              + "x".repeat(2 * 1024 * 1024)
              + "\"}";
      for (int i = 0; i < 20; i++) {
        Exchange answer = client.send(Call.chat(body, client.auth()));
        assertThat(answer.status()).as("attempt %d: %s", i, answer.brief()).isEqualTo(413);
      }
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
      long started = System.nanoTime();
      int code =
          new CommandLine(new ConformanceCli())
              .execute(
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
      double seconds = (System.nanoTime() - started) / 1e9;
      assertThat(code).isEqualTo(2);
      assertThat(err.toString(StandardCharsets.UTF_8)).contains("--max-time of 4 s ran out");
      assertThat(out.toString(StandardCharsets.UTF_8)).contains("RUN", "ABORTED");
      assertThat(seconds).isLessThan(4 + 3);
    }
  }
}
