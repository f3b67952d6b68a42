package org.chatglmkit.conformance.fuzz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.kotest.property.Arb;
import io.kotest.property.RandomSource;
import io.kotest.property.Sample;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;
import org.chatglmkit.conformance.fuzz.SchemaValues.Located;
import org.chatglmkit.mockserver.core.Json;
import org.chatglmkit.schemas.ChatGlmSchemas;
import org.chatglmkit.schemas.Profile;
import org.chatglmkit.schemas.Shape;
import org.chatglmkit.schemas.ToolParameters;
import org.chatglmkit.schemas.Violation;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** What fuzzing generates from the schemas, judged by the schema validator, without a server. */
class CasesTest {
  private static List<FuzzCase> openai;

  @BeforeAll
  static void generate() {
    openai = cases(Profile.OPENAI, 7, 3_000);
  }

  static List<FuzzCase> cases(Profile profile, long seed, int count) {
    Arb<FuzzCase> arb = new Cases(profile, 1_800, 32).any();
    RandomSource random = RandomSource.Companion.seeded(seed);
    List<FuzzCase> cases = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      cases.add(arb.sample(random).getValue());
    }
    return cases;
  }

  private static List<FuzzCase> valid() {
    return openai.stream().filter(FuzzCase::valid).toList();
  }

  private static boolean anyString(JsonNode node, Predicate<String> test) {
    if (node.isTextual()) {
      return test.test(node.asText());
    }
    for (JsonNode child : node) {
      if (anyString(child, test)) {
        return true;
      }
    }
    return false;
  }

  @Test
  void everyValidCasePassesTheSchemaAndEveryBrokenOneBreaksExactlyTheRuleItNames() {
    for (FuzzCase fuzzCase : openai) {
      List<Violation> violations =
          ChatGlmSchemas.get().validate(Shape.REQUEST, Profile.OPENAI, fuzzCase.request());
      if (fuzzCase.valid()) {
        assertThat(violations).as(fuzzCase.json()).isEmpty();
      } else {
        assertThat(violations).as(fuzzCase.json()).isNotEmpty();
        assertThat(violations)
            .as(fuzzCase.json())
            .allSatisfy(v -> assertThat(v.ruleId()).isEqualTo(fuzzCase.breaks()));
      }
    }
    assertThat(openai.stream().filter(FuzzCase::valid).count()).isBetween(1_500L, 2_400L);
  }

  @Test
  void validCasesReachEveryOptionalFieldAndTheEdgesOfEveryRange() {
    List<FuzzCase> valid = valid();
    for (String field : List.of("history", "temperature", "max_tokens", "stream")) {
      assertThat(valid).as(field).anyMatch(c -> c.request().has(field));
      assertThat(valid).as("no " + field).anyMatch(c -> !c.request().has(field));
    }
    Set<String> temperatures = new TreeSet<>();
    valid.forEach(c -> temperatures.add(c.request().path("temperature").asText()));
    assertThat(temperatures).contains("0", "2", "0.001", "1.999");
    assertThat(temperatures).anyMatch(t -> t.matches("\\d\\.\\d{3}"));
    assertThat(valid).anyMatch(c -> c.request().path("max_tokens").asLong() == 1);
    assertThat(valid).anyMatch(c -> c.request().path("max_tokens").asLong() > Integer.MAX_VALUE);
    assertThat(valid)
        .anyMatch(
            c -> c.request().path("history").isArray() && c.request().path("history").isEmpty());
    assertThat(valid).anyMatch(c -> c.request().path("messages").size() >= 16);
    assertThat(valid)
        .anyMatch(
            c ->
                anyString(
                    c.request().path("messages"), s -> s.length() == 64 && s.matches("\\w+")));
    assertThat(valid)
        .anyMatch(
            c -> anyString(c.request().path("messages"), s -> s.length() == 1 && s.matches("\\w")));
    assertThat(valid)
        .anyMatch(
            c ->
                c.request().path("messages").findValues("role").stream()
                    .anyMatch(r -> r.asText().equals("assistant")));
    assertThat(valid).anyMatch(c -> hasUnknown(c.request()));
  }

  private static boolean hasUnknown(JsonNode request) {
    var names = request.fieldNames();
    while (names.hasNext()) {
      if (names.next().startsWith(SchemaValues.UNKNOWN_FIELD_PREFIX)) {
        return true;
      }
    }
    for (JsonNode message : request.path("messages")) {
      if (hasUnknown(message)) {
        return true;
      }
    }
    return false;
  }

  @Test
  void stringsReachUnicodeBeyondAsciiControlCharactersAndLength() {
    List<FuzzCase> valid = valid();
    assertThat(valid).anyMatch(c -> anyString(c.request(), String::isEmpty));
    assertThat(valid)
        .anyMatch(
            c ->
                anyString(
                    c.request(), s -> s.chars().anyMatch(ch -> ch >= 0x4e00 && ch <= 0x9fa5)));
    assertThat(valid)
        .anyMatch(c -> anyString(c.request(), s -> s.codePoints().anyMatch(p -> p > 0xFFFF)));
    assertThat(valid)
        .anyMatch(c -> anyString(c.request(), s -> s.chars().anyMatch(ch -> ch < 0x20)));
    assertThat(valid).anyMatch(c -> anyString(c.request(), s -> s.indexOf('\u2028') >= 0));
    assertThat(valid).anyMatch(c -> anyString(c.request(), s -> s.length() >= 500));
    assertThat(valid).allMatch(c -> !anyString(c.request(), s -> !Texts.wellFormed(s)));
  }

  @Test
  void streamsAskForFewTokensAndEveryRequestFitsThePromptBudget() {
    assertThat(openai.stream().filter(FuzzCase::streamed).count()).isGreaterThan(300);
    assertThat(openai)
        .filteredOn(FuzzCase::streamed)
        .allSatisfy(c -> assertThat(c.request().path("max_tokens").asLong()).isBetween(1L, 16L));
    assertThat(openai)
        .allSatisfy(c -> assertThat(Cases.promptBytes(c.request())).isLessThanOrEqualTo(1_800));
  }

  @Test
  void brokenCasesBreakEveryRequestRuleOfTheProfile() {
    Set<String> broken = new TreeSet<>();
    openai.stream().filter(c -> !c.valid()).forEach(c -> broken.add(c.breaks()));
    assertThat(broken)
        .containsExactlyInAnyOrder(
            "REQ-MESSAGES",
            "REQ-MESSAGE-OBJECT",
            "REQ-MESSAGE-ROLE",
            "REQ-MESSAGE-CONTENT",
            "REQ-MESSAGE-NAME",
            "REQ-HISTORY",
            "REQ-TEMPERATURE",
            "REQ-MAX-TOKENS",
            "REQ-STREAM",
            "TOOLS-DEFINITION");
  }

  @Test
  void validCasesOfferToolsWithSmallParameterSchemasAndAFittingToolChoice() {
    List<FuzzCase> valid = openai.stream().filter(FuzzCase::valid).toList();
    List<FuzzCase> withTools =
        valid.stream().filter(c -> !c.request().path("tools").isEmpty()).toList();
    assertThat(withTools).hasSizeGreaterThan(valid.size() / 10);
    Set<String> choices = new TreeSet<>();
    for (FuzzCase c : withTools) {
      Set<String> names = new HashSet<>();
      for (var tool : c.request().path("tools")) {
        var parameters = tool.path("function").path("parameters");
        assertThat(names.add(tool.path("function").path("name").asText())).isTrue();
        if (!parameters.isMissingNode()) {
          assertThat(ToolParameters.get().schemaProblems(parameters))
              .as(parameters.toString())
              .isEmpty();
        }
      }
      var choice = c.request().path("tool_choice");
      choices.add(choice.isObject() ? "named" : choice.asText("absent"));
      if (choice.isObject()) {
        assertThat(names).contains(choice.path("function").path("name").asText());
      }
    }
    assertThat(choices).contains("absent", "none", "auto", "required", "named");
    assertThat(withTools)
        .anyMatch(
            c ->
                c.request().toString().contains("\"properties\":{\"")
                    && c.request().toString().contains("\"required\""));
  }

  @Test
  void theDocumentedProfileNeitherStreamsNorBreaksStream() {
    List<FuzzCase> documented = cases(Profile.DOCUMENTED, 7, 1_000);
    assertThat(documented).noneMatch(c -> c.request().has("stream"));
    assertThat(documented).noneMatch(c -> "REQ-STREAM".equals(c.breaks()));
    assertThat(documented).anyMatch(c -> !c.valid());
  }

  @Test
  void theSameSeedGivesTheSameCasesAndAnotherSeedOthers() {
    List<String> first = cases(Profile.OPENAI, 42, 200).stream().map(FuzzCase::json).toList();
    List<String> again = cases(Profile.OPENAI, 42, 200).stream().map(FuzzCase::json).toList();
    List<String> other = cases(Profile.OPENAI, 43, 200).stream().map(FuzzCase::json).toList();
    assertThat(again).isEqualTo(first);
    assertThat(other).isNotEqualTo(first);
  }

  @Test
  void shrinkingKeepsOnlyTheOffendingFieldAndOneMessage() {
    Arb<FuzzCase> arb = new Cases(Profile.OPENAI, 1_800, 32).valid();
    RandomSource random = RandomSource.Companion.seeded(3);
    Predicate<FuzzCase> fails = c -> c.valid() && c.request().path("temperature").asDouble() > 1.5;
    Sample<FuzzCase> failing = arb.sample(random);
    while (!(fails.test(failing.getValue()) && failing.getValue().request().size() > 2)) {
      failing = arb.sample(random);
    }
    Shrinking.Result<FuzzCase> shrunk = Shrinking.shrink(failing, fails, 1_000);
    JsonNode minimal = shrunk.value().request();
    assertThat(Json.MAPPER.convertValue(minimal, Map.class).keySet())
        .as(minimal.toString())
        .containsExactlyInAnyOrder("messages", "temperature");
    assertThat(minimal.path("messages")).hasSize(1);
    assertThat(minimal.path("temperature").asDouble()).isGreaterThan(1.5).isLessThanOrEqualTo(2);
    assertThat(shrunk.tried()).isPositive();
  }

  @Test
  void aSchemaKeywordTheGeneratorDoesNotKnowStopsIt() throws Exception {
    JsonNode schema = Json.MAPPER.readTree("{\"type\": \"string\", \"format\": \"email\"}");
    SchemaValues values = new SchemaValues(Profile.OPENAI, 100, 32, Map.of());
    assertThatThrownBy(() -> values.valid(new Located(schema, "test.json#")))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("'format'");
  }
}
