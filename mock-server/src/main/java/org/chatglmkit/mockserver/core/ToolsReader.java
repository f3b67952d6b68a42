package org.chatglmkit.mockserver.core;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.chatglmkit.schemas.ToolParameters;

/**
 * Reads what a schema-valid request offers of functions, and refuses with a 400 naming the field
 * what no schema can say (docs/api-reading.md section 8): parameters that are no JSON Schema, two
 * functions of one name, a {@code tool_choice} naming a function that is not offered (or asking for
 * a call with nothing offered), a tool message that answers no earlier call.
 */
final class ToolsReader {
  private static final JsonNode NO_PARAMETERS =
      Json.MAPPER.createObjectNode().put("type", "object");

  private ToolsReader() {}

  /** The offered functions and the choice, from {@code tools} or else {@code functions}. */
  static Tools read(JsonNode root) {
    boolean legacy = !isGiven(root.get("tools")) && isGiven(root.get("functions"));
    String list = legacy ? "functions" : "tools";
    List<Tools.Function> functions = new ArrayList<>();
    Set<String> names = new HashSet<>();
    JsonNode offered = root.get(list);
    for (int i = 0; isGiven(offered) && i < offered.size(); i++) {
      JsonNode function = legacy ? offered.get(i) : offered.get(i).get("function");
      String at = legacy ? list + "[" + i + "]" : list + "[" + i + "].function";
      String name = function.get("name").asText();
      if (!names.add(name)) {
        throw refuse(at + ".name", "two functions are named '" + name + "'");
      }
      JsonNode parameters = function.get("parameters");
      if (parameters == null) {
        parameters = NO_PARAMETERS;
      }
      List<String> problems = ToolParameters.get().schemaProblems(parameters);
      if (!problems.isEmpty()) {
        throw refuse(at + ".parameters", "not a JSON Schema: " + problems.get(0));
      }
      JsonNode description = function.get("description");
      functions.add(
          new Tools.Function(name, description == null ? null : description.asText(), parameters));
    }
    String choiceField = legacy ? "function_call" : "tool_choice";
    JsonNode choice = root.get(choiceField);
    Tools.Choice mode = functions.isEmpty() ? Tools.Choice.NONE : Tools.Choice.AUTO;
    String named = null;
    if (isGiven(choice) && choice.isTextual()) {
      mode = Tools.Choice.valueOf(choice.asText().toUpperCase(Locale.ROOT));
    } else if (isGiven(choice)) {
      mode = Tools.Choice.NAMED;
      named = (legacy ? choice : choice.get("function")).get("name").asText();
      if (!names.contains(named)) {
        throw refuse(
            choiceField,
            choiceField + " names the function '" + named + "', which " + list + " does not offer");
      }
    }
    if (functions.isEmpty() && (mode == Tools.Choice.REQUIRED || mode == Tools.Choice.NAMED)) {
      throw refuse(choiceField, choiceField + " asks for a call, but no " + list + " are offered");
    }
    if (functions.isEmpty()) {
      mode = Tools.Choice.NONE;
    }
    JsonNode parallel = root.get("parallel_tool_calls");
    return new Tools(
        functions,
        mode,
        named,
        !isGiven(parallel) || parallel.asBoolean(),
        legacy,
        isGiven(offered) ? offered : Json.MAPPER.createArrayNode());
  }

  /** Refuses a tool message whose {@code tool_call_id} no earlier assistant call has. */
  static void checkResults(List<ChatMessage> conversation, int historySize) {
    Set<String> calls = new HashSet<>();
    for (int i = 0; i < conversation.size(); i++) {
      ChatMessage message = conversation.get(i);
      for (ToolCall call : message.toolCalls()) {
        if (call.id() != null) {
          calls.add(call.id());
        }
      }
      if ("tool".equals(message.role()) && !calls.contains(message.toolCallId())) {
        String at =
            i < historySize
                ? "history[" + i + "].tool_call_id"
                : "messages[" + (i - historySize) + "].tool_call_id";
        throw refuse(
            at,
            "the tool message answers the call '"
                + message.toolCallId()
                + "', which no earlier assistant message made",
            "REQ-TOOL-MESSAGE");
      }
    }
  }

  /**
   * The calls an assistant message carries: its {@code tool_calls}, or its {@code function_call}.
   */
  static List<ToolCall> calls(JsonNode message) {
    List<ToolCall> calls = new ArrayList<>();
    JsonNode toolCalls = message.get("tool_calls");
    if (isGiven(toolCalls)) {
      for (JsonNode call : toolCalls) {
        calls.add(
            new ToolCall(
                call.get("id").asText(),
                call.get("function").get("name").asText(),
                call.get("function").get("arguments").asText()));
      }
    }
    JsonNode functionCall = message.get("function_call");
    if (isGiven(functionCall)) {
      calls.add(
          new ToolCall(
              null, functionCall.get("name").asText(), functionCall.get("arguments").asText()));
    }
    return calls;
  }

  private static boolean isGiven(JsonNode node) {
    return node != null && !node.isNull();
  }

  private static ApiException refuse(String field, String why) {
    return refuse(field, why, "TOOLS-DEFINITION");
  }

  private static ApiException refuse(String field, String why, String rule) {
    return new ApiException(ApiError.invalidRequest(field + ": " + why + " [" + rule + "]", field));
  }
}
