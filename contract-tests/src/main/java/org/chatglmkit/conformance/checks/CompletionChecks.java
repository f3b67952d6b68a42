package org.chatglmkit.conformance.checks;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.chatglmkit.conformance.http.ChatGlmClient;
import org.chatglmkit.conformance.http.Exchange;
import org.chatglmkit.schemas.ChatGlmSchemas;
import org.chatglmkit.schemas.Shape;
import org.chatglmkit.schemas.Violation;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Section 4.1: two answers to the same greedy prompt, one cut by {@code max_tokens: 1}, checked
 * against the completion schema of the target's profile and for consistent usage.
 */
@ConformanceCheck
class CompletionChecks {
  static final int MAX_TOKENS = 32;

  private Exchange full;
  private Exchange cut;

  /** The greedy answer with room for {@value #MAX_TOKENS} tokens. */
  private Exchange full(ChatGlmClient client) {
    if (full == null) {
      full = client.chat(Requests.chat(MAX_TOKENS));
      Expect.status(full, 200);
    }
    return full;
  }

  /** The same request with {@code max_tokens: 1}. */
  private Exchange cut(ChatGlmClient client) {
    if (cut == null) {
      cut = client.chat(Requests.chat(1));
      Expect.status(cut, 200);
    }
    return cut;
  }

  private void schemaRule(ChatGlmClient client, String rule) {
    List<Violation> violations = new ArrayList<>();
    for (Exchange answer : List.of(full(client), cut(client))) {
      violations.addAll(
          ChatGlmSchemas.get()
              .validate(Shape.COMPLETION, client.target().profile(), answer.body()));
    }
    Expect.noViolations("completion", violations, rule);
  }

  @Test
  @Tag("TRANSPORT-CHAT-PATH")
  void answersAValidRequestWith200(ChatGlmClient client) {
    full(client);
  }

  @Test
  @Tag("TRANSPORT-JSON-CONTENT-TYPE")
  void answersWithJson(ChatGlmClient client) {
    Exchange answer = full(client);
    Expect.that(
        answer.hasJsonContentType(),
        "Content-Type application/json",
        String.valueOf(answer.contentType()));
  }

  @Test
  @Tag("RESP-REQUIRED-FIELDS")
  void carriesTheRequiredFields(ChatGlmClient client) {
    schemaRule(client, "RESP-REQUIRED-FIELDS");
    List<Violation> unmapped = new ArrayList<>();
    for (Exchange answer : List.of(full(client), cut(client))) {
      ChatGlmSchemas.get()
          .validate(Shape.COMPLETION, client.target().profile(), answer.body())
          .stream()
          .filter(violation -> violation.ruleId().startsWith("SCHEMA:"))
          .forEach(unmapped::add);
    }
    Expect.that(unmapped.isEmpty(), "a completion that matches its schema", unmapped.toString());
  }

  @Test
  @Tag("RESP-MODEL")
  void namesTheModel(ChatGlmClient client) {
    schemaRule(client, "RESP-MODEL");
  }

  @Test
  @Tag("RESP-OBJECT")
  void isAChatCompletionObject(ChatGlmClient client) {
    schemaRule(client, "RESP-OBJECT");
  }

  @Test
  @Tag("RESP-CHOICES")
  void hasChoices(ChatGlmClient client) {
    schemaRule(client, "RESP-CHOICES");
  }

  @Test
  @Tag("RESP-CHOICE-INDEX")
  void indexesEachChoice(ChatGlmClient client) {
    schemaRule(client, "RESP-CHOICE-INDEX");
  }

  @Test
  @Tag("RESP-MESSAGE")
  void answersAsTheAssistant(ChatGlmClient client) {
    schemaRule(client, "RESP-MESSAGE");
  }

  @Test
  @Tag("RESP-FINISH-REASON")
  void givesAFinishReason(ChatGlmClient client) {
    schemaRule(client, "RESP-FINISH-REASON");
  }

  @Test
  @Tag("RESP-CREATED")
  void carriesCreated(ChatGlmClient client) {
    schemaRule(client, "RESP-CREATED");
  }

  @Test
  @Tag("RESP-ID")
  void carriesAnId(ChatGlmClient client) {
    schemaRule(client, "RESP-ID");
  }

  @Test
  @Tag("RESP-USAGE")
  void reportsUsage(ChatGlmClient client) {
    schemaRule(client, "RESP-USAGE");
  }

  @Test
  @Tag("RESP-USAGE-TOTAL")
  void addsUpUsage(ChatGlmClient client) {
    int checked = 0;
    for (Exchange answer : List.of(full(client), cut(client))) {
      JsonNode usage = answer.json().path("usage");
      if (usage.isObject()) {
        long prompt = usage.path("prompt_tokens").asLong(-1);
        long completion = usage.path("completion_tokens").asLong(-1);
        long total = usage.path("total_tokens").asLong(-1);
        Expect.that(
            total == prompt + completion,
            "total_tokens = prompt_tokens + completion_tokens",
            usage.toString());
        checked++;
      }
    }
    assumeTrue(checked > 0, "the target sends no usage");
  }

  @Test
  @Tag("RESP-USAGE-MAX-TOKENS")
  void keepsCompletionTokensWithinMaxTokens(ChatGlmClient client) {
    int checked = 0;
    int[] limits = {MAX_TOKENS, 1};
    List<Exchange> answers = List.of(full(client), cut(client));
    for (int i = 0; i < answers.size(); i++) {
      JsonNode usage = answers.get(i).json().path("usage");
      if (usage.isObject()) {
        long completion = usage.path("completion_tokens").asLong(-1);
        Expect.that(
            completion <= limits[i],
            "completion_tokens <= max_tokens " + limits[i],
            "completion_tokens " + completion);
        checked++;
      }
    }
    assumeTrue(checked > 0, "the target sends no usage");
  }

  @Test
  @Tag("RESP-LENGTH-FINISH")
  void reportsLengthWhenMaxTokensCuts(ChatGlmClient client) {
    String whole = content(full(client));
    String cutText = content(cut(client));
    assumeTrue(
        whole.length() > cutText.length(),
        "the greedy answer is no longer than one token, so max_tokens 1 did not cut it");
    String finish = cut(client).json().path("choices").path(0).path("finish_reason").asText("");
    Expect.that(
        finish.equals("length"),
        "finish_reason length for an answer cut by max_tokens 1",
        "'" + finish + "'");
  }

  static String content(Exchange answer) {
    return answer.json().path("choices").path(0).path("message").path("content").asText("");
  }
}
