package org.chatglmkit.conformance.checks;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.chatglmkit.mockserver.core.Json;

/**
 * The requests the tool checks send (docs/api-reading.md section 8): three functions with parameter
 * schemas of the usual kinds (enums, bounds, a nested object, an array), offered with each {@code
 * tool_choice}, as the older {@code functions}, streamed, and answered with a result. Temperature 0
 * keeps answers comparable.
 */
final class ToolRequests {
  /** The tools every request offers. */
  static final String TOOLS =
      """
      [{"type": "function", "function": {"name": "get_weather",
         "description": "The weather forecast for a city.",
         "parameters": {"type": "object", "properties": {
           "city": {"type": "string", "description": "The city, e.g. Paris"},
           "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
           "days": {"type": "integer", "minimum": 1, "maximum": 7},
           "details": {"type": "object", "properties": {
             "wind": {"type": "boolean"},
             "hours": {"type": "array", "items": {"type": "integer", "minimum": 0, "maximum": 23},
                       "maxItems": 4}}}},
           "required": ["city", "unit"]}}},
       {"type": "function", "function": {"name": "get_time",
         "description": "The current time in a time zone.",
         "parameters": {"type": "object", "properties": {
           "timezone": {"type": "string", "description": "An IANA time zone, e.g. Asia/Shanghai"}},
           "required": ["timezone"]}}},
       {"type": "function", "function": {"name": "lookup_order",
         "description": "An order by its id.",
         "parameters": {"type": "object", "properties": {
           "order_id": {"type": "string", "minLength": 3},
           "include": {"type": "array", "items": {"type": "string", "enum": ["items", "billing"]}}},
           "required": ["order_id"]}}}]""";

  /** The function a named {@code tool_choice} asks for. */
  static final String NAMED = "get_time";

  /** The function the {@code auto} and {@code none} requests ask for in words. */
  static final String ASKED = "get_weather";

  /** The id of the call whose result the result request sends back. */
  static final String RESULT_CALL_ID = "call_gate_0001";

  private ToolRequests() {}

  private static String offering(String messages, String more) {
    return """
        {"messages": %s, "tools": %s, "temperature": 0, "max_tokens": 256%s}"""
        .formatted(messages, TOOLS, more);
  }

  private static String asking(String text) {
    return "[{\"role\": \"user\", \"content\": \"" + text + "\"}]";
  }

  /**
   * {@code tool_choice: "auto"} with a question that names {@value #ASKED} and get_time: a server
   * that calls in parallel calls both.
   */
  static String auto() {
    return offering(
        asking(
            "Use the get_weather tool for the weather in Paris, and the get_time tool for the"
                + " time there (Europe/Paris)."),
        ", \"tool_choice\": \"auto\"");
  }

  /** {@code tool_choice} naming {@value #NAMED}, with a question that needs no tool. */
  static String named() {
    return offering(
        asking("Say hello."),
        ", \"tool_choice\": {\"type\": \"function\", \"function\": {\"name\": \"get_time\"}}");
  }

  /** The same as {@link #named()}, streamed. */
  static String namedStream() {
    return named().replaceFirst("\\}$", ", \"stream\": true}");
  }

  /** {@code tool_choice: "required"}. */
  static String required() {
    return offering(asking("Say hello."), ", \"tool_choice\": \"required\"");
  }

  /** {@code tool_choice: "none"} with a question that names {@value #ASKED}. */
  static String none() {
    return offering(
        asking("Use the get_weather tool: what is the weather in Paris?"),
        ", \"tool_choice\": \"none\"");
  }

  /** The older {@code functions} with {@code function_call} naming {@value #ASKED}. */
  static String legacy() {
    JsonNode tools = parse(TOOLS);
    StringBuilder functions = new StringBuilder("[");
    for (JsonNode tool : tools) {
      functions.append(functions.length() > 1 ? ", " : "").append(tool.path("function"));
    }
    return """
        {"messages": %s, "functions": %s, "function_call": {"name": "get_weather"},
         "temperature": 0, "max_tokens": 256}"""
        .formatted(asking("What is the weather in Paris?"), functions.append(']'));
  }

  /** A conversation that ends in the result of a {@value #ASKED} call, tools still offered. */
  static String result() {
    return offering(
        """
        [{"role": "user", "content": "What is the weather in Paris?"},
         {"role": "assistant", "content": null, "tool_calls": [{"id": "%s", "type": "function",
           "function": {"name": "get_weather", "arguments": "{\\"city\\": \\"Paris\\", \\"unit\\": \\"celsius\\"}"}}]},
         {"role": "tool", "tool_call_id": "%s", "content": "{\\"temperature\\": 21, \\"sky\\": \\"clear\\"}"}]"""
            .formatted(RESULT_CALL_ID, RESULT_CALL_ID),
        "");
  }

  /**
   * The documented function-call turns: an assistant message that carries a function call and no
   * content, then the function's result.
   */
  static String functionMessages() {
    return """
        {"messages": [{"role": "user", "content": "What is the weather in Paris?"},
          {"role": "assistant", "function_call": {"name": "get_weather",
            "arguments": "{\\"city\\": \\"Paris\\"}"}},
          {"role": "function", "name": "get_weather", "content": "{\\"temperature\\": 21}"}],
         "temperature": 0, "max_tokens": 16}""";
  }

  /**
   * Broken tool input, each with the field a 400 should name.
   *
   * @param rule the rule it breaks
   * @param what what is broken
   * @param field the field's last name
   * @param body the request
   */
  record Broken(String rule, String what, String field, String body) {}

  /** A call of get_weather and a tool message that answers it with {@code toolMessage}'s fields. */
  private static String answering(String toolMessage) {
    return offering(
        """
        [{"role": "user", "content": "What is the weather in Paris?"},
         {"role": "assistant", "content": null, "tool_calls": [{"id": "call_a", "type": "function",
           "function": {"name": "get_weather", "arguments": "{\\"city\\": \\"Paris\\", \\"unit\\": \\"celsius\\"}"}}]},
         {"role": "tool"%s}]"""
            .formatted(toolMessage),
        "");
  }

  static List<Broken> broken() {
    String hi = asking("hi");
    String definition = "TOOLS-DEFINITION";
    String message = "REQ-TOOL-MESSAGE";
    return List.of(
        new Broken(
            definition,
            "a function without a name",
            "name",
            """
            {"messages": %s, "tools": [{"type": "function", "function": {
              "description": "no name", "parameters": {"type": "object"}}}]}"""
                .formatted(hi)),
        new Broken(
            definition,
            "parameters that are a string, not a schema",
            "parameters",
            """
            {"messages": %s, "tools": [{"type": "function", "function": {
              "name": "f", "parameters": "city: string"}}]}"""
                .formatted(hi)),
        new Broken(
            definition,
            "parameters that describe an array, not an object",
            "parameters",
            """
            {"messages": %s, "tools": [{"type": "function", "function": {
              "name": "f", "parameters": {"type": "array", "items": {"type": "string"}}}}]}"""
                .formatted(hi)),
        new Broken(
            definition,
            "a tool_choice naming a function that is not offered",
            "tool_choice",
            offering(
                hi,
                ", \"tool_choice\": {\"type\": \"function\", \"function\": {\"name\":"
                    + " \"no_such_function\"}}")),
        new Broken(
            message,
            "a tool message that answers no call",
            "tool_call_id",
            offering(
                """
                [{"role": "user", "content": "hi"},
                 {"role": "tool", "tool_call_id": "call_never_made", "content": "42"}]""",
                "")),
        new Broken(
            message,
            "a tool message without a tool_call_id",
            "tool_call_id",
            answering(", \"content\": \"21 degrees\"")),
        new Broken(
            message,
            "a tool message without content",
            "content",
            answering(", \"tool_call_id\": \"call_a\"")));
  }

  private static JsonNode parse(String json) {
    try {
      return Json.MAPPER.readTree(json);
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
