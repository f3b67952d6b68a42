package org.chatglmkit.conformance.checks;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.chatglmkit.conformance.http.Exchange;
import org.chatglmkit.schemas.ChatGlmSchemas;
import org.chatglmkit.schemas.Profile;
import org.chatglmkit.schemas.Shape;
import org.chatglmkit.schemas.Violation;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Section 4.1: two answers to the same greedy prompt, one cut by {@code max_tokens: 1}, checked
 * against the completion schema of the target's profile and for consistent usage. A body that is
 * not a JSON object fails every rule that needed it.
 */
@ConformanceCheck
@Needs(Needs.Part.COMPLETION)
class CompletionChecks {
  static final int MAX_TOKENS = 32;

  /** The greedy answer with room for {@value #MAX_TOKENS} tokens. */
  private static Exchange full(RunContext run) {
    return run.shared("full");
  }

  /** The same request with {@code max_tokens: 1}. */
  private static Exchange cut(RunContext run) {
    return run.shared("cut");
  }

  private static List<Exchange> both(RunContext run) {
    return List.of(full(run), cut(run));
  }

  private static void schemaRule(RunContext run, String rule) {
    List<Violation> violations = new ArrayList<>();
    List<Exchange> answers = both(run);
    for (Exchange answer : answers) {
      Expect.jsonObject(answer);
      violations.addAll(
          ChatGlmSchemas.get().validate(Shape.COMPLETION, run.target().profile(), answer.body()));
    }
    Expect.noViolations("completion", answers.size(), violations, rule);
  }

  @Test
  @Tag("TRANSPORT-JSON-CONTENT-TYPE")
  void answersWithJson(RunContext run) {
    for (Exchange answer : both(run)) {
      Expect.status(answer, 200);
      Expect.that(
          answer.hasJsonContentType(),
          answer.request() + " answered with Content-Type application/json",
          String.valueOf(answer.contentType()));
    }
  }

  @Test
  @Tag("RESP-REQUIRED-FIELDS")
  void carriesTheRequiredFields(RunContext run) {
    schemaRule(run, "RESP-REQUIRED-FIELDS");
    List<Violation> unmapped = new ArrayList<>();
    for (Exchange answer : both(run)) {
      ChatGlmSchemas.get()
          .validate(Shape.COMPLETION, run.target().profile(), answer.body())
          .stream()
          .filter(violation -> violation.ruleId().startsWith("SCHEMA:"))
          .forEach(unmapped::add);
    }
    Expect.that(unmapped.isEmpty(), "a completion that matches its schema", unmapped.toString());
  }

  @Test
  @Tag("RESP-MODEL")
  void namesTheModel(RunContext run) {
    schemaRule(run, "RESP-MODEL");
  }

  @Test
  @Tag("RESP-OBJECT")
  void isAChatCompletionObject(RunContext run) {
    schemaRule(run, "RESP-OBJECT");
  }

  @Test
  @Tag("RESP-CHOICES")
  void hasChoices(RunContext run) {
    schemaRule(run, "RESP-CHOICES");
  }

  @Test
  @Tag("RESP-CHOICE-INDEX")
  void indexesEachChoice(RunContext run) {
    schemaRule(run, "RESP-CHOICE-INDEX");
  }

  @Test
  @Tag("RESP-MESSAGE")
  void answersAsTheAssistant(RunContext run) {
    schemaRule(run, "RESP-MESSAGE");
  }

  @Test
  @Tag("RESP-FINISH-REASON")
  void givesAFinishReason(RunContext run) {
    schemaRule(run, "RESP-FINISH-REASON");
  }

  @Test
  @Tag("RESP-CREATED")
  void carriesCreatedInUnixSeconds(RunContext run) {
    schemaRule(run, "RESP-CREATED");
    for (Exchange answer : both(run)) {
      Optional<String> wrong = Evidence.implausibleCreated(answer.json().path("created"));
      Expect.that(wrong.isEmpty(), "created in Unix seconds", wrong.orElse(""));
    }
  }

  @Test
  @Tag("RESP-ID")
  void carriesAnId(RunContext run) {
    schemaRule(run, "RESP-ID");
  }

  @Test
  @Tag("RESP-USAGE")
  void reportsUsage(RunContext run) {
    schemaRule(run, "RESP-USAGE");
  }

  @Test
  @Tag("RESP-USAGE-TOTAL")
  void addsUpUsage(RunContext run) {
    int checked = 0;
    for (Exchange answer : both(run)) {
      JsonNode usage = Expect.jsonObject(answer).path("usage");
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
    assumeTrue(checked > 0, noUsage(run));
  }

  @Test
  @Tag("RESP-USAGE-MAX-TOKENS")
  void keepsCompletionTokensWithinMaxTokens(RunContext run) {
    int checked = 0;
    int[] limits = {MAX_TOKENS, 1};
    List<Exchange> answers = both(run);
    for (int i = 0; i < answers.size(); i++) {
      JsonNode usage = Expect.jsonObject(answers.get(i)).path("usage");
      if (usage.isObject()) {
        long completion = usage.path("completion_tokens").asLong(-1);
        Expect.that(
            completion <= limits[i],
            "completion_tokens <= max_tokens " + limits[i],
            "completion_tokens " + completion);
        checked++;
      }
    }
    assumeTrue(checked > 0, noUsage(run));
  }

  private static String noUsage(RunContext run) {
    return run.target().profile() == Profile.OPENAI
        ? "neither completion carries usage (RESP-USAGE fails for that)"
        : "neither completion carries usage (optional in the documented profile)";
  }

  @Test
  @Tag("RESP-LENGTH-FINISH")
  void reportsLengthWhenMaxTokensCuts(RunContext run) {
    Exchange whole = full(run);
    Exchange cut = cut(run);
    Expect.jsonObject(whole);
    String finish = Expect.jsonObject(cut).path("choices").path(0).path("finish_reason").asText("");
    if (finish.equals("length")) {
      Expect.that(true, "finish_reason length", finish);
      return;
    }
    assumeTrue(
        Evidence.longerThanOneToken(whole) || Evidence.longerThanOneToken(cut),
        "the greedy answer '"
            + Evidence.content(whole)
            + "' may be a single token, so max_tokens 1 need not cut it");
    Expect.that(
        false,
        "finish_reason length for an answer that max_tokens 1 had to cut",
        "'"
            + finish
            + "' with "
            + Evidence.completionTokens(cut).map(n -> n + " tokens: ").orElse("")
            + "'"
            + clip(Evidence.content(cut))
            + "'");
  }

  private static String clip(String text) {
    return text.length() > 60 ? text.substring(0, 60) + "…" : text;
  }
}
