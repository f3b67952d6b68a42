package org.chatglmkit.conformance.broken;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.chatglmkit.conformance.broken.Distortion.Answer;
import org.chatglmkit.conformance.cli.CliRun;
import org.chatglmkit.conformance.fuzz.Finding;
import org.chatglmkit.conformance.fuzz.FuzzCampaign;
import org.chatglmkit.conformance.fuzz.FuzzReport;
import org.chatglmkit.conformance.fuzz.FuzzRules;
import org.chatglmkit.conformance.fuzz.FuzzSettings;
import org.chatglmkit.conformance.http.ChatGlmClient;
import org.chatglmkit.mockserver.client.Target;
import org.chatglmkit.mockserver.client.TargetSettings;
import org.chatglmkit.mockserver.core.Json;
import org.chatglmkit.mockserver.core.LatencyProfile;
import org.chatglmkit.mockserver.server.ReferenceServer;
import org.chatglmkit.mockserver.server.ServerConfig;
import org.chatglmkit.schemas.Profile;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Fuzzing finds bugs that only unusual valid (or subtly invalid) input reaches: each planted bug
 * sits in a proxy in front of the reference server, is found within 300 generated requests at a
 * fixed seed, and is shrunk to a request that holds the offending field and nothing it does not
 * need.
 */
class PlantedBugsIT {
  static final int CASES = 300;
  static final long SEED = 7;

  /** The reference server as the gate starts it (paced), and one unpaced behind the proxies. */
  private static ReferenceServer reference;

  private static ReferenceServer unpaced;

  @BeforeAll
  static void startReference() {
    reference = ReferenceServer.start(TargetSettings.embeddedServer().build());
    unpaced =
        ReferenceServer.start(
            TargetSettings.embeddedServer().latency(LatencyProfile.none()).build());
  }

  @AfterAll
  static void stopReference() {
    reference.close();
    unpaced.close();
  }

  /**
   * A bug planted in a server.
   *
   * @param name what the server gets wrong
   * @param distortion the proxy that plants it
   * @param rule the fuzzing rule that must catch it
   * @param minimal what the shrunk request must look like
   */
  record Bug(String name, Distortion distortion, String rule, Predicate<JsonNode> minimal) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Bug> bugs() {
    return Stream.of(
        new Bug(
            "500 when a content is empty",
            answerWhen(anyMessage(m -> m.path("content").asText("x").isEmpty()), error(500)),
            FuzzRules.NO_5XX,
            fields("messages", "history")
                .and(oneOffendingMessage(m -> m.path("content").asText().isEmpty()))),
        new Bug(
            "400 for a temperature with three decimals",
            answerWhen(body -> body.path("temperature").decimalValue().scale() >= 3, error(400)),
            FuzzRules.VALID_ACCEPTED,
            only("messages", "temperature")
                .and(body -> body.path("temperature").decimalValue().scale() == 3)
                .and(oneMessage(m -> true))),
        new Bug(
            "500 for a max_tokens beyond 32 bits",
            answerWhen(body -> body.path("max_tokens").asLong() > Integer.MAX_VALUE, error(500)),
            FuzzRules.NO_5XX,
            only("messages", "max_tokens").and(oneMessage(m -> true))),
        new Bug(
            "400 for a name of 64 characters (off by one)",
            answerWhen(anyMessage(m -> m.path("name").asText().length() == 64), error(400)),
            FuzzRules.VALID_ACCEPTED,
            // The offending name alone, in messages or in history (beside the one message that
            // messages cannot do without).
            fields("messages", "history")
                .and(body -> body.path("messages").size() + body.path("history").size() <= 2)
                .and(anyMessage(m -> m.path("name").asText().length() == 64))),
        new Bug(
            "500 for an assistant message without content",
            answerWhen(
                anyMessage(m -> m.path("role").asText().equals("assistant") && !m.has("content")),
                error(500)),
            FuzzRules.NO_5XX,
            // The offending turn alone, in messages or in history (beside the one message that
            // messages cannot do without).
            fields("messages", "history")
                .and(body -> body.path("messages").size() + body.path("history").size() <= 2)
                .and(
                    anyMessage(
                        m -> m.equals(Json.MAPPER.createObjectNode().put("role", "assistant"))))),
        new Bug(
            "400 for null in an optional field (the openai reading takes it as not given)",
            Distortions.refusesNull(),
            FuzzRules.VALID_ACCEPTED,
            body ->
                body.path("messages").size() == 1
                    && ((body.size() == 2
                            && Distortions.NULLABLE.stream().anyMatch(f -> body.path(f).isNull()))
                        || (body.size() == 1
                            && body.path("messages").path(0).path("content").isNull()))),
        new Bug(
            "500 for an empty history",
            answerWhen(
                body -> body.path("history").isArray() && body.path("history").isEmpty(),
                error(500)),
            FuzzRules.NO_5XX,
            only("messages", "history").and(oneMessage(m -> true))),
        new Bug(
            "500 for a character beyond the BMP",
            answerWhen(
                anyMessage(m -> m.path("content").asText().codePoints().anyMatch(c -> c > 0xFFFF)),
                error(500)),
            FuzzRules.NO_5XX,
            fields("messages", "history")
                .and(
                    oneOffendingMessage(
                        m -> m.path("content").asText().codePoints().count() <= 2))),
        new Bug(
            "400 for a field it does not know",
            answerWhen(
                body -> {
                  var names = body.fieldNames();
                  while (names.hasNext()) {
                    if (names.next().startsWith("x_")) {
                      return true;
                    }
                  }
                  return false;
                },
                error(400)),
            FuzzRules.VALID_ACCEPTED,
            body -> body.size() == 2 && body.path("messages").size() == 1),
        new Bug(
            "a temperature above 2 is accepted",
            Distortion.none()
                .withRequest(
                    request -> {
                      JsonNode body = parse(request.body());
                      if (body instanceof ObjectNode object
                          && object.path("temperature").isNumber()
                          && object.path("temperature").asDouble() > 2) {
                        object.put("temperature", 2);
                        return new Distortion.Request(
                            request.method(),
                            request.path(),
                            request.headers(),
                            object.toString().getBytes(StandardCharsets.UTF_8));
                      }
                      return request;
                    }),
            FuzzRules.INVALID_REJECTED,
            only("messages", "temperature").and(oneMessage(m -> true))),
        new Bug(
            "never answers a content with a line separator (U+2028, U+2029)",
            Distortion.none()
                .withShortCircuit(
                    request -> {
                      if (anyMessage(
                              m -> m.path("content").asText().matches("(?s).*[\u2028\u2029].*"))
                          .test(parse(request.body()))) {
                        try {
                          Thread.sleep(30_000);
                        } catch (InterruptedException e) {
                          Thread.currentThread().interrupt();
                        }
                      }
                      return null;
                    }),
            FuzzRules.NO_HANG,
            fields("messages", "history")
                .and(
                    oneOffendingMessage(
                        m -> m.path("content").asText().codePoints().count() <= 2))),
        new Bug(
            "a stream of control characters ends without [DONE]",
            answerWhen(
                body ->
                    body.path("stream").asBoolean()
                        && anyMessage(
                                m -> m.path("content").asText().chars().anyMatch(c -> c < 0x20))
                            .test(body),
                new Answer(
                    200,
                    Map.of("Content-Type", "text/event-stream"),
                    ("data: {\"object\":\"chat.completion.chunk\",\"id\":\"c\",\"model\":\"m\","
                            + "\"created\":1,\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"},"
                            + "\"finish_reason\":\"stop\"}]}\n\n")
                        .getBytes(StandardCharsets.UTF_8))),
            FuzzRules.ANSWER_SHAPE,
            fields("messages", "history", "stream", "max_tokens")
                .and(oneOffendingMessage(m -> m.path("content").asText().length() <= 2))));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("bugs")
  void findsThePlantedBugAndShrinksItToTheOffendingField(Bug bug) throws Exception {
    try (MutatingProxy proxy = new MutatingProxy(unpaced.baseUrl(), bug.distortion())) {
      Duration timeout = Duration.ofSeconds(bug.rule().equals(FuzzRules.NO_HANG) ? 1 : 3);
      FuzzReport report = fuzz(proxy.baseUrl(), CASES, SEED, timeout);
      assertThat(report.findings()).as(report.summaryLine()).isNotEmpty();
      Finding finding =
          report.findings().stream()
              .filter(f -> f.rule().equals(bug.rule()))
              .filter(
                  f ->
                      f.requestKind()
                          .startsWith(
                              bug.rule().equals(FuzzRules.INVALID_REJECTED) ? "breaks" : "valid"))
              .findFirst()
              .orElseThrow(
                  () -> new AssertionError("no " + bug.rule() + " finding: " + report.findings()));
      assertThat(finding.shrunk()).as(finding.toString()).isTrue();
      assertThat(bug.minimal().test(finding.minimal()))
          .as("minimal request %s (%d shrink steps)", finding.minimalJson(), finding.shrinkSteps())
          .isTrue();
      assertThat(finding.curl())
          .contains("$CHATGLM_API_KEY")
          .doesNotContain(ServerConfig.DEVELOPMENT_KEY);
    }
  }

  @Test
  void theGateCommandPrintsAndStoresTheMinimalRequestAndTheSameSeedReplaysIt(@TempDir Path dir)
      throws Exception {
    Bug bug = bugs().findFirst().orElseThrow();
    try (MutatingProxy proxy = new MutatingProxy(unpaced.baseUrl(), bug.distortion())) {
      String[] args = {
        "--target",
        proxy.baseUrl(),
        "--api-key",
        ServerConfig.DEVELOPMENT_KEY,
        "--fuzz",
        "300",
        "--seed",
        "7",
        "--fuzz-time",
        "60",
        "--timeout",
        "5",
        "--report-dir",
        dir.resolve("first").toString()
      };
      CliRun first = CliRun.of(args);
      assertThat(first.code()).as(first.out() + first.err()).isEqualTo(1);
      assertThat(first.out())
          .containsPattern("FUZZ-NO-5XX +FAIL")
          .contains("Fuzzing: 300 of 300 cases sent")
          .contains("curl -sS -X POST '" + proxy.baseUrl() + "/v1/chat/completions'")
          .contains("\"API-KEY: $CHATGLM_API_KEY\"")
          .contains("--seed 7")
          .doesNotContain(ServerConfig.DEVELOPMENT_KEY);
      JsonNode summary = Json.MAPPER.readTree(dir.resolve("first/summary.json").toFile());
      JsonNode finding = summary.path("fuzz").path("findings").path(0);
      assertThat(finding.path("rule").asText()).startsWith("FUZZ-");
      assertThat(finding.path("minimal_request").isObject()).isTrue();
      assertThat(finding.path("status").asInt()).isEqualTo(500);
      assertThat(finding.path("answer_excerpt").asText()).contains("planted");
      assertThat(finding.path("seed").asLong()).isEqualTo(7);
      assertThat(finding.path("curl").asText()).contains("<<'JSON'");
      assertThat(summary.path("fuzz").path("cases_per_second").asDouble()).isPositive();
      try (Stream<Path> files = Files.list(dir.resolve("first/allure-results"))) {
        assertThat(files.map(Path::toString)).anyMatch(name -> name.endsWith("-attachment.txt"));
      }
      assertThat(Files.readString(dir.resolve("first/summary.json")))
          .doesNotContain(ServerConfig.DEVELOPMENT_KEY);

      args[args.length - 1] = dir.resolve("again").toString();
      CliRun again = CliRun.of(args);
      JsonNode replay = Json.MAPPER.readTree(dir.resolve("again/summary.json").toFile());
      assertThat(replay.path("fuzz").path("findings"))
          .isEqualTo(summary.path("fuzz").path("findings"));
      assertThat(again.code()).isEqualTo(1);
    }
  }

  /**
   * The document does not say what {@code null} means: in the documented profile a server that
   * refuses it and one that takes it as absent are both left unjudged.
   */
  @Test
  void nullInAnOptionalFieldIsNeverAFindingInTheDocumentedProfile() throws Exception {
    try (MutatingProxy strict = new MutatingProxy(unpaced.baseUrl(), Distortions.refusesNull())) {
      for (String url : List.of(unpaced.baseUrl(), strict.baseUrl())) {
        FuzzReport report = fuzz(url, CASES, SEED, Duration.ofSeconds(3), Profile.DOCUMENTED);
        assertThat(report.findings()).as(url + ": " + report.summaryLine()).isEmpty();
        assertThat(report.sent()).isEqualTo(CASES);
      }
    }
  }

  @Test
  void theReferenceServerHasNoFindingInAThousandCases() {
    FuzzReport report = fuzz(reference.baseUrl(), 1000, SEED);
    assertThat(report.findings()).as(report.summaryLine()).isEmpty();
    assertThat(report.sent()).isEqualTo(1000);
    assertThat(report.streamed()).isPositive();
    assertThat(report.invalid()).isPositive();
  }

  static FuzzReport fuzz(String url, int cases, long seed) {
    return fuzz(url, cases, seed, Duration.ofSeconds(3));
  }

  /** Fuzzes with {@code timeout} for each exchange (short where a bug hangs). */
  static FuzzReport fuzz(String url, int cases, long seed, Duration timeout) {
    return fuzz(url, cases, seed, timeout, Profile.OPENAI);
  }

  static FuzzReport fuzz(String url, int cases, long seed, Duration timeout, Profile profile) {
    Target target =
        new Target(url, ServerConfig.DEVELOPMENT_KEY, null, profile, false, null, Map.of());
    try (ChatGlmClient client =
        new ChatGlmClient(
            target,
            new ChatGlmClient.Limits(
                timeout,
                ChatGlmClient.Limits.DEFAULT_MAX_BYTES,
                8,
                System.nanoTime() + Duration.ofMinutes(2).toNanos()))) {
      return FuzzCampaign.run(
          client,
          new FuzzSettings(
              cases,
              seed,
              true,
              Duration.ofSeconds(90),
              FuzzSettings.DEFAULT_MAX_PROMPT_BYTES,
              FuzzSettings.DEFAULT_MAX_TOKENS),
          System.nanoTime() + Duration.ofMinutes(2).toNanos());
    }
  }

  private static Distortion answerWhen(Predicate<JsonNode> when, Answer answer) {
    return Distortion.none()
        .withShortCircuit(
            request ->
                request.path().startsWith("/v1/chat/completions")
                        && when.test(parse(request.body()))
                    ? answer
                    : null);
  }

  private static Answer error(int status) {
    String type = status == 400 ? "invalid_request_error" : "api_error";
    return new Answer(
        status,
        Map.of("Content-Type", "application/json"),
        ("{\"error\":{\"message\":\"planted\",\"type\":\"" + type + "\"}}")
            .getBytes(StandardCharsets.UTF_8));
  }

  private static JsonNode parse(byte[] body) {
    try {
      return Json.MAPPER.readTree(body);
    } catch (Exception e) {
      return Json.MAPPER.nullNode();
    }
  }

  private static Predicate<JsonNode> anyMessage(Predicate<JsonNode> test) {
    return body -> {
      for (String list : new String[] {"messages", "history"}) {
        for (JsonNode message : body.path(list)) {
          if (message.isObject() && test.test(message)) {
            return true;
          }
        }
      }
      return false;
    };
  }

  /** The request has exactly these top-level fields. */
  private static Predicate<JsonNode> only(String... fields) {
    return body -> {
      if (body.size() != fields.length) {
        return false;
      }
      for (String field : fields) {
        if (!body.has(field)) {
          return false;
        }
      }
      return true;
    };
  }

  /** The request has no top-level field but these (and needs not have all). */
  private static Predicate<JsonNode> fields(String... allowed) {
    java.util.Set<String> names = java.util.Set.of(allowed);
    return body -> {
      var present = body.fieldNames();
      while (present.hasNext()) {
        if (!names.contains(present.next())) {
          return false;
        }
      }
      return true;
    };
  }

  /**
   * At most one message in messages and one in history; the one that {@code test} accepts (the
   * offending one) has no field but role, content and name.
   */
  private static Predicate<JsonNode> oneOffendingMessage(Predicate<JsonNode> test) {
    return body -> {
      if (body.path("messages").size() != 1 || body.path("history").size() > 1) {
        return false;
      }
      for (String list : new String[] {"messages", "history"}) {
        for (JsonNode message : body.path(list)) {
          var names = message.fieldNames();
          boolean plain = true;
          while (names.hasNext()) {
            String name = names.next();
            plain &= name.equals("role") || name.equals("content") || name.equals("name");
          }
          if (plain && message.has("content") && test.test(message)) {
            return true;
          }
        }
      }
      return false;
    };
  }

  /**
   * One message, with no field it does not need (name and unknown fields only if the test wants).
   */
  private static Predicate<JsonNode> oneMessage(Predicate<JsonNode> test) {
    return body -> {
      JsonNode messages = body.path("messages");
      if (messages.size() != 1) {
        return false;
      }
      JsonNode message = messages.get(0);
      var names = message.fieldNames();
      while (names.hasNext()) {
        String name = names.next();
        if (!name.equals("role") && !name.equals("content") && !name.equals("name")) {
          return false;
        }
      }
      return test.test(message);
    };
  }
}
