package org.chatglmkit.mockserver.server;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** A small HTTP client for the integration tests: JSON posts and SSE reads with arrival times. */
final class Http {
  static final String KEY = "test-key-0123456789";
  static final HttpClient CLIENT =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();

  private final String baseUrl;

  Http(String baseUrl) {
    this.baseUrl = baseUrl;
  }

  HttpRequest.Builder chat(String body) {
    return HttpRequest.newBuilder(URI.create(baseUrl + "/v1/chat/completions"))
        .timeout(Duration.ofSeconds(20))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body));
  }

  HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
    return CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> post(String body) throws Exception {
    return send(chat(body).header("API-KEY", KEY));
  }

  HttpResponse<String> get(String path) throws Exception {
    return send(HttpRequest.newBuilder(URI.create(baseUrl + path)).header("API-KEY", KEY).GET());
  }

  /** One SSE data line and when it arrived, in ms since the request was sent. */
  record Event(String data, double atMillis) {}

  /** Reads a stream to its end, timing each {@code data:} line as it arrives. */
  List<Event> stream(HttpRequest.Builder request) throws Exception {
    long start = System.nanoTime();
    HttpResponse<InputStream> response =
        CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
    List<Event> events = new ArrayList<>();
    try (BufferedReader reader =
        new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = reader.readLine()) != null) {
        if (line.startsWith("data:")) {
          events.add(new Event(line.substring(5).trim(), (System.nanoTime() - start) / 1e6));
        }
      }
    }
    return events;
  }

  static String body(String content, String extra) {
    return "{\"messages\":[{\"role\":\"user\",\"content\":\""
        + content
        + "\"}]"
        + (extra.isEmpty() ? "" : "," + extra)
        + "}";
  }
}
