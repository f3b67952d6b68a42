package org.chatglmkit.mockserver.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.chatglmkit.mockserver.core.Json;
import org.junit.jupiter.api.Test;

/** What servers that are wrong in unplanned ways send: read without a hang or a crash, named. */
class ToolCallsTest {

  private static JsonNode json(String text) throws Exception {
    return Json.MAPPER.readTree(text);
  }

  private static JsonNode completion(String message) throws Exception {
    return json(
        "{\"choices\": [{\"index\": 0, \"message\": "
            + message
            + ", \"finish_reason\": \"tool_calls\"}]}");
  }

  private static JsonNode chunk(String delta, String finish) throws Exception {
    return json(
        "{\"choices\": [{\"index\": 0, \"delta\": "
            + delta
            + ", \"finish_reason\": "
            + finish
            + "}]}");
  }

  @Test
  void namesToolCallsThatAreNoList() throws Exception {
    ToolCalls calls =
        ToolCalls.ofCompletion(
            completion("{\"role\": \"assistant\", \"tool_calls\": \"get_time\"}"));
    assertThat(calls.any()).isFalse();
    assertThat(calls.problem("TOOLS-CALL-SHAPE"))
        .hasValueSatisfying(p -> assertThat(p).contains("not a list"));
  }

  @Test
  void readsArgumentsOfMegabytesAndOfTenThousandLevelsWithoutFailingItself() throws Exception {
    String big = "{\\\"a\\\": \\\"" + "x".repeat(3 * 1024 * 1024) + "\\\"}";
    String deep = "[".repeat(10_000) + "]".repeat(10_000);
    ToolCalls calls =
        ToolCalls.ofCompletion(
            completion(
                "{\"role\": \"assistant\", \"tool_calls\": ["
                    + "{\"id\": \"a\", \"type\": \"function\", \"function\": {\"name\": \"f\", \"arguments\": \""
                    + big
                    + "\"}}, {\"id\": \"b\", \"type\": \"function\", \"function\": {\"name\": \"f\", \"arguments\": \""
                    + deep
                    + "\"}}]}"));
    assertThat(calls.calls()).hasSize(2);
    assertThat(calls.calls().get(0).parsed().object().path("a").asText()).hasSize(3 * 1024 * 1024);
    assertThat(calls.calls().get(1).parsed().problem())
        .contains("are not JSON")
        .hasSizeLessThan(400);
  }

  @Test
  void assemblesStreamedPiecesAndNamesWhatIsWrongWithThem() throws Exception {
    List<JsonNode> chunks = new ArrayList<>();
    chunks.add(
        chunk(
            "{\"role\": \"assistant\", \"tool_calls\": [{\"index\": 0, \"id\": \"c1\","
                + " \"type\": \"function\", \"function\": {\"name\": \"get_time\", \"arguments\": \"\"}}]}",
            "null"));
    chunks.add(
        chunk(
            "{\"tool_calls\": [{\"index\": 0, \"function\": {\"arguments\": \"{\\\"timezone\\\"\"}}]}",
            "null"));
    chunks.add(chunk("{\"tool_calls\": [{\"function\": {\"arguments\": \": 1\"}}]}", "null"));
    chunks.add(chunk("{\"tool_calls\": [{\"index\": 0, \"id\": \"c2\"}]}", "null"));
    chunks.add(chunk("{\"tool_calls\": {\"index\": 1}}", "null"));
    chunks.add(chunk("{}", "\"stop\""));
    ToolCalls calls = ToolCalls.ofStream(chunks);
    assertThat(calls.names()).containsExactly("get_time");
    assertThat(calls.finishReason()).isEqualTo("stop");
    assertThat(calls.problems())
        .anySatisfy(p -> assertThat(p).contains("without an index"))
        .anySatisfy(p -> assertThat(p).contains("id changed from c1 to c2"))
        .anySatisfy(p -> assertThat(p).contains("not a list"));
    // fragments that never close the JSON
    assertThat(calls.calls().get(0).parsed().problem()).contains("are not JSON");
  }

  @Test
  void keepsArgumentsSentAsAnObjectAndSaysSo() throws Exception {
    ToolCalls calls =
        ToolCalls.ofStream(
            List.of(
                chunk(
                    "{\"tool_calls\": [{\"index\": 0, \"id\": \"c\", \"type\": \"function\","
                        + " \"function\": {\"name\": \"f\", \"arguments\": {\"a\": 1}}}]}",
                    "\"tool_calls\"")));
    assertThat(calls.calls().get(0).argumentsIsString()).isFalse();
    assertThat(calls.calls().get(0).parsed().problem()).contains("not a string");
  }

  @Test
  void findsReusedIds() throws Exception {
    ToolCalls calls =
        ToolCalls.ofCompletion(
            completion(
                "{\"role\": \"assistant\", \"content\": null, \"tool_calls\": ["
                    + "{\"id\": \"same\", \"type\": \"function\", \"function\": {\"name\": \"a\", \"arguments\": \"{}\"}},"
                    + "{\"id\": \"same\", \"type\": \"function\", \"function\": {\"name\": \"b\", \"arguments\": \"{}\"}}]}"));
    assertThat(calls.reusedIds()).containsExactly("same");
  }
}
