package org.chatglmkit.conformance.checks;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.chatglmkit.conformance.http.Auth;
import org.chatglmkit.conformance.http.ChatGlmClient;
import org.chatglmkit.conformance.http.Exchange;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Section 2: both key headers, 401 for a missing or unknown key, 403 for a forbidden one. */
@ConformanceCheck
class AuthChecks {
  /** A key no server knows; long enough that an echo of it is unmistakable. */
  private static final String UNKNOWN_KEY = "unknown-" + UUID.randomUUID();

  @Test
  @Tag("AUTH-API-KEY-HEADER")
  void acceptsTheKeyInTheApiKeyHeader(ChatGlmClient client) {
    Expect.status(client.chat(Requests.minimal(), Auth.apiKey(client.target().apiKey())), 200);
  }

  @Test
  @Tag("AUTH-BEARER-HEADER")
  void acceptsTheKeyAsABearerToken(ChatGlmClient client) {
    Expect.status(client.chat(Requests.minimal(), Auth.bearer(client.target().apiKey())), 200);
  }

  @Test
  @Tag("AUTH-MISSING-KEY-401")
  void refusesARequestWithoutAKey(ChatGlmClient client) {
    Exchange answer = client.chat(Requests.minimal(), Auth.none());
    Expect.status(answer, 401);
    Expect.errorBody(answer);
  }

  @Test
  @Tag("AUTH-UNKNOWN-KEY-401")
  void refusesAnUnknownKey(ChatGlmClient client) {
    for (Auth auth : List.of(Auth.apiKey(UNKNOWN_KEY), Auth.bearer(UNKNOWN_KEY))) {
      Exchange answer = client.chat(Requests.minimal(), auth);
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
    Exchange answer = client.chat(Requests.minimal(), Auth.apiKey(client.target().forbiddenKey()));
    Expect.status(answer, 403);
    Expect.errorBody(answer);
  }

  @Test
  @Tag("AUTH-KEY-NOT-ECHOED")
  void neverEchoesTheKeyInAnError(ChatGlmClient client) {
    String key = client.target().apiKey();
    List<Sent> sent = new ArrayList<>();
    sent.add(new Sent(UNKNOWN_KEY, client.chat(Requests.minimal(), Auth.apiKey(UNKNOWN_KEY))));
    sent.add(new Sent(UNKNOWN_KEY, client.chat(Requests.minimal(), Auth.bearer(UNKNOWN_KEY))));
    sent.add(new Sent(key, client.chat("{\"messages\": []}", Auth.apiKey(key))));
    client
        .target()
        .forbidden()
        .ifPresent(
            forbidden ->
                sent.add(
                    new Sent(forbidden, client.chat(Requests.minimal(), Auth.apiKey(forbidden)))));
    for (Sent one : sent) {
      if (one.answer().status() >= 400 && one.key().length() > 4) {
        Expect.that(
            !one.answer().body().contains(one.key()),
            one.answer().request() + " answering " + one.answer().status() + " without the key",
            "the full key in the error body");
      }
    }
  }

  private record Sent(String key, Exchange answer) {}
}
