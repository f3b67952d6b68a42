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

  private synchronized Map<InvalidRequest, Exchange> refusals(ChatGlmClient client) {
    if (refusals == null) {
      List<InvalidRequest> requests =
          InvalidRequest.ALL.stream()
              .filter(
                  r ->
                      !r.rule().equals("REQ-STREAM") || client.target().profile() == Profile.OPENAI)
              .toList();
      List<Exchange> answers =
          client.sendAll(
              requests.stream()
                  .map(r -> Call.chat(r.body(), client.auth()).mistake(r.what()))
                  .toList());
      refusals = new LinkedHashMap<>();
      for (int i = 0; i < requests.size(); i++) {
        refusals.put(requests.get(i), answers.get(i));
      }
    }
    return refusals;
  }

  @Test
  @Tag("REQ-BODY-JSON-OBJECT")
  void refusesABodyThatIsNotAJsonObject(ChatGlmClient client) {
    refuses(client, "REQ-BODY-JSON-OBJECT");
  }

  @Test
  @Tag("REQ-MESSAGES")
  void refusesMissingOrEmptyMessages(ChatGlmClient client) {
    refuses(client, "REQ-MESSAGES");
  }

  @Test
  @Tag("REQ-MESSAGE-OBJECT")
  void refusesAMessageThatIsNotAnObject(ChatGlmClient client) {
    refuses(client, "REQ-MESSAGE-OBJECT");
  }

  @Test
  @Tag("REQ-MESSAGE-ROLE")
  void refusesAMissingOrUnknownRole(ChatGlmClient client) {
    refuses(client, "REQ-MESSAGE-ROLE");
  }

  @Test
  @Tag("REQ-MESSAGE-CONTENT")
  void refusesMissingOrNonTextContent(ChatGlmClient client) {
    refuses(client, "REQ-MESSAGE-CONTENT");
  }

  @Test
  @Tag("REQ-MESSAGE-NAME")
  void refusesABadName(ChatGlmClient client) {
    refuses(client, "REQ-MESSAGE-NAME");
  }

  @Test
  @Tag("REQ-HISTORY")
  void refusesABadHistory(ChatGlmClient client) {
    refuses(client, "REQ-HISTORY");
  }

  @Test
  @Tag("REQ-TEMPERATURE")
  void refusesATemperatureOutsideZeroToTwo(ChatGlmClient client) {
    refuses(client, "REQ-TEMPERATURE");
  }

  @Test
  @Tag("REQ-MAX-TOKENS")
  void refusesMaxTokensBelowOneOrNotAnInteger(ChatGlmClient client) {
    refuses(client, "REQ-MAX-TOKENS");
  }

  @Test
  @Tag("REQ-STREAM")
  void refusesANonBooleanStream(ChatGlmClient client) {
    refuses(client, "REQ-STREAM");
  }

  private void refuses(ChatGlmClient client, String rule) {
    List<String> wrong = new ArrayList<>();
    refusals(client)
        .forEach(
            (request, answer) -> {
              if (request.rule().equals(rule)) {
                Expect.notStoppedByTheRun(answer);
                Observations.saw();
                if (answer.status() != 400) {
                  wrong.add(request.what() + " got " + answer.brief());
                }
              }
            });
    if (!wrong.isEmpty()) {
      throw new AssertionFailedError(
          "expected 400 for every request breaking " + rule + "; " + String.join("; ", wrong));
    }
  }

  @Test
  @Tag("REQ-INVALID-400")
  void namesTheFieldInTheError(ChatGlmClient client) {
    Map<InvalidRequest, Exchange> all = refusals(client);
    all.values().forEach(Expect::notStoppedByTheRun);
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
  void acceptsEveryLegalVariation(ChatGlmClient client) {
    List<LegalVariation> variations = LegalVariation.forProfile(client.target().profile());
    List<Exchange> answers =
        client.sendAll(
            variations.stream()
                .map(
                    v ->
                        new Call(
                            "POST",
                            ChatGlmClient.CHAT_PATH,
                            client.auth(),
                            v.contentType(),
                            v.body().getBytes(StandardCharsets.UTF_8),
                            null))
                .toList());
    List<String> refused = new ArrayList<>();
    for (int i = 0; i < variations.size(); i++) {
      Expect.notStoppedByTheRun(answers.get(i));
      Observations.saw();
      if (answers.get(i).status() != 200 || answers.get(i).failure() != null) {
        refused.add(variations.get(i).what() + " got " + answers.get(i).brief());
      }
    }
    Expect.that(refused.isEmpty(), "200 for every legal variation", String.join("; ", refused));
  }
}
