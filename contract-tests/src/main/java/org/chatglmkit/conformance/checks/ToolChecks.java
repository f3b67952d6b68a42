package org.chatglmkit.conformance.checks;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.chatglmkit.conformance.http.Call;
import org.chatglmkit.conformance.http.ChatGlmClient;
import org.chatglmkit.conformance.http.Exchange;
import org.chatglmkit.conformance.http.StreamResult;
import org.chatglmkit.mockserver.client.ToolCalls;
import org.chatglmkit.mockserver.core.Json;
import org.chatglmkit.schemas.ChatGlmSchemas;
import org.chatglmkit.schemas.Profile;
import org.chatglmkit.schemas.Shape;
import org.chatglmkit.schemas.ToolParameters;
import org.chatglmkit.schemas.Violation;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

/**
 * Section 8: function and tool calls. The requests of {@link ToolRequests} go out up front; each
 * rule is judged on their answers. A target may support no tools at all: when none of the requests
 * that ask for a call gets one, every tool rule is skipped with that reason ({@code --require
 * tools} fails them instead). A target that calls is held to every rule.
 */
@ConformanceCheck
@Needs(Needs.Part.COMPLETION)
class ToolChecks {
  static final String FUNCTION_MESSAGES = "function-messages";
  static final String AUTO = "tools-auto";
  static final String NAMED = "tools-named";
  static final String REQUIRED = "tools-required";
  static final String NONE = "tools-none";
  static final String LEGACY = "tools-legacy";
  static final String RESULT = "tools-result";

  /** How a skipped tool rule's reason starts. */
  static final String NO_CALLS = RunContext.NO_TOOL_CALLS;

  /** The tool requests sent up front (openai profile), by name. */
  static Map<String, String> requests() {
    Map<String, String> requests = new LinkedHashMap<>();
    requests.put(AUTO, ToolRequests.auto());
    requests.put(NAMED, ToolRequests.named());
    requests.put(REQUIRED, ToolRequests.required());
    requests.put(NONE, ToolRequests.none());
    requests.put(LEGACY, ToolRequests.legacy());
    requests.put(RESULT, ToolRequests.result());
    return requests;
  }

  /** The broken tool input as calls, each marked as a client's mistake. */
  static List<Call> refusalCalls(ChatGlmClient client) {
    return ToolRequests.broken().stream()
        .map(b -> Call.chat(b.body(), client.auth()).mistake(b.what()))
        .toList();
  }

  /** An answer to a tool request, observed: the exchange and the calls it made. */
  private record Answer(String name, Exchange exchange, ToolCalls calls) {}

  private static Answer answer(RunContext run, String name) {
    Exchange exchange = run.shared(name);
    Expect.judgeable(exchange);
    JsonNode json = exchange.status() == 200 ? exchange.json() : Json.MAPPER.missingNode();
    return new Answer(name, exchange, ToolCalls.ofCompletion(json));
  }

  /** The answers to the requests that ask for a call, in {@code tools} or in {@code functions}. */
  private static List<Answer> asking(RunContext run) {
    return List.of(answer(run, AUTO), answer(run, NAMED), answer(run, REQUIRED));
  }

  /** The streamed named call, assembled. */
  private static ToolCalls streamed(RunContext run) {
    StreamResult stream = run.sharedToolStream();
    Expect.judgeable(stream);
    return stream.ended() ? ToolCalls.ofStream(stream.chunks()) : ToolCalls.ofStream(List.of());
  }

  /**
   * Goes on only when the target called a tool at least once: otherwise the rule is skipped, or
   * fails when the run requires tools.
   */
  private static void expectCalls(RunContext run) {
    boolean called = asking(run).stream().anyMatch(a -> a.calls().any());
    called |= answer(run, LEGACY).calls().any() || streamed(run).any();
    if (called) {
      return;
    }
    String why =
        NO_CALLS
            + ": none of its answers to tool_choice auto, required, a named function, the older"
            + " functions, or the streamed named call held a call";
    if (run.requires("tools")) {
      Observations.saw();
      throw new AssertionFailedError("expected tool calls (--require tools), got none: " + why);
    }
    throw new TestAbortedException(why);
  }

  /** Aborts (not judged) a check that met nothing to judge: it must not pass on nothing. */
  private static void met(int seen, String what) {
    if (seen == 0) {
      throw new TestAbortedException("no " + what + " met in the target's answers");
    }
  }

  @Test
  @Tag("TOOLS-REQUEST-ACCEPTED")
  void acceptsARequestThatOffersTools(RunContext run) {
    expectCalls(run);
    for (String name : List.of(AUTO, NAMED, REQUIRED, NONE, LEGACY)) {
      Expect.status(run.shared(name), 200);
    }
  }

  @Test
  @Tag("TOOLS-CALL-SHAPE")
  void writesEachCallInOpenAisShape(RunContext run) {
    expectCalls(run);
    List<String> wrong = new ArrayList<>();
    for (Answer answer : asking(run)) {
      if (!answer.calls().any()) {
        continue;
      }
      Observations.saw();
      shape(answer.name(), answer.calls(), wrong);
      ChatGlmSchemas.get()
          .validate(Shape.COMPLETION, Profile.OPENAI, answer.exchange().body())
          .stream()
          .filter(v -> v.ruleId().equals("TOOLS-CALL-SHAPE"))
          .limit(2)
          .forEach(v -> wrong.add(answer.name() + ": " + v));
    }
    ToolCalls stream = streamed(run);
    if (stream.any() || !stream.problems().isEmpty()) {
      Observations.saw();
      shape("the streamed named call", stream, wrong);
      for (JsonNode chunk : run.sharedToolStream().chunks()) {
        for (Violation v : ChatGlmSchemas.get().validate(Shape.CHUNK, Profile.OPENAI, chunk)) {
          if (v.ruleId().equals("TOOLS-CALL-SHAPE") && wrong.size() < 8) {
            wrong.add("the streamed named call: " + v);
          }
        }
      }
    }
    Expect.that(wrong.isEmpty(), "calls in OpenAI's tool_calls shape", String.join("; ", wrong));
  }

  /** What is wrong with the calls of one answer, beyond its schema. */
  private static void shape(String answer, ToolCalls calls, List<String> wrong) {
    calls.problem("TOOLS-CALL-SHAPE").ifPresent(p -> wrong.add(answer + ": " + p.substring(18)));
    if (calls.onlyFunctionCall()) {
      wrong.add(
          answer
              + ": message.function_call where tools asked for tool_calls (the ChatGLM3 demo's"
              + " dialect: its calls pass the documented function-call rules)");
      return;
    }
    for (ToolCalls.Call call : calls.calls()) {
      if (call.function()) {
        continue;
      }
      if (call.id() == null || call.id().isBlank()) {
        wrong.add(answer + ": a call of " + call.name() + " without an id");
      }
      if (!"function".equals(call.type())) {
        wrong.add(answer + ": a call of type " + call.type() + ", not function");
      }
      if (call.name() == null || !offered(call.name())) {
        wrong.add(answer + ": a call of " + call.name() + ", which the request did not offer");
      }
    }
  }

  private static boolean offered(String name) {
    return parameters(name).isPresent();
  }

  /**
   * The offered functions' parameters schemas by name, read once from {@link ToolRequests#TOOLS}.
   */
  private static final Map<String, JsonNode> OFFERED = offered();

  private static Map<String, JsonNode> offered() {
    Map<String, JsonNode> offered = new LinkedHashMap<>();
    try {
      for (JsonNode tool : Json.MAPPER.readTree(ToolRequests.TOOLS)) {
        offered.put(
            tool.path("function").path("name").asText(), tool.path("function").path("parameters"));
      }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return Map.copyOf(offered);
  }

  /** The parameters schema of the offered function {@code name}. */
  private static Optional<JsonNode> parameters(String name) {
    return Optional.ofNullable(OFFERED.get(name));
  }

  /** Every call of every answer that asked for one, with where it came from. */
  private static Map<String, ToolCalls> allCalls(RunContext run) {
    Map<String, ToolCalls> all = new LinkedHashMap<>();
    for (Answer answer : asking(run)) {
      all.put(answer.name(), answer.calls());
    }
    all.put(LEGACY, answer(run, LEGACY).calls());
    all.put("the streamed named call", streamed(run));
    return all;
  }

  @Test
  @Tag("TOOLS-ARGUMENTS-JSON")
  void sendsArgumentsAsAStringHoldingAJsonObject(RunContext run) {
    expectCalls(run);
    List<String> wrong = new ArrayList<>();
    int seen = 0;
    for (Map.Entry<String, ToolCalls> answer : allCalls(run).entrySet()) {
      if ("length".equals(answer.getValue().finishReason())) {
        continue; // max_tokens cut the call: its arguments may end anywhere
      }
      for (ToolCalls.Call call : answer.getValue().calls()) {
        seen++;
        String problem = call.parsed().problem();
        if (problem != null) {
          wrong.add(answer.getKey() + ", call of " + call.name() + ": " + problem);
        }
      }
    }
    met(seen, "whole call");
    Expect.that(
        wrong.isEmpty(), "arguments that are a JSON object in a string", String.join("; ", wrong));
  }

  @Test
  @Tag("TOOLS-ARGUMENTS-VALID")
  void sendsArgumentsValidAgainstTheParameters(RunContext run) {
    expectCalls(run);
    List<String> wrong = new ArrayList<>();
    int seen = 0;
    for (Map.Entry<String, ToolCalls> answer : allCalls(run).entrySet()) {
      for (ToolCalls.Call call : answer.getValue().calls()) {
        JsonNode arguments = call.parsed().object();
        Optional<JsonNode> schema = parameters(String.valueOf(call.name()));
        if (arguments == null || schema.isEmpty()) {
          continue; // judged by TOOLS-ARGUMENTS-JSON and TOOLS-CALL-SHAPE
        }
        seen++;
        List<String> problems = ToolParameters.get().validate(schema.get(), arguments);
        if (!problems.isEmpty()) {
          wrong.add(
              answer.getKey()
                  + ", "
                  + call.name()
                  + " "
                  + ToolCalls.quote(call.arguments())
                  + ": "
                  + String.join(", ", problems.subList(0, Math.min(3, problems.size()))));
        }
      }
    }
    met(seen, "call with JSON arguments of an offered function");
    Expect.that(
        wrong.isEmpty(),
        "arguments valid against the function's parameters",
        String.join("; ", wrong));
  }

  @Test
  @Tag("TOOLS-FINISH-REASON")
  void finishesACallWithToolCalls(RunContext run) {
    expectCalls(run);
    List<String> wrong = new ArrayList<>();
    for (Map.Entry<String, ToolCalls> answer : allCalls(run).entrySet()) {
      ToolCalls calls = answer.getValue();
      if (!calls.any()) {
        continue;
      }
      Observations.saw();
      String wanted = answer.getKey().equals(LEGACY) ? "function_call" : "tool_calls";
      String finish = calls.finishReason();
      if (!wanted.equals(finish) && !"length".equals(finish)) {
        wrong.add(answer.getKey() + " calls " + calls.names() + " but finishes with " + finish);
      }
    }
    for (String name : List.of(NONE, RESULT)) {
      Answer answer = answer(run, name);
      if (answer.exchange().status() == 200 && !answer.calls().any()) {
        Observations.saw();
        String finish = answer.calls().finishReason();
        if ("tool_calls".equals(finish) || "function_call".equals(finish)) {
          wrong.add(name + " makes no call but finishes with " + finish);
        }
      }
    }
    Expect.that(
        wrong.isEmpty(),
        "tool_calls (function_call for functions) exactly when an answer calls",
        String.join("; ", wrong));
  }

  @Test
  @Tag("TOOLS-CALL-IDS")
  void givesEachCallOfAnAnswerItsOwnId(RunContext run) {
    expectCalls(run);
    List<String> wrong = new ArrayList<>();
    int seen = 0;
    for (Map.Entry<String, ToolCalls> answer : allCalls(run).entrySet()) {
      ToolCalls calls = answer.getValue();
      if (!calls.asToolCalls()) {
        continue;
      }
      seen++;
      if (!calls.reusedIds().isEmpty()) {
        wrong.add(answer.getKey() + " uses the ids " + calls.reusedIds() + " more than once");
      }
      calls.problems().stream()
          .filter(p -> p.contains("id changed"))
          .forEach(p -> wrong.add(answer.getKey() + ": " + p));
    }
    met(seen, "answer with tool_calls");
    Expect.that(wrong.isEmpty(), "distinct call ids", String.join("; ", wrong));
  }

  @Test
  @Tag("TOOLS-CHOICE-NONE")
  void makesNoCallUnderToolChoiceNone(RunContext run) {
    expectCalls(run);
    Answer none = answer(run, NONE);
    Expect.status(none.exchange(), 200);
    Expect.that(
        !none.calls().any(), "no call under tool_choice none", "calls of " + none.calls().names());
  }

  @Test
  @Tag("TOOLS-CHOICE-NAMED")
  void callsTheNamedFunction(RunContext run) {
    expectCalls(run);
    Answer named = answer(run, NAMED);
    Expect.jsonObject(named.exchange());
    ToolCalls calls = named.calls();
    Expect.that(
        calls.any() && calls.names().stream().allMatch(ToolRequests.NAMED::equals),
        "calls of " + ToolRequests.NAMED + " only (tool_choice names it)",
        calls.any() ? "calls of " + calls.names() : "no call");
  }

  @Test
  @Tag("TOOLS-CHOICE-REQUIRED")
  void callsSomeFunctionUnderToolChoiceRequired(RunContext run) {
    expectCalls(run);
    Answer required = answer(run, REQUIRED);
    Expect.jsonObject(required.exchange());
    Expect.that(required.calls().any(), "a call under tool_choice required", "no call");
  }

  @Test
  @Tag("TOOLS-RESULT-ANSWERED")
  void answersTheToolsResult(RunContext run) {
    expectCalls(run);
    Exchange result = run.shared(RESULT);
    JsonNode json = Expect.jsonObject(result);
    Expect.that(
        "assistant".equals(json.path("choices").path(0).path("message").path("role").asText()),
        "an assistant message answering the tool's result",
        result.brief());
  }

  @Test
  @Tag("TOOLS-STREAM-MATCHES")
  void streamsTheSameCallsAsItAnswers(RunContext run) {
    expectCalls(run);
    Answer named = answer(run, NAMED);
    Expect.jsonObject(named.exchange());
    StreamResult streamed = run.sharedToolStream();
    Expect.judgeable(streamed);
    Expect.that(streamed.ended(), "the streamed named call to end", streamed.brief());
    ToolCalls whole = named.calls();
    ToolCalls stream = ToolCalls.ofStream(streamed.chunks());
    if (!whole.any() && !stream.any()) {
      throw new TestAbortedException("no call to compare: the named call was made neither way");
    }
    Expect.that(
        whole.names().equals(stream.names()),
        "the streamed calls " + stream.names() + " to be the unstreamed " + whole.names(),
        "calls of " + stream.names());
    for (int i = 0; i < whole.calls().size(); i++) {
      JsonNode a = whole.calls().get(i).parsed().object();
      JsonNode b = stream.calls().get(i).parsed().object();
      Expect.that(
          a != null && a.equals(b),
          "the streamed arguments of call "
              + (i + 1)
              + " to join to the unstreamed "
              + ToolCalls.quote(whole.calls().get(i).arguments()),
          ToolCalls.quote(stream.calls().get(i).arguments()));
    }
  }

  @Test
  @Tag("TOOLS-LEGACY-FUNCTIONS")
  void answersTheOlderFunctionsWithAFunctionCall(RunContext run) {
    expectCalls(run);
    Answer legacy = answer(run, LEGACY);
    Expect.status(legacy.exchange(), 200);
    if (!legacy.calls().any()) {
      throw new TestAbortedException(
          "the answer to functions with function_call naming get_weather made no call");
    }
    Expect.that(
        legacy.calls().onlyFunctionCall() && "function_call".equals(legacy.calls().finishReason()),
        "message.function_call and finish_reason function_call",
        (legacy.calls().asToolCalls() ? "tool_calls" : "function_call")
            + " and finish_reason "
            + legacy.calls().finishReason());
  }

  @Test
  @Tag("TOOLS-DEFINITION")
  void refusesBrokenToolDefinitions(RunContext run) {
    refuses(run, "TOOLS-DEFINITION");
  }

  @Test
  @Tag("REQ-TOOL-MESSAGE")
  void refusesABrokenToolMessage(RunContext run) {
    refuses(run, "REQ-TOOL-MESSAGE");
  }

  /** Every broken tool input of {@code rule} is refused with 400. */
  private static void refuses(RunContext run, String rule) {
    expectCalls(run);
    List<String> wrong = new ArrayList<>();
    int judged = 0;
    int all = 0;
    for (Map.Entry<ToolRequests.Broken, Exchange> refusal : refusals(run).entrySet()) {
      Exchange answer = refusal.getValue();
      if (!refusal.getKey().rule().equals(rule)) {
        continue;
      }
      all++;
      if (Expect.busy(answer) || answer.stoppedByTimeLimit()) {
        continue;
      }
      judged++;
      Observations.saw();
      if (answer.status() != 400) {
        wrong.add(refusal.getKey().what() + " got " + answer.brief());
      }
    }
    Expect.someJudged(judged, all, "the broken tool input of " + rule);
    Expect.that(wrong.isEmpty(), "400 for every input breaking " + rule, String.join("; ", wrong));
  }

  @Test
  @Tag("TOOLS-INVALID-400")
  void refusesBrokenToolInputWithA400NamingTheField(RunContext run) {
    expectCalls(run);
    List<String> wrong = new ArrayList<>();
    int judged = 0;
    for (Map.Entry<ToolRequests.Broken, Exchange> refusal : refusals(run).entrySet()) {
      Exchange answer = refusal.getValue();
      if (Expect.busy(answer) || answer.stoppedByTimeLimit()) {
        continue;
      }
      judged++;
      Observations.saw();
      String field = refusal.getKey().field();
      boolean named =
          answer.errorParam().toLowerCase(Locale.ROOT).contains(field)
              || answer.errorMessage().toLowerCase(Locale.ROOT).contains(field);
      if (answer.status() != 400 || !named) {
        wrong.add(
            refusal.getKey().what()
                + (answer.status() == 400 ? ": '" + field + "' not named in " : " got ")
                + answer.brief());
      }
    }
    Expect.someJudged(judged, refusals(run).size(), "the broken tool input");
    Expect.that(wrong.isEmpty(), "400 naming the field for each", String.join("; ", wrong));
  }

  private static Map<ToolRequests.Broken, Exchange> refusals(RunContext run) {
    List<ToolRequests.Broken> broken = ToolRequests.broken();
    List<Exchange> answers = run.batch(RunContext.TOOL_REFUSALS);
    Map<ToolRequests.Broken, Exchange> refusals = new LinkedHashMap<>();
    for (int i = 0; i < broken.size(); i++) {
      refusals.put(broken.get(i), answers.get(i));
    }
    return refusals;
  }

  @Test
  @Tag("FUNCTION-CALL-MESSAGES")
  void acceptsAFunctionCallTurnAndItsResult(RunContext run) {
    Exchange answer = run.shared(FUNCTION_MESSAGES);
    Expect.status(answer, 200);
  }

  @Test
  @Tag("FUNCTION-CALL-SHAPE")
  void writesEachFunctionCallWithANameAndStringArguments(RunContext run) {
    if (run.target().profile() != Profile.OPENAI) {
      throw new TestAbortedException(
          "a documented run offers no functions, so it sees no function call");
    }
    List<String> wrong = new ArrayList<>();
    int seen = 0;
    for (Map.Entry<String, ToolCalls> answer : allCalls(run).entrySet()) {
      for (ToolCalls.Call call : answer.getValue().calls()) {
        if (!call.function()) {
          continue;
        }
        seen++;
        if (call.name() == null || !call.argumentsIsString()) {
          wrong.add(
              answer.getKey()
                  + ": function_call "
                  + (call.name() == null ? "without a name" : "of " + call.name())
                  + (call.argumentsIsString() ? "" : " with arguments that are no string"));
        }
      }
    }
    met(seen, "function_call");
    Expect.that(
        wrong.isEmpty(), "function calls {name, arguments} of strings", String.join("; ", wrong));
  }
}
