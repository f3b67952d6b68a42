package org.chatglmkit.mockserver.client;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.chatglmkit.mockserver.core.Json;

/**
 * The calls an answer makes, read from an unstreamed completion or assembled from a stream's
 * chunks, with what was wrong in how they came (each problem names its rule). Pure functions of
 * what the target sent: nothing here throws for anything a server can send.
 *
 * <pre>{@code
 * ToolCalls calls = ToolCalls.ofCompletion(answer.json());
 * calls.problems();  // e.g. "TOOLS-CALL-SHAPE: tool_calls is a string, not a list"
 * }</pre>
 *
 * @param calls the calls, in order
 * @param finishReason the answer's (for a stream: the last non-null) finish reason, or {@code null}
 * @param problems what was wrong, each {@code RULE-ID: what}
 */
public record ToolCalls(List<Call> calls, String finishReason, List<String> problems) {

  /** How much of an argument string a message quotes. */
  private static final int QUOTE_CHARS = 120;

  /**
   * One call.
   *
   * @param id its id, or {@code null}
   * @param type its {@code type}, or {@code null}
   * @param name the function's name, or {@code null}
   * @param arguments the arguments as sent: text for a string, else the JSON of what came
   * @param argumentsIsString whether {@code arguments} came as a string (pieces of strings)
   * @param function whether it came as a {@code function_call} (ChatGLM3's demo, OpenAI's older
   *     functions) rather than in {@code tool_calls}
   */
  public record Call(
      String id,
      String type,
      String name,
      String arguments,
      boolean argumentsIsString,
      boolean function) {

    /** The arguments as a JSON object, or why they are not one. */
    public Parsed parsed() {
      if (!argumentsIsString) {
        return new Parsed(null, "arguments is " + describe(arguments) + ", not a string");
      }
      try {
        JsonNode node = Json.MAPPER.readTree(arguments);
        if (node == null || !node.isObject()) {
          return new Parsed(null, "arguments " + quote(arguments) + " hold no JSON object");
        }
        return new Parsed(node, null);
      } catch (JsonProcessingException e) {
        return new Parsed(
            null,
            "arguments " + quote(arguments) + " are not JSON (" + e.getOriginalMessage() + ")");
      }
    }
  }

  /** Parsed arguments, or why they could not be. */
  public record Parsed(JsonNode object, String problem) {}

  public ToolCalls {
    calls = List.copyOf(calls);
    problems = List.copyOf(problems);
  }

  /** The calls of an unstreamed completion ({@code choices[0].message}). */
  public static ToolCalls ofCompletion(JsonNode completion) {
    JsonNode choice = completion.path("choices").path(0);
    JsonNode message = choice.path("message");
    List<Call> calls = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    JsonNode toolCalls = message.path("tool_calls");
    if (!toolCalls.isMissingNode() && !toolCalls.isNull() && !toolCalls.isArray()) {
      problems.add(
          "TOOLS-CALL-SHAPE: message.tool_calls is "
              + describe(toolCalls.toString())
              + ", not a list");
    }
    for (JsonNode call : toolCalls.isArray() ? toolCalls : Json.MAPPER.createArrayNode()) {
      JsonNode function = call.path("function");
      calls.add(
          new Call(
              text(call.path("id")),
              text(call.path("type")),
              text(function.path("name")),
              function.path("arguments").isTextual()
                  ? function.path("arguments").asText()
                  : function.path("arguments").toString(),
              function.path("arguments").isTextual(),
              false));
    }
    JsonNode functionCall = message.path("function_call");
    if (functionCall.isObject()) {
      calls.add(
          new Call(
              null,
              null,
              text(functionCall.path("name")),
              functionCall.path("arguments").isTextual()
                  ? functionCall.path("arguments").asText()
                  : functionCall.path("arguments").toString(),
              functionCall.path("arguments").isTextual(),
              true));
    }
    return new ToolCalls(calls, text(choice.path("finish_reason")), problems);
  }

  /**
   * The calls a stream's chunks assemble to: each {@code delta.tool_calls} element continues the
   * call of its {@code index}, whose id, type and name come once and whose arguments pieces join;
   * {@code delta.function_call} pieces join to one call.
   */
  public static ToolCalls ofStream(List<JsonNode> chunks) {
    Map<Integer, Building> byIndex = new LinkedHashMap<>();
    Building function = null;
    List<String> problems = new ArrayList<>();
    String finish = null;
    for (int n = 0; n < chunks.size(); n++) {
      JsonNode choice = chunks.get(n).path("choices").path(0);
      if (!choice.path("finish_reason").isMissingNode() && !choice.path("finish_reason").isNull()) {
        finish = text(choice.path("finish_reason"));
      }
      JsonNode delta = choice.path("delta");
      JsonNode toolCalls = delta.path("tool_calls");
      if (!toolCalls.isMissingNode() && !toolCalls.isNull() && !toolCalls.isArray()) {
        problems.add(
            "TOOLS-CALL-SHAPE: chunk "
                + (n + 1)
                + ": delta.tool_calls is "
                + describe(toolCalls.toString())
                + ", not a list");
        continue;
      }
      for (JsonNode piece : toolCalls.isArray() ? toolCalls : Json.MAPPER.createArrayNode()) {
        if (!piece.path("index").canConvertToInt()) {
          problems.add(
              "TOOLS-CALL-SHAPE: chunk " + (n + 1) + ": a tool_calls delta without an index");
          continue;
        }
        Building call = byIndex.computeIfAbsent(piece.path("index").asInt(), i -> new Building());
        call.add(piece.path("id"), piece.path("type"), piece.path("function"), n + 1, problems);
      }
      if (delta.path("function_call").isObject()) {
        function = function == null ? new Building() : function;
        function.add(
            Json.MAPPER.missingNode(),
            Json.MAPPER.missingNode(),
            delta.path("function_call"),
            n + 1,
            problems);
      }
    }
    List<Call> calls = new ArrayList<>();
    byIndex.values().forEach(b -> calls.add(b.build(false)));
    if (function != null) {
      calls.add(function.build(true));
    }
    return new ToolCalls(calls, finish, problems);
  }

  /** A call as its deltas arrive. */
  private static final class Building {
    private String id;
    private String type;
    private String name;
    private final StringBuilder arguments = new StringBuilder();
    private boolean argumentsIsString = true;

    void add(JsonNode id, JsonNode type, JsonNode function, int chunk, List<String> problems) {
      if (id.isTextual()) {
        if (this.id != null && !this.id.equals(id.asText())) {
          problems.add(
              "TOOLS-CALL-SHAPE: chunk "
                  + chunk
                  + ": the call's id changed from "
                  + this.id
                  + " to "
                  + id.asText());
        }
        this.id = this.id == null ? id.asText() : this.id;
      }
      if (type.isTextual()) {
        this.type = type.asText();
      }
      JsonNode name = function.path("name");
      if (name.isTextual() && !name.asText().isEmpty()) {
        if (this.name != null && !this.name.equals(name.asText())) {
          problems.add(
              "TOOLS-CALL-SHAPE: chunk "
                  + chunk
                  + ": the call's name changed from "
                  + this.name
                  + " to "
                  + name.asText());
        }
        this.name = this.name == null ? name.asText() : this.name;
      }
      JsonNode piece = function.path("arguments");
      if (piece.isTextual()) {
        arguments.append(piece.asText());
      } else if (!piece.isMissingNode() && !piece.isNull()) {
        argumentsIsString = false;
        arguments.append(piece);
      }
    }

    Call build(boolean function) {
      return new Call(id, type, name, arguments.toString(), argumentsIsString, function);
    }
  }

  /** Whether any call came. */
  public boolean any() {
    return !calls.isEmpty();
  }

  /** Whether the calls came in {@code tool_calls} (OpenAI's current form). */
  public boolean asToolCalls() {
    return calls.stream().anyMatch(c -> !c.function());
  }

  /** Whether the calls came only as {@code function_call}. */
  public boolean onlyFunctionCall() {
    return any() && calls.stream().allMatch(Call::function);
  }

  /** Ids used by more than one call. */
  public Set<String> reusedIds() {
    Set<String> seen = new HashSet<>();
    Set<String> reused = new HashSet<>();
    for (Call call : calls) {
      if (call.id() != null && !seen.add(call.id())) {
        reused.add(call.id());
      }
    }
    return reused;
  }

  /** The names of the calls, in order. */
  public List<String> names() {
    return calls.stream().map(c -> String.valueOf(c.name())).toList();
  }

  /** The first problem of {@code rule}, if any. */
  public Optional<String> problem(String rule) {
    return problems.stream().filter(p -> p.startsWith(rule + ":")).findFirst();
  }

  private static String text(JsonNode node) {
    return node.isTextual() ? node.asText() : null;
  }

  public static String quote(String text) {
    return "'"
        + (text.length() > QUOTE_CHARS
            ? text.substring(0, QUOTE_CHARS) + "… (" + text.length() + " characters)"
            : text)
        + "'";
  }

  private static String describe(String json) {
    String kind =
        json.startsWith("{")
            ? "an object"
            : json.startsWith("[")
                ? "a list"
                : json.startsWith("\"") ? "a string" : "'" + json + "'";
    return json.length() > QUOTE_CHARS
        ? kind + " of " + json.length() + " characters"
        : kind + " " + json;
  }
}
