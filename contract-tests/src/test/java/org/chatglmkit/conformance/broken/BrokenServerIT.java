package org.chatglmkit.conformance.broken;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.chatglmkit.conformance.run.ConformanceRun;
import org.chatglmkit.conformance.run.Outcome;
import org.chatglmkit.conformance.run.RuleResult;
import org.chatglmkit.conformance.run.RunReport;
import org.chatglmkit.mockserver.server.ReferenceServer;
import org.chatglmkit.mockserver.server.ServerConfig;
import org.chatglmkit.mockserver.target.TargetSettings;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The suite against servers broken in one way each: exactly the rules that way breaks must fail,
 * and servers that differ from the reference only in legal ways must pass.
 */
class BrokenServerIT {
  private static ReferenceServer reference;

  @TempDir Path reports;

  @BeforeAll
  static void startReference() {
    reference = ReferenceServer.start(TargetSettings.embeddedServer().build());
  }

  @AfterAll
  static void stopReference() {
    reference.close();
  }

  static Stream<Arguments> servers() {
    return Stream.of(
        broken(
            "legal variations (CRLF, pings, extra fields, charset, key order)",
            Distortions.legalVariations(),
            "openai"),
        broken(
            "documented shape only, held to documented",
            Distortions.documentedOnly(),
            "documented"),
        broken(
            "documented shape only, held to openai",
            Distortions.documentedOnly(),
            "openai",
            "RESP-ID",
            "RESP-USAGE",
            "STREAM-CHUNK-IDS",
            "MODELS-LIST"),
        broken(
            "accepts a missing key",
            Distortions.acceptsMissingKey(),
            "openai",
            "AUTH-MISSING-KEY-401"),
        broken("echoes the key", Distortions.echoesTheKey(), "openai", "AUTH-KEY-NOT-ECHOED"),
        broken("clamps temperature", Distortions.clampsTemperature(), "openai", "REQ-TEMPERATURE"),
        broken("vague 400s", Distortions.vagueErrors(), "openai", "REQ-INVALID-400"),
        broken("object chat.completions", Distortions.wrongObject(), "openai", "RESP-OBJECT"),
        broken(
            "never reports length", Distortions.neverLength(), "documented", "RESP-LENGTH-FINISH"),
        broken(
            "usage does not add up", Distortions.wrongUsageTotal(), "openai", "RESP-USAGE-TOTAL"),
        broken(
            "completions as text/plain",
            Distortions.plainTextCompletions(),
            "documented",
            "TRANSPORT-JSON-CONTENT-TYPE"),
        broken("buffers the stream", Distortions.bufferedStream(), "openai", "STREAM-INCREMENTAL"),
        broken("no [DONE]", Distortions.noDone(), "openai", "STREAM-EVENT-FORMAT"),
        broken(
            "stream differs from the answer",
            Distortions.streamDiffers(),
            "openai",
            "STREAM-MATCHES-COMPLETION"),
        broken(
            "HTML 404",
            Distortions.htmlNotFound(),
            "documented",
            "TRANSPORT-UNKNOWN-PATH-404",
            "ERR-SHAPE"),
        broken(
            "500 for an oversized body",
            Distortions.serverErrorForOversizedBodies(),
            "documented",
            "TRANSPORT-BODY-LIMIT"),
        broken(
            "500 for malformed JSON",
            Distortions.serverErrorForMalformedJson(),
            "documented",
            "REQ-BODY-JSON-OBJECT",
            "ERR-NO-500-FOR-CLIENT-ERROR"),
        broken("429 with Retry-After", Distortions.busy(true), "openai"),
        broken("429 without Retry-After", Distortions.busy(false), "openai", "ERR-RETRY-AFTER"),
        broken(
            "an error event that ends the stream",
            Distortions.errorEventInFirstStream(false),
            "openai"),
        broken(
            "an error event and then more tokens",
            Distortions.errorEventInFirstStream(true),
            "openai",
            "STREAM-ERROR-EVENT"));
  }

  private static Arguments broken(
      String name, Distortion distortion, String profile, String... failing) {
    return Arguments.of(name, distortion, profile, Set.of(failing));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("servers")
  void failsExactlyTheBrokenRules(
      String name, Distortion distortion, String profile, Set<String> failing) throws Exception {
    try (MutatingProxy proxy = new MutatingProxy(reference.baseUrl(), distortion)) {
      RunReport report =
          ConformanceRun.run(
              Map.of(
                  TargetSettings.URL,
                  proxy.baseUrl(),
                  TargetSettings.API_KEY,
                  ServerConfig.DEVELOPMENT_KEY,
                  TargetSettings.FORBIDDEN_KEY,
                  TargetSettings.EMBEDDED_FORBIDDEN_KEY,
                  TargetSettings.PROFILE,
                  profile),
              reports);
      Set<String> failed =
          report.rules().stream()
              .filter(rule -> rule.status() == Outcome.Status.FAIL)
              .map(rule -> rule.rule().id())
              .collect(Collectors.toSet());
      assertThat(failed).as("failing rules for '%s': %s", name, details(report)).isEqualTo(failing);
    }
  }

  private static String details(RunReport report) {
    return report.rules().stream()
        .filter(rule -> rule.status() == Outcome.Status.FAIL)
        .map(RuleResult::detail)
        .collect(Collectors.joining(" | "));
  }
}
