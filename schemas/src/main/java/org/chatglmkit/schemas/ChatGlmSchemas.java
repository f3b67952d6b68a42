package org.chatglmkit.schemas;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.Error;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import com.networknt.schema.path.NodePath;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Validates JSON documents against the API's schemas, loaded offline from the classpath.
 *
 * <p>Built once and thread-safe: share the instance from {@link #get()}.
 *
 * <pre>{@code
 * List<Violation> violations =
 *     ChatGlmSchemas.get().validate(Shape.COMPLETION, Profile.OPENAI, responseBody);
 * }</pre>
 */
public final class ChatGlmSchemas {
  /** The base of every schema {@code $id}; it is mapped to the classpath, never fetched. */
  public static final String ID_BASE = "https://chatglmkit.org/schemas/";

  /** Classpath folder that holds the schema files, the OpenAPI document and the catalogue. */
  public static final String CLASSPATH_FOLDER = "chatglm/";

  private static final ChatGlmSchemas INSTANCE = new ChatGlmSchemas();

  private final Map<Profile, Map<Shape, Schema>> schemas = new EnumMap<>(Profile.class);
  private final RuleCatalogue catalogue = RuleCatalogue.get();

  private ChatGlmSchemas() {
    SchemaRegistry registry =
        SchemaRegistry.withDefaultDialect(
            SpecificationVersion.DRAFT_2020_12,
            builder ->
                builder.schemaIdResolvers(
                    resolvers -> resolvers.mapPrefix(ID_BASE, "classpath:" + CLASSPATH_FOLDER)));
    for (Profile profile : Profile.values()) {
      Map<Shape, Schema> byShape = new EnumMap<>(Shape.class);
      for (Shape shape : Shape.values()) {
        Schema schema = registry.getSchema(SchemaLocation.of(ID_BASE + shape.file(profile)));
        schema.initializeValidators();
        byShape.put(shape, schema);
      }
      schemas.put(profile, byShape);
    }
  }

  /** The shared instance. */
  public static ChatGlmSchemas get() {
    return INSTANCE;
  }

  /** Validates JSON text; text that is not JSON is one {@code REQ-BODY-JSON-OBJECT} violation. */
  public List<Violation> validate(Shape shape, Profile profile, String json) {
    List<Error> errors;
    try {
      errors = schemas.get(profile).get(shape).validate(json, InputFormat.JSON);
    } catch (RuntimeException e) {
      return List.of(new Violation("REQ-BODY-JSON-OBJECT", "", "not valid JSON"));
    }
    return toViolations(errors);
  }

  /** Validates an already parsed document. */
  public List<Violation> validate(Shape shape, Profile profile, JsonNode json) {
    return toViolations(schemas.get(profile).get(shape).validate(json));
  }

  private List<Violation> toViolations(List<Error> errors) {
    List<Violation> violations = new ArrayList<>(errors.size());
    for (Error error : errors) {
      String field = fieldOf(error);
      String location = relativeLocation(error);
      String ruleId =
          catalogue.ruleForSchemaLocation(location).map(Rule::id).orElse("SCHEMA:" + location);
      violations.add(new Violation(ruleId, field, error.getMessage()));
    }
    return violations;
  }

  /** The schema location of an error relative to {@link #ID_BASE}, with a missing property. */
  private static String relativeLocation(Error error) {
    String location = error.getSchemaLocation().toString();
    if (location.startsWith(ID_BASE)) {
      location = location.substring(ID_BASE.length());
    }
    if ("required".equals(error.getKeyword()) && error.getProperty() != null) {
      location = location + "/" + error.getProperty();
    }
    return location;
  }

  private static String fieldOf(Error error) {
    StringBuilder field = new StringBuilder();
    NodePath path = error.getInstanceLocation();
    for (int i = 0; i < path.getNameCount(); i++) {
      Object element = path.getElement(i);
      if (element instanceof Integer index) {
        field.append('[').append(index).append(']');
      } else {
        if (field.length() > 0) {
          field.append('.');
        }
        field.append(element);
      }
    }
    if ("required".equals(error.getKeyword()) && error.getProperty() != null) {
      if (field.length() > 0) {
        field.append('.');
      }
      field.append(error.getProperty());
    }
    return field.toString();
  }
}
