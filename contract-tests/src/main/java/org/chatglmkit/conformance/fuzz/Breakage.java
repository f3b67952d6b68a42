package org.chatglmkit.conformance.fuzz;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import org.chatglmkit.conformance.fuzz.SchemaValues.Located;

/**
 * One way to break a valid request: set the field at {@code path} to {@code value}, or remove it
 * ({@code value} is {@code null}). A path step {@code *} stands for one element of an array, chosen
 * when the breakage is applied.
 *
 * @param path the steps from the request object to the field
 * @param value the value that breaks the schema there, or {@code null} to remove the field
 * @param what how it breaks the schema, e.g. {@code above maximum 2}
 */
record Breakage(List<String> path, JsonNode value, String what) {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  /** Every breakage the schema at {@code root} defines, by walking it from the request object. */
  static List<Breakage> of(SchemaValues values, Located root) {
    Set<Breakage> all = new LinkedHashSet<>();
    walk(values, root, List.of(), all);
    return List.copyOf(all);
  }

  private static void walk(SchemaValues values, Located at, List<String> path, Set<Breakage> all) {
    Located schema = at.resolve();
    for (JsonNode wrong : wrongTypes(schema.types())) {
      if (!path.isEmpty()) {
        all.add(new Breakage(path, wrong, "not of type " + schema.type()));
      }
    }
    JsonNode body = schema.schema();
    if (body.has("enum")) {
      String first = body.path("enum").path(0).asText();
      for (String wrong :
          List.of("robot", "", first.toUpperCase(java.util.Locale.ROOT), first + " ")) {
        all.add(new Breakage(path, NODES.textNode(wrong), "not one of " + body.path("enum")));
      }
    }
    if (body.has("pattern")) {
      for (String wrong : breaking(body.path("pattern").asText())) {
        all.add(
            new Breakage(
                path, NODES.textNode(wrong), "not matching " + body.path("pattern").asText()));
      }
    }
    if (body.has("minimum")) {
      BigDecimal min = body.path("minimum").decimalValue();
      boolean whole = "integer".equals(schema.type());
      for (BigDecimal below :
          whole
              ? List.of(min.subtract(BigDecimal.ONE), min.subtract(BigDecimal.valueOf(1000)))
              : List.of(min.subtract(new BigDecimal("0.001")), min.subtract(BigDecimal.ONE))) {
        all.add(new Breakage(path, NODES.numberNode(below), "below minimum " + min));
      }
    }
    if (body.has("maximum")) {
      BigDecimal max = body.path("maximum").decimalValue();
      for (BigDecimal above :
          List.of(
              max.add(new BigDecimal("0.001")),
              max.add(BigDecimal.ONE),
              BigDecimal.valueOf(1_000_000))) {
        all.add(new Breakage(path, NODES.numberNode(above), "above maximum " + max));
      }
    }
    if (body.path("minItems").asInt(0) > 0) {
      all.add(
          new Breakage(path, NODES.arrayNode(), "fewer than " + body.path("minItems") + " items"));
    }
    switch (schema.type()) {
      case "object" -> {
        for (String required : schema.required()) {
          all.add(new Breakage(append(path, required), null, "without required " + required));
        }
        for (String property : values.properties(schema)) {
          walk(values, schema.child("properties", property), append(path, property), all);
        }
        for (SchemaValues.Conditional conditional : SchemaValues.Conditional.all(schema)) {
          JsonNode then = conditional.at().schema().path("then");
          for (String name : conditional.then()) {
            if (!values.properties(schema).contains(name)) {
              continue; // a field the fuzzer does not generate (see SchemaValues.NOT_GENERATED)
            }
            all.add(
                new Breakage(
                    append(path, name),
                    null,
                    "without "
                        + name
                        + " although "
                        + conditional.at().schema().path("if").path("properties")
                        + " requires it"));
          }
          then.path("properties")
              .fieldNames()
              .forEachRemaining(
                  property ->
                      walk(
                          values,
                          conditional.at().child("then", "properties", property),
                          append(path, property),
                          all));
        }
      }
      case "array" -> walk(values, schema.child("items"), append(path, "*"), all);
      default -> {}
    }
  }

  private static List<String> append(List<String> path, String step) {
    List<String> longer = new ArrayList<>(path);
    longer.add(step);
    return List.copyOf(longer);
  }

  /**
   * Values of every JSON type but {@code types} (a whole number is a number, not an integer),
   * {@code null} included unless the schema allows it.
   */
  private static List<JsonNode> wrongTypes(Set<String> types) {
    List<JsonNode> wrong = new ArrayList<>();
    if (types.isEmpty()) {
      return wrong;
    }
    if (!types.contains("string")) {
      wrong.add(NODES.textNode("1"));
    }
    if (!types.contains("number") && !types.contains("integer")) {
      wrong.add(NODES.numberNode(1));
    }
    if (types.contains("integer")) {
      wrong.add(NODES.numberNode(new BigDecimal("1.5")));
    }
    if (!types.contains("boolean")) {
      wrong.add(NODES.booleanNode(true));
    }
    if (!types.contains("object")) {
      wrong.add(NODES.objectNode());
    }
    if (!types.contains("array")) {
      wrong.add(NODES.arrayNode().add("x"));
    }
    if (!types.contains("null")) {
      wrong.add(NODES.nullNode());
    }
    return wrong;
  }

  /** Strings that break {@code ^[class]{min,max}$}: too short, too long, a character outside. */
  private static List<String> breaking(String pattern) {
    Matcher matcher = Texts.CLASS_PATTERN.matcher(pattern);
    if (!matcher.matches()) {
      throw new IllegalStateException("the fuzzer cannot break the pattern " + pattern);
    }
    int min = Integer.parseInt(matcher.group(2));
    int max = Integer.parseInt(matcher.group(3));
    List<String> wrong = new ArrayList<>();
    if (min > 0) {
      wrong.add("");
    }
    wrong.add("a".repeat(max + 1));
    wrong.add("a b");
    wrong.add("名字");
    wrong.add("a-b");
    return wrong;
  }

  /**
   * A copy of {@code request} with this breakage applied; {@code choice} picks the element where
   * the path crosses an array. Unchanged when the path leads nowhere (an absent optional field).
   */
  ObjectNode applyTo(ObjectNode request, int choice) {
    ObjectNode copy = request.deepCopy();
    JsonNode parent = copy;
    for (int i = 0; i < path.size() - 1; i++) {
      String step = path.get(i);
      if (step.equals("*")) {
        if (!(parent instanceof ArrayNode array) || array.isEmpty()) {
          return copy;
        }
        parent = array.get(Math.floorMod(choice, array.size()));
      } else {
        parent = parent.path(step);
      }
    }
    String last = path.get(path.size() - 1);
    if (last.equals("*")) {
      if (parent instanceof ArrayNode array && !array.isEmpty()) {
        int at = Math.floorMod(choice, array.size());
        if (value == null) {
          array.remove(at);
        } else {
          array.set(at, value);
        }
      }
    } else if (parent instanceof ObjectNode object) {
      if (value == null) {
        object.remove(last);
      } else {
        object.set(last, value);
      }
    }
    return copy;
  }

  /** The field, e.g. {@code messages[*].role}, and how it is broken. */
  String describe() {
    return String.join(".", path).replace(".*", "[*]")
        + " "
        + (value == null ? "removed" : "= " + value)
        + " ("
        + what
        + ")";
  }
}
