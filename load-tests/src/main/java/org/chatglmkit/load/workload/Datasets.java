package org.chatglmkit.load.workload;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PushbackReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.chatglmkit.mockserver.core.Json;

/**
 * Reads the datasets people bring, whatever their shape, into conversations:
 *
 * <ul>
 *   <li>ShareGPT: a JSON array (or JSONL) of {@code {"conversations": [{"from": "human", "value":
 *       …}, {"from": "gpt", …}, …]}}. Single-turn: the last human turn is the request and what came
 *       before it the context. Multi-turn: each human turn in order, answered live.
 *   <li>The project's JSONL: {@code {"messages": [...], "history": [...], "max_tokens": N}} per
 *       line, {@code max_tokens} optional.
 * </ul>
 *
 * A line or entry that cannot be read stops the load before anything is sent, naming the file and
 * line. Entries that parse but hold no human turn (common in ShareGPT dumps) are skipped and
 * counted.
 */
public final class Datasets {
  private static final Set<String> HUMAN = Set.of("human", "user");
  private static final Set<String> ASSISTANT =
      Set.of("gpt", "chatgpt", "assistant", "bard", "model");

  private Datasets() {}

  /** Conversations read from a dataset, and how many entries were skipped. */
  public record Loaded(List<Conversation> conversations, int skipped, String format) {}

  /**
   * The last dataset read, by what it was read from: the command reads a dataset to check it before
   * any load, and the run then asks for the same one (a ShareGPT dump is hundreds of megabytes).
   */
  private record Key(Path path, boolean multiTurn, long modified, long size) {}

  private static Key lastKey;
  private static Loaded last;

  /**
   * Reads a dataset file, or the bundled prompts when {@code path} is {@code null}.
   *
   * @param multiTurn whether recorded conversations are replayed turn by turn
   * @throws DatasetException naming the file and line of the first entry that cannot be read
   */
  public static synchronized Loaded load(Path path, boolean multiTurn) {
    Key key = key(path, multiTurn);
    if (key != null && key.equals(lastKey)) {
      return last;
    }
    Loaded loaded = read(path, multiTurn);
    lastKey = key;
    last = loaded;
    return loaded;
  }

  private static Key key(Path path, boolean multiTurn) {
    try {
      return path == null
          ? new Key(null, multiTurn, 0, 0)
          : new Key(
              path.toAbsolutePath(),
              multiTurn,
              Files.getLastModifiedTime(path).toMillis(),
              Files.size(path));
    } catch (IOException e) {
      return null; // unreadable: read() says why
    }
  }

  private static Loaded read(Path path, boolean multiTurn) {
    String name = path == null ? "the bundled prompts" : path.toString();
    try (InputStream in = open(path);
        PushbackReader reader =
            new PushbackReader(new InputStreamReader(in, StandardCharsets.UTF_8), 1)) {
      int first;
      do {
        first = reader.read();
      } while (first == '\uFEFF' || (first >= 0 && Character.isWhitespace(first)));
      if (first < 0) {
        throw new DatasetException(name + ": the dataset is empty");
      }
      reader.unread(first);
      Loaded loaded =
          first == '[' ? readArray(reader, name, multiTurn) : readLines(reader, name, multiTurn);
      if (loaded.conversations().isEmpty()) {
        throw new DatasetException(
            name + ": no usable entry (" + loaded.skipped() + " without a human turn)");
      }
      return loaded;
    } catch (IOException e) {
      throw new DatasetException(name + ": cannot be read: " + e.getMessage());
    }
  }

  private static InputStream open(Path path) throws IOException {
    if (path == null) {
      InputStream bundled = Datasets.class.getResourceAsStream("/prompts/chat-prompts.jsonl");
      if (bundled == null) {
        throw new IOException("the bundled dataset is missing");
      }
      return bundled;
    }
    if (!Files.isRegularFile(path)) {
      throw new DatasetException(path + ": no such file");
    }
    return Files.newInputStream(path);
  }

  private static Loaded readLines(Reader reader, String name, boolean multiTurn)
      throws IOException {
    BufferedReader lines = new BufferedReader(reader);
    List<Conversation> conversations = new ArrayList<>();
    int skipped = 0;
    String format = null;
    String line;
    int number = 0;
    while ((line = lines.readLine()) != null) {
      number++;
      if (line.isBlank()) {
        continue;
      }
      JsonNode entry;
      try {
        entry = Json.MAPPER.readTree(line);
      } catch (IOException e) {
        throw new DatasetException(
            name + ":" + number + ": not JSON (" + firstLine(e.getMessage()) + ")");
      }
      String kind = kind(entry, name + ":" + number);
      format = format == null ? kind : format;
      Conversation conversation = convert(entry, kind, multiTurn, name + ":" + number);
      if (conversation == null) {
        skipped++;
      } else {
        conversations.add(conversation);
      }
    }
    return new Loaded(conversations, skipped, format + " (JSONL)");
  }

  private static Loaded readArray(Reader reader, String name, boolean multiTurn)
      throws IOException {
    List<Conversation> conversations = new ArrayList<>();
    int skipped = 0;
    String format = null;
    try (JsonParser parser = Json.MAPPER.createParser(reader)) {
      parser.nextToken(); // [
      int index = 0;
      while (true) {
        JsonToken token = parser.nextToken();
        if (token == JsonToken.END_ARRAY || token == null) {
          break;
        }
        long line = parser.currentLocation().getLineNr();
        String where = name + ":" + line + " (entry " + index++ + ")";
        JsonNode entry = Json.MAPPER.readTree(parser);
        String kind = kind(entry, where);
        format = format == null ? kind : format;
        Conversation conversation = convert(entry, kind, multiTurn, where);
        if (conversation == null) {
          skipped++;
        } else {
          conversations.add(conversation);
        }
      }
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new DatasetException(
          name
              + ":"
              + (e.getLocation() == null ? "?" : e.getLocation().getLineNr())
              + ": not JSON ("
              + firstLine(e.getOriginalMessage())
              + ")");
    }
    return new Loaded(conversations, skipped, format + " (JSON array)");
  }

  private static String kind(JsonNode entry, String where) {
    if (entry.path("conversations").isArray()) {
      return "ShareGPT";
    }
    if (entry.path("messages").isArray()) {
      return "chat JSONL";
    }
    throw new DatasetException(
        where
            + ": neither a ShareGPT entry (\"conversations\") nor a chat entry (\"messages\");"
            + " traces go to --trace");
  }

  private static Conversation convert(
      JsonNode entry, String kind, boolean multiTurn, String where) {
    return kind.equals("ShareGPT")
        ? shareGpt(entry, multiTurn, where)
        : chat(entry, multiTurn, where);
  }

  /** A ShareGPT entry, or {@code null} when it has no human turn. */
  static Conversation shareGpt(JsonNode entry, boolean multiTurn, String where) {
    List<ObjectNode> messages = new ArrayList<>();
    for (JsonNode turn : entry.get("conversations")) {
      String from = turn.path("from").asText("").toLowerCase(Locale.ROOT);
      JsonNode value = turn.path("value");
      if (!value.isTextual()) {
        throw new DatasetException(where + ": a turn without a text \"value\"");
      }
      String role;
      if (HUMAN.contains(from)) {
        role = "user";
      } else if (ASSISTANT.contains(from)) {
        role = "assistant";
      } else if (from.equals("system")) {
        role = "system";
      } else {
        throw new DatasetException(
            where + ": unknown speaker \"from\": \"" + turn.path("from").asText() + "\"");
      }
      messages.add(message(role, value.asText()));
    }
    return fromMessages(messages, multiTurn, null, null);
  }

  /** A line of the project's own format. */
  static Conversation chat(JsonNode entry, boolean multiTurn, String where) {
    List<ObjectNode> messages = new ArrayList<>();
    for (String field : new String[] {"history", "messages"}) {
      JsonNode list = entry.path(field);
      if (list.isMissingNode()) {
        continue;
      }
      if (!list.isArray()) {
        throw new DatasetException(where + ": \"" + field + "\" is not a list");
      }
      for (JsonNode message : list) {
        if (!message.isObject() || !message.path("role").isTextual()) {
          throw new DatasetException(where + ": a message without a \"role\"");
        }
        messages.add((ObjectNode) message);
      }
    }
    JsonNode maxTokens = entry.path("max_tokens");
    if (!maxTokens.isMissingNode() && !maxTokens.canConvertToInt()) {
      throw new DatasetException(where + ": \"max_tokens\" is not a whole number");
    }
    JsonNode tools = entry.path("tools");
    if (!tools.isMissingNode() && !tools.isNull() && !tools.isArray()) {
      throw new DatasetException(where + ": \"tools\" is not a list");
    }
    Conversation conversation =
        fromMessages(
            messages,
            multiTurn,
            maxTokens.isMissingNode() ? null : maxTokens.asInt(),
            tools.isArray() && !tools.isEmpty() ? (ArrayNode) tools : null);
    if (conversation == null) {
      throw new DatasetException(where + ": no user message");
    }
    return conversation;
  }

  /**
   * Single-turn: everything up to the last user message is context, that message the request.
   * Multi-turn: each user message is a turn (with any system message before the first as context);
   * recorded answers are dropped, since the server's own answers take their place.
   */
  private static Conversation fromMessages(
      List<ObjectNode> messages, boolean multiTurn, Integer maxTokens, ArrayNode tools) {
    int last = -1;
    for (int i = 0; i < messages.size(); i++) {
      if (messages.get(i).path("role").asText().equals("user")) {
        last = i;
      }
    }
    if (last < 0) {
      return null;
    }
    ArrayNode context = Json.MAPPER.createArrayNode();
    List<Conversation.Turn> turns = new ArrayList<>();
    if (!multiTurn) {
      for (int i = 0; i < last; i++) {
        context.add(messages.get(i));
      }
      turns.add(new Conversation.Turn(array(messages.get(last)), maxTokens, -1, tools));
      return new Conversation(context, turns);
    }
    for (ObjectNode message : messages) {
      String role = message.path("role").asText();
      if (role.equals("user")) {
        turns.add(new Conversation.Turn(array(message), maxTokens, -1, tools));
      } else if (role.equals("system") && turns.isEmpty()) {
        context.add(message);
      }
    }
    return new Conversation(context, turns);
  }

  static ObjectNode message(String role, String content) {
    ObjectNode message = Json.MAPPER.createObjectNode();
    message.put("role", role);
    message.put("content", content);
    return message;
  }

  static ArrayNode array(ObjectNode message) {
    return Json.MAPPER.createArrayNode().add(message);
  }

  private static String firstLine(String text) {
    if (text == null) {
      return "unreadable";
    }
    int end = text.indexOf('\n');
    return end < 0 ? text : text.substring(0, end);
  }
}
