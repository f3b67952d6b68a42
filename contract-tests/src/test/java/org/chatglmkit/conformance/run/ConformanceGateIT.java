package org.chatglmkit.conformance.run;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.chatglmkit.conformance.fuzz.FuzzRules;
import org.chatglmkit.mockserver.client.TargetSettings;
import org.chatglmkit.mockserver.core.FaultKind;
import org.chatglmkit.mockserver.core.FaultPolicy;
import org.chatglmkit.mockserver.core.Json;
import org.chatglmkit.mockserver.server.ReferenceServer;
import org.chatglmkit.mockserver.server.ServerConfig;
import org.chatglmkit.schemas.RuleCatalogue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gate against the reference server: it passes, reports rule by rule, and never leaks a key.
 */
class ConformanceGateIT {
  private static final String KEY = "sk-gate-0123456789abcdef";
  private static final String FORBIDDEN = "sk-forbidden-0123456789abcdef";

  @TempDir Path reports;

  private static String failures(RunReport report) {
    return report.rules().stream()
        .filter(rule -> rule.status() == Outcome.Status.FAIL)
        .map(rule -> rule.rule().id() + ": " + rule.detail())
        .toList()
        .toString();
  }

  private static List<String> withStatus(RunReport report, Outcome.Status status) {
    return report.rules().stream()
        .filter(rule -> rule.status() == status)
        .map(rule -> rule.rule().id())
        .toList();
  }

  @Test
  void passesTheEmbeddedReferenceServerInTheOpenaiProfile() {
    RunReport report = ConformanceRun.run(Map.of(TargetSettings.PROFILE, "openai"), reports);
    assertThat(withStatus(report, Outcome.Status.FAIL)).as(failures(report)).isEmpty();
    assertThat(report.target().embedded()).isTrue();
    // Neither can be provoked from outside; the run says so instead of passing them. Fuzzing
    // was not asked for.
    assertThat(withStatus(report, Outcome.Status.SKIP))
        .containsExactlyInAnyOrder(
            "STREAM-ERROR-EVENT",
            "ERR-RETRY-AFTER",
            FuzzRules.VALID_ACCEPTED,
            FuzzRules.INVALID_REJECTED,
            FuzzRules.NO_5XX,
            FuzzRules.NO_HANG,
            FuzzRules.ANSWER_SHAPE);
    assertThat(report.exitCode()).isZero();
  }

  @Test
  void skipsOpenaiRulesWithTheReasonInTheDocumentedProfile() {
    RunReport report = ConformanceRun.run(Map.of(TargetSettings.PROFILE, "documented"), reports);
    assertThat(withStatus(report, Outcome.Status.FAIL)).as(failures(report)).isEmpty();
    assertThat(report.rules())
        .filteredOn(rule -> rule.rule().profile().id().equals("openai"))
        .isNotEmpty()
        .allSatisfy(
            rule -> {
              assertThat(rule.status()).isEqualTo(Outcome.Status.SKIP);
              assertThat(rule.detail()).contains("openai profile");
            });
  }

  @Test
  void retriesBusyAnswersAndChecksTheirRetryAfter() {
    ServerConfig config =
        ServerConfig.builder()
            .port(0)
            .latency(TargetSettings.EMBEDDED_LATENCY)
            .faults(
                new FaultPolicy(
                    Map.of(FaultKind.RATE_LIMIT, 0.05, FaultKind.OVERLOADED, 0.05), 0, 1000))
            .build();
    try (ReferenceServer server = ReferenceServer.start(config)) {
      RunReport report =
          ConformanceRun.run(
              Map.of(
                  TargetSettings.URL,
                  server.baseUrl(),
                  TargetSettings.API_KEY,
                  ServerConfig.DEVELOPMENT_KEY,
                  TargetSettings.FORBIDDEN_KEY,
                  ""),
              reports);
      assertThat(withStatus(report, Outcome.Status.FAIL)).as(failures(report)).isEmpty();
      assertThat(report.rules())
          .filteredOn(rule -> rule.rule().id().equals("AUTH-FORBIDDEN-KEY-403"))
          .singleElement()
          .satisfies(rule -> assertThat(rule.detail()).contains("no forbidden key given"));
      // Busy answers came (one request in ten, about 100 requests) and carried Retry-After ...
      assertThat(report.rules())
          .filteredOn(rule -> rule.rule().id().equals("ERR-RETRY-AFTER"))
          .singleElement()
          .satisfies(rule -> assertThat(rule.status()).isEqualTo(Outcome.Status.PASS));
      // ... and every one was retried until it was answered: no rule went unjudged for it.
      assertThat(report.rules())
          .filteredOn(rule -> rule.detail() != null && rule.detail().contains("stayed busy"))
          .isEmpty();
    }
  }

  @Test
  void writesJunitXmlAllureResultsAndASummaryWithoutTheKeys() throws IOException {
    // A key given as a system property would otherwise land in the JUnit XML's property list.
    System.setProperty("chatglm.test.leak", KEY);
    ServerConfig config =
        ServerConfig.builder()
            .port(0)
            .apiKey(KEY)
            .forbiddenKey(FORBIDDEN)
            .latency(TargetSettings.EMBEDDED_LATENCY)
            .build();
    try (ReferenceServer server = ReferenceServer.start(config)) {
      RunReport report =
          ConformanceRun.run(
              Map.of(
                  TargetSettings.URL, server.baseUrl() + "/v1/chat/completions",
                  TargetSettings.API_KEY, KEY,
                  TargetSettings.FORBIDDEN_KEY, FORBIDDEN),
              reports);
      assertThat(report.failed()).isZero();
    }
    System.clearProperty("chatglm.test.leak");
    List<Path> files;
    try (Stream<Path> walk = Files.walk(reports)) {
      files = walk.filter(Files::isRegularFile).toList();
    }
    assertThat(files).anySatisfy(f -> assertThat(f.toString()).endsWith(".xml"));
    assertThat(files).anySatisfy(f -> assertThat(f.toString()).endsWith("-result.json"));
    assertThat(files).anySatisfy(f -> assertThat(f.toString()).contains("attachment"));
    for (Path file : files) {
      String text = Files.readString(file, StandardCharsets.UTF_8);
      assertThat(text).as("%s", file).doesNotContain(KEY).doesNotContain(FORBIDDEN);
    }
    String junit = Files.readString(reports.resolve("junit").resolve("TEST-junit-jupiter.xml"));
    assertThat(junit).contains("[REQ-TEMPERATURE] refuses a temperature outside zero to two");
    String allure =
        files.stream()
            .filter(f -> f.toString().endsWith("-result.json"))
            .map(ConformanceGateIT::read)
            .filter(text -> text.contains("refusesATemperatureOutsideZeroToTwo"))
            .findFirst()
            .orElseThrow();
    assertThat(allure).contains("\"rule\"").contains("REQ-TEMPERATURE").contains("attachments");
    // Every result sits in its rule's feature group, the checks that did not run (fuzzing was not
    // asked for) included, and no title is mangled from a method name.
    for (Path file : files) {
      if (!file.toString().endsWith("-result.json")) {
        continue;
      }
      JsonNode result = Json.MAPPER.readTree(file.toFile());
      List<String> features = new java.util.ArrayList<>();
      result
          .path("labels")
          .forEach(
              label -> {
                if (label.path("name").asText().equals("feature")) {
                  features.add(label.path("value").asText());
                }
              });
      assertThat(features).as("feature of %s", result.path("name").asText()).hasSize(1);
      if (result.path("name").asText().toLowerCase(java.util.Locale.ROOT).contains("generated")) {
        assertThat(features).containsExactly("fuzzing");
        assertThat(result.path("status").asText()).isEqualTo("skipped");
      }
      assertThat(result.path("name").asText()).doesNotContain("a5 xx");
    }
    JsonNode summary = Json.MAPPER.readTree(reports.resolve("summary.json").toFile());
    assertThat(summary.path("passed").asBoolean()).isTrue();
    assertThat(summary.path("rules")).hasSize(RuleCatalogue.get().all().size());
    assertThat(summary.path("target").path("api_key").asText()).isEqualTo("…cdef");
  }

  private static String read(Path file) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
