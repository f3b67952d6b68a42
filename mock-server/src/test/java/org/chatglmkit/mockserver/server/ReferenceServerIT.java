package org.chatglmkit.mockserver.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import org.chatglmkit.mockserver.core.Fault;
import org.chatglmkit.mockserver.core.Json;
import org.chatglmkit.schemas.ChatGlmSchemas;
import org.chatglmkit.schemas.Profile;
import org.chatglmkit.schemas.Shape;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The reference server over real HTTP, without latency: auth, validation, answers, errors. */
class ReferenceServerIT {
  static final String FORBIDDEN = "forbidden-key-0123456789";
  static ReferenceServer server;
  static Http http;

  @BeforeAll
  static void start() {
    server =
        ReferenceServer.start(
            ServerConfig.builder()
                .port(0)
                .apiKey(Http.KEY)
                .forbiddenKey(FORBIDDEN)
                .bodyLimitBytes(64 * 1024)
                .build());
    http = new Http(server.baseUrl());
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  static JsonNode json(HttpResponse<String> response) throws IOException {
    return Json.MAPPER.readTree(response.body());
  }

  static void assertError(HttpResponse<String> response, int status, String type)
      throws IOException {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
    assertThat(response.headers().firstValue("Content-Type"))
        .hasValueSatisfying(contentType -> assertThat(contentType).startsWith("application/json"));
    assertThat(ChatGlmSchemas.get().validate(Shape.ERROR, Profile.OPENAI, response.body()))
        .isEmpty();
    assertThat(json(response).at("/error/type").asText()).isEqualTo(type);
  }

  @Test
  void acceptsTheApiKeyHeader() throws Exception {
    HttpResponse<String> response =
        http.send(http.chat(Http.body("hi", "")).header("API-KEY", Http.KEY));
    assertThat(response.statusCode()).isEqualTo(200);
  }

  @Test
  void acceptsABearerToken() throws Exception {
    HttpResponse<String> response =
        http.send(http.chat(Http.body("hi", "")).header("Authorization", "Bearer " + Http.KEY));
    assertThat(response.statusCode()).isEqualTo(200);
  }

  @Test
  void rejectsAMissingKeyWith401() throws Exception {
    assertError(http.send(http.chat(Http.body("hi", ""))), 401, "authentication_error");
  }

  @Test
  void rejectsAnUnknownKeyWith401WithoutEchoingIt() throws Exception {
    String secret = "secret-unknown-key-98765";
    HttpResponse<String> response =
        http.send(http.chat(Http.body("hi", "")).header("API-KEY", secret));
    assertError(response, 401, "authentication_error");
    assertThat(response.body()).doesNotContain(secret).doesNotContain("unknown-key");
  }

  @Test
  void rejectsAForbiddenKeyWith403() throws Exception {
    HttpResponse<String> response =
        http.send(http.chat(Http.body("hi", "")).header("Authorization", "Bearer " + FORBIDDEN));
    assertError(response, 403, "permission_error");
    assertThat(response.body()).doesNotContain(FORBIDDEN);
  }

  @Test
  void answersTheSeedRequestWithAValidOpenaiCompletion() throws Exception {
    HttpResponse<String> response =
        http.post(
            "{\"messages\": [{\"role\": \"user\", \"content\": \"Say this message is from apigpt.cloud!\"}], \"temperature\": 0.7}");
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
    assertThat(ChatGlmSchemas.get().validate(Shape.COMPLETION, Profile.OPENAI, response.body()))
        .isEmpty();
    JsonNode usage = json(response).get("usage");
    assertThat(usage.get("total_tokens").asInt())
        .isEqualTo(usage.get("prompt_tokens").asInt() + usage.get("completion_tokens").asInt());
  }

  @Test
  void givesTheSameAnswerAtTemperatureZero() throws Exception {
    String body = Http.body("What is ChatGLM?", "\"temperature\": 0");
    String first = json(http.post(body)).at("/choices/0/message/content").asText();
    String second = json(http.post(body)).at("/choices/0/message/content").asText();
    assertThat(first).isNotBlank().isEqualTo(second);
  }

  @Test
  void cutsAtMaxTokensWithFinishReasonLength() throws Exception {
    JsonNode answer = json(http.post(Http.body("hello there", "\"max_tokens\": 3")));
    assertThat(answer.at("/choices/0/finish_reason").asText()).isEqualTo("length");
    assertThat(answer.at("/usage/completion_tokens").asInt()).isEqualTo(3);
    JsonNode full = json(http.post(Http.body("hello there", "\"max_tokens\": 10000")));
    assertThat(full.at("/choices/0/finish_reason").asText()).isEqualTo("stop");
    assertThat(full.at("/usage/completion_tokens").asInt()).isGreaterThan(3);
  }

  @Test
  void ignoresUnknownFieldsAndAcceptsHistoryAndNames() throws Exception {
    HttpResponse<String> response =
        http.post(
            "{\"model\":\"x\",\"top_p\":0.5,\"whatever\":{\"a\":[1]},\"history\":[{\"role\":\"user\",\"content\":\"earlier\"},{\"role\":\"assistant\"}],"
                + "\"messages\":[{\"role\":\"system\",\"content\":\"be brief\"},{\"role\":\"user\",\"content\":\"你好\",\"name\":\"user_1\"}],\"temperature\":2}");
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
  }

  @ParameterizedTest(name = "{0} -> param {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "{\"temperature\": 1}|messages",
        "{\"messages\": []}|messages",
        "{\"messages\": [{\"content\": \"hi\"}]}|messages[0].role",
        "{\"messages\": [{\"role\": \"robot\", \"content\": \"hi\"}]}|messages[0].role",
        "{\"messages\": [{\"role\": \"user\"}]}|messages[0].content",
        "{\"messages\": [{\"role\": \"user\", \"content\": 5}]}|messages[0].content",
        "{\"messages\": [{\"role\": \"user\", \"content\": \"x\", \"name\": \"a b\"}]}|messages[0].name",
        "{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"history\": 3}|history",
        "{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"temperature\": 2.01}|temperature",
        "{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"temperature\": \"hot\"}|temperature",
        "{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"max_tokens\": 0}|max_tokens",
        "{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"max_tokens\": 2.5}|max_tokens",
        "{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"stream\": \"yes\"}|stream",
      })
  void rejectsEachBrokenRuleWith400NamingTheField(String body, String field) throws Exception {
    HttpResponse<String> response = http.post(body);
    assertError(response, 400, "invalid_request_error");
    assertThat(json(response).at("/error/param").asText()).isEqualTo(field);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "{\"messages\": [",
        "[{\"role\": \"user\"}]",
        "\"just a string\"",
        "42",
        "null",
        "{",
        "\u00ff\u00fe"
      })
  void rejectsBodiesThatAreNotAJsonObjectWith400(String body) throws Exception {
    assertError(http.post(body), 400, "invalid_request_error");
  }

  @Test
  void rejectsAnEmptyBodyWith400() throws Exception {
    assertError(
        http.send(
            http.chat("").header("API-KEY", Http.KEY).POST(HttpRequest.BodyPublishers.noBody())),
        400,
        "invalid_request_error");
  }

  @Test
  void rejectsDeeplyNestedJsonWith400() throws Exception {
    String deep = "[".repeat(5000) + "]".repeat(5000);
    assertError(http.post(Http.body("x", "\"deep\": " + deep)), 400, "invalid_request_error");
  }

  @Test
  void rejectsAWrongContentTypeWith400() throws Exception {
    HttpResponse<String> response =
        http.send(
            http.chat(Http.body("x", ""))
                .header("API-KEY", Http.KEY)
                .setHeader("Content-Type", "text/plain"));
    assertError(response, 400, "invalid_request_error");
  }

  @Test
  void acceptsACharsetSuffixOnTheContentType() throws Exception {
    HttpResponse<String> response =
        http.send(
            http.chat(Http.body("x", ""))
                .header("API-KEY", Http.KEY)
                .setHeader("Content-Type", "application/json; charset=utf-8"));
    assertThat(response.statusCode()).isEqualTo(200);
  }

  @Test
  void rejectsABodyOverTheLimitWith413() throws Exception {
    String huge = Http.body("x".repeat(100 * 1024), "");
    assertError(http.post(huge), 413, "request_too_large");
  }

  @Test
  void rejectsAChunkedBodyOverTheLimitWith413() throws Exception {
    byte[] huge = Http.body("y".repeat(100 * 1024), "").getBytes();
    HttpRequest.Builder request =
        http.chat("")
            .header("API-KEY", Http.KEY)
            .POST(
                HttpRequest.BodyPublishers.ofInputStream(
                    () -> new java.io.ByteArrayInputStream(huge)));
    assertError(http.send(request), 413, "request_too_large");
  }

  @Test
  void answersUnknownPathsWithJson404() throws Exception {
    assertError(http.get("/v1/nothing-here"), 404, "not_found_error");
    assertError(
        http.send(http.chat("{}").uri(URI.create(server.baseUrl() + "/v2/x"))),
        404,
        "not_found_error");
  }

  /** Sends raw bytes and reads the whole answer (the server closes the connection after it). */
  static String raw(String request) throws IOException {
    try (java.net.Socket socket = new java.net.Socket("127.0.0.1", server.port())) {
      socket.setSoTimeout(10_000);
      socket.getOutputStream().write(request.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      socket.getOutputStream().flush();
      return new String(
          socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    }
  }

  @ParameterizedTest
  @CsvSource({"header, 431", "framing, 400", "uri, 400"})
  void answersWhatJettyRefusesBeforeAnyHandlerInJsonToo(String broken, int status)
      throws Exception {
    String request =
        switch (broken) {
          case "header" ->
              "GET /v1/models HTTP/1.1\r\nHost: x\r\nX-Big: " + "x".repeat(40_000) + "\r\n\r\n";
          case "framing" ->
              "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                  + "Content-Length: 5\r\n\r\nhello";
          default -> "GET /v1/%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
        };
    String answer = raw(request);
    assertThat(answer).startsWith("HTTP/1.1 " + status);
    assertThat(answer).containsIgnoringCase("Content-Type: application/json").doesNotContain("<");
    JsonNode error = Json.MAPPER.readTree(answer.substring(answer.indexOf("\r\n\r\n") + 4));
    assertThat(error.at("/error/code").asInt()).isEqualTo(status);
    assertThat(error.at("/error/type").asText()).isEqualTo("invalid_request_error");
  }

  @Test
  void answersAWrongMethodWithJson405() throws Exception {
    HttpResponse<String> response = http.get("/v1/chat/completions");
    assertError(response, 405, "invalid_request_error");
    assertThat(response.headers().firstValue("Allow")).hasValue("POST");
  }

  @Test
  void listsModelsForAKnownKey() throws Exception {
    HttpResponse<String> response = http.get("/v1/models");
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(ChatGlmSchemas.get().validate(Shape.MODEL_LIST, Profile.OPENAI, response.body()))
        .isEmpty();
    assertError(
        http.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + "/v1/models")).GET()),
        401,
        "authentication_error");
  }

  @Test
  void streamsChunksThatConcatenateToTheUnstreamedAnswer() throws Exception {
    String question = Http.body("Tell me about streaming", "\"temperature\": 0");
    String unstreamed = json(http.post(question)).at("/choices/0/message/content").asText();
    List<Http.Event> events =
        http.stream(
            http.chat(Http.body("Tell me about streaming", "\"temperature\": 0, \"stream\": true"))
                .header("API-KEY", Http.KEY));
    assertThat(events.get(events.size() - 1).data()).isEqualTo("[DONE]");
    StringBuilder streamed = new StringBuilder();
    for (Http.Event event : events.subList(0, events.size() - 1)) {
      assertThat(ChatGlmSchemas.get().validate(Shape.CHUNK, Profile.OPENAI, event.data()))
          .as(event.data())
          .isEmpty();
      streamed.append(Json.MAPPER.readTree(event.data()).at("/choices/0/delta/content").asText(""));
    }
    assertThat(streamed.toString()).isEqualTo(unstreamed);
    JsonNode last = Json.MAPPER.readTree(events.get(events.size() - 2).data());
    assertThat(last.at("/choices/0/finish_reason").asText()).isEqualTo("stop");
  }

  @Test
  void streamReportsUsageWhenAskedAndCutsAtMaxTokens() throws Exception {
    List<Http.Event> events =
        http.stream(
            http.chat(
                    Http.body(
                        "x",
                        "\"stream\": true, \"max_tokens\": 2, \"stream_options\": {\"include_usage\": true}"))
                .header("API-KEY", Http.KEY));
    assertThat(events).hasSize(4);
    JsonNode last = Json.MAPPER.readTree(events.get(2).data());
    assertThat(last.at("/choices/0/finish_reason").asText()).isEqualTo("length");
    assertThat(last.at("/usage/completion_tokens").asInt()).isEqualTo(2);
  }

  @Test
  void rejectsAnInvalidStreamRequestBeforeStreaming() throws Exception {
    HttpResponse<String> response = http.post("{\"messages\": [], \"stream\": true}");
    assertError(response, 400, "invalid_request_error");
    assertThat(json(response).at("/error/param").asText()).isEqualTo("messages");
    assertError(
        http.send(http.chat(Http.body("x", "\"stream\": true"))), 401, "authentication_error");
  }

  @Test
  void keepsWireMockAdminApiAndJournal() throws Exception {
    server.wireMock().resetRequests();
    http.post(Http.body("journal me", ""));
    HttpResponse<String> requests = http.get("/__admin/requests");
    assertThat(requests.statusCode()).isEqualTo(200);
    assertThat(requests.body()).contains("journal me");
  }

  @Test
  void stubsOfYourOwnWinOverTheApiStubs() throws Exception {
    HttpResponse<String> created =
        http.send(
            HttpRequest.newBuilder(URI.create(server.baseUrl() + "/__admin/mappings"))
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        "{\"request\": {\"method\": \"POST\", \"urlPath\": \"/v1/chat/completions\","
                            + " \"bodyPatterns\": [{\"contains\": \"overload me\"}]},"
                            + " \"response\": {\"transformers\": [\"chatglm-api\"],"
                            + " \"transformerParameters\": {\"operation\": \"chat\", \"fault\": \"529\"}}}")));
    assertThat(created.statusCode()).isEqualTo(201);
    HttpResponse<String> overloaded = http.post(Http.body("please overload me", ""));
    assertError(overloaded, 529, "overloaded_error");
    assertThat(overloaded.headers().firstValue("Retry-After")).isPresent();
    assertThat(http.post(Http.body("leave me alone", "")).statusCode()).isEqualTo(200);
  }

  @Test
  void injectsFaultsOnRequest() throws Exception {
    HttpResponse<String> limited =
        http.send(
            http.chat(Http.body("x", ""))
                .header("API-KEY", Http.KEY)
                .header("X-ChatGLM-Fault", "429"));
    assertError(limited, 429, "rate_limit_error");
    assertThat(limited.headers().firstValue("Retry-After")).hasValue("1");
    assertError(
        http.send(
            http.chat(Http.body("x", ""))
                .header("API-KEY", Http.KEY)
                .header("X-ChatGLM-Fault", "500")),
        500,
        "api_error");
    assertError(
        http.send(
            http.chat(Http.body("x", ""))
                .header("API-KEY", Http.KEY)
                .header("X-ChatGLM-Fault", "nonsense")),
        400,
        "invalid_request_error");
    assertThatThrownBy(
            () ->
                http.send(
                    http.chat(Http.body("x", ""))
                        .header("API-KEY", Http.KEY)
                        .header("X-ChatGLM-Fault", "reset")))
        .isInstanceOf(IOException.class);
    assertThatThrownBy(
            () ->
                http.stream(
                    http.chat(Http.body("x", "\"stream\": true"))
                        .header("API-KEY", Http.KEY)
                        .header("X-ChatGLM-Fault", "reset")))
        .isInstanceOf(IOException.class);
  }

  @Test
  void injectsAnErrorEventInTheMiddleOfAStream() throws Exception {
    List<Http.Event> events =
        http.stream(
            http.chat(Http.body("a long question for a long answer", "\"stream\": true"))
                .header("API-KEY", Http.KEY)
                .header("X-ChatGLM-Fault", "stream-error"));
    assertThat(events).hasSize(Fault.DEFAULT_AFTER + 1);
    String last = events.get(events.size() - 1).data();
    assertThat(ChatGlmSchemas.get().validate(Shape.ERROR, Profile.OPENAI, last)).isEmpty();
    assertThat(events).noneMatch(event -> event.data().equals("[DONE]"));
  }
}
