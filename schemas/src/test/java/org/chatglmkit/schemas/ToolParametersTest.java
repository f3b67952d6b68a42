package org.chatglmkit.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import org.junit.jupiter.api.Test;

class ToolParametersTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private static JsonNode json(String text) throws Exception {
    return MAPPER.readTree(text);
  }

  @Test
  void validatesArgumentsAgainstTheFunctionsSchema() throws Exception {
    JsonNode schema =
        json(
            """
            {"type": "object", "properties": {"city": {"type": "string"},
             "days": {"type": "integer", "minimum": 1}}, "required": ["city"]}""");
    assertThat(ToolParameters.get().schemaProblems(schema)).isEmpty();
    assertThat(ToolParameters.get().validate(schema, json("{\"city\": \"Paris\", \"days\": 2}")))
        .isEmpty();
    assertThat(ToolParameters.get().validate(schema, json("{\"days\": 0}")))
        .hasSize(2)
        .anySatisfy(problem -> assertThat(problem).contains("city"))
        .anySatisfy(problem -> assertThat(problem).contains("days"));
  }

  @Test
  void readsTheDialectASchemaNames() throws Exception {
    JsonNode draft7 =
        json(
            """
            {"$schema": "http://json-schema.org/draft-07/schema#", "type": "object",
             "properties": {"n": {"type": "number", "exclusiveMinimum": 0}}}""");
    assertThat(ToolParameters.get().schemaProblems(draft7)).isEmpty();
    assertThat(ToolParameters.get().validate(draft7, json("{\"n\": 0}"))).hasSize(1);
  }

  @Test
  void refusesWhatIsNoJsonSchema() throws Exception {
    assertThat(ToolParameters.get().schemaProblems(json("{\"type\": \"nosuch\"}"))).hasSize(1);
    assertThat(ToolParameters.get().schemaProblems(json("\"city: string\""))).hasSize(1);
  }

  @Test
  void neverFetchesAReferenceFromOutsideTheSchema() throws Exception {
    try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      JsonNode schema =
          json(
              "{\"type\": \"object\", \"properties\": {\"a\": {\"$ref\": \"http://127.0.0.1:"
                  + listener.getLocalPort()
                  + "/x.json\"}}}");
      assertThat(ToolParameters.get().schemaProblems(schema))
          .singleElement()
          .asString()
          .contains("not allowed to be loaded");
      listener.setSoTimeout(300);
      boolean connected;
      try (var ignored = listener.accept()) {
        connected = true;
      } catch (SocketTimeoutException e) {
        connected = false;
      }
      assertThat(connected).as("a connection to the referenced address").isFalse();
    }
  }
}
