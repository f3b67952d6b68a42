package org.chatglmkit.conformance.checks;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.chatglmkit.conformance.http.Auth;
import org.chatglmkit.conformance.http.Call;
import org.chatglmkit.conformance.http.ChatGlmClient;
import org.chatglmkit.conformance.http.Exchange;
import org.chatglmkit.conformance.http.StreamResult;
import org.chatglmkit.schemas.Profile;

/**
 * Every exchange that the checks judge and that depends on no other, sent at once: the checks then
 * only wait for their answers, and a slow target is waited on concurrently, not check after check.
 */
record Prefetch(
    Map<String, CompletableFuture<Exchange>> answers,
    Map<String, List<CompletableFuture<Exchange>>> batches,
    CompletableFuture<StreamResult> stream,
    CompletableFuture<StreamResult> toolStream) {

  static Prefetch none() {
    return new Prefetch(Map.of(), Map.of(), null, null);
  }

  static Prefetch send(ChatGlmClient client) {
    Map<String, CompletableFuture<Exchange>> answers = new LinkedHashMap<>();
    Map<String, List<CompletableFuture<Exchange>>> batches = new LinkedHashMap<>();
    // Refusals and mistakes are mostly answered at once: ahead of the answers that take long.
    batches.put(RunContext.REFUSALS, later(client, RequestChecks.refusalCalls(client)));
    batches.put(RunContext.MISTAKES, later(client, TransportChecks.mistakeCalls(client)));
    answers.put(
        "full", client.later(Call.chat(Requests.chat(CompletionChecks.MAX_TOKENS), client.auth())));
    CompletableFuture<StreamResult> stream =
        client.target().profile() == Profile.OPENAI
            ? client.streamLater(Requests.stream(CompletionChecks.MAX_TOKENS))
            : null;
    answers.put(
        "bearer",
        client.later(Call.chat(Requests.minimal(), Auth.bearer(client.target().apiKey()))));
    answers.put("cut", client.later(Call.chat(Requests.chat(1), client.auth())));
    batches.put(RunContext.LEGAL_VARIATIONS, later(client, RequestChecks.legalCalls(client)));
    answers.put(
        ToolChecks.FUNCTION_MESSAGES,
        client.later(Call.chat(ToolRequests.functionMessages(), client.auth())));
    CompletableFuture<StreamResult> toolStream = null;
    if (client.target().profile() == Profile.OPENAI) {
      ToolChecks.requests()
          .forEach((name, body) -> answers.put(name, client.later(Call.chat(body, client.auth()))));
      toolStream = client.streamLater(ToolRequests.namedStream());
      batches.put(RunContext.TOOL_REFUSALS, later(client, ToolChecks.refusalCalls(client)));
    }
    return new Prefetch(answers, batches, stream, toolStream);
  }

  private static List<CompletableFuture<Exchange>> later(ChatGlmClient client, List<Call> calls) {
    return calls.stream().map(client::later).toList();
  }
}
