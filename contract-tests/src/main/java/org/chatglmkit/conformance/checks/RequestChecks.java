package org.chatglmkit.conformance.checks;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.chatglmkit.conformance.http.ChatGlmClient;
import org.chatglmkit.conformance.http.Exchange;
import org.chatglmkit.schemas.Profile;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.opentest4j.AssertionFailedError;

/** Section 3: each invalid request is refused with 400; every legal variation is accepted. */
@ConformanceCheck
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RequestChecks {
  /** Answers to the invalid requests, kept for the check that the error names the field. */
  private final List<Refusal> refusals = new ArrayList<>();

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
    for (InvalidRequest request : InvalidRequest.forRule(rule)) {
      Exchange answer = client.chat(request.body());
      if (answer.status() == 400) {
        synchronized (refusals) {
          refusals.add(new Refusal(request, answer));
        }
      } else {
        wrong.add(request.what() + " got " + answer.brief());
      }
    }
    if (!wrong.isEmpty()) {
      throw new AssertionFailedError(
          "expected 400 for every request breaking " + rule + "; " + String.join("; ", wrong));
    }
  }

  @Test
  @Order(Integer.MAX_VALUE)
  @Tag("REQ-INVALID-400")
  void namesTheFieldInTheError(ChatGlmClient client) {
    if (refusals.isEmpty()) {
      for (InvalidRequest request : InvalidRequest.ALL) {
        if (!request.rule().equals("REQ-STREAM") || client.target().profile() == Profile.OPENAI) {
          Exchange answer = client.chat(request.body());
          if (answer.status() == 400) {
            refusals.add(new Refusal(request, answer));
          }
        }
      }
    }
    List<String> unnamed = new ArrayList<>();
    for (Refusal refusal : refusals) {
      Exchange answer = refusal.answer();
      if (!answer.json().path("error").isObject()) {
        unnamed.add(refusal.request().what() + ": no error body (" + answer.brief() + ")");
        continue;
      }
      String leaf = refusal.request().leaf().toLowerCase(Locale.ROOT);
      boolean named =
          leaf.isEmpty()
              || answer.errorParam().toLowerCase(Locale.ROOT).contains(leaf)
              || answer.errorMessage().toLowerCase(Locale.ROOT).contains(leaf);
      if (!named) {
        unnamed.add(
            refusal.request().what()
                + ": '"
                + refusal.request().field()
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
  void acceptsEveryLegalVariation(ChatGlmClient client) {
    List<String> refused = new ArrayList<>();
    for (LegalVariation variation : LegalVariation.forProfile(client.target().profile())) {
      Exchange answer =
          client.send(
              "POST",
              ChatGlmClient.CHAT_PATH,
              client.auth(),
              variation.contentType(),
              variation.body().getBytes(StandardCharsets.UTF_8));
      if (answer.status() != 200) {
        refused.add(variation.what() + " got " + answer.brief());
      }
    }
    Expect.that(refused.isEmpty(), "200 for every legal variation", String.join("; ", refused));
  }

  private record Refusal(InvalidRequest request, Exchange answer) {}
}
