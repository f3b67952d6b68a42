package org.chatglmkit.load.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.chatglmkit.load.Merge;
import org.chatglmkit.mockserver.core.FaultKind;
import org.chatglmkit.mockserver.core.FaultPolicy;
import org.chatglmkit.mockserver.core.Json;
import org.chatglmkit.mockserver.core.LatencyProfile;
import org.chatglmkit.mockserver.core.ServingModel;
import org.chatglmkit.mockserver.server.ReferenceServer;
import org.chatglmkit.mockserver.server.ServerConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The command as users run it: {@code java -jar target/chatglm-load.jar ...} in a process of its
 * own, against the embedded server, a reference server on loopback, proxies that misbehave in front
 * of it, and a server that freezes mid-run.
 */
class LoadCommandIT {
  static final Path JAR = Path.of("target/chatglm-load.jar");
  static final String KEY = "chatglm-dev-key";

  static ReferenceServer server;

  @TempDir Path dir;

  @BeforeAll
  static void startServer() {
    server =
        ReferenceServer.start(
            ServerConfig.builder().port(0).latency(new LatencyProfile(100, 10, 0)).build());
  }

  @AfterAll
  static void stopServer() {
    server.close();
  }

  /** What a run of the command printed and returned. */
  record Run(int exit, String output, Duration took) {}

  static Run command(Path dir, Duration limit, String... args) throws Exception {
    List<String> line = new ArrayList<>();
    line.add(ProcessHandle.current().info().command().orElse("java"));
    line.add("-jar");
    line.add(JAR.toAbsolutePath().toString());
    line.addAll(List.of(args));
    Path log = Files.createTempFile(dir, "run", ".log");
    long start = System.nanoTime();
    Process process =
        new ProcessBuilder(line).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    if (!process.waitFor(limit.toSeconds(), TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError(
          "the command did not end within " + limit + ":\n" + Files.readString(log));
    }
    return new Run(
        process.exitValue(), Files.readString(log), Duration.ofNanos(System.nanoTime() - start));
  }

  /** The command against {@code url} with the test key, reporting under {@code dir/r}. */
  Run against(String url, Duration limit, String... args) throws Exception {
    List<String> all = new ArrayList<>(List.of("--target", url, "--api-key", KEY));
    all.addAll(List.of(args));
    if (!all.contains("--report-dir")) {
      all.addAll(List.of("--report-dir", dir.resolve("r").toString()));
    }
    return command(dir, limit, all.toArray(String[]::new));
  }

  static JsonNode summary(Path reports) throws IOException {
    try (Stream<Path> files = Files.walk(reports)) {
      Path summary =
          files
              .filter(p -> p.getFileName().toString().equals("summary.json"))
              .findFirst()
              .orElseThrow();
      return Json.MAPPER.readTree(summary.toFile());
    }
  }

  @Test
  void aSmokeAgainstTheEmbeddedServerPassesWithRealTokenCounts() throws Exception {
    Path reports = dir.resolve("reports");
    Run run = command(dir, Duration.ofMinutes(2), "--report-dir", reports.toString());
    assertThat(run.exit()).as(run.output()).isZero();
    assertThat(run.output()).contains("in flight").contains("chatglm-load: PASSED");
    JsonNode summary = summary(reports);
    assertThat(summary.path("completed").asLong()).isGreaterThanOrEqualTo(15);
    assertThat(summary.path("total_input_tokens").asLong()).isPositive();
    assertThat(summary.path("token_counts").path("input_source").path("usage").asLong())
        .isEqualTo(summary.path("completed").asLong());
    assertThat(summary.path("buffered_streams").asLong()).isZero();
    try (Stream<Path> files = Files.walk(reports)) {
      assertThat(files.anyMatch(p -> p.getFileName().toString().equals("report.html"))).isTrue();
    }
  }

  @Test
  void theClientTokenizerAgreesWithTheDjlServersUsage() throws Exception {
    Path tokenizer = dir.resolve("tokenizer.model");
    Files.write(tokenizer, org.chatglmkit.djl.TestModelGenerator.bundledTokenizer());
    Path reports = dir.resolve("reports");
    Run run =
        command(
            dir,
            Duration.ofMinutes(3),
            "--embedded-backend",
            "djl",
            "--scenario",
            "chat",
            "--tokenizer",
            tokenizer.toString(),
            "--max-tokens",
            "8",
            "--duration",
            "3s",
            "--report-dir",
            reports.toString());
    assertThat(run.exit()).as(run.output()).isZero();
    JsonNode tokens = summary(reports).path("token_counts");
    long completed = summary(reports).path("completed").asLong();
    assertThat(completed).isPositive();
    // Both counts exist for every answer, and the client's count of the prompt (chat template
    // included) is the one the model was given.
    assertThat(tokens.path("compared").path("input_usage_vs_tokenizer").asLong())
        .isEqualTo(completed);
    assertThat(tokens.path("mismatches").path("input_usage_vs_tokenizer").asLong()).isZero();
  }

  @Test
  void aServerThatRequiresModelGetsTheOneItLists() throws Exception {
    try (Proxy proxy = new Proxy(server.baseUrl(), false, "glm-served")) {
      Run run = against(proxy.url(), Duration.ofMinutes(2), "--duration", "2s");
      assertThat(run.exit()).as(run.output()).isZero();
      assertThat(run.output())
          .contains("model: glm-served (the first model listed at GET /v1/models)");
      assertThat(proxy.bodies).isNotEmpty();
      for (String body : proxy.bodies) {
        assertThat(Json.MAPPER.readTree(body).path("model").asText()).isEqualTo("glm-served");
      }
      assertThat(summary(dir.resolve("r")).path("model_source").asText())
          .isEqualTo("the first model listed at GET /v1/models");
    }
  }

  /** Tools, and a dataset whose users ask for one tool, two, or none. */
  private String[] agentWorkload() throws IOException {
    Path tools = dir.resolve("tools.json");
    Files.writeString(
        tools,
        """
        [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object",
          "properties": {"city": {"type": "string"}, "unit": {"enum": ["celsius", "fahrenheit"]}},
          "required": ["city", "unit"]}}},
         {"type": "function", "function": {"name": "get_time", "parameters": {"type": "object",
          "properties": {"timezone": {"type": "string"}}, "required": ["timezone"]}}}]""");
    Path dataset = dir.resolve("agent.jsonl");
    Files.writeString(
        dataset,
        "{\"messages\": [{\"role\": \"user\", \"content\": \"Use get_weather for Paris.\"}]}\n"
            + "{\"messages\": [{\"role\": \"user\", \"content\": \"Use get_weather and get_time"
            + " for Beijing.\"}]}\n"
            + "{\"messages\": [{\"role\": \"user\", \"content\": \"Just say hello.\"}]}\n");
    return new String[] {"--tools", tools.toString(), "--dataset", dataset.toString()};
  }

  @ParameterizedTest
  @ValueSource(strings = {"stream", "chat"})
  void drivesAnAgentLoopAnswersEveryCallAndReportsTheTurns(String scenario) throws Exception {
    try (Proxy proxy = new Proxy(server.baseUrl(), false)) {
      List<String> args = new ArrayList<>(List.of(agentWorkload()));
      args.addAll(List.of("--duration", "3s", "--scenario", scenario));
      Run run = against(proxy.url(), Duration.ofMinutes(2), args.toArray(String[]::new));
      assertThat(run.exit()).as(run.output()).isZero();
      assertThat(run.output()).contains("agent loops: ");
      JsonNode agent = summary(dir.resolve("r")).path("agent");
      assertThat(agent.path("turns").asLong()).isPositive();
      assertThat(agent.path("requests_with_calls").asLong()).isPositive();
      // Two requests in a turn that calls (the call, then the final answer), one in a turn that
      // does not: between 1 and 2 on average, never more than 2.
      assertThat(agent.path("mean_rounds_per_turn").asDouble()).isGreaterThan(1).isLessThan(2);
      assertThat(agent.path("max_rounds_per_turn").asLong()).isEqualTo(2);
      assertThat(agent.path("calls_per_request_with_calls").asDouble()).isGreaterThan(1);
      assertThat(agent.path("call_ttft_ms_p50").asDouble()).isPositive();
      assertThat(agent.path("tokens_per_request_with_calls").asDouble()).isPositive();
      // The second round sends the call back with its result: the arguments echoed.
      assertThat(proxy.bodies)
          .anySatisfy(
              body -> {
                JsonNode messages = Json.MAPPER.readTree(body).path("messages");
                JsonNode last = messages.get(messages.size() - 1);
                assertThat(last.path("role").asText()).isEqualTo("tool");
                assertThat(Json.MAPPER.readTree(last.path("content").asText()).has("city"))
                    .isTrue();
                assertThat(messages.get(messages.size() - 2).path("tool_calls").isArray()).isTrue();
              });
    }
  }

  @Test
  void callArgumentsThatAreNoJsonAreViolationsUnderLoad() throws Exception {
    List<String> args = new ArrayList<>(List.of(agentWorkload()));
    args.addAll(List.of("--duration", "2s", "--header", "X-ChatGLM-Fault: tool-args-not-json"));
    Run run = against(server.baseUrl(), Duration.ofMinutes(2), args.toArray(String[]::new));
    assertThat(run.exit()).as(run.output()).isEqualTo(1);
    assertThat(
            summary(dir.resolve("r"))
                .path("violations_by_rule")
                .path("TOOLS-ARGUMENTS-JSON")
                .asLong())
        .isPositive();
  }

  @Test
  void namesEachStreamFaultItMeets() throws Exception {
    // every stream fault at a seeded rate: the same requests meet the same faults in every run
    java.util.Map<FaultKind, Double> rates = new java.util.EnumMap<>(FaultKind.class);
    for (FaultKind kind :
        List.of(
            FaultKind.MALFORMED_CHUNK,
            FaultKind.CUT,
            FaultKind.CUT_RESET,
            FaultKind.DUPLICATE_EVENT,
            FaultKind.NO_FINAL_CHUNK,
            FaultKind.HOLD_HEADERS,
            FaultKind.KEEPALIVE_FLOOD)) {
      rates.put(kind, 0.12);
    }
    try (ReferenceServer chaos =
        ReferenceServer.start(
            ServerConfig.builder()
                .port(0)
                .latency(new LatencyProfile(20, 5, 0))
                .faults(new FaultPolicy(rates, 1, 600, 7L))
                .requestJournal(false)
                .build())) {
      Run run =
          against(
              chaos.baseUrl(),
              Duration.ofMinutes(2),
              "--load-profile",
              "rate",
              "--rate",
              "25",
              "--duration",
              "4s",
              "--timeout",
              "5s");
      assertThat(run.exit()).as(run.output()).isEqualTo(1);
      JsonNode summary = summary(dir.resolve("r"));
      JsonNode errors = summary.path("errors_by_kind");
      assertThat(errors.path("stream-event-not-json").asLong()).as(errors.toString()).isPositive();
      // closed cleanly or reset: both end the stream before [DONE], well before the timeout
      assertThat(errors.path("stream-cut").asLong()).as(errors.toString()).isPositive();
      assertThat(errors.path("stream-duplicate-event").asLong()).as(errors.toString()).isPositive();
      assertThat(errors.path("stream-no-final-chunk").asLong()).as(errors.toString()).isPositive();
      assertThat(errors.has("stream-stalled")).as(errors.toString()).isFalse();
      // held headers and keep-alive comments are legal: those streams count as completed
      long faulted =
          errors.path("stream-event-not-json").asLong()
              + errors.path("stream-cut").asLong()
              + errors.path("stream-duplicate-event").asLong()
              + errors.path("stream-no-final-chunk").asLong();
      assertThat(summary.path("failed").asLong()).isEqualTo(faulted);
      // about 4 in 10 streams meet no fault or a legal one (seeded: 50 of 100 here)
      assertThat(summary.path("completed").asLong()).isGreaterThanOrEqualTo(30);
    }
  }

  @Test
  void theSweepFindsTheKneeWhereTheServingModelPutsIt() throws Exception {
    // 4 sequences at 20 ms a token, 0.5 ms of prefill a prompt token, 20-token answers: every
    // slot busy completes 4 / (prefill + 19 x 20 ms) calls a second, about 10/s
    ServingModel.Profile model = ServingModel.Profile.linear(4, 256, 20, 0, 0.5);
    try (ReferenceServer serving =
        ReferenceServer.start(
            ServerConfig.builder()
                .port(0)
                .serving(model)
                .replyTokens(20)
                .requestJournal(false)
                .build())) {
      Run run =
          against(
              serving.baseUrl(),
              Duration.ofMinutes(2),
              "--load-profile",
              "sweep",
              "--rate",
              "3",
              "--step-rate",
              "3",
              "--steps",
              "5",
              "--duration",
              "4s",
              "--burstiness",
              "1000",
              // the first calls meet a cold client: answered and checked, not measured
              "--warmup",
              "3s",
              // a queue that grows by 2 calls a second past the knee passes 300 ms within 2 s
              "--slo",
              "ttft=300ms");
      JsonNode capacity = summary(dir.resolve("r")).path("capacity");
      // the prompts are about 30 tokens: 15 ms of prefill
      double predicted = model.capacityPerSecond(30, 20);
      assertThat(predicted).isBetween(9.5, 10.5);
      // the knee is the last step at or below the model's capacity (9/s of 3, 6, 9, 12, 15),
      // within one step (a step of 12 calls breaks on one slow call, so the margin is a step)
      double knee = capacity.path("max_rate_within_slo").asDouble();
      assertThat(knee).as(run.output()).isBetween(predicted - 3 - 0.5, predicted);
    }
  }

  @Test
  void aToolsFileThatIsNoListStopsTheRunInOneLine() throws Exception {
    Path tools = dir.resolve("tools.json");
    Files.writeString(tools, "{\"type\": \"function\"}");
    Run run = against(server.baseUrl(), Duration.ofMinutes(1), "--tools", tools.toString());
    assertThat(run.exit()).isEqualTo(2);
    assertThat(run.output()).contains("--tools " + tools + ": expected a JSON array of tools");
  }

  @Test
  void aBearerOnlyTargetGetsTheBearerTokenOnEveryRequest() throws Exception {
    try (Proxy proxy =
        new Proxy(server.baseUrl(), false, "glm-served", Set.of(Proxy.Quirk.BEARER_ONLY))) {
      Run run = against(proxy.url(), Duration.ofMinutes(2), "--duration", "2s");
      assertThat(run.exit()).as(run.output()).isZero();
      assertThat(run.output())
          .contains("model: glm-served")
          .contains("key: sent as Authorization: Bearer");
      assertThat(proxy.schemes).isNotEmpty().containsOnly("Bearer");
    }
  }

  @Test
  void findsTheModelOfAnOldUvicornThatRefusesTheHttp2Upgrade() throws Exception {
    try (Proxy proxy =
        new Proxy(server.baseUrl(), false, "glm-served", Set.of(Proxy.Quirk.OLD_UVICORN))) {
      Run run = against(proxy.url(), Duration.ofMinutes(2), "--duration", "2s");
      assertThat(run.exit()).as(run.output()).isZero();
      assertThat(run.output()).contains("model: glm-served (the first model listed");
      assertThat(proxy.bodies).isNotEmpty();
      for (String body : proxy.bodies) {
        assertThat(Json.MAPPER.readTree(body).path("model").asText()).isEqualTo("glm-served");
      }
    }
  }

  @Test
  void aBearerOnlyTargetWithoutAModelListStillGetsBearerTokens() throws Exception {
    try (Proxy proxy =
        new Proxy(
            server.baseUrl(),
            false,
            null,
            Set.of(Proxy.Quirk.BEARER_ONLY, Proxy.Quirk.NO_MODEL_LIST))) {
      Run run = against(proxy.url(), Duration.ofMinutes(2), "--duration", "2s");
      assertThat(run.exit()).as(run.output()).isZero();
      assertThat(run.output()).contains("key: sent as Authorization: Bearer");
      // The load's own requests (after the one probe that found the scheme) all carry Bearer.
      assertThat(proxy.schemes).hasSizeGreaterThan(2);
      assertThat(proxy.schemes.subList(2, proxy.schemes.size())).containsOnly("Bearer");
    }
  }

  @Test
  void hintsAtTheModelWhenATargetWithoutAModelListRequiresOne() throws Exception {
    try (Proxy proxy =
        new Proxy(server.baseUrl(), false, "glm-served", Set.of(Proxy.Quirk.NO_MODEL_LIST))) {
      Run run = against(proxy.url(), Duration.ofMinutes(2), "--duration", "1s");
      assertThat(run.output())
          .contains("model: none sent (GET /v1/models: 404")
          .contains("hint: the target seems to require \"model\": give --model NAME");
    }
  }

  @Test
  void saysInOneLineWhyNoModelWasFound() throws Exception {
    try (Proxy proxy =
        new Proxy(server.baseUrl(), false, null, Set.of(Proxy.Quirk.NO_MODEL_LIST))) {
      Run run = against(proxy.url(), Duration.ofMinutes(2), "--duration", "1s");
      assertThat(run.output())
          .contains("model: none sent (GET /v1/models: 404 {\"detail\":\"Not Found\"})")
          .contains("give --model");
    }
  }

  @Test
  void aBreachedThresholdExitsOne() throws Exception {
    Run run =
        against(
            server.baseUrl(),
            Duration.ofMinutes(2),
            "--duration",
            "2s",
            "--threshold",
            "p99-ttft=5ms");
    assertThat(run.exit()).as(run.output()).isEqualTo(1);
    assertThat(run.output()).contains("FAILED: p99 TTFT").contains("above the limit 5.00ms");
  }

  @Test
  void aBufferedStreamFailsTheSmoke() throws Exception {
    try (Proxy proxy = new Proxy(server.baseUrl(), true)) {
      Run run = against(proxy.url(), Duration.ofMinutes(2), "--duration", "2s");
      assertThat(run.exit()).as(run.output()).isEqualTo(1);
      assertThat(run.output()).contains("share of streams that arrived all at once (buffered)");
    }
  }

  @Test
  void aBadDatasetLineStopsTheRunBeforeAnyLoad() throws Exception {
    Path dataset = dir.resolve("chat.jsonl");
    Files.writeString(
        dataset,
        "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}\n"
            + "{\"messages\":[{\"role\":\"user\",\"content\":\"ho\"}]}\n"
            + "{\"messages\":[{\"role\":\"user\",\"content\":\"no end\"}\n");
    try (Proxy proxy = new Proxy(server.baseUrl(), false)) {
      Run run = against(proxy.url(), Duration.ofMinutes(1), "--dataset", dataset.toString());
      assertThat(run.exit()).as(run.output()).isEqualTo(2);
      assertThat(run.output()).contains("chatglm-load: " + dataset + ":3: not JSON");
      assertThat(proxy.bodies).isEmpty();
    }
  }

  @Test
  void anUnreachableTargetExitsTwo() throws Exception {
    Run run = command(dir, Duration.ofMinutes(1), "--target", "http://127.0.0.1:" + freePort());
    assertThat(run.exit()).as(run.output()).isEqualTo(2);
    assertThat(run.output()).contains("chatglm-load: ");
  }

  @Test
  void multiTurnShareGptSendsEachAnswerBack() throws Exception {
    Path dataset = dir.resolve("sharegpt.json");
    Files.writeString(
        dataset,
        "[{\"id\":\"a\",\"conversations\":["
            + "{\"from\":\"human\",\"value\":\"First question?\"},"
            + "{\"from\":\"gpt\",\"value\":\"RECORDED ANSWER\"},"
            + "{\"from\":\"human\",\"value\":\"Second question?\"},"
            + "{\"from\":\"gpt\",\"value\":\"RECORDED AGAIN\"}]},\n"
            + " {\"id\":\"empty\",\"conversations\":[]}]\n");
    try (Proxy proxy = new Proxy(server.baseUrl(), false)) {
      Run run =
          against(
              proxy.url(),
              Duration.ofMinutes(2),
              "--dataset",
              dataset.toString(),
              "--turns",
              "2",
              "--rate",
              "2",
              "--duration",
              "2s");
      assertThat(run.exit()).as(run.output()).isZero();
      List<JsonNode> second = new ArrayList<>();
      for (String body : proxy.bodies) {
        JsonNode request = Json.MAPPER.readTree(body);
        if (request.path("messages").size() == 3) {
          second.add(request);
        }
      }
      assertThat(second).isNotEmpty();
      for (JsonNode request : second) {
        JsonNode messages = request.path("messages");
        assertThat(messages.path(0).path("content").asText()).isEqualTo("First question?");
        assertThat(messages.path(1).path("role").asText()).isEqualTo("assistant");
        // The server's own answer went back, not the recorded one.
        assertThat(messages.path(1).path("content").asText())
            .isNotBlank()
            .doesNotContain("RECORDED");
        assertThat(messages.path(2).path("content").asText()).isEqualTo("Second question?");
      }
      assertThat(summary(dir.resolve("r")).path("workload").asText())
          .contains("ShareGPT")
          .contains("1 skipped");
    }
  }

  @Test
  void aTraceIsReplayedWithItsLengths() throws Exception {
    Path trace = dir.resolve("mooncake.jsonl");
    StringBuilder lines = new StringBuilder();
    for (int i = 0; i < 6; i++) {
      lines.append(
          String.format(
              "{\"timestamp\": %d, \"input_length\": %d, \"output_length\": %d, \"hash_ids\": [1]}%n",
              1_000 + i * 400, 20 + i, 3 + i));
    }
    Files.writeString(trace, lines);
    try (Proxy proxy = new Proxy(server.baseUrl(), false)) {
      Run run =
          against(proxy.url(), Duration.ofMinutes(2), "--trace", trace.toString(), "--speed", "2");
      assertThat(run.exit()).as(run.output()).isZero();
      assertThat(proxy.bodies).hasSize(6);
      List<Integer> maxTokens = new ArrayList<>();
      for (String body : proxy.bodies) {
        maxTokens.add(Json.MAPPER.readTree(body).path("max_tokens").asInt());
      }
      assertThat(maxTokens).containsExactlyInAnyOrder(3, 4, 5, 6, 7, 8);
      JsonNode summary = summary(dir.resolve("r"));
      assertThat(summary.path("schedule").path("arrivals_planned").asInt()).isEqualTo(6);
      assertThat(summary.path("completed").asInt()).isEqualTo(6);
    }
  }

  @Test
  void aFrozenTargetEndsTheRunWithinItsStreamTimeout() throws Exception {
    int port = freePort();
    Process target =
        new ProcessBuilder(
                ProcessHandle.current().info().command().orElse("java"),
                "-jar",
                Path.of("../mock-server/target/chatglm-mock-server.jar")
                    .toAbsolutePath()
                    .toString(),
                "--port",
                String.valueOf(port),
                "--ttft-ms",
                "50",
                "--itl-ms",
                "5",
                "--reply-tokens",
                "10")
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("server.log").toFile())
            .start();
    try {
      waitForPort(port);
      // The target freezes once the command reports answers, however long it takes to start on a
      // busy machine: a fixed delay froze it, on one CI run, before the first arrival.
      AtomicReference<Exception> freezing = new AtomicReference<>();
      Thread freezer =
          new Thread(
              () -> {
                try {
                  awaitCompletions(dir, Duration.ofSeconds(90));
                  new ProcessBuilder("kill", "-STOP", String.valueOf(target.pid()))
                      .start()
                      .waitFor();
                } catch (Exception e) {
                  freezing.set(e);
                }
              });
      freezer.start();
      Run run =
          against(
              "http://127.0.0.1:" + port,
              Duration.ofMinutes(2),
              "--profile",
              "rate",
              "--rate",
              "4",
              "--duration",
              "8s",
              "--stream-timeout",
              "3s",
              "--threshold",
              "error-rate=0",
              "--progress",
              "1s");
      freezer.join();
      assertThat(freezing.get()).as("freezing the target").isNull();
      // The old spellings still work, each with one line saying what it is called now.
      assertThat(run.output())
          .contains("note: --profile is now --load-profile (the old spelling still works)")
          .contains("note: --stream-timeout is now --timeout (the old spelling still works)");
      // Start-up (a few seconds), 8 s of arrivals, at most 3 s for the last stream, the report.
      assertThat(run.took()).isLessThan(Duration.ofSeconds(40));
      assertThat(run.exit()).as(run.output()).isEqualTo(1);
      JsonNode summary = summary(dir.resolve("r"));
      assertThat(summary.path("completed").asLong()).isPositive();
      assertThat(summary.path("failed").asLong()).isPositive();
    } finally {
      new ProcessBuilder("kill", "-CONT", String.valueOf(target.pid())).start().waitFor();
      target.destroyForcibly().waitFor();
    }
  }

  @ParameterizedTest
  @EnumSource(Misbehaving.Way.class)
  void aServerWrongInAnUnplannedWayGetsABoundedRunAndAFailingVerdict(Misbehaving.Way way)
      throws Exception {
    try (Misbehaving server = new Misbehaving(way)) {
      Run run = against(server.url(), Duration.ofMinutes(1), "--duration", "2s", "--timeout", "3s");
      // Start-up, 2 s of arrivals, one stream timeout, the report.
      assertThat(run.took()).isLessThan(Duration.ofSeconds(30));
      assertThat(run.exit()).as(run.output()).isEqualTo(1);
      JsonNode summary = summary(dir.resolve("r"));
      assertThat(summary.path("completed").asLong()).isZero();
      assertThat(summary.path("failed").asLong()).isPositive();
      if (way == Misbehaving.Way.GARBAGE) {
        assertThat(summary.path("violations_by_rule").size()).as(run.output()).isPositive();
      }
    }
  }

  @Test
  void injectorsShareTheLoadAndTheirSummariesMerge() throws Exception {
    List<Process> injectors = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      List<String> line =
          new ArrayList<>(
              List.of(
                  ProcessHandle.current().info().command().orElse("java"),
                  "-jar",
                  JAR.toAbsolutePath().toString(),
                  "--target",
                  server.baseUrl(),
                  "--api-key",
                  KEY,
                  "--load-profile",
                  "rate",
                  "--rate",
                  "16",
                  "--duration",
                  "4s",
                  "--injectors",
                  "2",
                  "--injector-index",
                  String.valueOf(i),
                  "--report-dir",
                  dir.resolve("injector-" + i).toString()));
      injectors.add(
          new ProcessBuilder(line)
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("injector-" + i + ".log").toFile())
              .start());
    }
    List<JsonNode> summaries = new ArrayList<>();
    List<Path> files = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      assertThat(injectors.get(i).waitFor(2, TimeUnit.MINUTES)).isTrue();
      assertThat(injectors.get(i).exitValue())
          .as(Files.readString(dir.resolve("injector-" + i + ".log")))
          .isZero();
      JsonNode summary = summary(dir.resolve("injector-" + i));
      summaries.add(summary);
      assertThat(summary.path("config").path("injector_index").asInt()).isEqualTo(i);
      try (Stream<Path> walk = Files.walk(dir.resolve("injector-" + i))) {
        files.add(
            walk.filter(p -> p.getFileName().toString().equals("summary.json"))
                .findFirst()
                .orElseThrow());
      }
    }
    ObjectNode merged = Merge.merge(files);
    long completed =
        summaries.get(0).path("completed").asLong() + summaries.get(1).path("completed").asLong();
    assertThat(merged.path("completed").asLong()).isEqualTo(completed);
    assertThat(merged.path("total_output_tokens").asLong())
        .isEqualTo(
            summaries.get(0).path("total_output_tokens").asLong()
                + summaries.get(1).path("total_output_tokens").asLong());
    // Each injector ran half of 16/s for 4 s: about 32 each.
    assertThat(completed).isBetween(40L, 90L);
    for (String figure :
        new String[] {"median_ttft_ms", "p99_ttft_ms", "median_itl_ms", "p99_e2el_ms"}) {
      double a = summaries.get(0).path(figure).asDouble();
      double b = summaries.get(1).path(figure).asDouble();
      assertThat(merged.path(figure).asDouble())
          .as(figure)
          .isBetween(Math.min(a, b) - 0.01, Math.max(a, b) + 0.01);
    }
  }

  @Test
  void theMavenPathsEntryPointFailsOnABreach() throws Exception {
    // What the Gatling Maven plugin forks: Gatling's main with the test simulation; a non-zero exit
    // fails the build.
    String classpath =
        String.join(
            java.io.File.pathSeparator,
            Path.of("target/test-classes").toAbsolutePath().toString(),
            Path.of("target/classes").toAbsolutePath().toString(),
            Path.of("target/lib").toAbsolutePath() + "/*");
    Process gatling =
        new ProcessBuilder(
                ProcessHandle.current().info().command().orElse("java"),
                "--add-opens=java.base/java.lang=ALL-UNNAMED",
                "-cp",
                classpath,
                "-Dchatglm.target.url=" + server.baseUrl(),
                "-Dchatglm.target.api-key=" + KEY,
                "-Dchatglm.load.duration=2s",
                "-Dchatglm.assert.p99-ttft-ms=5",
                "-Dchatglm.load.report-dir=" + dir.resolve("m"),
                "io.gatling.app.Gatling",
                "-s",
                "org.chatglmkit.load.simulations.StreamingChatSimulation",
                "-rf",
                dir.resolve("m").toString())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("maven.log").toFile())
            .start();
    assertThat(gatling.waitFor(2, TimeUnit.MINUTES)).isTrue();
    String output = Files.readString(dir.resolve("maven.log"));
    assertThat(gatling.exitValue()).as(output).isNotZero();
    assertThat(output).contains("p99 TTFT").contains("above the limit 5.00ms");
  }

  static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  /** Waits until the command running in {@code dir} reports completed requests. */
  static void awaitCompletions(Path dir, Duration limit) throws Exception {
    Pattern completed = Pattern.compile("completed [1-9]");
    long deadline = System.nanoTime() + limit.toNanos();
    while (System.nanoTime() < deadline) {
      try (Stream<Path> files = Files.list(dir)) {
        for (Path log : files.filter(p -> p.getFileName().toString().startsWith("run")).toList()) {
          if (completed.matcher(Files.readString(log)).find()) {
            return;
          }
        }
      }
      Thread.sleep(100);
    }
    throw new AssertionError("the command reported no completed request in " + limit);
  }

  static void waitForPort(int port) throws InterruptedException {
    for (int i = 0; i < 200; i++) {
      try (java.net.Socket socket = new java.net.Socket("127.0.0.1", port)) {
        return;
      } catch (IOException e) {
        Thread.sleep(100);
      }
    }
    throw new AssertionError("the server on port " + port + " did not start");
  }
}
