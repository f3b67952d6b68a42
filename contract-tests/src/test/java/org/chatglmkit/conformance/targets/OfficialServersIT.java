package org.chatglmkit.conformance.targets;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.chatglmkit.conformance.checks.RunContext;
import org.chatglmkit.conformance.cli.CliRun;
import org.chatglmkit.conformance.fuzz.Finding;
import org.chatglmkit.conformance.fuzz.FuzzReport;
import org.chatglmkit.conformance.fuzz.FuzzRules;
import org.chatglmkit.conformance.fuzz.FuzzSettings;
import org.chatglmkit.conformance.run.ConformanceRun;
import org.chatglmkit.conformance.run.Outcome;
import org.chatglmkit.conformance.run.RunReport;
import org.chatglmkit.mockserver.client.TargetSettings;
import org.chatglmkit.mockserver.core.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gate against servers that behave as the official ChatGLM2-6B and ChatGLM3 API demos do
 * (docs/api-reading.md section 7): it finds their model, and reports exactly their real
 * differences.
 */
class OfficialServersIT {
  @TempDir Path reports;

  /** Rules both demos pass: what they do as the contract says. */
  private static final Set<String> BOTH_PASS =
      Set.of(
          "TRANSPORT-CHAT-PATH",
          "TRANSPORT-JSON-CONTENT-TYPE",
          "AUTH-API-KEY-HEADER",
          "AUTH-BEARER-HEADER",
          "AUTH-KEY-NOT-ECHOED",
          "RESP-MODEL",
          "RESP-OBJECT",
          "RESP-CHOICES",
          "RESP-CHOICE-INDEX",
          "RESP-MESSAGE",
          "RESP-FINISH-REASON",
          "RESP-CREATED",
          "RESP-REQUIRED-FIELDS",
          "STREAM-CONTENT-TYPE",
          "STREAM-EVENT-FORMAT",
          "STREAM-CHUNK-SHAPE",
          "STREAM-FINISH-REASON",
          "STREAM-MATCHES-COMPLETION",
          "STREAM-INCREMENTAL",
          "MODELS-LIST");

  /**
   * Their real differences, common to both. Among them: pydantic's {@code content: str} refuses the
   * {@code content: null} of an assistant turn, which OpenAI clients send back (the openai reading
   * takes it as not given).
   */
  private static final Set<String> BOTH_FAIL =
      Set.of(
          "REQ-LEGAL-VARIATIONS",
          "TRANSPORT-UNKNOWN-PATH-404",
          "AUTH-MISSING-KEY-401",
          "AUTH-UNKNOWN-KEY-401",
          "REQ-BODY-JSON-OBJECT",
          "REQ-MESSAGES",
          "REQ-MESSAGE-OBJECT",
          "REQ-MESSAGE-ROLE",
          "REQ-MESSAGE-CONTENT",
          "REQ-MESSAGE-NAME",
          "REQ-HISTORY",
          "REQ-TEMPERATURE",
          "REQ-MAX-TOKENS",
          "REQ-STREAM",
          "REQ-INVALID-400",
          "RESP-LENGTH-FINISH",
          "STREAM-CHUNK-IDS",
          "ERR-SHAPE",
          "ERR-NO-500-FOR-CLIENT-ERROR");

  private static Set<String> with(Set<String> base, String... more) {
    return Stream.concat(base.stream(), Stream.of(more))
        .collect(java.util.stream.Collectors.toSet());
  }

  @Test
  void chatGlm2DemoFindsItsModelAndFailsExactlyItsRealDifferences() throws Exception {
    try (OfficialDemoServer server = new OfficialDemoServer(OfficialDemoServer.Dialect.CHATGLM2)) {
      RunReport report = Gate.run(server.baseUrl(), reports);
      Map<Outcome.Status, Set<String>> outcome = Gate.outcome(report);
      assertThat(report.target().model()).isEqualTo("gpt-3.5-turbo");
      assertThat(report.baseline().modelSource()).contains("GET /v1/models");
      // It knows no function messages, and never calls a tool: the tool rules are skipped.
      assertThat(outcome.get(Outcome.Status.FAIL))
          .as(Gate.explain(report))
          .isEqualTo(with(BOTH_FAIL, "RESP-ID", "RESP-USAGE", "FUNCTION-CALL-MESSAGES"));
      assertThat(outcome.get(Outcome.Status.PASS)).isEqualTo(BOTH_PASS);
      Set<String> skipped =
          Gate.withFuzzing(
              "AUTH-FORBIDDEN-KEY-403",
              "TRANSPORT-BODY-LIMIT",
              "RESP-USAGE-TOTAL",
              "RESP-USAGE-MAX-TOKENS",
              "ERR-TYPE",
              "ERR-RETRY-AFTER",
              "STREAM-ERROR-EVENT",
              "FUNCTION-CALL-SHAPE");
      skipped.addAll(Gate.TOOLS);
      assertThat(outcome.get(Outcome.Status.SKIP)).isEqualTo(skipped);
      assertThat(Gate.detail(report, "TOOLS-CHOICE-NAMED"))
          .startsWith("the target did not call tools");
      assertThat(report.tools()).isEqualTo("not called");
      assertThat(outcome.get(Outcome.Status.BLOCKED)).isEmpty();
      assertThat(Gate.detail(report, "AUTH-MISSING-KEY-401")).contains("expected 401, got 200");
      assertThat(Gate.detail(report, "REQ-BODY-JSON-OBJECT")).contains("got 422");
      assertThat(Gate.detail(report, "REQ-INVALID-400")).contains("no 400 at all");
      assertThat(Gate.detail(report, "RESP-LENGTH-FINISH")).contains("'stop'");
      assertThat(Gate.detail(report, "ERR-NO-500-FOR-CLIENT-ERROR")).contains("empty messages");
      assertThat(Gate.detail(report, "TRANSPORT-BODY-LIMIT")).contains("body limit is higher");
      assertThat(Gate.detail(report, "RESP-USAGE-TOTAL")).contains("RESP-USAGE fails");
    }
  }

  @Test
  void aTargetThatNeverCallsAToolFailsTheToolRulesWhenTheRunRequiresTools() throws Exception {
    try (OfficialDemoServer server = new OfficialDemoServer(OfficialDemoServer.Dialect.CHATGLM2)) {
      RunReport report = Gate.run(server.baseUrl(), reports, RunContext.REQUIRE, "tools");
      Map<Outcome.Status, Set<String>> outcome = Gate.outcome(report);
      assertThat(outcome.get(Outcome.Status.FAIL)).containsAll(Gate.TOOLS);
      assertThat(Gate.detail(report, "TOOLS-CHOICE-NAMED"))
          .startsWith("expected tool calls (--require tools), got none");
      assertThat(report.tools()).isEqualTo("not called");
      assertThat(report.exitCode()).isEqualTo(1);
    }
  }

  @Test
  void chatGlm3DemoFindsItsModelAndFailsExactlyItsRealDifferences() throws Exception {
    try (OfficialDemoServer server = new OfficialDemoServer(OfficialDemoServer.Dialect.CHATGLM3)) {
      RunReport report = Gate.run(server.baseUrl(), reports);
      Map<Outcome.Status, Set<String>> outcome = Gate.outcome(report);
      assertThat(report.target().model()).isEqualTo("chatglm3-6b");
      // Its tools dialect: function_call where tools asked for tool_calls, tool_choice ignored,
      // no role tool, broken tool input taken; its calls pass the function-call rules.
      assertThat(outcome.get(Outcome.Status.FAIL))
          .as(Gate.explain(report))
          .isEqualTo(
              with(
                  BOTH_FAIL,
                  "FUNCTION-CALL-MESSAGES",
                  "TOOLS-CALL-SHAPE",
                  "TOOLS-FINISH-REASON",
                  "TOOLS-CHOICE-NONE",
                  "TOOLS-CHOICE-NAMED",
                  "TOOLS-CHOICE-REQUIRED",
                  "TOOLS-RESULT-ANSWERED",
                  "TOOLS-DEFINITION",
                  "REQ-TOOL-MESSAGE",
                  "TOOLS-INVALID-400"));
      assertThat(outcome.get(Outcome.Status.PASS))
          .isEqualTo(
              with(
                  BOTH_PASS,
                  "RESP-ID",
                  "RESP-USAGE",
                  "RESP-USAGE-TOTAL",
                  "RESP-USAGE-MAX-TOKENS",
                  "FUNCTION-CALL-SHAPE",
                  "TOOLS-REQUEST-ACCEPTED",
                  "TOOLS-ARGUMENTS-JSON",
                  "TOOLS-ARGUMENTS-VALID"));
      assertThat(Gate.detail(report, "TOOLS-CALL-SHAPE")).contains("ChatGLM3 demo's dialect");
      assertThat(Gate.detail(report, "FUNCTION-CALL-MESSAGES")).contains("500");
      assertThat(report.tools()).isEqualTo("called");
      assertThat(Gate.detail(report, "REQ-MESSAGE-CONTENT")).contains("500");
      assertThat(Gate.detail(report, "REQ-LEGAL-VARIATIONS"))
          .contains("an assistant turn with content null")
          .doesNotContain("optional fields that OpenAI");
      assertThat(Gate.detail(report, "ERR-NO-500-FOR-CLIENT-ERROR"))
          .contains("a user message without content");
      assertThat(Gate.detail(report, "RESP-LENGTH-FINISH")).contains("'stop' with 1 tokens");
      assertThat(Gate.detail(report, "STREAM-CHUNK-IDS")).contains("created");
    }
  }

  @Test
  void fuzzingTheChatGlm3DemoFindsItsDialectAsMinimalRequests() throws Exception {
    try (OfficialDemoServer server = new OfficialDemoServer(OfficialDemoServer.Dialect.CHATGLM3)) {
      RunReport report =
          Gate.run(
              server.baseUrl(),
              reports,
              FuzzSettings.CASES,
              "200",
              FuzzSettings.SEED,
              "7",
              FuzzSettings.TIME,
              "60");
      FuzzReport fuzz = report.fuzz();
      assertThat(fuzz.sent()).isEqualTo(200);
      // pydantic answers a broken request with 422, and the simplest one shows it
      Finding unprocessable =
          fuzz.findings(FuzzRules.INVALID_REJECTED).stream()
              .filter(finding -> finding.status() == 422)
              .findFirst()
              .orElseThrow(() -> new AssertionError(fuzz.findings().toString()));
      assertThat(unprocessable.minimal().path("messages").size()).isLessThanOrEqualTo(1);
      assertThat(unprocessable.answer()).contains("detail");
      // its other differences come out as minimal requests too: a last message that is not the
      // user's is refused, a temperature of -1 accepted, chunks carry no created
      assertThat(fuzz.findings())
          .anySatisfy(
              finding -> {
                assertThat(finding.rule()).isEqualTo(FuzzRules.VALID_ACCEPTED);
                assertThat(finding.status()).isEqualTo(400);
              });
      assertThat(fuzz.findings())
          .anySatisfy(finding -> assertThat(finding.kind()).isEqualTo("STREAM-CHUNK-IDS"));
      assertThat(Gate.outcome(report).get(Outcome.Status.FAIL))
          .contains(FuzzRules.INVALID_REJECTED, FuzzRules.VALID_ACCEPTED, FuzzRules.ANSWER_SHAPE);
      assertThat(report.exitCode()).isEqualTo(1);
    }
  }

  @Test
  void aServerThatRequiresModelAndListsNoneIsBlockedWithTheHintThenPassesWithModel()
      throws Exception {
    try (OfficialDemoServer server =
        new OfficialDemoServer(OfficialDemoServer.Dialect.CHATGLM3, false)) {
      RunReport without = Gate.run(server.baseUrl(), reports);
      assertThat(without.rootCause())
          .hasValueSatisfying(
              cause -> assertThat(cause).contains("422").contains("give --model NAME"));
      assertThat(Gate.outcome(without).get(Outcome.Status.BLOCKED)).contains("RESP-MODEL");

      RunReport with =
          Gate.run(server.baseUrl(), reports, TargetSettings.TARGET_MODEL, "chatglm3-6b");
      assertThat(with.rootCause()).isEmpty();
      assertThat(with.baseline().modelSource()).isEqualTo("given");
      assertThat(Gate.outcome(with).get(Outcome.Status.PASS)).contains("RESP-MODEL", "RESP-USAGE");
    }
  }

  @Test
  void theCommandSaysWhichModelItFoundAndRecordsWhatItSent() throws Exception {
    CliRun run;
    try (OfficialDemoServer server = new OfficialDemoServer(OfficialDemoServer.Dialect.CHATGLM3)) {
      run =
          CliRun.of(
              "--target", server.baseUrl(),
              "--api-key", "sk-test-0123456789abcdef",
              "--header", "X-Tenant: team-a",
              "--header", "X-Gateway-Token: gw-secret-0123456789",
              "--report-dir", reports.toString());
    }
    assertThat(run.code()).isEqualTo(1);
    assertThat(run.out()).contains("Model: chatglm3-6b (the first model listed at GET /v1/models)");
    JsonNode summary = Json.MAPPER.readTree(reports.resolve("summary.json").toFile());
    assertThat(summary.path("target").path("model").asText()).isEqualTo("chatglm3-6b");
    assertThat(summary.path("target").path("headers").path("X-Tenant").asText())
        .isEqualTo("team-a");
    assertThat(summary.path("target").path("headers").path("X-Gateway-Token").asText())
        .isEqualTo("…6789");
    try (Stream<Path> files = Files.walk(reports)) {
      for (Path file : files.filter(Files::isRegularFile).toList()) {
        assertThat(Files.readString(file, StandardCharsets.ISO_8859_1))
            .as("%s", file)
            .doesNotContain("gw-secret-0123456789")
            .doesNotContain("sk-test-0123456789abcdef");
      }
    }
    // The headers went out with the requests (the Allure attachments show them, masked).
    try (Stream<Path> files = Files.walk(reports.resolve("allure-results"))) {
      assertThat(
              files
                  .filter(f -> f.toString().endsWith(".txt"))
                  .anyMatch(OfficialServersIT::hasTenant))
          .isTrue();
    }
  }

  private static boolean hasTenant(Path file) {
    try {
      return Files.readString(file).contains("X-Tenant: team-a");
    } catch (java.io.IOException e) {
      return false;
    }
  }

  @Test
  void waiversAndAnEarlierSummaryLetAGateAdoptAServerThatIsNotThereYet() throws Exception {
    Path first = reports.resolve("first");
    Path second = reports.resolve("second");
    try (OfficialDemoServer chatglm3 = new OfficialDemoServer(OfficialDemoServer.Dialect.CHATGLM3);
        OfficialDemoServer chatglm2 = new OfficialDemoServer(OfficialDemoServer.Dialect.CHATGLM2)) {
      RunReport before = Gate.run(chatglm3.baseUrl(), first);
      assertThat(before.exitCode()).isEqualTo(1);

      // Against the earlier summary, only what passed there and fails now breaks the build.
      RunReport compared =
          Gate.run(
              chatglm2.baseUrl(),
              second,
              ConformanceRun.PREVIOUS_SUMMARY,
              before.summaryFile().toString());
      assertThat(compared.breaking())
          .extracting(rule -> rule.rule().id())
          .containsExactlyInAnyOrder("RESP-ID", "RESP-USAGE");
      assertThat(compared.exitCode()).isEqualTo(1);

      // Waived, those two no longer change the exit code, and every report says so.
      RunReport waived =
          Gate.run(
              chatglm2.baseUrl(),
              second,
              ConformanceRun.PREVIOUS_SUMMARY,
              before.summaryFile().toString(),
              RunContext.WAIVERS,
              "RESP-ID=the demo sends no id; tracked in TICKET-1\nRESP-USAGE=the demo sends no usage");
      assertThat(waived.exitCode()).isZero();
      assertThat(Gate.outcome(waived).get(Outcome.Status.WAIVED))
          .containsExactlyInAnyOrder("RESP-ID", "RESP-USAGE");
      assertThat(Gate.detail(waived, "RESP-ID")).startsWith("waived: the demo sends no id");
      String junit = Files.readString(second.resolve("junit").resolve("TEST-junit-jupiter.xml"));
      assertThat(junit).contains("waived: the demo sends no id");
      JsonNode summary = Json.MAPPER.readTree(waived.summaryFile().toFile());
      assertThat(summary.path("counts").path("waived").asInt()).isEqualTo(2);
      assertThat(summary.path("passed").asBoolean()).isTrue();
    }
  }
}
