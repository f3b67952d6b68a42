package org.chatglmkit.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.chatglmkit.mockserver.client.ToolCalls;
import org.chatglmkit.mockserver.core.Json;
import org.chatglmkit.mockserver.settings.Settings;

/**
 * How a load run drives agent loops: the tools every request offers ({@code --tools FILE}, an
 * OpenAI tools array; a dataset line may carry its own), how many rounds one turn may take ({@code
 * --max-tool-rounds}), and what each call's synthetic result is ({@code --tool-result}: {@code
 * echo} sends the call's arguments back, anything else is sent as it is). When an answer calls, the
 * run answers every call with a {@code tool} message and asks again, until a text answer or the
 * last round.
 *
 * @param tools the tools every request offers, or {@code null}
 * @param maxRounds the most requests one turn may take, the first included
 * @param result {@code echo}, or the text of every result
 */
public record AgentLoop(ArrayNode tools, int maxRounds, String result) {
  public static final String TOOLS = LoadConfig.PREFIX + "tools";
  public static final String MAX_ROUNDS = LoadConfig.PREFIX + "max-tool-rounds";
  public static final String RESULT = LoadConfig.PREFIX + "tool-result";
  public static final String ECHO = "echo";

  public AgentLoop {
    if (maxRounds < 1) {
      throw new IllegalArgumentException("--max-tool-rounds must be at least 1, not " + maxRounds);
    }
  }

  /** Reads the settings; a tools file that is not a JSON array of tools stops the run here. */
  static AgentLoop from(Settings settings) {
    ArrayNode tools = settings.text(TOOLS).map(AgentLoop::read).orElse(null);
    return new AgentLoop(tools, (int) settings.whole(MAX_ROUNDS, 4), settings.text(RESULT, ECHO));
  }

  private static ArrayNode read(String file) {
    JsonNode tools;
    try {
      tools = Json.MAPPER.readTree(Files.readString(Path.of(file)));
    } catch (IOException e) {
      throw new IllegalArgumentException("--tools " + file + ": " + e.getMessage());
    }
    if (!(tools instanceof ArrayNode array) || array.isEmpty()) {
      throw new IllegalArgumentException(
          "--tools " + file + ": expected a JSON array of tools ({\"type\": \"function\", …})");
    }
    return array;
  }

  /** The tools a turn offers: its own, else the run's; {@code null} for none. */
  ArrayNode toolsFor(ArrayNode own) {
    return own != null ? own : tools;
  }

  /**
   * The messages that answer an answer's calls: the assistant's turn with its {@code tool_calls},
   * then one {@code tool} message per call.
   */
  ArrayNode answer(ToolCalls calls) {
    ArrayNode messages = Json.MAPPER.createArrayNode();
    ObjectNode assistant = messages.addObject().put("role", "assistant");
    assistant.putNull("content");
    ArrayNode made = assistant.putArray("tool_calls");
    int index = 0;
    for (ToolCalls.Call call : calls.calls()) {
      String id = call.id() != null ? call.id() : "call_" + index;
      index++;
      made.addObject()
          .put("id", id)
          .put("type", "function")
          .putObject("function")
          .put("name", String.valueOf(call.name()))
          .put("arguments", call.arguments());
      messages
          .addObject()
          .put("role", "tool")
          .put("tool_call_id", id)
          .put("content", result.equals(ECHO) ? call.arguments() : result);
    }
    return messages;
  }

  /** The parameters schema of the offered function {@code name} among {@code tools}. */
  static Optional<JsonNode> parameters(ArrayNode tools, String name) {
    for (JsonNode tool : tools) {
      JsonNode function = tool.has("function") ? tool.path("function") : tool;
      if (function.path("name").asText().equals(name)) {
        return Optional.of(
            function.has("parameters")
                ? function.path("parameters")
                : Json.MAPPER.createObjectNode().put("type", "object"));
      }
    }
    return Optional.empty();
  }

  /** The settings as written to the summary. */
  ObjectNode describe() {
    ObjectNode described = Json.MAPPER.createObjectNode();
    described.put("tools", tools == null ? 0 : tools.size());
    described.put("max_tool_rounds", maxRounds);
    described.put("tool_result", result);
    return described;
  }
}
