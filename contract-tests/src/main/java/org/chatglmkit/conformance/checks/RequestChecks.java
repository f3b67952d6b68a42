package org.chatglmkit.conformance.checks;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import org.chatglmkit.conformance.http.Call;
import org.chatglmkit.conformance.http.ChatGlmClient;
import org.chatglmkit.conformance.http.Exchange;
import org.chatglmkit.schemas.Profile;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;

/**
 * Section 3: each invalid request is refused with 400 and names its field; every legal variation,
 * the edges of each range among them, is accepted. The requests go out at once and each rule is
 * judged on its own.
 */
@ConformanceCheck
class RequestChecks {
  /** Every invalid request of the profile and its answer, sent once for all the rules. */
  private Map<InvalidRequest, Exchange> refusals;

  /** The invalid requests of the profile. */
  static List<InvalidRequest> invalidRequests(Profile profile) {
    return InvalidRequest.ALL.stream()
        .filter(r -> !r.rule().equals("REQ-STREAM") || profile == Profile.OPENAI)
        .toList();
  }

  /** The invalid requests as calls, each marked as a client's mistake. */
  static List<Call> refusalCalls(ChatGlmClient client) {
    return invalidRequests(client.target().profile()).stream()
        .map(r -> Call.chat(r.body(), client.auth()).mistake(r.what()))
        .toList();
  }

  /** The legal variations of the profile as calls. */
  static List<Call> legalCalls(ChatGlmClient client) {
    return LegalVariation.forProfile(client.target().profile()).stream()
        .map(
            v ->
                new Call(
                    "POST",
                    ChatGlmClient.CHAT_PATH,
                    client.auth(),
                    v.contentType(),
                    v.body().getBytes(StandardCharsets.UTF_8),
                    null))
        .toList();
  }

  private synchronized Map<InvalidRequest, Exchange> refusals(RunContext run) {
    if (refusals == null) {
      List<InvalidRequest> requests = invalidRequests(run.target().profile());
      List<Exchange> answers = run.batch(RunContext.REFUSALS);
      refusals = new LinkedHashMap<>();
      for (int i = 0; i < requests.size(); i++) {
        refusals.put(requests.get(i), answers.get(i));
      }
    }
    return refusals;
  }

  @Test
  @Tag("REQ-BODY-JSON-OBJECT")
  void refusesABodyThatIsNotAJsonObject(RunContext run) {
    refuses(run, "REQ-BODY-JSON-OBJECT");
  }

  @Test
  @Tag("REQ-MESSAGES")
  void refusesMissingOrEmptyMessages(RunContext run) {
    refuses(run, "REQ-MESSAGES");
  }

  @Test
  @Tag("REQ-MESSAGE-OBJECT")
  void refusesAMessageThatIsNotAnObject(RunContext run) {
    refuses(run, "REQ-MESSAGE-OBJECT");
  }

  @Test
  @Tag("REQ-MESSAGE-ROLE")
  void refusesAMissingOrUnknownRole(RunContext run) {
    refuses(run, "REQ-MESSAGE-ROLE");
  }

  @Test
  @Tag("REQ-MESSAGE-CONTENT")
  void refusesMissingOrNonTextContent(RunContext run) {
    refuses(run, "REQ-MESSAGE-CONTENT");
  }

  @Test
  @Tag("REQ-MESSAGE-NAME")
  void refusesABadName(RunContext run) {
    refuses(run, "REQ-MESSAGE-NAME");
  }

  @Test
  @Tag("REQ-HISTORY")
  void refusesABadHistory(RunContext run) {
    refuses(run, "REQ-HISTORY");
  }

  @Test
  @Tag("REQ-TEMPERATURE")
  void refusesATemperatureOutsideZeroToTwo(RunContext run) {
    refuses(run, "REQ-TEMPERATURE");
  }

  @Test
  @Tag("REQ-MAX-TOKENS")
  void refusesMaxTokensBelowOneOrNotAnInteger(RunContext run) {
    refuses(run, "REQ-MAX-TOKENS");
  }

  @Test
  @Tag("REQ-STREAM")
  void refusesANonBooleanStream(RunContext run) {
    refuses(run, "REQ-STREAM");
  }

  private void refuses(RunContext run, String rule) {
    List<String> wrong = new ArrayList<>();
    int all = 0;
    int judged = 0;
    for (Map.Entry<InvalidRequest, Exchange> refusal : refusals(run).entrySet()) {
      InvalidRequest request = refusal.getKey();
      Exchange answer = refusal.getValue();
      if (!request.rule().equals(rule)) {
        continue;
      }
      all++;
      if (Expect.busy(answer) || answer.stoppedByTimeLimit()) {
        continue; // says nothing about the rule; the others still judge it
      }
      judged++;
      Observations.saw();
      if (answer.status() != 400) {
        wrong.add(request.what() + " got " + answer.brief());
      }
    }
    if (!wrong.isEmpty()) {
      throw new AssertionFailedError(
          "expected 400 for every request breaking " + rule + "; " + String.join("; ", wrong));
    }
    Expect.someJudged(judged, all, "the requests breaking " + rule);
  }

  @Test
  @Tag("REQ-INVALID-400")
  void namesTheFieldInTheError(RunContext run) {
    Map<InvalidRequest, Exchange> all = new LinkedHashMap<>();
    refusals(run)
        .forEach(
            (request, answer) -> {
              if (!Expect.busy(answer) && !answer.stoppedByTimeLimit()) {
                all.put(request, answer);
              }
            });
    Expect.someJudged(all.size(), refusals(run).size(), "the invalid requests");
    List<Map.Entry<InvalidRequest, Exchange>> refused =
        all.entrySet().stream().filter(e -> e.getValue().status() == 400).toList();
    if (refused.isEmpty()) {
      Map<String, Long> statuses =
          all.values().stream()
              .collect(
                  Collectors.groupingBy(
                      e -> e.status() == 0 ? "no answer" : String.valueOf(e.status()),
                      LinkedHashMap::new,
                      Collectors.counting()));
      Expect.that(
          false,
          "400 with an error body naming the field for the " + all.size() + " invalid requests",
          "no 400 at all: " + statuses);
    }
    List<String> unnamed = new ArrayList<>();
    for (Map.Entry<InvalidRequest, Exchange> refusal : refused) {
      Exchange answer = refusal.getValue();
      InvalidRequest request = refusal.getKey();
      Observations.saw();
      if (!answer.json().path("error").isObject()) {
        unnamed.add(request.what() + ": no error body (" + answer.brief() + ")");
        continue;
      }
      String leaf = request.leaf().toLowerCase(Locale.ROOT);
      boolean named =
          leaf.isEmpty()
              || answer.errorParam().toLowerCase(Locale.ROOT).contains(leaf)
              || answer.errorMessage().toLowerCase(Locale.ROOT).contains(leaf);
      if (!named) {
        unnamed.add(
            request.what()
                + ": '"
                + request.field()
                + "' named neither in error.param nor error.message ("
                + answer.brief()
                + ")");
      }
    }
    Expect.that(
        unnamed.isEmpty(),
        "each 400 to name its field",
        unnamed.size()
            + " that do not: "
            + String.join("; ", unnamed.subList(0, Math.min(3, unnamed.size()))));
  }

  @Test
  @Tag("REQ-LEGAL-VARIATIONS")
  @Needs(Needs.Part.COMPLETION)
  void acceptsEveryLegalVariation(RunContext run) {
    List<LegalVariation> variations = LegalVariation.forProfile(run.target().profile());
    List<Exchange> answers = run.batch(RunContext.LEGAL_VARIATIONS);
    List<String> refused = new ArrayList<>();
    int judged = 0;
    for (int i = 0; i < variations.size(); i++) {
      if (Expect.busy(answers.get(i)) || answers.get(i).stoppedByTimeLimit()) {
        continue; // says nothing about the variation
      }
      judged++;
      Observations.saw();
      if (answers.get(i).status() != 200 || answers.get(i).failure() != null) {
        refused.add(variations.get(i).what() + " got " + answers.get(i).brief());
      }
    }
    Expect.someJudged(judged, variations.size(), "the legal variations");
    Expect.that(refused.isEmpty(), "200 for every legal variation", String.join("; ", refused));
  }
}
