package org.chatglmkit.mockserver.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.chatglmkit.mockserver.core.AccessPolicy;
import org.chatglmkit.mockserver.core.Json;
import org.chatglmkit.mockserver.core.Keys;
import org.chatglmkit.mockserver.core.Recording;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Records a real server: every call of the API is passed on to it, its answer passed back as it
 * comes (a stream event by event), and kept as a WireMock stub in {@code DIR/mappings/} that
 * replays it (the {@code chatglm-api} transformer's {@code replay} operation) when the reference
 * server is started with {@code --root-dir DIR}: the same status, headers worth keeping, body, and
 * each event at the moment it came.
 *
 * <p>A chat call's stub matches the conversation ({@code messages}, {@code history}, {@code tools},
 * {@code stream}, {@code model} as sent; other fields are not compared). No recording holds a key:
 * no request header is kept, and a key the call carried is masked wherever it appears in a body.
 */
final class Recorder {
  /** Answer headers a replay sends again; the rest (dates, lengths, hop-by-hop) are not kept. */
  private static final Set<String> KEPT =
      Set.of(
          "content-type",
          "retry-after",
          "x-ratelimit-limit-requests",
          "x-ratelimit-remaining-requests",
          "x-ratelimit-reset-requests",
          "x-ratelimit-limit-tokens",
          "x-ratelimit-remaining-tokens",
          "x-ratelimit-reset-tokens",
          "allow");

  /** Request headers not passed on: the connection's own, and what the client's lengths say. */
  private static final Set<String> NOT_PASSED =
      Set.of(
          "host",
          "connection",
          "content-length",
          "transfer-encoding",
          "upgrade",
          "http2-settings",
          "expect",
          "keep-alive",
          "te");

  /**
   * The most of one answer a recording keeps; an answer that grows past it (a stream that never
   * ends) is still passed back whole, but not recorded.
   */
  static final long MAX_RECORDED_BYTES = 16L * 1024 * 1024;

  /** How long the real server may take to send its answer's headers. */
  static final Duration HEADERS_TIMEOUT = Duration.ofMinutes(5);

  private final URI target;
  private final Path mappings;
  private final long bodyLimit;
  private final HttpClient client =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(10))
          .build();
  private final AtomicInteger recorded = new AtomicInteger();

  /**
   * @param target the real server, e.g. {@code http://127.0.0.1:8000}
   * @param directory where {@code mappings/} is written
   */
  Recorder(URI target, Path directory, long bodyLimit) {
    this.target = target;
    this.mappings = directory.resolve("mappings");
    this.bodyLimit = bodyLimit;
    try {
      Files.createDirectories(mappings);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + mappings, e);
    }
  }

  /** How many exchanges were recorded. */
  int recorded() {
    return recorded.get();
  }

  /** Passes one call on, passes its answer back as it comes, and records it. Blocks its thread. */
  void handle(Request request, Response response, Callback callback) {
    long start = System.nanoTime();
    String key;
    byte[] body;
    try {
      body = Content.Source.asInputStream(request).readNBytes((int) bodyLimit + 1);
    } catch (IOException e) {
      callback.failed(e);
      return;
    }
    if (body.length > bodyLimit) {
      // not passed on cut short: refused as the API refuses it
      ChatFrontHandler.writeError(
          response, callback, org.chatglmkit.mockserver.core.ApiError.tooLarge(bodyLimit));
      return;
    }
    key = AccessPolicy.keyOf(name -> request.getHeaders().get(name));
    String path = request.getHttpURI().getPathQuery();
    HttpRequest.Builder forward =
        HttpRequest.newBuilder(target.resolve(path))
            .timeout(HEADERS_TIMEOUT)
            .method(request.getMethod(), HttpRequest.BodyPublishers.ofByteArray(body));
    for (HttpField field : request.getHeaders()) {
      if (!NOT_PASSED.contains(field.getLowerCaseName())) {
        forward.header(field.getName(), field.getValue());
      }
    }
    HttpResponse<InputStream> answer;
    try {
      answer = client.send(forward.build(), HttpResponse.BodyHandlers.ofInputStream());
    } catch (IOException | InterruptedException e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      ChatFrontHandler.writeError(
          response,
          callback,
          new org.chatglmkit.mockserver.core.ApiError(
              502, "api_error", "the recorded server did not answer: " + e, null, null));
      return;
    }
    Map<String, String> kept = new LinkedHashMap<>();
    answer
        .headers()
        .map()
        .forEach(
            (name, values) -> {
              if (KEPT.contains(name.toLowerCase(Locale.ROOT)) && !values.isEmpty()) {
                kept.put(name, values.get(0));
              }
            });
    response.setStatus(answer.statusCode());
    kept.forEach(response.getHeaders()::put);
    boolean streamed =
        kept.entrySet().stream()
            .anyMatch(
                header ->
                    header.getKey().equalsIgnoreCase("content-type")
                        && header
                            .getValue()
                            .toLowerCase(Locale.ROOT)
                            .startsWith("text/event-stream"));
    try (InputStream in = answer.body();
        OutputStream out = Content.Sink.asOutputStream(response)) {
      Recording recording;
      if (streamed) {
        List<Recording.Event> events = new ArrayList<>();
        long size = 0;
        for (String event : new EventReader(in)) {
          byte[] bytes = event.getBytes(StandardCharsets.UTF_8);
          out.write(bytes);
          out.flush();
          size += bytes.length;
          if (events != null && size <= MAX_RECORDED_BYTES) {
            events.add(new Recording.Event(millisSince(start), mask(event, key)));
          } else {
            events = null; // too large to keep: passed on, not recorded
          }
        }
        recording =
            events == null
                ? null
                : new Recording(answer.statusCode(), kept, events, null, millisSince(start));
      } else {
        byte[] whole = in.readNBytes((int) MAX_RECORDED_BYTES + 1);
        out.write(whole);
        boolean small = whole.length <= MAX_RECORDED_BYTES;
        if (!small) {
          in.transferTo(out);
        }
        recording =
            small
                ? new Recording(
                    answer.statusCode(),
                    kept,
                    null,
                    mask(new String(whole, StandardCharsets.UTF_8), key),
                    millisSince(start))
                : null;
      }
      // Saved before the answer's end is sent: a client that has its whole answer finds it
      // recorded. A refused key says nothing of the conversation: replaying it would shadow the
      // answers.
      if (recording != null && answer.statusCode() != 401 && answer.statusCode() != 403) {
        save(request.getMethod(), path, body, key, recording);
      }
    } catch (IOException e) {
      callback.failed(e);
      return;
    }
    callback.succeeded();
  }

  private static double millisSince(long start) {
    return (System.nanoTime() - start) / 1e6;
  }

  private static String mask(String text, String key) {
    return key == null || key.isEmpty() ? text : text.replace(key, Keys.mask(key));
  }

  /** Writes the stub that replays {@code recording} for calls like this one. */
  private void save(String method, String path, byte[] body, String key, Recording recording) {
    ObjectNode stub = Json.MAPPER.createObjectNode();
    ObjectNode request = stub.putObject("request");
    request.put("method", method);
    int query = path.indexOf('?');
    request.put("urlPath", query < 0 ? path : path.substring(0, query));
    JsonNode sent = parse(mask(new String(body, StandardCharsets.UTF_8), key));
    if (sent != null && sent.isObject()) {
      // the conversation, message for message, and whether it streams
      ObjectNode parameters = Json.MAPPER.createObjectNode();
      ArrayNode conversation = parameters.putArray("messages");
      sent.path("history").forEach(conversation::add);
      sent.path("messages").forEach(conversation::add);
      parameters.put("stream", sent.path("stream").asBoolean(false));
      if (sent.has("model")) {
        parameters.set("model", sent.get("model"));
      }
      if (sent.has("tools") || sent.has("functions")) {
        parameters.put(
            "hasTools", sent.path("tools").size() > 0 || sent.path("functions").size() > 0);
      }
      ObjectNode matcher = request.putObject("customMatcher");
      matcher.put("name", ConversationMatcher.NAME);
      matcher.set("parameters", parameters);
    } else if (body.length > 0) {
      // no conversation to match: this very body
      request
          .putArray("bodyPatterns")
          .addObject()
          .put("equalTo", mask(new String(body, StandardCharsets.UTF_8), key));
    }
    ObjectNode answer = stub.putObject("response");
    answer.putArray("transformers").add(ApiTransformer.NAME);
    answer.set("transformerParameters", Json.MAPPER.valueToTree(recording.toParameters()));
    int number = recorded.incrementAndGet();
    stub.putObject("metadata").put("recorded", number).put("from", target.toString());
    Path file =
        mappings.resolve(
            String.format(
                Locale.ROOT,
                "%04d-%s%s.json",
                number,
                method.toLowerCase(Locale.ROOT),
                path.replaceAll("[^A-Za-z0-9]+", "-").replaceAll("-+$", "")));
    try {
      Json.MAPPER.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), stub);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  private static JsonNode parse(String text) {
    try {
      return Json.MAPPER.readTree(text);
    } catch (IOException e) {
      return null;
    }
  }

  /** The events of an SSE body, each with its blank line, as they come. */
  private static final class EventReader implements Iterable<String> {
    private final InputStream in;

    EventReader(InputStream in) {
      this.in = in;
    }

    @Override
    public java.util.Iterator<String> iterator() {
      return new java.util.Iterator<>() {
        private String next = read();

        @Override
        public boolean hasNext() {
          return next != null;
        }

        @Override
        public String next() {
          String event = next;
          next = read();
          return event;
        }
      };
    }

    /** Up to and with the next blank line, or the rest; {@code null} at the end. */
    private String read() {
      ByteArrayOutputStream event = new ByteArrayOutputStream();
      try {
        int previous = -1;
        int b;
        while ((b = in.read()) >= 0) {
          event.write(b);
          if (b == '\n' && previous == '\n') {
            break;
          }
          if (b != '\r') {
            previous = b;
          }
        }
      } catch (IOException e) {
        // the connection ended: what came is the last event
      }
      return event.size() == 0 ? null : event.toString(StandardCharsets.UTF_8);
    }
  }
}
