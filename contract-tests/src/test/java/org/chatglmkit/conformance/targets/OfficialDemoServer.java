package org.chatglmkit.conformance.targets;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.chatglmkit.mockserver.core.Json;

/**
 * A server that behaves as docs/api-reading.md section 7 describes the official ChatGLM2-6B {@code
 * openai_api.py} and ChatGLM3 {@code openai_api_demo} servers (FastAPI with pydantic models): no
 * authentication, {@code model} required, 422 {@code {"detail": [...]}} for what pydantic refuses
 * (with pydantic's coercions: v1 for ChatGLM2, v2 for ChatGLM3), {@code {"detail": "..."}} for the
 * rest, fields it does not know ignored, {@code finish_reason} always {@code stop}, and the stream
 * framing of sse-starlette ({@code \r\n\r\n}, a {@code : ping} comment). Answers are a fixed text,
 * one word per token, a few milliseconds apart.
 *
 * <p>The ChatGLM3 demo takes {@code tools} (and ignores {@code tool_choice} and {@code functions}):
 * when the last user message names an offered function, its answer is the model's raw call text in
 * {@code content} with {@code function_call {name, arguments}} beside it (arguments as Python's
 * {@code json.dumps} writes them) and {@code finish_reason: "function_call"}; streamed, it runs the
 * call itself and streams the text answer that follows. An assistant message that carries a
 * function call without content makes its prompt builder fail (500).
 */
public final class OfficialDemoServer implements AutoCloseable {
  /** Which official server to behave as. */
  public enum Dialect {
    CHATGLM2("gpt-3.5-turbo"),
    CHATGLM3("chatglm3-6b");

    final String listedModel;

    Dialect(String listedModel) {
      this.listedModel = listedModel;
    }
  }

  private static final List<String> WORDS =
      Arrays.asList(
          ("I am ChatGLM, a language model trained to answer questions and help with writing,"
                  + " reading and thinking through problems step by step.")
              .split("(?<= )"));

  private final Dialect dialect;
  private final boolean listsModels;
  private final HttpServer server;
  private final ExecutorService executor = Executors.newCachedThreadPool();

  public OfficialDemoServer(Dialect dialect) throws IOException {
    this(dialect, true);
  }

  /** A server that lists no models when {@code listsModels} is false (404 for /v1/models). */
  public OfficialDemoServer(Dialect dialect, boolean listsModels) throws IOException {
    this.dialect = dialect;
    this.listsModels = listsModels;
    this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
    server.createContext("/", this::handle);
    server.setExecutor(executor);
    server.start();
  }

  public String baseUrl() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      byte[] body = exchange.getRequestBody().readAllBytes();
      String path = exchange.getRequestURI().getPath();
      String method = exchange.getRequestMethod();
      if (path.equals("/v1/models") && method.equals("GET") && listsModels) {
        json(exchange, 200, models());
      } else if (path.equals("/v1/chat/completions") && method.equals("POST")) {
        chat(exchange, body);
      } else if (path.equals("/v1/chat/completions")) {
        json(exchange, 405, "{\"detail\":\"Method Not Allowed\"}");
      } else {
        json(exchange, 404, "{\"detail\":\"Not Found\"}");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private String models() {
    return "{\"object\":\"list\",\"data\":[{\"id\":\""
        + dialect.listedModel
        + "\",\"object\":\"model\",\"created\":"
        + now()
        + ",\"owned_by\":\"owner\",\"root\":null,\"parent\":null,\"permission\":null}]}";
  }

  private void chat(HttpExchange exchange, byte[] body) throws IOException, InterruptedException {
    JsonNode request;
    try {
      request = body.length == 0 ? null : Json.MAPPER.readTree(body);
    } catch (IOException e) {
      json(exchange, 422, detail("json_invalid", "[\"body\", 0]", "JSON decode error"));
      return;
    }
    Optional<String> invalid = Pydantic.validate(request, dialect == Dialect.CHATGLM2);
    if (invalid.isPresent()) {
      json(exchange, 422, invalid.get());
      return;
    }
    JsonNode messages = request.path("messages");
    if (messages.isEmpty()) {
      if (dialect == Dialect.CHATGLM2) {
        // messages[-1] of an empty list: the handler raises, uvicorn answers 500.
        text(exchange, 500, "Internal Server Error");
      } else {
        json(exchange, 400, "{\"detail\":\"Invalid request\"}");
      }
      return;
    }
    JsonNode last = messages.get(messages.size() - 1);
    String role = last.path("role").asText();
    boolean refused = dialect == Dialect.CHATGLM2 ? !role.equals("user") : role.equals("assistant");
    if (refused) {
      json(exchange, 400, "{\"detail\":\"Invalid request\"}");
      return;
    }
    if (dialect == Dialect.CHATGLM3 && last.path("content").isMissingNode()) {
      // content defaults to None and the prompt builder fails on it.
      text(exchange, 500, "Internal Server Error");
      return;
    }
    for (JsonNode message : messages) {
      if (dialect == Dialect.CHATGLM3
          && message.path("function_call").isObject()
          && !message.path("content").isTextual()) {
        // The prompt builder splits the assistant's content to find the call: None fails.
        text(exchange, 500, "Internal Server Error");
        return;
      }
    }
    Optional<String> called = dialect == Dialect.CHATGLM3 ? called(request) : Optional.empty();
    String model = request.path("model").asText();
    List<String> answer = WORDS;
    if (dialect == Dialect.CHATGLM3 && request.path("max_tokens").canConvertToInt()) {
      answer =
          WORDS.subList(0, Math.max(0, Math.min(WORDS.size(), request.path("max_tokens").asInt())));
    }
    if (Pydantic.truthy(request.path("stream"))) {
      // With a call, the demo runs it and streams the answer that follows: the same text.
      stream(exchange, model, answer);
      return;
    }
    ObjectNode completion = Json.MAPPER.createObjectNode();
    completion.put("model", model);
    if (dialect == Dialect.CHATGLM3) {
      completion.put("id", "");
    }
    completion.put("object", "chat.completion");
    ObjectNode choice = completion.putArray("choices").addObject();
    choice.put("index", 0);
    ObjectNode message = choice.putObject("message").put("role", "assistant");
    if (called.isPresent()) {
      String arguments = called.get().equals("get_weather") ? WEATHER_ARGUMENTS : "{}";
      message.put(
          "content", called.get() + "\n```python\ntool_call(city='Paris', unit='celsius')\n```");
      message.putObject("function_call").put("name", called.get()).put("arguments", arguments);
      choice.put("finish_reason", "function_call");
    } else {
      message.put("content", String.join("", answer));
      choice.put("finish_reason", "stop");
    }
    completion.put("created", now());
    if (dialect == Dialect.CHATGLM3) {
      completion
          .putObject("usage")
          .put("prompt_tokens", 12)
          .put("total_tokens", 12 + answer.size())
          .put("completion_tokens", answer.size());
    }
    json(exchange, 200, completion.toString());
  }

  /** The arguments of its get_weather call, as {@code json.dumps} writes them. */
  private static final String WEATHER_ARGUMENTS = "{\"city\": \"Paris\", \"unit\": \"celsius\"}";

  /** The offered tool the last user message names, which the demo's model calls. */
  private static Optional<String> called(JsonNode request) {
    JsonNode tools = request.path("tools");
    String said = "";
    for (JsonNode message : request.path("messages")) {
      if (message.path("role").asText().equals("user")) {
        said = message.path("content").asText("");
      }
    }
    for (JsonNode tool : tools.isArray() ? tools : Json.MAPPER.createArrayNode()) {
      String name = tool.path("function").path("name").asText(tool.path("name").asText(""));
      if (!name.isEmpty() && said.contains(name)) {
        return Optional.of(name);
      }
    }
    return Optional.empty();
  }

  private void stream(HttpExchange exchange, String model, List<String> answer)
      throws IOException, InterruptedException {
    exchange.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
    exchange.sendResponseHeaders(200, 0);
    OutputStream out = exchange.getResponseBody();
    send(out, ": ping - " + now());
    send(out, event(model, delta("assistant", dialect == Dialect.CHATGLM3 ? "" : null), null));
    for (String word : answer) {
      Thread.sleep(3);
      send(out, event(model, delta(dialect == Dialect.CHATGLM3 ? "assistant" : null, word), null));
    }
    send(out, event(model, Json.MAPPER.createObjectNode(), "stop"));
    send(out, "data: [DONE]");
  }

  private static ObjectNode delta(String role, String content) {
    ObjectNode delta = Json.MAPPER.createObjectNode();
    if (role != null) {
      delta.put("role", role);
    }
    if (content != null) {
      delta.put("content", content);
    }
    return delta;
  }

  private String event(String model, ObjectNode delta, String finish) {
    ObjectNode chunk = Json.MAPPER.createObjectNode();
    chunk.put("model", model);
    if (dialect == Dialect.CHATGLM3) {
      chunk.put("id", "");
    }
    chunk.put("object", "chat.completion.chunk");
    ArrayNode choices = chunk.putArray("choices");
    ObjectNode choice = choices.addObject();
    choice.put("index", 0);
    choice.set("delta", delta);
    if (finish == null) {
      choice.putNull("finish_reason");
    } else {
      choice.put("finish_reason", finish);
    }
    return "data: " + chunk;
  }

  private static void send(OutputStream out, String line) throws IOException {
    out.write((line + "\r\n\r\n").getBytes(StandardCharsets.UTF_8));
    out.flush();
  }

  private static long now() {
    return System.currentTimeMillis() / 1000;
  }

  static String detail(String type, String loc, String message) {
    return "{\"detail\":[{\"type\":\""
        + type
        + "\",\"loc\":"
        + loc
        + ",\"msg\":\""
        + message
        + "\"}]}";
  }

  private static void json(HttpExchange exchange, int status, String body) throws IOException {
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.sendResponseHeaders(status, bytes.length);
    exchange.getResponseBody().write(bytes);
  }

  private static void text(HttpExchange exchange, int status, String body) throws IOException {
    exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.sendResponseHeaders(status, bytes.length);
    exchange.getResponseBody().write(bytes);
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
