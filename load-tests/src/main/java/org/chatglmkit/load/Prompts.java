package org.chatglmkit.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.chatglmkit.mockserver.core.Json;

/**
 * The prompts of a run, read from JSONL (one {@code {"messages": [...], "history": [...]}} per
 * line) and turned into request bodies, served to Gatling as an endless feeder.
 *
 * <pre>{@code
 * Prompts prompts = Prompts.load(null, 64, 0.7, true); // the bundled dataset, streamed
 * scenario("chat").feed(prompts.feeder())
 * }</pre>
 */
public final class Prompts {
  /** The dataset shipped with the toolkit: short and long, multi-turn, English and Chinese. */
  public static final String BUNDLED = "/prompts/chat-prompts.jsonl";

  private final List<String> bodies;
  private final AtomicLong next = new AtomicLong();

  private Prompts(List<String> bodies) {
    if (bodies.isEmpty()) {
      throw new IllegalArgumentException("the prompt dataset is empty");
    }
    this.bodies = List.copyOf(bodies);
  }

  /**
   * Reads a dataset.
   *
   * @param path a JSONL file, or {@code null} for the bundled dataset
   */
  public static Prompts load(String path, int maxTokens, double temperature, boolean stream) {
    return load(path, maxTokens, temperature, stream, null);
  }

  /**
   * Reads a dataset; every body names {@code model} when it is not {@code null} (servers such as
   * the official ChatGLM demos and vLLM require it).
   */
  public static Prompts load(
      String path, int maxTokens, double temperature, boolean stream, String model) {
    List<String> bodies = new ArrayList<>();
    try (InputStream in = open(path);
        BufferedReader reader =
            new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      String line;
      int number = 0;
      while ((line = reader.readLine()) != null) {
        number++;
        if (line.isBlank()) {
          continue;
        }
        bodies.add(body(parse(line, number), maxTokens, temperature, stream, model));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the prompt dataset " + path, e);
    }
    return new Prompts(bodies);
  }

  private static InputStream open(String path) throws IOException {
    if (path == null) {
      InputStream bundled = Prompts.class.getResourceAsStream(BUNDLED);
      if (bundled == null) {
        throw new IOException("the bundled dataset " + BUNDLED + " is missing");
      }
      return bundled;
    }
    return Files.newInputStream(Path.of(path));
  }

  private static JsonNode parse(String line, int number) {
    try {
      JsonNode prompt = Json.MAPPER.readTree(line);
      if (!prompt.path("messages").isArray() || prompt.path("messages").isEmpty()) {
        throw new IllegalArgumentException("line " + number + ": no \"messages\" array");
      }
      return prompt;
    } catch (IOException e) {
      throw new IllegalArgumentException("line " + number + " is not JSON: " + e.getMessage(), e);
    }
  }

  static String body(
      JsonNode prompt, int maxTokens, double temperature, boolean stream, String model) {
    ObjectNode body = Json.MAPPER.createObjectNode();
    if (model != null) {
      body.put("model", model);
    }
    body.set("messages", prompt.get("messages"));
    if (prompt.has("history")) {
      body.set("history", prompt.get("history"));
    }
    body.put("max_tokens", maxTokens);
    body.put("temperature", temperature);
    if (stream) {
      body.put("stream", true);
      // OpenAI-compatible servers then put usage in the last chunk: real input and output token
      // counts for streams too (servers that do not know the field ignore it).
      body.putObject("stream_options").put("include_usage", true);
    }
    return body.toString();
  }

  public int size() {
    return bodies.size();
  }

  /** An endless feeder: each virtual user takes the next prompt, round and round. */
  public Iterator<Map<String, Object>> feeder() {
    return new Iterator<>() {
      @Override
      public boolean hasNext() {
        return true;
      }

      @Override
      public Map<String, Object> next() {
        int index = (int) (next.getAndIncrement() % bodies.size());
        return Map.of("body", bodies.get(index));
      }
    };
  }
}
