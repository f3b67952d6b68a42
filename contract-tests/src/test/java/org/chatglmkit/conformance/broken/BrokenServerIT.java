package org.chatglmkit.conformance.broken;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.chatglmkit.conformance.run.Outcome;
import org.chatglmkit.conformance.run.RunReport;
import org.chatglmkit.conformance.targets.Gate;
import org.chatglmkit.mockserver.client.TargetSettings;
import org.chatglmkit.mockserver.core.FaultKind;
import org.chatglmkit.mockserver.core.Json;
import org.chatglmkit.mockserver.server.ReferenceServer;
import org.chatglmkit.mockserver.server.ServerConfig;
import org.chatglmkit.schemas.Profile;
import org.chatglmkit.schemas.Rule;
import org.chatglmkit.schemas.RuleCatalogue;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The suite against servers broken in one way each: the whole outcome is asserted, rule by rule:
 * exactly the rules that way breaks fail, the rules it blocks are blocked, the rules that cannot be
 * observed are skipped, and every other rule passes. Servers that differ from the reference only in
 * legal ways must pass. Every rule of the catalogue fails against at least one of these servers.
 */
class BrokenServerIT {
  private static final Set<String> NEED_A_PROVOKED_SITUATION =
      Set.of("STREAM-ERROR-EVENT", "ERR-RETRY-AFTER");

  /** Judged only with --fuzz N, which these runs do not ask for (PlantedBugsIT does). */
  private static final Set<String> FUZZING = Gate.FUZZING;

  /** Every role a message may have (the openai profile's). */
  private static final Set<String> ROLES =
      Set.of("system", "user", "assistant", "tool", "function");

  private static ReferenceServer reference;

  @TempDir Path reports;

  @BeforeAll
  static void startReference() {
    reference =
        ReferenceServer.start(
            TargetSettings.embeddedServer().apiKey(ServerConfig.DEVELOPMENT_KEY).build());
  }

  @AfterAll
  static void stopReference() {
    reference.close();
  }

  /**
   * A broken server and what the gate must say of it.
   *
   * @param name what is broken
   * @param distortion how
   * @param profile the profile it is held to
   * @param fails the rules that fail
   * @param blocked the rules blocked by a failed baseline
   * @param skips rules skipped beyond those no black box can provoke
   * @param passes rules that pass although they usually need a provoked situation
   */
  record Case(
      String name,
      Distortion distortion,
      String profile,
      Set<String> fails,
      Set<String> blocked,
      Set<String> skips,
      Set<String> passes) {
    Case fails(String... ids) {
      return new Case(name, distortion, profile, Set.of(ids), blocked, skips, passes);
    }

    Case blocks(Set<String> ids) {
      return new Case(name, distortion, profile, fails, ids, skips, passes);
    }

    Case skips(String... ids) {
      return new Case(name, distortion, profile, fails, blocked, Set.of(ids), passes);
    }

    Case passes(String... ids) {
      return new Case(name, distortion, profile, fails, blocked, skips, Set.of(ids));
    }

    /** The whole expected outcome: every catalogue rule under one status. */
    Map<Outcome.Status, Set<String>> expected() {
      Map<Outcome.Status, Set<String>> outcome = new EnumMap<>(Outcome.Status.class);
      for (Outcome.Status status : Outcome.Status.values()) {
        outcome.put(status, new TreeSet<>());
      }
      Profile held = Profile.parse(profile);
      for (Rule rule : RuleCatalogue.get().all()) {
        String id = rule.id();
        Outcome.Status status;
        if (fails.contains(id)) {
          status = Outcome.Status.FAIL;
        } else if (!held.includes(rule.profile())) {
          status = Outcome.Status.SKIP;
        } else if (blocked.contains(id)) {
          status = Outcome.Status.BLOCKED;
        } else if (skips.contains(id)
            || FUZZING.contains(id)
            || (held == Profile.DOCUMENTED && id.equals("FUNCTION-CALL-SHAPE"))
            || (NEED_A_PROVOKED_SITUATION.contains(id) && !passes.contains(id))) {
          status = Outcome.Status.SKIP;
        } else {
          status = Outcome.Status.PASS;
        }
        outcome.get(status).add(id);
      }
      return outcome;
    }

    @Override
    public String toString() {
      return name;
    }
  }

  static Case server(String name, Distortion distortion, String profile) {
    return new Case(name, distortion, profile, Set.of(), Set.of(), Set.of(), Set.of());
  }

  /** Every rule whose checks need the baseline's completion (and, in openai, its stream). */
  static final Set<String> NEED_A_COMPLETION =
      Set.of(
          "AUTH-API-KEY-HEADER",
          "AUTH-BEARER-HEADER",
          "REQ-LEGAL-VARIATIONS",
          "TRANSPORT-JSON-CONTENT-TYPE",
          "RESP-MODEL",
          "RESP-OBJECT",
          "RESP-CHOICES",
          "RESP-CHOICE-INDEX",
          "RESP-MESSAGE",
          "RESP-FINISH-REASON",
          "RESP-CREATED",
          "RESP-REQUIRED-FIELDS",
          "RESP-ID",
          "RESP-USAGE",
          "RESP-USAGE-TOTAL",
          "RESP-USAGE-MAX-TOKENS",
          "RESP-LENGTH-FINISH",
          "STREAM-MATCHES-COMPLETION");

  static final Set<String> NEED_A_STREAM =
      Set.of(
          "STREAM-CHUNK-SHAPE",
          "STREAM-CHUNK-IDS",
          "STREAM-FINISH-REASON",
          "STREAM-MATCHES-COMPLETION",
          "STREAM-INCREMENTAL");

  static Stream<Arguments> servers() {
    return Stream.of(
            server(
                "legal variations (CRLF, pings, extra fields, charset, key order)",
                Distortions.legalVariations(),
                "openai"),
            server(
                    "documented shape only, held to documented",
                    Distortions.documentedOnly(),
                    "documented")
                .skips("RESP-USAGE-TOTAL", "RESP-USAGE-MAX-TOKENS"),
            server("documented shape only, held to openai", Distortions.documentedOnly(), "openai")
                .fails("RESP-ID", "RESP-USAGE", "STREAM-CHUNK-IDS", "MODELS-LIST")
                .skips("RESP-USAGE-TOTAL", "RESP-USAGE-MAX-TOKENS"),
            server(
                    "400 for null in optional fields, held to openai",
                    Distortions.refusesNull(),
                    "openai")
                .fails("REQ-LEGAL-VARIATIONS", "TOOLS-RESULT-ANSWERED", "TOOLS-INVALID-400"),
            // The document does not say what null means: refusing it is not judged.
            server(
                "400 for null in optional fields, held to documented",
                Distortions.refusesNull(),
                "documented"),
            server("accepts a missing key", Distortions.acceptsMissingKey(), "openai")
                .fails("AUTH-MISSING-KEY-401"),
            server("accepts unknown keys", Distortions.acceptsUnknownKeys(), "openai")
                .fails("AUTH-UNKNOWN-KEY-401"),
            server(
                    "401 for a forbidden key",
                    Distortions.unauthorisedInsteadOfForbidden(),
                    "openai")
                .fails("AUTH-FORBIDDEN-KEY-403"),
            server("refuses the API-KEY header", Distortions.refusesTheApiKeyHeader(), "openai")
                .fails("AUTH-API-KEY-HEADER"),
            server("refuses bearer tokens", Distortions.refusesBearerTokens(), "openai")
                .fails("AUTH-BEARER-HEADER"),
            server("echoes the key", Distortions.echoesTheKey(), "openai")
                .fails("AUTH-KEY-NOT-ECHOED"),
            server("clamps temperature", Distortions.clampsTemperature(), "openai")
                .fails("REQ-TEMPERATURE"),
            // Lenient servers: each fixes or drops one kind of broken input and answers 200 (a
            // history message with an unknown role is that kind too).
            server(
                    "takes a message that is no object as a user message",
                    Distortions.repairs(
                        Distortions.eachMessage(
                            m ->
                                m.isObject()
                                    ? m
                                    : Json.MAPPER
                                        .createObjectNode()
                                        .put("role", "user")
                                        .put("content", m.asText()))),
                    "openai")
                .fails("REQ-MESSAGE-OBJECT"),
            server(
                    "takes a missing or unknown role as user",
                    Distortions.repairs(
                        Distortions.eachMessage(
                            m -> {
                              if (m instanceof ObjectNode o
                                  && !ROLES.contains(o.path("role").asText(""))) {
                                o.put("role", "user");
                              }
                              return m;
                            })),
                    "openai")
                .fails("REQ-MESSAGE-ROLE", "REQ-HISTORY"),
            server(
                    "takes a missing or non-text content as text",
                    Distortions.repairs(
                        Distortions.eachMessage(
                            m -> {
                              if (m instanceof ObjectNode o
                                  && List.of("user", "system").contains(o.path("role").asText())
                                  && !o.path("content").isTextual()) {
                                o.put(
                                    "content", o.has("content") ? o.get("content").toString() : "");
                              }
                              return m;
                            })),
                    "openai")
                .fails("REQ-MESSAGE-CONTENT"),
            server(
                    "drops a name it cannot use",
                    Distortions.repairs(
                        Distortions.eachMessage(
                            m -> {
                              if (m instanceof ObjectNode o
                                  && o.has("name")
                                  && !o.path("name").asText("").matches("^[a-zA-Z0-9_]{1,64}$")) {
                                o.remove("name");
                              }
                              return m;
                            })),
                    "openai")
                .fails("REQ-MESSAGE-NAME"),
            server(
                    "drops a history that is no list of known roles",
                    Distortions.repairs(
                        Distortions.drops(
                            "history",
                            h -> {
                              if (!h.isArray()) {
                                return true;
                              }
                              for (JsonNode m : h) {
                                if (!ROLES.contains(m.path("role").asText(""))) {
                                  return true;
                                }
                              }
                              return false;
                            })),
                    "openai")
                .fails("REQ-HISTORY"),
            server(
                    "drops a max_tokens that is no whole number of at least 1",
                    Distortions.repairs(
                        Distortions.drops(
                            "max_tokens",
                            v -> !v.isNull() && !(v.isIntegralNumber() && v.asLong() >= 1))),
                    "openai")
                .fails("REQ-MAX-TOKENS"),
            server(
                    "drops a stream that is no boolean",
                    Distortions.repairs(
                        Distortions.drops("stream", v -> !v.isNull() && !v.isBoolean())),
                    "openai")
                .fails("REQ-STREAM"),
            server("accepts empty messages", Distortions.acceptsEmptyMessages(), "openai")
                .fails("REQ-MESSAGES"),
            server("refuses a name of 64 characters", Distortions.refusesLongestName(), "openai")
                .fails("REQ-LEGAL-VARIATIONS"),
            server("vague 400s", Distortions.vagueErrors(), "openai")
                .fails("REQ-INVALID-400", "TOOLS-INVALID-400"),
            server("object chat.completions", Distortions.wrongObject(), "openai")
                .fails("RESP-OBJECT"),
            server("model as a number", Distortions.numericModel(), "openai").fails("RESP-MODEL"),
            // Its streams still call tools, so the tool rules are judged on empty answers.
            server("no choices", Distortions.noChoices(), "openai")
                .fails(
                    "RESP-CHOICES",
                    "STREAM-MATCHES-COMPLETION",
                    "RESP-LENGTH-FINISH",
                    "TOOLS-CHOICE-NAMED",
                    "TOOLS-CHOICE-REQUIRED",
                    "TOOLS-RESULT-ANSWERED",
                    "TOOLS-STREAM-MATCHES")
                .skips("FUNCTION-CALL-SHAPE", "TOOLS-LEGACY-FUNCTIONS"),
            server("choice index -1", Distortions.negativeIndex(), "openai")
                .fails("RESP-CHOICE-INDEX"),
            server("messages from a bot", Distortions.botMessages(), "openai")
                .fails("RESP-MESSAGE", "TOOLS-RESULT-ANSWERED"),
            server("finish_reason done", Distortions.finishedDone(), "openai")
                .fails(
                    "RESP-FINISH-REASON",
                    "RESP-LENGTH-FINISH",
                    "TOOLS-FINISH-REASON",
                    "TOOLS-LEGACY-FUNCTIONS"),
            server("created in milliseconds", Distortions.createdInMilliseconds(), "openai")
                .fails("RESP-CREATED"),
            server("no created", Distortions.noCreated(), "openai").fails("RESP-REQUIRED-FIELDS"),
            server("never reports length", Distortions.neverLength(), "documented")
                .fails("RESP-LENGTH-FINISH"),
            server("usage does not add up", Distortions.wrongUsageTotal(), "openai")
                .fails("RESP-USAGE-TOTAL"),
            server("usage beyond max_tokens", Distortions.usageOverMaxTokens(), "openai")
                .fails("RESP-USAGE-MAX-TOKENS"),
            server("completions as text/plain", Distortions.plainTextCompletions(), "documented")
                .fails("TRANSPORT-JSON-CONTENT-TYPE"),
            server("streams as text/plain", Distortions.streamAsPlainText(), "openai")
                .fails("STREAM-CONTENT-TYPE"),
            server("buffers the stream", Distortions.bufferedStream(), "openai")
                .fails("STREAM-INCREMENTAL"),
            server("the whole answer in one content event", Distortions.oneEventStream(), "openai")
                .fails("STREAM-INCREMENTAL"),
            server("no [DONE]", Distortions.noDone(), "openai").fails("STREAM-EVENT-FORMAT"),
            server("chunks called completions", Distortions.chunksCalledCompletions(), "openai")
                .fails("STREAM-CHUNK-SHAPE"),
            server(
                    "no finish_reason in the last chunk",
                    Distortions.noFinishInTheLastChunk(),
                    "openai")
                .fails("STREAM-FINISH-REASON", "TOOLS-FINISH-REASON"),
            server(
                    "tool arguments as an object (the reference server's fault)",
                    ToolDistortions.fault(FaultKind.TOOL_ARGS_OBJECT),
                    "openai")
                .fails(
                    "FUNCTION-CALL-SHAPE",
                    "TOOLS-CALL-SHAPE",
                    "TOOLS-ARGUMENTS-JSON",
                    "TOOLS-STREAM-MATCHES")
                .skips("TOOLS-ARGUMENTS-VALID"),
            server(
                    "tool arguments that are no JSON (the reference server's fault)",
                    ToolDistortions.fault(FaultKind.TOOL_ARGS_NOT_JSON),
                    "openai")
                .fails("TOOLS-ARGUMENTS-JSON", "TOOLS-STREAM-MATCHES")
                .skips("TOOLS-ARGUMENTS-VALID"),
            server(
                    "tool calls without ids (the reference server's fault)",
                    ToolDistortions.fault(FaultKind.TOOL_CALL_NO_ID),
                    "openai")
                .fails("TOOLS-CALL-SHAPE"),
            // Legal: two calls in one answer with content null (the reference server's own), and
            // arguments with other key order and whitespace; every tool rule passes.
            server(
                "tool arguments re-ordered and pretty-printed",
                ToolDistortions.argumentsReordered(),
                "openai"),
            server(
                    "calls under tool_choice none",
                    ToolDistortions.ignoresToolChoiceNone(),
                    "openai")
                .fails("TOOLS-CHOICE-NONE"),
            server(
                    "arguments the parameters refuse",
                    ToolDistortions.argumentsOutsideTheSchema(),
                    "openai")
                .fails("TOOLS-ARGUMENTS-VALID", "TOOLS-STREAM-MATCHES"),
            server("one id for every call", ToolDistortions.reusedCallIds(), "openai")
                .fails("TOOLS-CALL-IDS"),
            server("takes broken tool input", ToolDistortions.takesBrokenToolInput(), "openai")
                .fails("TOOLS-DEFINITION", "REQ-TOOL-MESSAGE", "TOOLS-INVALID-400"),
            server(
                    "400 for tool_choice required",
                    ToolDistortions.refusesToolChoiceRequired(),
                    "openai")
                .fails("TOOLS-REQUEST-ACCEPTED", "TOOLS-CHOICE-REQUIRED"),
            server(
                    "500 for a function message",
                    ToolDistortions.failsOnFunctionMessages(),
                    "openai")
                .fails("FUNCTION-CALL-MESSAGES"),
            server("stream differs from the answer", Distortions.streamDiffers(), "openai")
                .fails("STREAM-MATCHES-COMPLETION"),
            server("HTML 404", Distortions.htmlNotFound(), "documented")
                .fails("TRANSPORT-UNKNOWN-PATH-404", "ERR-SHAPE"),
            server("401 typed as an invalid request", Distortions.wrongErrorType(), "openai")
                .fails("ERR-TYPE"),
            server(
                    "500 for an oversized body",
                    Distortions.serverErrorForOversizedBodies(),
                    "documented")
                .fails("TRANSPORT-BODY-LIMIT", "ERR-NO-500-FOR-CLIENT-ERROR"),
            server(
                    "500 for malformed JSON",
                    Distortions.serverErrorForMalformedJson(),
                    "documented")
                .fails("REQ-BODY-JSON-OBJECT", "ERR-NO-500-FOR-CLIENT-ERROR"),
            server(
                    "500 for an unknown key (met by the auth checks)",
                    Distortions.serverErrorForUnknownKeys(),
                    "openai")
                .fails("AUTH-UNKNOWN-KEY-401", "ERR-NO-500-FOR-CLIENT-ERROR"),
            server("429 with Retry-After", Distortions.busy(true), "openai")
                .passes("ERR-RETRY-AFTER"),
            server("429 without Retry-After", Distortions.busy(false), "openai")
                .fails("ERR-RETRY-AFTER"),
            // Busy for good for one kind of request: the rule those requests probe is not judged
            // (never failed for a 429), the rest of the run goes on.
            server("429 for every bad temperature", Distortions.busyForBadTemperatures(), "openai")
                .skips("REQ-TEMPERATURE")
                .passes("ERR-RETRY-AFTER"),
            server(
                    "an error event that ends the stream",
                    Distortions.errorEventInFirstStream(false),
                    "openai")
                .passes("STREAM-ERROR-EVENT"),
            server(
                    "an error event and then more tokens",
                    Distortions.errorEventInFirstStream(true),
                    "openai")
                .fails("STREAM-ERROR-EVENT"))
        .map(Arguments::of);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("servers")
  void reportsTheWholeOutcome(Case server) throws Exception {
    try (MutatingProxy proxy = new MutatingProxy(reference.baseUrl(), server.distortion())) {
      RunReport report = run(proxy, server.profile());
      assertThat(Gate.outcome(report))
          .as("outcome for '%s':%n%s", server.name(), Gate.explain(report))
          .isEqualTo(server.expected());
    }
  }

  @Test
  void everyRuleFailsAgainstSomeBrokenServer() {
    Set<String> caught = new TreeSet<>();
    servers().forEach(arguments -> caught.addAll(((Case) arguments.get()[0]).fails()));
    // A target that answers every chat request with 422 fails these (HonestOutcomesIT runs it).
    caught.addAll(HonestOutcomesIT.FAILED_BY_UNPROCESSABLE_CHAT);
    // Servers with bugs planted on unusual input fail the fuzzing rules (PlantedBugsIT runs them).
    PlantedBugsIT.bugs().forEach(bug -> caught.add(bug.rule()));
    assertThat(caught).containsAll(RuleCatalogue.get().all().stream().map(Rule::id).toList());
  }

  private RunReport run(MutatingProxy proxy, String profile) {
    return Gate.run(
        proxy.baseUrl(),
        reports,
        TargetSettings.API_KEY,
        ServerConfig.DEVELOPMENT_KEY,
        TargetSettings.FORBIDDEN_KEY,
        TargetSettings.EMBEDDED_FORBIDDEN_KEY,
        TargetSettings.PROFILE,
        profile);
  }
}
