package org.chatglmkit.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class SchemaExamplesTest {
  private static final ChatGlmSchemas SCHEMAS = ChatGlmSchemas.get();
  private static final JsonNode SEED = Examples.read("examples/seed-examples.json");
  private static final JsonNode INVALID = Examples.read("examples/invalid-examples.json");

  @Test
  void seedRequestsValidateInBothProfiles() {
    assertThat(SEED.get("requests")).hasSize(2);
    for (JsonNode request : SEED.get("requests")) {
      for (Profile profile : Profile.values()) {
        assertThat(SCHEMAS.validate(Shape.REQUEST, profile, request.toString())).isEmpty();
      }
    }
  }

  @Test
  void seedCompletionsValidateInTheDocumentedProfile() {
    assertThat(SEED.get("completions")).hasSize(2);
    for (JsonNode completion : SEED.get("completions")) {
      assertThat(SCHEMAS.validate(Shape.COMPLETION, Profile.DOCUMENTED, completion.toString()))
          .isEmpty();
    }
  }

  @Test
  void seedCompletionsLackOnlyIdAndUsageForTheOpenaiProfile() {
    for (JsonNode completion : SEED.get("completions")) {
      List<Violation> violations =
          SCHEMAS.validate(Shape.COMPLETION, Profile.OPENAI, completion.toString());
      assertThat(violations)
          .extracting(Violation::ruleId)
          .containsExactlyInAnyOrder("RESP-ID", "RESP-USAGE");
    }
  }

  static Stream<Arguments> invalidExamples() {
    return StreamSupport.stream(INVALID.spliterator(), false)
        .map(
            node ->
                Arguments.of(
                    node.get("rule").asText(),
                    Shape.valueOf(node.get("shape").asText()),
                    Profile.parse(node.get("profile").asText()),
                    node.get("field").asText(),
                    node.get("json").toString()));
  }

  @ParameterizedTest(name = "{0} at ''{3}'': {4}")
  @MethodSource("invalidExamples")
  void invalidExampleBreaksItsRuleAndNamesTheField(
      String rule, Shape shape, Profile profile, String field, String json) {
    List<Violation> violations = SCHEMAS.validate(shape, profile, json);
    assertThat(violations)
        .as("violations of %s", json)
        .anySatisfy(
            violation -> {
              assertThat(violation.ruleId()).isEqualTo(rule);
              assertThat(violation.field()).isEqualTo(field);
            });
  }

  @Test
  void everySchemaBackedRuleHasAnInvalidExample() {
    Set<String> covered = new TreeSet<>();
    INVALID.forEach(node -> covered.add(node.get("rule").asText()));
    Set<String> schemaBacked = new TreeSet<>();
    RuleCatalogue.get().all().stream()
        .filter(rule -> !rule.schemaLocations().isEmpty())
        .forEach(rule -> schemaBacked.add(rule.id()));
    assertThat(covered).containsAll(schemaBacked);
  }

  @Test
  void violationsAlwaysMapToACatalogueRule() {
    for (JsonNode node : INVALID) {
      Shape shape = Shape.valueOf(node.get("shape").asText());
      Profile profile = Profile.parse(node.get("profile").asText());
      for (Violation violation : SCHEMAS.validate(shape, profile, node.get("json").toString())) {
        assertThat(violation.ruleId()).as(violation.toString()).doesNotStartWith("SCHEMA:");
      }
    }
  }

  static Stream<Arguments> validVariations() {
    return StreamSupport.stream(
            Examples.read("examples/valid-variations.json").spliterator(), false)
        .map(node -> Arguments.of(Shape.valueOf(node.get("shape").asText()), node.get("json")));
  }

  @ParameterizedTest(name = "{0}: {1}")
  @MethodSource("validVariations")
  void legalVariationsValidateInBothProfiles(Shape shape, JsonNode json) {
    assertThat(SCHEMAS.validate(shape, Profile.DOCUMENTED, json.toString())).isEmpty();
    if (shape != Shape.CHUNK || json.has("id")) {
      assertThat(SCHEMAS.validate(shape, Profile.OPENAI, json)).isEmpty();
    }
  }

  @Test
  void textThatIsNotJsonIsOneViolation() {
    assertThat(SCHEMAS.validate(Shape.REQUEST, Profile.DOCUMENTED, "{\"messages\": ["))
        .extracting(Violation::ruleId)
        .containsExactly("REQ-BODY-JSON-OBJECT");
  }

  @Test
  void validationIsThreadSafe() throws Exception {
    String bad = INVALID.get(13).get("json").toString();
    List<Violation> expected = SCHEMAS.validate(Shape.REQUEST, Profile.OPENAI, bad);
    List<java.util.concurrent.Future<List<Violation>>> results;
    var pool = java.util.concurrent.Executors.newFixedThreadPool(4);
    try {
      results =
          pool.invokeAll(
              java.util.Collections.nCopies(
                  200, () -> SCHEMAS.validate(Shape.REQUEST, Profile.OPENAI, bad)));
    } finally {
      pool.shutdown();
    }
    assertThat(expected).isNotEmpty();
    for (var result : results) {
      assertThat(result.get()).isEqualTo(expected);
    }
  }
}
