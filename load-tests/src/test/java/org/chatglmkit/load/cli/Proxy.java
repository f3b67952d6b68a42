package org.chatglmkit.load.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;

/**
 * A proxy on loopback in front of a real server that records every request body and, when told to,
 * buffers each answer whole before sending it on (as a misconfigured gateway does to a stream).
 */
final class Proxy implements AutoCloseable {
  private final HttpServer server;
  private final HttpClient client = HttpClient.newHttpClient();
  final List<String> bodies = new CopyOnWriteArrayList<>();

  /** The key's scheme of each chat request that reached the proxy: API-KEY, Bearer or none. */
  final List<String> schemes = new CopyOnWriteArrayList<>();

  /** How the front behaves, beyond relaying. */
  enum Quirk {
    /** Refuses a key in API-KEY with 401 and takes only Authorization: Bearer (vLLM, gateways). */
    BEARER_ONLY,
    /**
     * Answers a request that offers an HTTP/2 upgrade ({@code Upgrade: h2c}) with 400 "Unsupported
     * upgrade request", as uvicorn 0.17 (Debian 12's) does.
     */
    OLD_UVICORN,
    /** Serves no model list: {@code GET /v1/models} answers 404 as FastAPI does. */
    NO_MODEL_LIST
  }

  private final Set<Quirk> quirks;

  Proxy(String upstream, boolean buffer) throws IOException {
    this(upstream, buffer, null);
  }

  /**
   * @param requireModel when not {@code null}, the proxy acts as servers that require {@code model}
   *     (the official demos, vLLM): it lists this one model at {@code GET /v1/models} and answers
   *     422 with FastAPI's {@code {"detail": ...}} to a chat request that names none
   */
  Proxy(String upstream, boolean buffer, String requireModel) throws IOException {
    this(upstream, buffer, requireModel, Set.of());
  }

  Proxy(String upstream, boolean buffer, String requireModel, Set<Quirk> quirks)
      throws IOException {
    this.quirks = quirks;
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
    server.setExecutor(Executors.newCachedThreadPool());
    server.createContext("/", exchange -> forward(exchange, upstream, buffer, requireModel));
    server.start();
  }

  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  private void forward(HttpExchange exchange, String upstream, boolean buffer, String requireModel)
      throws IOException {
    try (exchange) {
      byte[] body = exchange.getRequestBody().readAllBytes();
      String text = new String(body, StandardCharsets.UTF_8);
      if (quirks.contains(Quirk.OLD_UVICORN)
          && exchange.getRequestHeaders().containsKey("Upgrade")) {
        reply(exchange, 400, "{\"detail\":\"Unsupported upgrade request.\"}");
        return;
      }
      if (quirks.contains(Quirk.NO_MODEL_LIST)
          && exchange.getRequestURI().getPath().equals("/v1/models")) {
        reply(exchange, 404, "{\"detail\":\"Not Found\"}");
        return;
      }
      String authorization = exchange.getRequestHeaders().getFirst("Authorization");
      boolean bearer = authorization != null && authorization.startsWith("Bearer ");
      if (exchange.getRequestMethod().equals("POST")) {
        schemes.add(
            bearer
                ? "Bearer"
                : exchange.getRequestHeaders().containsKey("API-KEY") ? "API-KEY" : "none");
      }
      if (quirks.contains(Quirk.BEARER_ONLY) && !bearer) {
        reply(
            exchange,
            401,
            "{\"error\":{\"message\":\"bearer token required\",\"type\":\"authentication_error\"}}");
        return;
      }
      if (requireModel != null && exchange.getRequestURI().getPath().equals("/v1/models")) {
        reply(
            exchange,
            200,
            "{\"object\":\"list\",\"data\":[{\"id\":\""
                + requireModel
                + "\",\"object\":\"model\"}]}");
        return;
      }
      if (exchange.getRequestMethod().equals("POST")) {
        bodies.add(text);
      }
      if (requireModel != null && !text.contains("\"model\"")) {
        reply(
            exchange,
            422,
            "{\"detail\":[{\"loc\":[\"body\",\"model\"],\"msg\":\"field required\"}]}");
        return;
      }
      HttpRequest.Builder request =
          HttpRequest.newBuilder(URI.create(upstream + exchange.getRequestURI()))
              .method(exchange.getRequestMethod(), HttpRequest.BodyPublishers.ofByteArray(body));
      for (String name : new String[] {"API-KEY", "Authorization", "Content-Type"}) {
        String value = exchange.getRequestHeaders().getFirst(name);
        if (value != null) {
          request.header(name, value);
        }
      }
      HttpResponse<InputStream> response =
          client.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
      response
          .headers()
          .firstValue("Content-Type")
          .ifPresent(type -> exchange.getResponseHeaders().add("Content-Type", type));
      try (InputStream in = response.body()) {
        if (buffer) {
          byte[] whole = in.readAllBytes();
          exchange.sendResponseHeaders(
              response.statusCode(), whole.length == 0 ? -1 : whole.length);
          exchange.getResponseBody().write(whole);
        } else {
          exchange.sendResponseHeaders(response.statusCode(), 0);
          OutputStream out = exchange.getResponseBody();
          byte[] chunk = new byte[8192];
          int read;
          while ((read = in.read(chunk)) >= 0) {
            out.write(chunk, 0, read);
            out.flush();
          }
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void reply(HttpExchange exchange, int status, String json) throws IOException {
    byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().add("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, bytes.length);
    exchange.getResponseBody().write(bytes);
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
