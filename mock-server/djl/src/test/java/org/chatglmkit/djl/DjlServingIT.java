package org.chatglmkit.djl;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.chatglmkit.mockserver.core.ChatMessage;
import org.chatglmkit.mockserver.core.Json;
import org.chatglmkit.mockserver.server.ReferenceServer;
import org.chatglmkit.mockserver.server.ServerConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The DJL backend behind the reference server, over real HTTP on loopback, on a generated ChatGLM3
 * checkpoint (random weights, the project's tokenizer, a context of 512 tokens).
 */
class DjlServingIT {
  private static final String KEY = "djl-test-key-0123";
  private static final int CONTEXT = 512;

  /** The API's default temperature is 1 (sampling); these tests compare greedy answers. */
  private static final String GREEDY = "\"temperature\": 0";

  private static final HttpClient CLIENT =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @TempDir static Path dir;
  static DjlChatBackend backend;
  static ReferenceServer server;

  @BeforeAll
  static void start() throws Exception {
    TestModelGenerator.generateChat(
        dir,
        TestModelGenerator.tiny(0).withSeqLength(CONTEXT),
        ChatFormat.Version.CHATGLM3,
        5,
        1,
        "F32");
    backend =
        new DjlChatBackend(
            ChatGlmCheckpoint.open(dir, null), "chatglm3-test", DjlChatBackend.Limits.DEFAULT);
    server = ReferenceServer.start(config(), backend);
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
  }

  private static ServerConfig config() {
    return ServerConfig.builder().port(0).apiKey(KEY).requestJournal(false).build();
  }

  @Test
  void streamsTheModelsGreedyAnswerTokenByToken() throws Exception {
    String content = "Hello, how are you today?";
    Stream stream =
        stream(server, body(content, GREEDY + ", \"max_tokens\": 80, \"stream\": true"));

    // What the model itself generates for this conversation, outside the server.
    String expected;
    int promptTokens;
    int generated;
    try (ChatGlmCheckpoint checkpoint = ChatGlmCheckpoint.open(dir, null)) {
      ChatFormat format = checkpoint.format();
      int[] prompt = format.prompt(List.of(new ChatMessage("user", content, null)));
      DecodeLoop.Result result;
      try (DecodeLoop loop = new DecodeLoop(checkpoint.model(), format.stopTokens(), 1, 0)) {
        result = loop.generate(prompt, Sampling.greedy(80), token -> true);
      }
      Detokenizer text = new Detokenizer(checkpoint::piece);
      StringBuilder out = new StringBuilder();
      for (int token : result.tokens()) {
        if (!format.isSpecial(token)) {
          out.append(text.push(token));
        }
      }
      expected = out.append(text.flush()).toString();
      promptTokens = prompt.length;
      generated = result.tokens().size();
      assertThat(result.finishReason()).isEqualTo("length");
    }

    assertThat(stream.content()).isEqualTo(expected);
    assertThat(stream.finishReason()).isEqualTo("length");
    // Each decoded token is its own event (a token that completes no character joins the next).
    assertThat(stream.contentEvents()).isGreaterThanOrEqualTo(40);
    // Sent as decoded: a buffered answer would arrive all at once.
    assertThat(stream.lastAtMillis() - stream.firstContentAtMillis()).isGreaterThan(20);

    JsonNode plain = post(server, body(content, GREEDY + ", \"max_tokens\": 80"));
    assertThat(plain.at("/choices/0/message/content").asText()).isEqualTo(expected);
    assertThat(plain.at("/usage/prompt_tokens").asInt()).isEqualTo(promptTokens);
    assertThat(plain.at("/usage/completion_tokens").asInt()).isEqualTo(generated).isEqualTo(80);
    assertThat(plain.at("/model").asText()).isEqualTo("chatglm3-test");
  }

  @Test
  void aSeedMakesSamplingReproducible() throws Exception {
    String seven = "\"temperature\": 1.0, \"top_p\": 0.9, \"max_tokens\": 40, \"seed\": 7";
    String first = post(server, body("你好", seven)).at("/choices/0/message/content").asText();
    String again = post(server, body("你好", seven)).at("/choices/0/message/content").asText();
    String other =
        post(server, body("你好", seven.replace("\"seed\": 7", "\"seed\": 8")))
            .at("/choices/0/message/content")
            .asText();
    assertThat(first).isNotEmpty().isEqualTo(again).isNotEqualTo(other);
  }

  @Test
  void concurrentRequestsAreBatchedWithoutChangingTheirAnswers() throws Exception {
    String[] questions = {"one", "two words", "第三个问题", "the fourth and longest question"};
    List<String> alone = new ArrayList<>();
    for (String question : questions) {
      alone.add(
          post(server, body(question, GREEDY + ", \"max_tokens\": 24"))
              .at("/choices/0/message/content")
              .asText());
    }
    List<CompletableFuture<HttpResponse<String>>> together = new ArrayList<>();
    for (String question : questions) {
      together.add(
          CLIENT.sendAsync(
              request(server, body(question, GREEDY + ", \"max_tokens\": 24")).build(),
              HttpResponse.BodyHandlers.ofString()));
    }
    for (int i = 0; i < questions.length; i++) {
      JsonNode answer = Json.MAPPER.readTree(together.get(i).get().body());
      assertThat(answer.at("/choices/0/message/content").asText())
          .as(questions[i])
          .isEqualTo(alone.get(i));
    }
  }

  @Test
  void refusesAPromptLongerThanTheContextNamingTheLimit() throws Exception {
    String longText = "the quick brown fox jumps over the lazy dog ".repeat(200);
    HttpResponse<String> response =
        CLIENT.send(
            request(server, body(longText, "")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(400);
    JsonNode error = Json.MAPPER.readTree(response.body()).path("error");
    assertThat(error.path("param").asText()).isEqualTo("messages");
    assertThat(error.path("message").asText()).contains(String.valueOf(CONTEXT));
  }

  @Test
  void anAnswerWithoutMaxTokensStopsWhenTheContextIsFull() throws Exception {
    JsonNode answer = post(server, body("fill the context", GREEDY));
    assertThat(answer.at("/choices/0/finish_reason").asText()).isEqualTo("length");
    assertThat(answer.at("/usage/total_tokens").asInt()).isEqualTo(CONTEXT);
  }

  @Test
  void answers529WithRetryAfterBeyondTheBatchAndQueue() throws Exception {
    try (DjlChatBackend small =
            new DjlChatBackend(
                ChatGlmCheckpoint.open(dir, null), "small", new DjlChatBackend.Limits(1, 1, 3));
        ReferenceServer busy = ReferenceServer.start(config(), small)) {
      List<HttpResponse<InputStream>> open = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        open.add(
            CLIENT.send(
                request(busy, body("long answer " + i, "\"stream\": true")).build(),
                HttpResponse.BodyHandlers.ofInputStream()));
      }
      waitFor(() -> small.running() == 1 && small.waiting() == 1);
      HttpResponse<String> refused =
          CLIENT.send(request(busy, body("one too many", "")).build(), ofString());
      assertThat(refused.statusCode()).isEqualTo(529);
      assertThat(refused.headers().firstValue("Retry-After")).contains("3");
      assertThat(Json.MAPPER.readTree(refused.body()).at("/error/type").asText())
          .isEqualTo("overloaded_error");
      for (HttpResponse<InputStream> response : open) {
        response.body().readAllBytes();
      }
      waitFor(() -> small.cachesHeld() == 0);
      assertThat(
              CLIENT.send(request(busy, body("room again", "")).build(), ofString()).statusCode())
          .isEqualTo(200);
    }
  }

  @Test
  void aClientThatLeavesStopsItsGenerationAndFreesItsCache() throws Exception {
    int cancelledBefore = backend.cancelled();
    long generatedBefore = backend.generatedTokens();
    HttpResponse<InputStream> response =
        CLIENT.send(
            request(server, body("leave early", GREEDY + ", \"stream\": true")).build(),
            HttpResponse.BodyHandlers.ofInputStream());
    InputStream body = response.body();
    assertThat(body.read()).isEqualTo('d');
    assertThat(backend.cachesHeld()).isEqualTo(1);
    body.close();
    waitFor(() -> backend.cachesHeld() == 0 && backend.running() == 0);
    assertThat(backend.cancelled()).isEqualTo(cancelledBefore + 1);
    // Stopped early: left alone, it would have filled the context (about 500 tokens).
    assertThat(backend.generatedTokens() - generatedBefore).isLessThan(CONTEXT / 2);
    // Greedy: a sampled follow-up may draw a stop token before its fourth token.
    JsonNode after = post(server, body("still serving", GREEDY + ", \"max_tokens\": 4"));
    assertThat(after.at("/choices/0/finish_reason").asText()).isEqualTo("length");
    assertThat(after.at("/usage/completion_tokens").asInt()).isEqualTo(4);
  }

  // ---- helpers ----

  private static HttpResponse.BodyHandler<String> ofString() {
    return HttpResponse.BodyHandlers.ofString();
  }

  private static void waitFor(java.util.function.BooleanSupplier condition) throws Exception {
    long deadline = System.currentTimeMillis() + 5000;
    while (!condition.getAsBoolean()) {
      assertThat(System.currentTimeMillis()).as("waited 5 s").isLessThan(deadline);
      Thread.sleep(10);
    }
  }

  private static String body(String content, String extra) throws Exception {
    return "{\"messages\":[{\"role\":\"user\",\"content\":"
        + Json.MAPPER.writeValueAsString(content)
        + "}]"
        + (extra.isEmpty() ? "" : "," + extra)
        + "}";
  }

  private static HttpRequest.Builder request(ReferenceServer target, String body) {
    return HttpRequest.newBuilder(URI.create(target.baseUrl() + "/v1/chat/completions"))
        .timeout(Duration.ofSeconds(60))
        .header("Content-Type", "application/json")
        .header("API-KEY", KEY)
        .POST(HttpRequest.BodyPublishers.ofString(body));
  }

  private static JsonNode post(ReferenceServer target, String body) throws Exception {
    HttpResponse<String> response = CLIENT.send(request(target, body).build(), ofString());
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return Json.MAPPER.readTree(response.body());
  }

  /** A stream read to its end, with the arrival time of each event. */
  private record Stream(List<JsonNode> chunks, List<Double> atMillis) {
    String content() {
      StringBuilder text = new StringBuilder();
      chunks.forEach(chunk -> text.append(chunk.at("/choices/0/delta/content").asText("")));
      return text.toString();
    }

    long contentEvents() {
      return chunks.stream().filter(c -> c.at("/choices/0/delta").has("content")).count();
    }

    double firstContentAtMillis() {
      for (int i = 0; i < chunks.size(); i++) {
        if (chunks.get(i).at("/choices/0/delta").has("content")) {
          return atMillis.get(i);
        }
      }
      throw new AssertionError("no content event");
    }

    double lastAtMillis() {
      return atMillis.get(atMillis.size() - 1);
    }

    String finishReason() {
      return chunks.get(chunks.size() - 1).at("/choices/0/finish_reason").asText();
    }
  }

  private static Stream stream(ReferenceServer target, String body) throws Exception {
    long start = System.nanoTime();
    HttpResponse<InputStream> response =
        CLIENT.send(request(target, body).build(), HttpResponse.BodyHandlers.ofInputStream());
    assertThat(response.statusCode()).isEqualTo(200);
    List<JsonNode> chunks = new ArrayList<>();
    List<Double> at = new ArrayList<>();
    boolean done = false;
    try (BufferedReader reader =
        new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = reader.readLine()) != null) {
        if (!line.startsWith("data:")) {
          continue;
        }
        String data = line.substring(5).trim();
        if (data.equals("[DONE]")) {
          done = true;
        } else {
          chunks.add(Json.MAPPER.readTree(data));
        }
        at.add((System.nanoTime() - start) / 1e6);
      }
    }
    assertThat(done).as("the stream ends with [DONE]").isTrue();
    return new Stream(chunks, at.subList(0, chunks.size()));
  }

  @Test
  void theServerRefusesToStartWhenNotOneFullContextFitsItsMemoryBudget() throws Exception {
    Process process =
        new ProcessBuilder(
                ProcessHandle.current().info().command().orElse("java"),
                "-jar",
                Path.of("target/chatglm-djl-server.jar").toAbsolutePath().toString(),
                "--model",
                dir.toString(),
                "--port",
                "0",
                "--memory-budget",
                "64k")
            .redirectErrorStream(true)
            .start();
    String output = new String(process.getInputStream().readAllBytes());
    assertThat(process.waitFor()).as(output).isEqualTo(2);
    // 2 layers × 2 groups × 16 channels × 2 × 512 positions × 4 bytes = 0.26 MB per full context.
    assertThat(output).contains("not even one sequence fits").contains("0.3 MB per full context");
  }
}
