package org.chatglmkit.conformance.checks;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.chatglmkit.conformance.http.Call;
import org.chatglmkit.conformance.http.ChatGlmClient;
import org.chatglmkit.conformance.http.Exchange;
import org.chatglmkit.schemas.ChatGlmSchemas;
import org.chatglmkit.schemas.Shape;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Sections 1, 3 and 5: unknown paths, the body limit, and no 500 for a client's mistake. */
@ConformanceCheck
class TransportChecks {

  @Test
  @Tag("TRANSPORT-UNKNOWN-PATH-404")
  void answersUnknownPathsWithAJson404(ChatGlmClient client) {
    List<Exchange> answers =
        client.sendAll(
            List.of(
                new Call("GET", "/v1/no-such-resource", client.auth(), null, null, null)
                    .mistake("an unknown path"),
                new Call(
                        "POST",
                        "/v1/chat/completion",
                        client.auth(),
                        "application/json",
                        Requests.minimal().getBytes(StandardCharsets.UTF_8),
                        null)
                    .mistake("a misspelt path")));
    for (Exchange answer : answers) {
      Expect.status(answer, 404);
      Expect.that(answer.isJson(), answer.request() + " with a JSON body", answer.brief());
      Expect.errorBody(answer);
    }
  }

  @Test
  @Tag("TRANSPORT-BODY-LIMIT")
  void refusesAnOversizedBodyWithoutA500(ChatGlmClient client, RunContext run) {
    String padding = "x".repeat(run.oversizedBytes());
    String body =
        "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"max_tokens\": 1,"
            + " \"x_padding\": \""
            + padding
            + "\"}";
    Exchange answer =
        client.send(
            Call.chat(body, client.auth()).mistake("a body of " + body.length() + " bytes"));
    Expect.judgeable(answer);
    assumeTrue(
        answer.status() != 200,
        "the target accepted " + body.length() + " bytes: its body limit is higher");
    Expect.status(answer, 413, 400);
  }

  @Test
  @Tag("ERR-NO-500-FOR-CLIENT-ERROR")
  void neverAnswers500ToAClientMistake(RunContext run) {
    List<Exchange> answers = run.batch(RunContext.MISTAKES);
    List<String> failures = new ArrayList<>();
    int judged = 0;
    for (int i = 0; i < answers.size(); i++) {
      Exchange answer = answers.get(i);
      if (Expect.busy(answer) || answer.stoppedByTimeLimit()) {
        continue; // busy (429, 529) after every retry: says nothing about the mistake
      }
      judged++;
      Observations.saw();
      if (answer.status() >= 500) {
        failures.add(Mistake.ALL.get(i).what() + " got " + answer.brief());
      }
    }
    Expect.that(failures.isEmpty(), "no 5xx for any client mistake", String.join("; ", failures));
    Expect.someJudged(judged, answers.size(), "the client mistakes");
  }

  @Test
  @Tag("MODELS-LIST")
  void listsModels(ChatGlmClient client, RunContext run) {
    Exchange answer = run.baseline().models();
    if (answer == null) {
      answer = client.get("/v1/models", client.auth());
    }
    Expect.status(answer, 200);
    Expect.that(
        ChatGlmSchemas.get()
            .validate(Shape.MODEL_LIST, client.target().profile(), answer.body())
            .isEmpty(),
        "a model list {\"object\": \"list\", \"data\": [...]}",
        answer.brief());
  }

  /** The mistakes as calls. */
  static List<Call> mistakeCalls(ChatGlmClient client) {
    return Mistake.ALL.stream()
        .map(
            m ->
                new Call(
                    "POST",
                    ChatGlmClient.CHAT_PATH,
                    client.auth(),
                    m.contentType(),
                    m.body(),
                    m.what()))
        .toList();
  }

  /** A body a careless client might send. */
  private record Mistake(String what, String contentType, byte[] body) {
    static Mistake json(String what, String body) {
      return new Mistake(what, "application/json", body.getBytes(StandardCharsets.UTF_8));
    }

    static final List<Mistake> ALL =
        List.of(
            json("malformed JSON", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\""),
            json("a JSON array", "[1, 2, 3]"),
            json("an empty body", ""),
            json("JSON null", "null"),
            json(
                "deeply nested arrays",
                "{\"messages\": " + "[".repeat(5_000) + "]".repeat(5_000) + "}"),
            json("messages as a number", "{\"messages\": 12}"),
            json("a message as null", "{\"messages\": [null]}"),
            json(
                "a temperature too large for a double",
                "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"temperature\":"
                    + " 1e400}"),
            json(
                "max_tokens beyond 64 bits (a legal integer; any answer but a 5xx)",
                "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"max_tokens\":"
                    + " 123456789012345678901234567890}"),
            new Mistake(
                "invalid UTF-8",
                "application/json",
                new byte[] {'{', '"', 'm', '"', ':', (byte) 0xC3, (byte) 0x28, '}'}),
            new Mistake(
                "a text/plain body",
                "text/plain",
                "messages please".getBytes(StandardCharsets.UTF_8)));
  }
}
