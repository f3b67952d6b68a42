package org.chatglmkit.djl;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.stream.IntStream;
import org.chatglmkit.mockserver.core.ChatMessage;
import org.chatglmkit.mockserver.core.ChatRequest;
import org.chatglmkit.mockserver.core.Json;
import org.chatglmkit.mockserver.core.Tools;
import org.chatglmkit.mockserver.server.ReferenceServer;
import org.chatglmkit.mockserver.server.ServerConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ChatGLM3's tool format in the DJL backend, over real HTTP: a model of random weights will not
 * choose a call by itself, so each answer's tokens are forced (the model still runs every step) to
 * the text the published model writes for a call; the decode loop, the call's reading (never run),
 * the completion and the stream are the real ones.
 */
class DjlToolsIT {
  private static final String KEY = "djl-test-key-0123";
  private static final String PWNED = "/tmp/chatglm-djl-pwned";
  private static final String TOOLS =
      """
      [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object",
        "properties": {"city": {"type": "string"}, "unit": {"type": "string"}},
        "required": ["city"]}}},
       {"type": "function", "function": {"name": "get_time", "parameters": {"type": "object",
        "properties": {"timezone": {"type": "string"}}}}}]""";

  private static final HttpClient CLIENT =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @TempDir static Path dir;
  @TempDir static Path glm2;
  static ReferenceServer server;
  static ReferenceServer glm2Server;

  @BeforeAll
  static void start() throws Exception {
    TestModelGenerator.generateChat(
        dir,
        TestModelGenerator.tiny(0).withSeqLength(512),
        ChatFormat.Version.CHATGLM3,
        5,
        1,
        "F32");
    ChatGlmCheckpoint checkpoint = ChatGlmCheckpoint.open(dir, null);
    server =
        ReferenceServer.start(
            config(),
            new DjlChatBackend(
                checkpoint, "chatglm3-test", DjlChatBackend.Limits.DEFAULT, forcing(checkpoint)));
    TestModelGenerator.generateChat(
        glm2,
        TestModelGenerator.tiny(0).withSeqLength(512),
        ChatFormat.Version.CHATGLM2,
        5,
        1,
        "F32");
    glm2Server =
        ReferenceServer.start(
            config(),
            new DjlChatBackend(
                ChatGlmCheckpoint.open(glm2, null),
                "chatglm2-test",
                DjlChatBackend.Limits.DEFAULT));
  }

  @AfterAll
  static void stop() {
    for (ReferenceServer running : new ReferenceServer[] {server, glm2Server}) {
      if (running != null) {
        running.close();
      }
    }
  }

  private static ServerConfig config() {
    return ServerConfig.builder().port(0).apiKey(KEY).requestJournal(false).build();
  }

  /** The answer each request's last user message asks for, as the published model writes it. */
  private static Function<ChatRequest, List<Integer>> forcing(ChatGlmCheckpoint checkpoint) {
    ChatFormat format = checkpoint.format();
    return request -> {
      List<ChatMessage> conversation = request.conversation();
      String said = conversation.get(conversation.size() - 1).content();
      String text;
      if (!request.tools().callable() || said == null) {
        return List.of();
      } else if (said.contains("hostile")) {
        text =
            "get_weather\n```python\ntool_call(city=__import__('os').system('touch "
                + PWNED
                + "'))\n```";
      } else if (request.tools().choice() == Tools.Choice.NAMED) {
        text = "```python\ntool_call(timezone='Asia/Shanghai')\n```"; // the name is in the prompt
      } else if (said.contains("weather")) {
        text = "get_weather\n```python\ntool_call(city='Paris', unit='celsius')\n```";
      } else {
        return List.of();
      }
      List<Integer> tokens = new ArrayList<>();
      IntStream.of(format.encode(text)).forEach(tokens::add);
      tokens.add(format.special("<|observation|>"));
      return tokens;
    };
  }

  private static String ask(String question, String more) {
    return "{\"messages\": [{\"role\": \"user\", \"content\": \""
        + question
        + "\"}], \"temperature\": 0, \"max_tokens\": 200, \"tools\": "
        + TOOLS
        + more
        + "}";
  }

  @Test
  void readsTheModelsCallIntoToolCalls() throws Exception {
    JsonNode answer = post(server, ask("What is the weather in Paris?", ""), 200);
    JsonNode message = answer.at("/choices/0/message");
    assertThat(message.path("content").isNull()).isTrue();
    assertThat(message.at("/tool_calls/0/function/name").asText()).isEqualTo("get_weather");
    assertThat(Json.MAPPER.readTree(message.at("/tool_calls/0/function/arguments").asText()))
        .isEqualTo(Json.MAPPER.readTree("{\"city\": \"Paris\", \"unit\": \"celsius\"}"));
    assertThat(message.at("/tool_calls/0/id").asText()).startsWith("call_");
    assertThat(answer.at("/choices/0/finish_reason").asText()).isEqualTo("tool_calls");
    assertThat(answer.at("/usage/completion_tokens").asInt()).isGreaterThan(5);
  }

  @Test
  void streamsTheCallWholeInOneDelta() throws Exception {
    String body = ask("What is the weather in Paris?", ", \"stream\": true");
    HttpResponse<String> response =
        CLIENT.send(request(server, body), HttpResponse.BodyHandlers.ofString());
    List<JsonNode> chunks = new ArrayList<>();
    for (String line : response.body().split("\n")) {
      if (line.startsWith("data: {")) {
        chunks.add(Json.MAPPER.readTree(line.substring(6)));
      }
    }
    JsonNode start =
        chunks.stream()
            .map(c -> c.at("/choices/0/delta/tool_calls/0"))
            .filter(c -> c.has("id"))
            .findFirst()
            .orElseThrow();
    assertThat(start.at("/function/name").asText()).isEqualTo("get_weather");
    String arguments =
        chunks.stream()
            .map(c -> c.at("/choices/0/delta/tool_calls/0/function/arguments").asText(""))
            .reduce("", String::concat);
    assertThat(Json.MAPPER.readTree(arguments).path("city").asText()).isEqualTo("Paris");
    assertThat(chunks.get(chunks.size() - 1).at("/choices/0/finish_reason").asText())
        .isEqualTo("tool_calls");
    assertThat(response.body()).doesNotContain("\"content\":\"get_weather");
  }

  @Test
  void aNamedToolChoiceStartsTheAnswerWithThatFunction() throws Exception {
    JsonNode answer =
        post(
            server,
            ask(
                "Say hello.",
                ", \"tool_choice\": {\"type\": \"function\", \"function\": {\"name\": \"get_time\"}}"),
            200);
    assertThat(answer.at("/choices/0/message/tool_calls/0/function/name").asText())
        .isEqualTo("get_time");
    assertThat(answer.at("/choices/0/message/tool_calls/0/function/arguments").asText())
        .isEqualTo("{\"timezone\":\"Asia/Shanghai\"}");
  }

  @Test
  void theOlderFunctionsGetAFunctionCall() throws Exception {
    String body =
        "{\"messages\": [{\"role\": \"user\", \"content\": \"What is the weather in Paris?\"}],"
            + " \"temperature\": 0, \"max_tokens\": 200, \"functions\": "
            + Json.MAPPER.readTree(TOOLS).findValues("function")
            + "}";
    JsonNode answer = post(server, body, 200);
    assertThat(answer.at("/choices/0/message/function_call/name").asText())
        .isEqualTo("get_weather");
    assertThat(answer.at("/choices/0/finish_reason").asText()).isEqualTo("function_call");
  }

  @Test
  void hostileCallTextIsAnsweredAsTextAndNeverRun() throws Exception {
    JsonNode answer = post(server, ask("A hostile call, about the weather", ""), 200);
    JsonNode message = answer.at("/choices/0/message");
    assertThat(message.has("tool_calls")).isFalse();
    assertThat(message.path("content").asText()).contains("__import__");
    assertThat(answer.at("/choices/0/finish_reason").asText()).isEqualTo("stop");
    assertThat(new File(PWNED)).doesNotExist();
  }

  @Test
  void aResultGoesBackAsAnObservationAndIsAnswered() throws Exception {
    String body =
        """
        {"messages": [{"role": "user", "content": "Say something."},
          {"role": "assistant", "content": null, "tool_calls": [{"id": "call_1", "type": "function",
            "function": {"name": "get_weather", "arguments": "{\\"city\\": \\"Paris\\"}"}}]},
          {"role": "tool", "tool_call_id": "call_1", "content": "21 C"}],
         "temperature": 0, "max_tokens": 8, "tools": %s}"""
            .formatted(TOOLS);
    JsonNode answer = post(server, body, 200);
    assertThat(answer.at("/choices/0/message/role").asText()).isEqualTo("assistant");
    assertThat(answer.at("/usage/prompt_tokens").asInt()).isGreaterThan(20);
  }

  @Test
  void aChatGlm2ModelRefusesToolsNamingTheField() throws Exception {
    JsonNode error = post(glm2Server, ask("What is the weather in Paris?", ""), 400);
    assertThat(error.at("/error/param").asText()).isEqualTo("tools");
    assertThat(error.at("/error/message").asText()).contains("ChatGLM2");
  }

  private static HttpRequest request(ReferenceServer target, String body) {
    return HttpRequest.newBuilder(URI.create(target.baseUrl() + "/v1/chat/completions"))
        .timeout(Duration.ofSeconds(60))
        .header("Content-Type", "application/json")
        .header("API-KEY", KEY)
        .POST(HttpRequest.BodyPublishers.ofString(body))
        .build();
  }

  private static JsonNode post(ReferenceServer target, String body, int status) throws Exception {
    HttpResponse<String> response =
        CLIENT.send(request(target, body), HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
    return Json.MAPPER.readTree(response.body());
  }
}
