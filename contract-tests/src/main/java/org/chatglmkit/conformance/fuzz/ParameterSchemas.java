package org.chatglmkit.conformance.fuzz;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kotest.property.Arb;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Small JSON Schemas for the {@code parameters} of generated functions: an object whose properties
 * are strings, bounded integers, numbers, booleans, enums, arrays of those, or (one level down)
 * objects of them, each required or not. The request schema says only that parameters is an object
 * schema; these give the servers something to call with.
 */
final class ParameterSchemas {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private ParameterSchemas() {}

  /** An object schema, nested at most one level. */
  static Arb<JsonNode> objects() {
    return object(Gens.weighted(4, leaf(), 1, object(leaf())));
  }

  private static Arb<JsonNode> object(Arb<JsonNode> property) {
    Arb<Property> one =
        Gens.both(
            Gens.both(Gens.strings(1, 8, 'a', 'z'), property, Property::new),
            Gens.oneOf(List.of(true, false)),
            (p, required) -> new Property(p.name(), p.schema(), required));
    return Gens.map(
        Gens.lists(one, 0, 4),
        properties -> {
          ObjectNode schema = NODES.objectNode().put("type", "object");
          ObjectNode named = schema.putObject("properties");
          Set<String> required = new LinkedHashSet<>();
          for (Property p : properties) {
            if (!named.has(p.name())) {
              named.set(p.name(), p.schema());
              if (p.required()) {
                required.add(p.name());
              }
            }
          }
          if (!required.isEmpty()) {
            required.forEach(schema.putArray("required")::add);
          }
          return (JsonNode) schema;
        });
  }

  private record Property(String name, JsonNode schema, boolean required) {
    Property(String name, JsonNode schema) {
      this(name, schema, false);
    }
  }

  private static Arb<JsonNode> leaf() {
    Arb<JsonNode> scalar =
        Gens.weighted(
            3,
            Gens.just((JsonNode) NODES.objectNode().put("type", "string")),
            2,
            Gens.both(
                Gens.ints(0, 10),
                Gens.ints(1, 100),
                (low, span) ->
                    (JsonNode)
                        NODES
                            .objectNode()
                            .put("type", "integer")
                            .put("minimum", low)
                            .put("maximum", low + span)),
            1,
            Gens.just((JsonNode) NODES.objectNode().put("type", "number")),
            1,
            Gens.just((JsonNode) NODES.objectNode().put("type", "boolean")),
            2,
            Gens.map(
                Gens.lists(Gens.strings(1, 6, 'a', 'z'), 1, 3),
                values -> {
                  ObjectNode schema = NODES.objectNode().put("type", "string");
                  new LinkedHashSet<>(values).forEach(schema.putArray("enum")::add);
                  return (JsonNode) schema;
                }));
    return Gens.weighted(
        5,
        scalar,
        1,
        Gens.map(
            scalar,
            items -> {
              ObjectNode array = NODES.objectNode().put("type", "array");
              array.set("items", items);
              return (JsonNode) array.put("maxItems", 3);
            }));
  }
}
