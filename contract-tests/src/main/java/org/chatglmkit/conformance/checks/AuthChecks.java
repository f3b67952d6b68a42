package org.chatglmkit.conformance.checks;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.chatglmkit.conformance.http.Auth;
import org.chatglmkit.conformance.http.Call;
import org.chatglmkit.conformance.http.ChatGlmClient;
import org.chatglmkit.conformance.http.Exchange;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.opentest4j.TestAbortedException;

/** Section 2: both key headers, 401 for a missing or unknown key, 403 for a forbidden one. */
@ConformanceCheck
class AuthChecks {
  /** A key no server knows; long enough that an echo of it is unmistakable. */
  private static final String UNKNOWN_KEY = "unknown-" + UUID.randomUUID();

  @Test
  @Tag("AUTH-API-KEY-HEADER")
  void acceptsTheKeyInTheApiKeyHeader(RunContext run) {
    // The baseline's first request carries the key in API-KEY. Refused, it fails this rule; any
    // other failure of it is the baseline's, which blocks this rule.
    Exchange answer = run.baseline().apiKeyAttempt();
    Expect.judgeable(answer);
    if (answer.status() != 401 && answer.status() != 403 && answer.status() != 200) {
      throw new TestAbortedException(
          ConformanceExtension.BLOCKED + run.baseline().rootCause().orElse(answer.brief()));
    }
    Expect.status(answer, 200);
  }

  @Test
  @Tag("AUTH-BEARER-HEADER")
  @Needs(Needs.Part.COMPLETION)
  void acceptsTheKeyAsABearerToken(RunContext run) {
    Expect.status(run.shared("bearer"), 200);
  }

  @Test
  @Tag("AUTH-MISSING-KEY-401")
  void refusesARequestWithoutAKey(ChatGlmClient client) {
    Exchange answer = client.send(Call.chat(Requests.minimal(), Auth.none()).mistake("no key"));
    Expect.status(answer, 401);
    Expect.errorBody(answer);
  }

  @Test
  @Tag("AUTH-UNKNOWN-KEY-401")
  void refusesAnUnknownKey(ChatGlmClient client) {
    List<Exchange> answers =
        client.sendAll(
            List.of(
                Call.chat(Requests.minimal(), Auth.apiKey(UNKNOWN_KEY)).mistake("an unknown key"),
                Call.chat(Requests.minimal(), Auth.bearer(UNKNOWN_KEY))
                    .mistake("an unknown bearer token")));
    for (Exchange answer : answers) {
      Expect.status(answer, 401);
      Expect.errorBody(answer);
    }
  }

  @Test
  @Tag("AUTH-FORBIDDEN-KEY-403")
  void refusesAForbiddenKeyWith403(ChatGlmClient client) {
    assumeTrue(
        client.target().forbidden().isPresent(),
        "no forbidden key given (--forbidden-key or CHATGLM_FORBIDDEN_KEY)");
    Exchange answer =
        client.send(
            Call.chat(Requests.minimal(), client.auth(client.target().forbiddenKey()))
                .mistake("a forbidden key"));
    Expect.status(answer, 403);
    Expect.errorBody(answer);
  }

  @Test
  @Tag("AUTH-KEY-NOT-ECHOED")
  void neverEchoesTheKeyInAnError(ChatGlmClient client) {
    String key = client.target().apiKey();
    List<String> keys = new ArrayList<>(List.of(UNKNOWN_KEY, UNKNOWN_KEY, key));
    List<Call> calls =
        new ArrayList<>(
            List.of(
                Call.chat(Requests.minimal(), Auth.apiKey(UNKNOWN_KEY)).mistake("an unknown key"),
                Call.chat(Requests.minimal(), Auth.bearer(UNKNOWN_KEY))
                    .mistake("an unknown bearer token"),
                Call.chat("{\"messages\": []}", client.auth()).mistake("empty messages")));
    client
        .target()
        .forbidden()
        .ifPresent(
            forbidden -> {
              keys.add(forbidden);
              calls.add(
                  Call.chat(Requests.minimal(), client.auth(forbidden)).mistake("a forbidden key"));
            });
    List<Exchange> answers = client.sendAll(calls);
    int errors = 0;
    for (int i = 0; i < answers.size(); i++) {
      Exchange answer = answers.get(i);
      Expect.judgeable(answer);
      if (answer.status() >= 400 && keys.get(i).length() > 4) {
        errors++;
        Expect.that(
            !answer.body().contains(keys.get(i)),
            answer.request() + " answering " + answer.status() + " without the key",
            "the full key in the error body");
      }
    }
    assumeTrue(errors > 0, "none of these requests got an error answer to look for the key in");
  }
}
