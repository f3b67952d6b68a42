package org.chatglmkit.conformance.fuzz;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kotest.property.Arb;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.chatglmkit.mockserver.core.Json;
import org.chatglmkit.schemas.ChatGlmSchemas;
import org.chatglmkit.schemas.Profile;
import org.chatglmkit.schemas.Rule;
import org.chatglmkit.schemas.RuleCatalogue;

/**
 * Reads the API's JSON Schema files and builds generators of values they accept: every optional
 * field sometimes present, the edges of every range and length, Unicode beyond ASCII, control
 * characters, long strings and long arrays, and unknown fields where the schema allows them.
 *
 * <p>Only the keywords the API's schemas use are understood; a schema with any other keyword is
 * refused when the generator is built, so a schema change cannot silently narrow what is generated.
 * A property whose rule belongs to a profile the run does not hold (e.g. {@code stream} in the
 * documented profile) is never generated.
 */
final class SchemaValues {
  static final Set<String> UNDERSTOOD =
      Set.of(
          "$schema",
          "$id",
          "title",
          "description",
          "$ref",
          "type",
          "required",
          "properties",
          "items",
          "minItems",
          "maxItems",
          "minimum",
          "maximum",
          "minLength",
          "maxLength",
          "enum",
          "pattern",
          "if",
          "then");

  /** Names of unknown fields start with this, so they cannot clash with a real API's extras. */
  static final String UNKNOWN_FIELD_PREFIX = "x_";

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  /** {@code ^[class]{min,max}$}: the one pattern form the schemas use. */
  private static final Pattern CLASS_PATTERN =
      Pattern.compile("\\^\\[([^\\]]+)\\]\\{(\\d+),(\\d+)\\}\\$");

  private final Profile profile;
  private final int longestString;
  private final int typicalInteger;
  private final Map<String, Double> presence;

  /**
   * @param profile the run's profile: properties of rules outside it are not generated
   * @param longestString the longest string generated where the schema sets no maximum
   * @param typicalInteger the span of the usual integers above a minimum where the schema sets no
   *     maximum (the overflow edges still come, now and then)
   * @param presence how often an optional property is present, by name, where not one in two
   */
  SchemaValues(
      Profile profile, int longestString, int typicalInteger, Map<String, Double> presence) {
    this.profile = profile;
    this.longestString = longestString;
    this.typicalInteger = typicalInteger;
    this.presence = Map.copyOf(presence);
  }

  /** The schema file of the API by name, e.g. {@code chat-completion-request.schema.json}. */
  static JsonNode file(String name) {
    String resource = ChatGlmSchemas.CLASSPATH_FOLDER + name;
    try (InputStream in = SchemaValues.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("no schema " + resource + " on the classpath");
      }
      return Json.MAPPER.readTree(in);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + resource, e);
    }
  }

  /** A resolved schema: the node and its location, {@code file#/json/pointer}. */
  record Located(JsonNode schema, String location) {
    Located resolve() {
      if (!schema.has("$ref")) {
        return this;
      }
      String file = schema.path("$ref").asText();
      return new Located(file(file), file + "#");
    }

    Located child(String... steps) {
      JsonNode node = schema;
      StringBuilder at = new StringBuilder(location);
      for (String step : steps) {
        node = node.path(step);
        at.append('/').append(step);
      }
      return new Located(node, at.toString()).resolve();
    }

    String type() {
      return schema.path("type").asText("");
    }

    Set<String> required() {
      Set<String> names = new HashSet<>();
      schema.path("required").forEach(name -> names.add(name.asText()));
      return names;
    }
  }

  /** The properties of an object schema that the run's profile holds, in schema order. */
  List<String> properties(Located object) {
    List<String> names = new ArrayList<>();
    Iterator<String> fields = object.schema().path("properties").fieldNames();
    while (fields.hasNext()) {
      String name = fields.next();
      Optional<Rule> rule =
          RuleCatalogue.get()
              .ruleForSchemaLocation(object.location() + "/properties/" + name)
              .filter(r -> r.id() != null);
      if (rule.map(r -> profile.includes(r.profile())).orElse(true)) {
        names.add(name);
      }
    }
    return names;
  }

  /** Values the schema at {@code at} accepts. */
  Arb<JsonNode> valid(Located at) {
    Located schema = at.resolve();
    understood(schema);
    if (schema.schema().has("enum")) {
      List<JsonNode> values = new ArrayList<>();
      schema.schema().path("enum").forEach(values::add);
      return Gens.oneOf(values);
    }
    return switch (schema.type()) {
      case "object" -> object(schema);
      case "array" -> array(schema);
      case "string" -> Gens.map(string(schema.schema()), NODES::textNode);
      case "number" -> number(schema.schema());
      case "integer" -> integer(schema.schema(), typicalInteger);
      case "boolean" ->
          Gens.oneOf(List.<JsonNode>of(NODES.booleanNode(true), NODES.booleanNode(false)));
      default ->
          throw new IllegalStateException(
              "cannot generate values of type '" + schema.type() + "' at " + schema.location());
    };
  }

  private static void understood(Located schema) {
    schema
        .schema()
        .fieldNames()
        .forEachRemaining(
            keyword -> {
              if (!UNDERSTOOD.contains(keyword)) {
                throw new IllegalStateException(
                    "the fuzzer does not understand '" + keyword + "' at " + schema.location());
              }
            });
  }

  /**
   * An object: required properties always, optional ones half of the time, and now and then a field
   * the schema does not name. A property that an {@code if}/{@code then} makes required is added
   * whenever the {@code if} holds.
   */
  private Arb<JsonNode> object(Located schema) {
    List<String> names = properties(schema);
    Set<String> required = schema.required();
    Conditional conditional = Conditional.of(schema);
    List<Arb<Field>> fields = new ArrayList<>();
    for (String name : names) {
      Arb<JsonNode> value = valid(schema.child("properties", name));
      if (required.contains(name)) {
        fields.add(Gens.map(value, v -> new Field(v, null)));
      } else if (conditional.mayRequire(name)) {
        fields.add(Gens.both(Gens.orNull(value, absent(name)), value, Field::new));
      } else {
        fields.add(Gens.map(Gens.orNull(value, absent(name)), v -> new Field(v, null)));
      }
    }
    return Gens.both(
        Gens.all(fields),
        unknownFields(),
        (values, extra) -> {
          ObjectNode object = NODES.objectNode();
          for (int i = 0; i < names.size(); i++) {
            if (values.get(i).value() != null) {
              object.set(names.get(i), values.get(i).value());
            }
          }
          for (int i = 0; i < names.size(); i++) {
            Field field = values.get(i);
            if (field.value() == null
                && field.whenRequired() != null
                && conditional.holds(object)) {
              object.set(names.get(i), field.whenRequired());
            }
          }
          extra.forEach(object::set);
          return object;
        });
  }

  private double absent(String property) {
    return 1 - presence.getOrDefault(property, 0.5);
  }

  /**
   * One generated property: its value ({@code null}: absent) and, for a property that a condition
   * may require, the value to use when the condition holds and the property is absent.
   */
  private record Field(JsonNode value, JsonNode whenRequired) {}

  /**
   * The {@code if}/{@code then} of an object schema, in the one form the schemas use: {@code if}
   * gives a property an enum, {@code then} requires properties.
   */
  private record Conditional(String property, Set<String> values, Set<String> then) {
    static Conditional of(Located schema) {
      JsonNode when = schema.schema().path("if");
      if (when.isMissingNode()) {
        return new Conditional(null, Set.of(), Set.of());
      }
      Iterator<Map.Entry<String, JsonNode>> fields = when.path("properties").fields();
      Map.Entry<String, JsonNode> condition = fields.hasNext() ? fields.next() : null;
      Set<String> values = new HashSet<>();
      Set<String> then = new HashSet<>();
      if (condition != null) {
        condition.getValue().path("enum").forEach(v -> values.add(v.asText()));
        schema.schema().path("then").path("required").forEach(name -> then.add(name.asText()));
      }
      if (condition == null || values.isEmpty() || then.isEmpty() || fields.hasNext()) {
        throw new IllegalStateException(
            "the fuzzer understands only 'if' on one property's enum with 'then' requiring"
                + " properties, at "
                + schema.location());
      }
      return new Conditional(condition.getKey(), values, then);
    }

    boolean mayRequire(String name) {
      return then.contains(name);
    }

    boolean holds(ObjectNode object) {
      return property != null && values.contains(object.path(property).asText(null));
    }
  }

  private Arb<JsonNode> array(Located schema) {
    int min = schema.schema().path("minItems").asInt(0);
    int max = schema.schema().path("maxItems").asInt(Integer.MAX_VALUE);
    Arb<JsonNode> items = valid(schema.child("items"));
    int usual = Math.max(min, Math.min(max, 4));
    int longest = Math.max(usual, Math.min(max, 64));
    Arb<List<JsonNode>> lists =
        Gens.weighted(8, Gens.lists(items, min, usual), 1, Gens.lists(items, min, longest, 0.8));
    return Gens.map(
        lists,
        list -> {
          var array = NODES.arrayNode();
          list.forEach(array::add);
          return (JsonNode) array;
        });
  }

  /** Strings: printable ASCII, CJK, beyond the BMP, control characters, long, or a mix. */
  Arb<String> string(JsonNode schema) {
    if (schema.has("pattern")) {
      return patterned(schema.path("pattern").asText());
    }
    int min = schema.path("minLength").asInt(0);
    int max = schema.path("maxLength").asInt(longestString);
    // Code points beyond the BMP, one by one, so that shrinking never splits a surrogate pair.
    Arb<String> beyondBmp =
        Gens.map(
            Gens.lists(
                Gens.map(
                    Gens.ints(0x1F300, 0x1FAFF), point -> new String(Character.toChars(point))),
                1,
                8),
            points -> String.join("", points));
    char[] controls = new char[] {'\u007f', '\u2028', '\u2029', '\ufeff', '\u200b'};
    Arb<String> control =
        Gens.weighted(3, Gens.strings(1, 4, 0x00, 0x1f), 1, Gens.strings(1, 2, controls));
    Arb<String> pieces =
        Gens.map(
            Gens.lists(
                Gens.<String>weighted(
                    1,
                    Gens.strings(0, 8, ' ', '~'),
                    1,
                    Gens.strings(1, 4, 0x4e00, 0x9fa5),
                    1,
                    beyondBmp,
                    1,
                    control),
                2,
                6),
            parts -> String.join("", parts));
    Arb<String> any =
        Gens.weighted(
            6, Gens.strings(1, 24, ' ', '~'),
            1, Gens.just(""),
            2, Gens.strings(1, 16, 0x4e00, 0x9fa5),
            1, beyondBmp,
            1, control,
            1, pieces,
            1, longText(max));
    return Gens.filter(
        any,
        text ->
            wellFormed(text)
                && text.codePointCount(0, text.length()) >= min
                && text.length() <= max);
  }

  /**
   * Whether every surrogate is paired: shrinking a string beyond the BMP char by char can split a
   * pair, and half a pair is not a string any client can send.
   */
  static boolean wellFormed(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (Character.isHighSurrogate(c)
          && i + 1 < text.length()
          && Character.isLowSurrogate(text.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        return false;
      }
    }
    return true;
  }

  /**
   * Long text, up to {@code max} characters: a short piece repeated. It shrinks to fewer repeats of
   * a shorter piece, so a finding that does not need the length loses it.
   */
  private static Arb<String> longText(int max) {
    int piece = 16;
    return Gens.both(
        Gens.strings(1, piece, 'a', 'z'),
        Gens.ints(1, Math.max(1, max / piece)),
        (text, times) -> {
          String repeated = text.repeat(times);
          return repeated.length() > max ? repeated.substring(0, max) : repeated;
        });
  }

  /** Strings of {@code ^[class]{min,max}$}, the shortest and the longest included. */
  static Arb<String> patterned(String pattern) {
    Matcher matcher = CLASS_PATTERN.matcher(pattern);
    if (!matcher.matches()) {
      throw new IllegalStateException(
          "the fuzzer understands only patterns of the form ^[class]{min,max}$, not " + pattern);
    }
    char[] chars = characterClass(matcher.group(1));
    int min = Integer.parseInt(matcher.group(2));
    int max = Integer.parseInt(matcher.group(3));
    return Gens.weighted(
        6, Gens.strings(min, Math.min(max, 16), chars),
        1, Gens.strings(min, min, chars),
        1, Gens.strings(max, max, chars),
        1, Gens.strings(min, max, chars));
  }

  /** The characters of a regular-expression class body such as {@code a-zA-Z0-9_}. */
  static char[] characterClass(String body) {
    StringBuilder chars = new StringBuilder();
    for (int i = 0; i < body.length(); i++) {
      char c = body.charAt(i);
      if (c == '\\' || c == '^' || c == '[') {
        throw new IllegalStateException("the fuzzer does not understand the class [" + body + "]");
      }
      if (i + 2 < body.length() && body.charAt(i + 1) == '-') {
        for (char x = c; x <= body.charAt(i + 2); x++) {
          chars.append(x);
        }
        i += 2;
      } else {
        chars.append(c);
      }
    }
    return chars.toString().toCharArray();
  }

  /**
   * Numbers within {@code minimum}..{@code maximum}: the edges themselves and just inside them,
   * whole numbers, and decimals with up to three places (and some with seven).
   */
  static Arb<JsonNode> number(JsonNode schema) {
    BigDecimal min = schema.has("minimum") ? schema.path("minimum").decimalValue() : null;
    BigDecimal max = schema.has("maximum") ? schema.path("maximum").decimalValue() : null;
    BigDecimal low = min != null ? min : BigDecimal.valueOf(-1_000_000);
    BigDecimal high = max != null ? max : BigDecimal.valueOf(1_000_000);
    List<JsonNode> edges = new ArrayList<>();
    for (BigDecimal edge :
        List.of(
            low, low.add(new BigDecimal("0.001")), high, high.subtract(new BigDecimal("0.001")))) {
      edges.add(NODES.numberNode(edge));
    }
    return Gens.weighted(
        2, Gens.oneOf(edges),
        1, Gens.map(Gens.longs(low.longValue(), high.longValue()), NODES::numberNode),
        4, scaled(low, high, 3),
        1, scaled(low, high, 1),
        1, scaled(low, low.add(BigDecimal.ONE.movePointLeft(4)), 7));
  }

  /** Decimals from {@code low} to {@code high} with {@code scale} places. */
  private static Arb<JsonNode> scaled(BigDecimal low, BigDecimal high, int scale) {
    long from = low.movePointRight(scale).longValueExact();
    long to = high.movePointRight(scale).longValueExact();
    return Gens.map(
        Gens.longs(from, to), units -> NODES.numberNode(BigDecimal.valueOf(units, scale)));
  }

  /**
   * Integers within {@code minimum}..{@code maximum}: the edges and small values; where there is no
   * maximum, mostly {@code typical} values above the minimum and now and then the values where
   * integer types overflow.
   */
  static Arb<JsonNode> integer(JsonNode schema, int typical) {
    long min = schema.has("minimum") ? schema.path("minimum").asLong() : -1_000_000;
    long max = schema.has("maximum") ? schema.path("maximum").asLong() : Long.MAX_VALUE;
    List<Long> edges = new ArrayList<>(List.of(min, Math.min(max, min + 1)));
    Arb<Long> values;
    if (max == Long.MAX_VALUE) {
      List<Long> overflow = List.of(65_535L, 65_536L, (long) Integer.MAX_VALUE, 1L << 31, 1L << 53);
      values =
          Gens.weighted(
              2, Gens.oneOf(edges),
              9, Gens.longs(min, min + typical - 1),
              1, Gens.oneOf(overflow));
    } else {
      edges.add(max);
      values =
          Gens.weighted(
              2, Gens.oneOf(edges),
              5, Gens.longs(min, Math.min(max, min + 63)),
              1, Gens.longs(min, Math.min(max, min + 4095)));
    }
    return Gens.map(values, NODES::numberNode);
  }

  /** Now and then one or two fields the schema does not name, with values of any JSON type. */
  private static Arb<Map<String, JsonNode>> unknownFields() {
    Arb<String> names = Gens.map(Gens.strings(1, 8, 'a', 'z'), name -> UNKNOWN_FIELD_PREFIX + name);
    Arb<JsonNode> values =
        Gens.oneOf(
            List.of(
                NODES.textNode("x"),
                NODES.numberNode(-1),
                NODES.booleanNode(true),
                NODES.nullNode(),
                NODES.objectNode().put("a", 1),
                NODES.arrayNode().add(1).add("b")));
    Arb<Map<String, JsonNode>> some =
        Gens.map(
            Gens.lists(Gens.both(names, values, Map::entry), 1, 2),
            entries -> {
              Map<String, JsonNode> fields = new java.util.LinkedHashMap<>();
              entries.forEach(entry -> fields.put(entry.getKey(), entry.getValue()));
              return fields;
            });
    return Gens.map(Gens.orNull(some, 6.0 / 7), fields -> fields == null ? Map.of() : fields);
  }
}
