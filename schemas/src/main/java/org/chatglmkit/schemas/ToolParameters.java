package org.chatglmkit.schemas;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The JSON Schemas that requests bring along as a function's {@code parameters}: whether one is a
 * JSON Schema at all (checked against its dialect's meta-schema), and whether a call's arguments
 * are valid against it. The dialect is the one the schema names in {@code $schema}, else 2020-12.
 * Nothing is ever fetched: a {@code $ref} to anything outside the schema fails instead.
 *
 * <p>Thread-safe; compiled schemas are kept for the most recent {@value #CACHED} distinct texts.
 *
 * <pre>{@code
 * List<String> wrong = ToolParameters.get().validate(parameters, arguments);
 * }</pre>
 */
public final class ToolParameters {
  static final int CACHED = 256;

  private static final String META_2020_12 = "https://json-schema.org/draft/2020-12/schema";
  private static final ToolParameters INSTANCE = new ToolParameters();

  private final SchemaRegistry registry =
      SchemaRegistry.withDefaultDialect(
          SpecificationVersion.DRAFT_2020_12,
          builder ->
              builder.schemaLoader(
                  loader -> loader.fetchRemoteResources(false).block(ToolParameters::outside)));
  private final Map<String, Compiled> cache =
      new LinkedHashMap<>(CACHED, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Compiled> eldest) {
          return size() > CACHED;
        }
      };

  private ToolParameters() {}

  /** Anything but the dialects' own meta-schemas, which networknt ships: never loaded. */
  private static boolean outside(com.networknt.schema.AbsoluteIri iri) {
    String text = iri.toString();
    return !text.startsWith("https://json-schema.org/")
        && !text.startsWith("http://json-schema.org/");
  }

  /** The shared instance. */
  public static ToolParameters get() {
    return INSTANCE;
  }

  /** A compiled schema, or why the text is no JSON Schema. */
  private record Compiled(Schema schema, String problem) {}

  /**
   * Why {@code parameters} is not a usable JSON Schema (each as one line), or an empty list when it
   * is one.
   */
  public List<String> schemaProblems(JsonNode parameters) {
    Compiled compiled = compile(parameters);
    return compiled.problem() == null ? List.of() : List.of(compiled.problem());
  }

  /**
   * Why {@code arguments} is not valid against {@code parameters} (one line each, with the
   * argument's path), or an empty list when it is valid.
   */
  public List<String> validate(JsonNode parameters, JsonNode arguments) {
    Compiled compiled = compile(parameters);
    if (compiled.problem() != null) {
      return List.of("the parameters schema is unusable: " + compiled.problem());
    }
    List<String> problems = new ArrayList<>();
    try {
      for (Error error : compiled.schema().validate(arguments)) {
        problems.add(error.getInstanceLocation() + ": " + error.getMessage());
      }
    } catch (RuntimeException e) {
      problems.add("the parameters schema cannot be applied: " + e.getMessage());
    }
    return problems;
  }

  private Compiled compile(JsonNode parameters) {
    String key = parameters.toString();
    synchronized (cache) {
      Compiled known = cache.get(key);
      if (known != null) {
        return known;
      }
    }
    Compiled compiled = compileFresh(parameters);
    synchronized (cache) {
      cache.put(key, compiled);
    }
    return compiled;
  }

  private Compiled compileFresh(JsonNode parameters) {
    if (!parameters.isObject()) {
      return new Compiled(null, "a JSON Schema here is an object, not " + parameters.getNodeType());
    }
    try {
      String dialect = parameters.path("$schema").asText(META_2020_12);
      Schema meta = registry.getSchema(SchemaLocation.of(dialect));
      List<Error> errors = meta.validate(parameters);
      if (!errors.isEmpty()) {
        return new Compiled(null, errors.get(0).getMessage());
      }
      Schema schema = registry.getSchema(parameters);
      schema.initializeValidators();
      return new Compiled(schema, null);
    } catch (RuntimeException | StackOverflowError e) {
      return new Compiled(null, "cannot be read as a JSON Schema: " + describe(e));
    }
  }

  private static String describe(Throwable e) {
    return e instanceof StackOverflowError
        ? "nested too deep"
        : e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }
}
