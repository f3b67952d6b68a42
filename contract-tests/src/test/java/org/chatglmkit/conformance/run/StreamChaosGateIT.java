package org.chatglmkit.conformance.run;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.chatglmkit.conformance.targets.Gate;
import org.chatglmkit.mockserver.client.TargetSettings;
import org.chatglmkit.mockserver.core.FaultKind;
import org.chatglmkit.mockserver.server.ReferenceServer;
import org.chatglmkit.mockserver.server.ServerConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The gate against the reference server with one stream fault on every request (asked for with the
 * gate's own {@code --header}): each fault fails the rule it breaks, and the failure names it.
 * Held-back headers and a flood of keep-alive comments are legal: the gate passes them.
 */
class StreamChaosGateIT {
  private static ReferenceServer server;

  @TempDir Path reports;

  @BeforeAll
  static void start() {
    server =
        ReferenceServer.start(
            TargetSettings.embeddedServer()
                .apiKey(ServerConfig.DEVELOPMENT_KEY)
                .requestJournal(false)
                .build());
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  /**
   * @param fault the header's value
   * @param rule a rule that must fail ({@code null}: none may)
   * @param named what its failure must say
   */
  record Chaos(String fault, String rule, String named) {
    @Override
    public String toString() {
      return fault;
    }
  }

  static Stream<Arguments> faults() {
    return Stream.of(
            new Chaos("malformed-chunk", "STREAM-EVENT-FORMAT", "a JSON object cut short"),
            new Chaos("cut;after=4", "STREAM-EVENT-FORMAT", "ended after 4 events without it"),
            new Chaos(
                "cut-reset;after=4", "STREAM-EVENT-FORMAT", "the connection failed after 4 events"),
            new Chaos("duplicate-event", "STREAM-MATCHES-COMPLETION", "repeats event"),
            new Chaos("no-final-chunk", "STREAM-FINISH-REASON", "the final chunk is missing"),
            new Chaos("hold-headers;ms=150", null, null),
            new Chaos("keepalive-flood;n=50", null, null))
        .map(Arguments::of);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("faults")
  void namesTheFaultItMeets(Chaos chaos) {
    RunReport report =
        Gate.run(
            server.baseUrl(),
            reports,
            TargetSettings.API_KEY,
            ServerConfig.DEVELOPMENT_KEY,
            TargetSettings.FORBIDDEN_KEY,
            TargetSettings.EMBEDDED_FORBIDDEN_KEY,
            TargetSettings.HEADERS,
            FaultKind.HEADER + ": " + chaos.fault());
    List<String> failed = Gate.outcome(report).get(Outcome.Status.FAIL).stream().sorted().toList();
    if (chaos.rule() == null) {
      assertThat(failed).as(Gate.explain(report)).isEmpty();
      assertThat(report.exitCode()).isZero();
      return;
    }
    assertThat(failed).as(Gate.explain(report)).contains(chaos.rule());
    assertThat(Gate.detail(report, chaos.rule())).contains(chaos.named());
    // the faults break streams only: the unstreamed answers' rules still pass
    assertThat(failed).noneMatch(id -> id.startsWith("RESP-") || id.startsWith("AUTH-"));
    assertThat(Map.of("exit", report.exitCode())).containsEntry("exit", 1);
  }
}
