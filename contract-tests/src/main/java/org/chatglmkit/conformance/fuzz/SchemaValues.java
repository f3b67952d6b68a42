package org.chatglmkit.conformance.fuzz;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kotest.property.Arb;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
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
          "then",
          "allOf");

  /** Names of unknown fields start with this, so they cannot clash with a real API's extras. */
  static final String UNKNOWN_FIELD_PREFIX = "x_";

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

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
        node = node.isArray() ? node.path(Integer.parseInt(step)) : node.path(step);
        at.append('/').append(step);
      }
      return new Located(node, at.toString()).resolve();
    }

    /** The one type other than {@code null}: {@code integer} for {@code ["integer", "null"]}. */
    String type() {
      return types().stream().filter(type -> !type.equals("null")).findFirst().orElse("");
    }

    /** Every type the schema allows: {@code [integer, null]} for {@code ["integer", "null"]}. */
    Set<String> types() {
      JsonNode type = schema.path("type");
      Set<String> types = new LinkedHashSet<>();
      if (type.isArray()) {
        type.forEach(one -> types.add(one.asText()));
      } else if (type.isTextual()) {
        types.add(type.asText());
      }
      return types;
    }

    /** Whether {@code null} is a value of its own here (an optional field read as not given). */
    boolean nullable() {
      return types().contains("null");
    }

    Set<String> required() {
      Set<String> names = new HashSet<>();
      schema.path("required").forEach(name -> names.add(name.asText()));
      return names;
    }
  }

  /**
   * Tool and function fields the schema walk does not generate: a tool message must answer a call
   * made earlier in the same conversation, and a named {@code tool_choice} must name an offered
   * function ({@link Cases} adds {@code tool_choice} itself). {@code tools} is generated, with
   * parameters from {@link ParameterSchemas}; the older {@code functions} are left to the gate's
   * tool checks.
   */
  static final Set<String> NOT_GENERATED =
      Set.of("tool_choice", "functions", "function_call", "tool_calls", "tool_call_id");

  /** Where a function's parameters schema sits: generated by {@link ParameterSchemas}. */
  static final String PARAMETERS = "function.schema.json#/properties/parameters";

  /** The role of a tool message, which must answer a call: not generated (see above). */
  static final String TOOL_ROLE = "tool";

  /** The properties of an object schema that the run's profile holds, in schema order. */
  List<String> properties(Located object) {
    List<String> names = new ArrayList<>();
    Iterator<String> fields = object.schema().path("properties").fieldNames();
    while (fields.hasNext()) {
      String name = fields.next();
      if (NOT_GENERATED.contains(name)) {
        continue;
      }
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

  /**
   * Values the schema at {@code at} accepts; where it allows {@code null} beside one other type,
   * {@code null} one time in eight.
   */
  Arb<JsonNode> valid(Located at) {
    if (at.location().equals(PARAMETERS)) {
      return ParameterSchemas.objects();
    }
    Located schema = at.resolve();
    understood(schema);
    if (schema.schema().has("enum")) {
      List<JsonNode> values = new ArrayList<>();
      schema
          .schema()
          .path("enum")
          .forEach(
              v -> {
                if (!TOOL_ROLE.equals(v.asText(null))) {
                  values.add(v);
                }
              });
      return Gens.oneOf(values);
    }
    Arb<JsonNode> value = typed(schema);
    return schema.nullable() ? Gens.weighted(7, value, 1, Gens.just(NODES.nullNode())) : value;
  }

  private Arb<JsonNode> typed(Located schema) {
    if (schema.types().size() > (schema.nullable() ? 2 : 1)) {
      throw new IllegalStateException(
          "the fuzzer understands one type, or one type and null, at " + schema.location());
    }
    return switch (schema.type()) {
      case "object" -> object(schema);
      case "array" -> array(schema);
      case "string" -> Gens.map(Texts.of(schema.schema(), longestString), NODES::textNode);
      case "number" -> Numbers.decimal(schema.schema());
      case "integer" -> Numbers.whole(schema.schema(), typicalInteger);
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
   * the schema does not name. A property that an {@code if}/{@code then} (alone, or one of {@code
   * allOf}'s) makes required is added whenever the {@code if} holds.
   */
  private Arb<JsonNode> object(Located schema) {
    List<String> names = properties(schema);
    Set<String> required = schema.required();
    List<Conditional> conditionals = Conditional.all(schema);
    List<Arb<Field>> fields = new ArrayList<>();
    for (String name : names) {
      Arb<JsonNode> value = valid(schema.child("properties", name));
      Optional<Conditional> requiring =
          conditionals.stream().filter(c -> c.mayRequire(name)).findFirst();
      if (required.contains(name)) {
        fields.add(Gens.map(value, v -> new Field(v, null)));
      } else if (requiring.isPresent()) {
        Conditional conditional = requiring.get();
        Arb<JsonNode> whenRequired =
            conditional.narrows(name)
                ? valid(conditional.at().child("then", "properties", name))
                : value;
        fields.add(Gens.both(Gens.orNull(value, absent(name)), whenRequired, Field::new));
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
            String name = names.get(i);
            if ((field.value() == null || field.value().isNull())
                && field.whenRequired() != null
                && conditionals.stream().anyMatch(c -> c.mayRequire(name) && c.holds(object))) {
              object.set(name, field.whenRequired());
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
   * An {@code if}/{@code then} of an object schema, in the one form the schemas use: {@code if}
   * gives a property an enum, {@code then} requires properties (and may narrow their schemas, e.g.
   * a content that may be {@code null} elsewhere must be a string here).
   *
   * @param at the schema that holds the {@code if}: the object's, or one of its {@code allOf}
   */
  record Conditional(
      Located at, String property, Set<String> values, Set<String> then, Set<String> narrowed) {

    /** The object's own {@code if}/{@code then} and those of its {@code allOf}, in order. */
    static List<Conditional> all(Located schema) {
      List<Conditional> all = new ArrayList<>();
      if (schema.schema().has("if")) {
        all.add(of(schema));
      }
      JsonNode allOf = schema.schema().path("allOf");
      for (int i = 0; i < allOf.size(); i++) {
        Located branch = schema.child("allOf", String.valueOf(i));
        if (!branch.schema().has("if") || branch.schema().size() != 2) {
          throw new IllegalStateException(
              "the fuzzer understands allOf only as a list of if/then, at " + branch.location());
        }
        all.add(of(branch));
      }
      return all;
    }

    private static Conditional of(Located schema) {
      JsonNode when = schema.schema().path("if");
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
      Set<String> narrowed = new HashSet<>();
      schema.schema().path("then").path("properties").fieldNames().forEachRemaining(narrowed::add);
      return new Conditional(schema, condition.getKey(), values, then, narrowed);
    }

    boolean mayRequire(String name) {
      return then.contains(name);
    }

    boolean narrows(String name) {
      return narrowed.contains(name);
    }

    boolean holds(ObjectNode object) {
      return values.contains(object.path(property).asText(null));
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
