package org.chatglmkit.mockserver.backend;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import org.chatglmkit.schemas.ToolParameters;

/**
 * Makes a call's arguments from the function's {@code parameters} schema: the same seed gives the
 * same arguments, and every result is checked against the schema (networknt) before it is used.
 * Required properties are always there, optional ones now and then; enums, {@code const}, nested
 * objects and arrays, string formats and lengths, numeric bounds and multiples, local {@code $ref}s
 * and the first branch of {@code anyOf}/{@code oneOf} are followed.
 *
 * <pre>{@code
 * String arguments = ArgumentsGenerator.generate(parameters, 42L); // {"city":"Paris","days":3}
 * }</pre>
 */
public final class ArgumentsGenerator {
  /**
   * How deep nested objects, arrays and references are followed; deeper gets the smallest value.
   */
  static final int MAX_DEPTH = 12;

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final String[] WORDS = {
    "Paris", "Beijing", "alpha", "report", "blue", "Shanghai", "delta", "summary"
  };

  private final JsonNode root;
  private final Random random;
  private final boolean optional;

  private ArgumentsGenerator(JsonNode root, long seed, boolean optional) {
    this.root = root;
    this.random = new Random(seed);
    this.optional = optional;
  }

  /**
   * Arguments valid against {@code parameters}, as JSON text.
   *
   * @throws IllegalArgumentException naming the schema's problem when no valid arguments came out
   *     (a {@code pattern} this generator cannot satisfy, or a schema that nothing satisfies)
   */
  public static String generate(JsonNode parameters, long seed) {
    List<String> problems = List.of();
    // With optional properties first; then with required ones only, which satisfies more schemas.
    for (boolean withOptional : new boolean[] {true, false}) {
      JsonNode arguments =
          new ArgumentsGenerator(parameters, seed, withOptional).value(parameters, 0);
      problems = ToolParameters.get().validate(parameters, arguments);
      if (problems.isEmpty() && arguments.isObject()) {
        return arguments.toString();
      }
    }
    throw new IllegalArgumentException(
        problems.isEmpty() ? "the parameters do not describe an object" : problems.get(0));
  }

  private JsonNode value(JsonNode schema, int depth) {
    schema = resolve(schema, depth);
    if (schema.has("const")) {
      return schema.get("const");
    }
    if (schema.path("enum").isArray() && !schema.path("enum").isEmpty()) {
      JsonNode values = schema.get("enum");
      return values.get(random.nextInt(values.size()));
    }
    for (String branches : new String[] {"anyOf", "oneOf"}) {
      if (schema.path(branches).isArray() && !schema.path(branches).isEmpty()) {
        return value(schema.get(branches).get(0), depth + 1);
      }
    }
    if (schema.path("allOf").isArray() && !schema.path("allOf").isEmpty()) {
      return value(merged(schema), depth + 1);
    }
    return switch (type(schema)) {
      case "object" -> object(schema, depth);
      case "array" -> array(schema, depth);
      case "integer" -> number(schema, true);
      case "number" -> number(schema, false);
      case "boolean" -> NODES.booleanNode(random.nextBoolean());
      case "null" -> NODES.nullNode();
      default -> NODES.textNode(string(schema));
    };
  }

  /** The schema a local {@code $ref} ({@code #/$defs/…}, {@code #/definitions/…}) points to. */
  private JsonNode resolve(JsonNode schema, int depth) {
    int hops = 0;
    while (schema.path("$ref").isTextual() && hops++ < MAX_DEPTH) {
      String ref = schema.get("$ref").asText();
      if (!ref.startsWith("#")) {
        return NODES.objectNode();
      }
      schema = root.at(ref.substring(1));
    }
    return depth > MAX_DEPTH && "object".equals(type(schema)) ? NODES.objectNode() : schema;
  }

  /** {@code allOf}'s branches in one schema: their properties and required lists together. */
  private JsonNode merged(JsonNode schema) {
    ObjectNode merged = NODES.objectNode().put("type", "object");
    ObjectNode properties = merged.putObject("properties");
    ArrayNode required = merged.putArray("required");
    for (JsonNode branch : schema.get("allOf")) {
      JsonNode resolved = resolve(branch, 0);
      if (!resolved.has("properties") && !resolved.has("required")) {
        return resolved.isEmpty() ? merged : resolved;
      }
      resolved
          .path("properties")
          .fields()
          .forEachRemaining(f -> properties.set(f.getKey(), f.getValue()));
      resolved.path("required").forEach(required::add);
    }
    return merged;
  }

  private static String type(JsonNode schema) {
    JsonNode type = schema.get("type");
    if (type != null && type.isTextual()) {
      return type.asText();
    }
    if (type != null && type.isArray()) {
      for (JsonNode one : type) {
        if (!one.asText().equals("null")) {
          return one.asText();
        }
      }
      return "null";
    }
    if (schema.has("properties") || schema.has("required")) {
      return "object";
    }
    if (schema.has("items") || schema.has("prefixItems")) {
      return "array";
    }
    if (schema.has("minimum") || schema.has("maximum") || schema.has("multipleOf")) {
      return "number";
    }
    return "string";
  }

  private JsonNode object(JsonNode schema, int depth) {
    ObjectNode object = NODES.objectNode();
    Set<String> required = new HashSet<>();
    schema.path("required").forEach(name -> required.add(name.asText()));
    int least = schema.path("minProperties").asInt(0);
    Iterator<String> names = schema.path("properties").fieldNames();
    while (names.hasNext()) {
      String name = names.next();
      boolean wanted =
          required.contains(name) || (optional && random.nextBoolean()) || object.size() < least;
      if (wanted && depth < MAX_DEPTH) {
        object.set(name, value(schema.get("properties").get(name), depth + 1));
      }
    }
    for (String name : required) {
      if (!object.has(name)) {
        object.set(name, NODES.textNode(WORDS[random.nextInt(WORDS.length)]));
      }
    }
    return object;
  }

  private JsonNode array(JsonNode schema, int depth) {
    ArrayNode array = NODES.arrayNode();
    int min = schema.path("minItems").asInt(0);
    int max = schema.path("maxItems").asInt(Integer.MAX_VALUE);
    List<JsonNode> prefix = new ArrayList<>();
    schema.path("prefixItems").forEach(prefix::add);
    int count = Math.max(min, Math.min(max, Math.max(prefix.size(), 1 + random.nextInt(3))));
    if (depth >= MAX_DEPTH) {
      count = min;
    }
    JsonNode items = schema.path("items").isObject() ? schema.get("items") : NODES.objectNode();
    boolean unique = schema.path("uniqueItems").asBoolean(false);
    Set<JsonNode> seen = new HashSet<>();
    for (int i = 0, tries = 0; array.size() < count && tries < count * 8; tries++) {
      JsonNode item = value(i < prefix.size() ? prefix.get(i) : items, depth + 1);
      if (!unique || seen.add(item)) {
        array.add(item);
        i++;
      }
    }
    return array;
  }

  private JsonNode number(JsonNode schema, boolean whole) {
    BigDecimal low = bound(schema, "minimum", "exclusiveMinimum", whole, true);
    BigDecimal high = bound(schema, "maximum", "exclusiveMaximum", whole, false);
    if (low == null) {
      low = high == null ? BigDecimal.ZERO : high.subtract(BigDecimal.valueOf(100));
    }
    if (high == null) {
      high = low.add(BigDecimal.valueOf(100));
    }
    BigDecimal step = schema.has("multipleOf") ? schema.get("multipleOf").decimalValue() : null;
    BigDecimal span = high.subtract(low).max(BigDecimal.ZERO);
    BigDecimal value =
        low.add(
            span.multiply(BigDecimal.valueOf(random.nextInt(1000)))
                .divide(BigDecimal.valueOf(1000)));
    if (step != null && step.signum() > 0) {
      value = value.divide(step, 0, RoundingMode.CEILING).multiply(step);
      if (value.compareTo(high) > 0) {
        value = low.divide(step, 0, RoundingMode.CEILING).multiply(step);
      }
    }
    if (whole) {
      value = value.setScale(0, RoundingMode.CEILING);
      return NODES.numberNode(value.toBigInteger());
    }
    return NODES.numberNode(value.setScale(3, RoundingMode.DOWN).doubleValue());
  }

  /** A bound from {@code minimum}/{@code maximum}, moved inside an exclusive one. */
  private static BigDecimal bound(
      JsonNode schema, String inclusive, String exclusive, boolean whole, boolean lower) {
    BigDecimal nudge = whole ? BigDecimal.ONE : new BigDecimal("0.001");
    if (schema.path(exclusive).isNumber()) {
      BigDecimal edge = schema.get(exclusive).decimalValue();
      return lower ? edge.add(nudge) : edge.subtract(nudge);
    }
    return schema.path(inclusive).isNumber() ? schema.get(inclusive).decimalValue() : null;
  }

  private String string(JsonNode schema) {
    String text =
        switch (schema.path("format").asText("")) {
          case "date" -> "2026-12-0" + (1 + random.nextInt(9));
          case "date-time" -> "2026-12-06T1" + random.nextInt(10) + ":30:00Z";
          case "time" -> "1" + random.nextInt(10) + ":30:00Z";
          case "email" -> WORDS[random.nextInt(WORDS.length)].toLowerCase() + "@example.com";
          case "uri", "url", "iri" -> "https://example.com/" + WORDS[random.nextInt(WORDS.length)];
          case "uuid" -> new UUID(random.nextLong(), random.nextLong()).toString();
          case "ipv4" -> "192.0.2." + (1 + random.nextInt(254));
          case "ipv6" -> "2001:db8::" + Integer.toHexString(1 + random.nextInt(0xfffe));
          case "hostname" -> "host" + random.nextInt(100) + ".example.com";
          default -> WORDS[random.nextInt(WORDS.length)];
        };
    int min = schema.path("minLength").asInt(0);
    int max = schema.path("maxLength").asInt(Integer.MAX_VALUE);
    StringBuilder padded = new StringBuilder(text);
    while (padded.length() < min) {
      padded.append('x');
    }
    return padded.length() > max ? padded.substring(0, max) : padded.toString();
  }
}
