package org.chatglmkit.mockserver.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.HashSet;
import java.util.Set;
import org.chatglmkit.mockserver.core.Json;
import org.chatglmkit.schemas.ToolParameters;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ArgumentsGeneratorTest {

  private static JsonNode json(String text) throws Exception {
    return Json.MAPPER.readTree(text);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "{\"type\": \"object\"}",
        """
        {"type": "object", "properties": {"city": {"type": "string", "minLength": 12},
         "unit": {"enum": ["c", "f"]}, "days": {"type": "integer", "minimum": 1, "maximum": 7},
         "ratio": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
         "step": {"type": "integer", "multipleOf": 5, "minimum": 3, "maximum": 40},
         "when": {"type": "string", "format": "date-time"},
         "mail": {"type": "string", "format": "email"},
         "id": {"type": "string", "format": "uuid"}, "code": {"type": "string", "maxLength": 2},
         "flag": {"type": "boolean"}, "kind": {"const": "fixed"},
         "maybe": {"type": ["string", "null"]}},
         "required": ["city", "unit", "days", "ratio", "step", "when", "mail", "id", "code",
                      "kind"]}""",
        """
        {"type": "object", "$defs": {"item": {"type": "object", "properties": {
           "sku": {"type": "string"}, "qty": {"type": "integer", "minimum": 1}},
           "required": ["sku", "qty"]}},
         "properties": {"items": {"type": "array", "items": {"$ref": "#/$defs/item"},
           "minItems": 2, "maxItems": 3, "uniqueItems": true},
           "address": {"type": "object", "properties": {"street": {"type": "string"},
             "geo": {"type": "object", "properties": {
               "lat": {"type": "number", "minimum": -90, "maximum": 90}}, "required": ["lat"]}},
           "required": ["geo"]}}, "required": ["items", "address"]}""",
        """
        {"type": "object", "properties": {
         "choice": {"anyOf": [{"type": "integer"}, {"type": "string"}]},
         "both": {"allOf": [
           {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]},
           {"type": "object", "properties": {"b": {"type": "integer"}}, "required": ["b"]}]}},
         "required": ["choice", "both"]}""",
        """
        {"$schema": "http://json-schema.org/draft-07/schema#", "type": "object",
         "definitions": {"tag": {"type": "string", "enum": ["x", "y"]}},
         "properties": {"tags": {"type": "array", "items": {"$ref": "#/definitions/tag"}}},
         "required": ["tags"]}"""
      })
  void makesArgumentsTheSchemaAccepts(String text) throws Exception {
    JsonNode schema = json(text);
    for (long seed = 0; seed < 40; seed++) {
      JsonNode arguments = json(ArgumentsGenerator.generate(schema, seed));
      assertThat(ToolParameters.get().validate(schema, arguments))
          .as(arguments.toString())
          .isEmpty();
      schema.path("required").forEach(name -> assertThat(arguments.has(name.asText())).isTrue());
    }
  }

  @Test
  void theSameSeedGivesTheSameArgumentsAndOptionalPropertiesComeAndGo() throws Exception {
    JsonNode schema =
        json(
            """
            {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "integer"},
             "c": {"type": "boolean"}}, "required": ["a"]}""");
    assertThat(ArgumentsGenerator.generate(schema, 7))
        .isEqualTo(ArgumentsGenerator.generate(schema, 7));
    Set<Integer> sizes = new HashSet<>();
    for (long seed = 0; seed < 40; seed++) {
      sizes.add(json(ArgumentsGenerator.generate(schema, seed)).size());
    }
    assertThat(sizes).contains(1, 3);
  }

  @Test
  void saysWhyWhenNoArgumentsSatisfyTheSchema() throws Exception {
    JsonNode pattern =
        json(
            """
            {"type": "object", "properties": {"zip": {"type": "string", "pattern": "^[0-9]{5}$"}},
             "required": ["zip"]}""");
    assertThatThrownBy(() -> ArgumentsGenerator.generate(pattern, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("pattern");
  }
}
