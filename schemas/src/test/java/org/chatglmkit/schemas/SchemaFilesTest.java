package org.chatglmkit.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SchemaFilesTest {
  private static final List<String> FILES =
      List.of(
          "message.schema.json",
          "message.openai.schema.json",
          "chat-completion-request.schema.json",
          "chat-completion-request.openai.schema.json",
          "function-call.schema.json",
          "function.schema.json",
          "tool.schema.json",
          "tool-call.schema.json",
          "tool-call-delta.schema.json",
          "usage.schema.json",
          "chat-completion.schema.json",
          "chat-completion.openai.schema.json",
          "chat-completion-chunk.schema.json",
          "chat-completion-chunk.openai.schema.json",
          "error.schema.json",
          "model-list.schema.json",
          "openapi.json");

  @Test
  void everyRefResolvesToAPackagedFileAndNode() {
    List<String> refs = new ArrayList<>();
    for (String file : FILES) {
      collectRefs(Examples.read(ChatGlmSchemas.CLASSPATH_FOLDER + file), file, refs);
    }
    assertThat(refs).hasSizeGreaterThan(10);
    for (String ref : refs) {
      assertThat(resolve(ref)).as("target of %s", ref).isNotNull();
    }
  }

  @Test
  void everySchemaIsDraft2020WithAnIdUnderTheBase() {
    for (String file : FILES.subList(0, FILES.size() - 1)) {
      JsonNode schema = Examples.read(ChatGlmSchemas.CLASSPATH_FOLDER + file);
      assertThat(schema.path("$schema").asText())
          .isEqualTo("https://json-schema.org/draft/2020-12/schema");
      assertThat(schema.path("$id").asText()).isEqualTo(ChatGlmSchemas.ID_BASE + file);
    }
  }

  @Test
  void openApiDescribesThePathBothAuthHeadersEveryStatusAndTheStream() {
    JsonNode api = Examples.read(ChatGlmSchemas.CLASSPATH_FOLDER + "openapi.json");
    assertThat(api.path("openapi").asText()).startsWith("3.1");
    JsonNode post = api.at("/paths/~1v1~1chat~1completions/post");
    assertThat(post.path("responses").fieldNames())
        .toIterable()
        .containsExactlyInAnyOrder("200", "400", "401", "403", "404", "413", "429", "500", "529");
    assertThat(post.at("/responses/200/content").has("text/event-stream")).isTrue();
    assertThat(post.at("/responses/429/headers").has("Retry-After")).isTrue();
    assertThat(post.at("/responses/529/headers").has("Retry-After")).isTrue();
    assertThat(api.at("/components/securitySchemes/apiKeyHeader/name").asText())
        .isEqualTo("API-KEY");
    assertThat(api.at("/components/securitySchemes/bearerAuth/scheme").asText())
        .isEqualTo("bearer");
  }

  @Test
  void everyCatalogueSchemaLocationPointsAtAnExistingNode() {
    for (Rule rule : RuleCatalogue.get().all()) {
      for (String location : rule.schemaLocations()) {
        assertThat(resolve(location)).as("%s of %s", location, rule.id()).isNotNull();
      }
    }
  }

  @Test
  void catalogueIdsAreUniqueAndEveryRuleIsStated() {
    List<Rule> rules = RuleCatalogue.get().all();
    assertThat(rules).hasSizeGreaterThan(40);
    assertThat(rules).extracting(Rule::id).doesNotHaveDuplicates();
    for (Rule rule : rules) {
      assertThat(rule.id()).matches("[A-Z]+(-[A-Z0-9]+)+");
      assertThat(rule.statement()).isNotBlank();
      assertThat(rule.section()).isNotBlank();
      assertThat(rule.area())
          .isIn(
              "transport",
              "auth",
              "request",
              "completion",
              "streaming",
              "errors",
              "models",
              "tools",
              "fuzzing");
    }
  }

  private static void collectRefs(JsonNode node, String file, List<String> refs) {
    if (node.isObject()) {
      node.fields()
          .forEachRemaining(
              field -> {
                if (field.getKey().equals("$ref")) {
                  String ref = field.getValue().asText();
                  refs.add(ref.startsWith("#") ? file + ref : ref);
                } else {
                  collectRefs(field.getValue(), file, refs);
                }
              });
    } else if (node.isArray()) {
      node.forEach(child -> collectRefs(child, file, refs));
    }
  }

  /** Resolves {@code file.json#/pointer} (a required-property suffix allowed) offline. */
  private static JsonNode resolve(String ref) {
    int hash = ref.indexOf('#');
    String file = hash < 0 ? ref : ref.substring(0, hash);
    String pointer = hash < 0 ? "" : ref.substring(hash + 1);
    JsonNode document = Examples.read(ChatGlmSchemas.CLASSPATH_FOLDER + file);
    JsonNode target = document.at(pointer);
    if (target.isMissingNode() && pointer.contains("/required/")) {
      String property = pointer.substring(pointer.lastIndexOf('/') + 1);
      JsonNode required = document.at(pointer.substring(0, pointer.lastIndexOf('/')));
      for (JsonNode name : required) {
        if (name.asText().equals(property)) {
          return name;
        }
      }
      return null;
    }
    return target.isMissingNode() ? null : target;
  }
}
