package org.chatglmkit.conformance.checks;

import java.util.List;

/**
 * A request that breaks one rule of section 3, and the field a 400 answer should name.
 *
 * @param rule the rule id it breaks
 * @param what a short description for messages
 * @param field the field path, empty when the body as a whole is wrong
 * @param body the raw body
 */
record InvalidRequest(String rule, String what, String field, String body) {

  private static final String HI = "{\"role\": \"user\", \"content\": \"hi\"}";

  /** The last name in the field path: {@code role} for {@code messages[0].role}. */
  String leaf() {
    String name = field.replaceAll("\\[\\d+]", "");
    int dot = name.lastIndexOf('.');
    return dot < 0 ? name : name.substring(dot + 1);
  }

  static List<InvalidRequest> forRule(String rule) {
    return ALL.stream().filter(request -> request.rule().equals(rule)).toList();
  }

  static final List<InvalidRequest> ALL =
      List.of(
          new InvalidRequest("REQ-BODY-JSON-OBJECT", "malformed JSON", "", "{\"messages\": ["),
          new InvalidRequest("REQ-BODY-JSON-OBJECT", "a JSON array", "", "[" + HI + "]"),
          new InvalidRequest("REQ-BODY-JSON-OBJECT", "a JSON string", "", "\"hello\""),
          new InvalidRequest("REQ-BODY-JSON-OBJECT", "an empty body", "", ""),
          new InvalidRequest("REQ-MESSAGES", "no messages", "messages", "{\"temperature\": 0.5}"),
          new InvalidRequest("REQ-MESSAGES", "empty messages", "messages", "{\"messages\": []}"),
          new InvalidRequest(
              "REQ-MESSAGES", "messages as a string", "messages", "{\"messages\": \"hi\"}"),
          new InvalidRequest(
              "REQ-MESSAGE-OBJECT", "a string message", "messages[0]", "{\"messages\": [\"hi\"]}"),
          new InvalidRequest(
              "REQ-MESSAGE-OBJECT", "a number message", "messages[0]", "{\"messages\": [42]}"),
          new InvalidRequest(
              "REQ-MESSAGE-ROLE",
              "no role",
              "messages[0].role",
              "{\"messages\": [{\"content\": \"hi\"}]}"),
          new InvalidRequest(
              "REQ-MESSAGE-ROLE",
              "role robot",
              "messages[0].role",
              "{\"messages\": [{\"role\": \"robot\", \"content\": \"hi\"}]}"),
          new InvalidRequest(
              "REQ-MESSAGE-ROLE",
              "role as a number",
              "messages[0].role",
              "{\"messages\": [{\"role\": 7, \"content\": \"hi\"}]}"),
          new InvalidRequest(
              "REQ-MESSAGE-CONTENT",
              "a user message without content",
              "messages[0].content",
              "{\"messages\": [{\"role\": \"user\"}]}"),
          new InvalidRequest(
              "REQ-MESSAGE-CONTENT",
              "content as a number",
              "messages[0].content",
              "{\"messages\": [{\"role\": \"user\", \"content\": 42}]}"),
          new InvalidRequest(
              "REQ-MESSAGE-CONTENT",
              "a system message without content",
              "messages[0].content",
              "{\"messages\": [{\"role\": \"system\"}, " + HI + "]}"),
          new InvalidRequest(
              "REQ-MESSAGE-NAME",
              "a name with spaces and punctuation",
              "messages[0].name",
              "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\", \"name\": \"not ok!\"}]}"),
          new InvalidRequest(
              "REQ-MESSAGE-NAME",
              "a name of 65 characters",
              "messages[0].name",
              "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\", \"name\": \""
                  + "n".repeat(65)
                  + "\"}]}"),
          new InvalidRequest(
              "REQ-MESSAGE-NAME",
              "an empty name",
              "messages[0].name",
              "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\", \"name\": \"\"}]}"),
          new InvalidRequest(
              "REQ-HISTORY",
              "history as an object",
              "history",
              "{\"messages\": [" + HI + "], \"history\": {\"role\": \"user\"}}"),
          new InvalidRequest(
              "REQ-HISTORY",
              "a history message with role bot",
              "history[0].role",
              "{\"messages\": ["
                  + HI
                  + "], \"history\": [{\"role\": \"bot\", \"content\": \"x\"}]}"),
          new InvalidRequest(
              "REQ-TEMPERATURE",
              "temperature 2.5",
              "temperature",
              "{\"messages\": [" + HI + "], \"temperature\": 2.5}"),
          new InvalidRequest(
              "REQ-TEMPERATURE",
              "temperature 2.001, just above the range",
              "temperature",
              "{\"messages\": [" + HI + "], \"temperature\": 2.001}"),
          new InvalidRequest(
              "REQ-TEMPERATURE",
              "temperature -0.001, just below the range",
              "temperature",
              "{\"messages\": [" + HI + "], \"temperature\": -0.001}"),
          new InvalidRequest(
              "REQ-TEMPERATURE",
              "temperature as a string",
              "temperature",
              "{\"messages\": [" + HI + "], \"temperature\": \"0.7\"}"),
          new InvalidRequest(
              "REQ-MAX-TOKENS",
              "max_tokens 0",
              "max_tokens",
              "{\"messages\": [" + HI + "], \"max_tokens\": 0}"),
          new InvalidRequest(
              "REQ-MAX-TOKENS",
              "max_tokens -1",
              "max_tokens",
              "{\"messages\": [" + HI + "], \"max_tokens\": -1}"),
          new InvalidRequest(
              "REQ-MAX-TOKENS",
              "max_tokens 1.5",
              "max_tokens",
              "{\"messages\": [" + HI + "], \"max_tokens\": 1.5}"),
          new InvalidRequest(
              "REQ-MAX-TOKENS",
              "max_tokens as a string",
              "max_tokens",
              "{\"messages\": [" + HI + "], \"max_tokens\": \"10\"}"),
          new InvalidRequest(
              "REQ-STREAM",
              "stream as a string",
              "stream",
              "{\"messages\": [" + HI + "], \"stream\": \"yes\"}"),
          new InvalidRequest(
              "REQ-STREAM",
              "stream as a number",
              "stream",
              "{\"messages\": [" + HI + "], \"stream\": 1}"));
}
