package org.chatglmkit.conformance.fuzz;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kotest.property.Arb;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.chatglmkit.conformance.fuzz.SchemaValues.Located;
import org.chatglmkit.schemas.ChatGlmSchemas;
import org.chatglmkit.schemas.Profile;
import org.chatglmkit.schemas.RuleCatalogue;
import org.chatglmkit.schemas.Shape;
import org.chatglmkit.schemas.Violation;

/**
 * The requests fuzzing sends, generated from the request schema of a profile: two valid ones for
 * every invalid one. The schema validator is the judge of which is which: a valid case must pass
 * it, a broken one must break exactly one rule.
 *
 * <pre>{@code
 * Arb<FuzzCase> cases = new Cases(Profile.OPENAI, 1_800, 32).any();
 * }</pre>
 */
final class Cases {
  /** A streamed case asks for at most this many tokens, so that streams stay short. */
  static final int STREAM_MAX_TOKENS = 16;

  /** What a message costs beyond its text, counted against the prompt budget (chat format). */
  static final int MESSAGE_OVERHEAD_BYTES = 8;

  private final Profile profile;
  private final int maxPromptBytes;
  private final int maxTokens;
  private final SchemaValues values;
  private final Located root;

  /**
   * @param profile the profile whose request schema and rules apply
   * @param maxPromptBytes the most UTF-8 bytes of message text in one request (plus {@value
   *     #MESSAGE_OVERHEAD_BYTES} per message), so that every valid request fits the model's context
   * @param maxTokens the {@code max_tokens} most requests ask for at most (nine in ten name it; now
   *     and then it is at an overflow edge up to 2^53, where the answer runs to the model's stop or
   *     its full context)
   */
  Cases(Profile profile, int maxPromptBytes, int maxTokens) {
    this.profile = profile;
    this.maxPromptBytes = maxPromptBytes;
    this.maxTokens = maxTokens;
    // Without max_tokens an answer runs to the model's stop or its full context: keep it rare.
    this.values = new SchemaValues(profile, maxPromptBytes, maxTokens, Map.of("max_tokens", 0.9));
    String file = Shape.REQUEST.file(profile);
    this.root = new Located(SchemaValues.file(file), file + "#");
  }

  /** Valid, streamed (where the profile has streaming) and broken requests, three to one to two. */
  Arb<FuzzCase> any() {
    if (values.properties(root).contains("stream")) {
      return Gens.weighted(3, valid(), 1, streamed(), 2, invalid());
    }
    return Gens.weighted(2, valid(), 1, invalid());
  }

  /** Requests the schema accepts. */
  Arb<FuzzCase> valid() {
    return Gens.map(
        Gens.filter(requests(), request -> violations(request).isEmpty()),
        request -> new FuzzCase(request, null, null));
  }

  /**
   * Valid requests that ask for a stream of at most {@value #STREAM_MAX_TOKENS} tokens. While
   * shrinking, the stream may go: a finding that does not need it ends as a plain request.
   */
  Arb<FuzzCase> streamed() {
    Arb<ObjectNode> streams =
        Gens.both(
            requests(),
            Gens.orNull(Gens.ints(1, STREAM_MAX_TOKENS), 0),
            (request, tokens) -> {
              if (tokens == null) {
                return request;
              }
              ObjectNode stream = request.deepCopy();
              stream.put("stream", true);
              long max = request.path("max_tokens").asLong(STREAM_MAX_TOKENS);
              stream.put("max_tokens", Math.min(max, tokens));
              return stream;
            });
    return Gens.map(
        Gens.filter(streams, request -> violations(request).isEmpty()),
        request -> new FuzzCase(request, null, null));
  }

  /**
   * Valid requests with one breakage each, that breaks exactly one rule of the profile. A {@code
   * null} that the {@code openai} reading takes as "not given" is no breakage in any profile: the
   * document does not say what {@code null} means, so in {@code documented} neither answer is
   * judged (docs/api-reading.md section 3).
   */
  Arb<FuzzCase> invalid() {
    List<Breakage> breakages = Breakage.of(values, root);
    Arb<FuzzCase> cases =
        Gens.both(
            requests(),
            Gens.both(Gens.oneOf(breakages), Gens.ints(0, 1 << 16), Map::entry),
            (request, where) -> {
              Breakage breakage = where.getKey();
              int choice = where.getValue();
              ObjectNode broken = breakage.applyTo(request, choice);
              if (nullAsAbsent(breakage, broken) || promptBytes(broken) > maxPromptBytes) {
                return null; // not judged, or over the budget once broken (a longer name)
              }
              Set<String> rules =
                  violations(broken).stream().map(Violation::ruleId).collect(Collectors.toSet());
              boolean one =
                  rules.size() == 1
                      && RuleCatalogue.get()
                          .find(rules.iterator().next())
                          .map(rule -> profile.includes(rule.profile()))
                          .orElse(false);
              return one ? new FuzzCase(broken, breakage, rules.iterator().next()) : null;
            });
    return Gens.filter(cases, fuzzCase -> fuzzCase != null);
  }

  private Arb<ObjectNode> requests() {
    Arb<ObjectNode> requests =
        Gens.both(
            Gens.map(values.valid(root), node -> (ObjectNode) node),
            // absent six times in ten, and shrunk to absent first
            Gens.orNull(Gens.oneOf(List.of("none", "auto", "required", "named")), 0.6),
            Cases::withToolChoice);
    return Gens.filter(
        requests, request -> promptBytes(request) <= maxPromptBytes && shortIfStreamed(request));
  }

  /**
   * The generated tools with distinct names (a server refuses two functions of one name), and a
   * {@code tool_choice} that fits them: {@code none} or {@code auto}, or, when tools are offered,
   * {@code required} or the first tool's name.
   */
  private static ObjectNode withToolChoice(ObjectNode request, String choice) {
    JsonNode tools = request.path("tools");
    String first = null;
    if (tools.isArray()) {
      Set<String> names = new HashSet<>();
      ArrayNode distinct = request.arrayNode();
      for (JsonNode tool : tools) {
        if (names.add(tool.path("function").path("name").asText())) {
          distinct.add(tool);
        }
      }
      request.set("tools", distinct);
      first = distinct.isEmpty() ? null : distinct.get(0).path("function").path("name").asText();
    }
    switch (choice == null ? "" : choice) {
      case "none", "auto" -> request.put("tool_choice", choice);
      case "required" -> {
        if (first != null) {
          request.put("tool_choice", choice);
        }
      }
      case "named" -> {
        if (first != null) {
          request
              .putObject("tool_choice")
              .put("type", "function")
              .putObject("function")
              .put("name", first);
        }
      }
      default -> {}
    }
    return request;
  }

  private boolean nullAsAbsent(Breakage breakage, ObjectNode broken) {
    return breakage.value() != null
        && breakage.value().isNull()
        && ChatGlmSchemas.get().validate(Shape.REQUEST, Profile.OPENAI, broken).isEmpty();
  }

  private List<Violation> violations(ObjectNode request) {
    return ChatGlmSchemas.get().validate(Shape.REQUEST, profile, request);
  }

  /** A streamed request asks for at most {@value #STREAM_MAX_TOKENS} tokens. */
  private static boolean shortIfStreamed(ObjectNode request) {
    JsonNode max = request.path("max_tokens");
    return !request.path("stream").asBoolean(false)
        || (max.canConvertToLong() && max.asLong() <= STREAM_MAX_TOKENS);
  }

  /**
   * The UTF-8 bytes of every text in the messages and history, plus an overhead per message, plus
   * twice the tools' JSON (a model's prompt may quote them pretty-printed).
   */
  static int promptBytes(JsonNode request) {
    int bytes =
        2 * (request.path("tools").isArray() ? request.path("tools").toString().length() : 0);
    for (String list : List.of("messages", "history")) {
      for (JsonNode message : request.path(list)) {
        bytes += MESSAGE_OVERHEAD_BYTES + textBytes(message);
      }
    }
    return bytes;
  }

  private static int textBytes(JsonNode node) {
    if (node.isTextual()) {
      return node.asText().getBytes(StandardCharsets.UTF_8).length;
    }
    int bytes = 0;
    for (JsonNode child : node) {
      bytes += textBytes(child);
    }
    return bytes;
  }
}
