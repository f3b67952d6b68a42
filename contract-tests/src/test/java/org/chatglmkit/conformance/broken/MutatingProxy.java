package org.chatglmkit.conformance.broken;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;
import org.chatglmkit.conformance.broken.Distortion.Answer;
import org.chatglmkit.conformance.broken.Distortion.Request;

/**
 * A loopback proxy in front of a conforming server that breaks it in one named way: a "broken
 * server" for testing that the suite notices. Streams are forwarded event by event as they arrive
 * unless the distortion buffers them.
 */
final class MutatingProxy implements AutoCloseable {
  private static final Set<String> HOP_HEADERS =
      Set.of("host", "content-length", "connection", "transfer-encoding", "expect", "upgrade");

  /** Not forwarded, so that answers come back uncompressed and can be rewritten. */
  private static final String ACCEPT_ENCODING = "accept-encoding";

  private final HttpServer server;
  private final ExecutorService executor = Executors.newCachedThreadPool();
  private final HttpClient upstream =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();
  private final String upstreamUrl;
  private final Distortion distortion;

  MutatingProxy(String upstreamUrl, Distortion distortion) throws IOException {
    this.upstreamUrl = upstreamUrl;
    this.distortion = distortion;
    this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
    server.createContext("/", this::handle);
    server.setExecutor(executor);
    server.start();
  }

  String baseUrl() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      Map<String, String> headers = new LinkedHashMap<>();
      exchange
          .getRequestHeaders()
          .forEach((name, values) -> headers.put(name.toLowerCase(Locale.ROOT), values.get(0)));
      Request request =
          distortion
              .request()
              .apply(
                  new Request(
                      exchange.getRequestMethod(),
                      exchange.getRequestURI().toString(),
                      headers,
                      exchange.getRequestBody().readAllBytes()));
      Answer early = distortion.shortCircuit().apply(request);
      if (early != null) {
        send(exchange, distortion.answer().apply(request, early));
        return;
      }
      HttpResponse<InputStream> response = forward(request);
      String type = response.headers().firstValue("Content-Type").orElse("");
      try (InputStream body = response.body()) {
        if (type.startsWith("text/event-stream")) {
          stream(exchange, response, body);
        } else {
          Map<String, String> answerHeaders = new LinkedHashMap<>();
          response
              .headers()
              .map()
              .forEach(
                  (name, values) -> {
                    if (!HOP_HEADERS.contains(name.toLowerCase(Locale.ROOT))) {
                      answerHeaders.put(canonical(name), values.get(0));
                    }
                  });
          Answer answer = new Answer(response.statusCode(), answerHeaders, body.readAllBytes());
          send(exchange, distortion.answer().apply(request, answer));
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private HttpResponse<InputStream> forward(Request request)
      throws IOException, InterruptedException {
    HttpRequest.Builder builder =
        HttpRequest.newBuilder(URI.create(upstreamUrl + request.path()))
            .timeout(Duration.ofSeconds(30))
            .method(request.method(), HttpRequest.BodyPublishers.ofByteArray(request.body()));
    request
        .headers()
        .forEach(
            (name, value) -> {
              if (!HOP_HEADERS.contains(name) && !name.equals(ACCEPT_ENCODING)) {
                builder.header(name, value);
              }
            });
    return upstream.send(builder.build(), HttpResponse.BodyHandlers.ofInputStream());
  }

  private void stream(HttpExchange exchange, HttpResponse<InputStream> response, InputStream body)
      throws IOException {
    exchange.getResponseHeaders().set("Content-Type", distortion.streamType());
    exchange.sendResponseHeaders(response.statusCode(), 0);
    OutputStream out = exchange.getResponseBody();
    BufferedReader reader = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8));
    Function<String, List<String>> event = distortion.event().get();
    List<String> held = new ArrayList<>();
    String lastContent = "{}";
    StringBuilder data = new StringBuilder();
    String line;
    while ((line = reader.readLine()) != null) {
      if (line.startsWith("data:")) {
        data.append(line.substring(5).strip());
        continue;
      }
      if (!line.isEmpty() || data.length() == 0) {
        continue;
      }
      if (distortion.endless() && data.toString().equals("[DONE]")) {
        break;
      }
      if (data.indexOf("\"content\"") >= 0) {
        lastContent = data.toString();
      }
      for (String payload : event.apply(data.toString())) {
        String frame =
            (distortion.pings() ? ": ping" + distortion.lineEnd() + distortion.lineEnd() : "")
                + "data: "
                + payload
                + distortion.lineEnd()
                + distortion.lineEnd();
        if (distortion.bufferStream()) {
          held.add(frame);
        } else {
          out.write(frame.getBytes(StandardCharsets.UTF_8));
          out.flush();
        }
      }
      data.setLength(0);
    }
    for (String frame : held) {
      out.write(frame.getBytes(StandardCharsets.UTF_8));
    }
    out.flush();
    while (distortion.endless()) {
      out.write(("data: " + lastContent + "\n\n").getBytes(StandardCharsets.UTF_8));
      out.flush();
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private static void send(HttpExchange exchange, Answer answer) throws IOException {
    answer.headers().forEach((name, value) -> exchange.getResponseHeaders().set(name, value));
    byte[] body = answer.body();
    exchange.sendResponseHeaders(answer.status(), body.length == 0 ? -1 : body.length);
    if (body.length > 0) {
      exchange.getResponseBody().write(body);
    }
  }

  private static String canonical(String name) {
    return name.equalsIgnoreCase("content-type") ? "Content-Type" : name;
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
