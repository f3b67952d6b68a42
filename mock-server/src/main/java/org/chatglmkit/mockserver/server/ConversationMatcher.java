package org.chatglmkit.mockserver.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.extension.Parameters;
import com.github.tomakehurst.wiremock.http.Request;
import com.github.tomakehurst.wiremock.matching.MatchResult;
import com.github.tomakehurst.wiremock.matching.RequestMatcherExtension;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import org.chatglmkit.mockserver.core.Json;

/**
 * Matches a chat request by its conversation, for stubs that script an app's test: a WireMock
 * custom matcher named {@value #NAME}. Every parameter given must hold:
 *
 * <ul>
 *   <li>{@code turns}: how many user messages the conversation has ({@code history} included);
 *   <li>{@code lastUserMessage}: text the last user message contains; {@code
 *       lastUserMessageMatches}: a regular expression it matches whole;
 *   <li>{@code lastRole}: the role of the last message ({@code tool} after a tool's result);
 *   <li>{@code model}: the requested model;
 *   <li>{@code hasTools}: whether the request offers functions ({@code tools} or {@code
 *       functions});
 *   <li>{@code messages}: the conversation itself, message for message ({@code history} first);
 *   <li>{@code stream}: whether the request asks to stream (absent: it does not).
 * </ul>
 *
 * <pre>{@code
 * {"request": {"method": "POST", "urlPath": "/v1/chat/completions",
 *              "customMatcher": {"name": "chatglm-conversation",
 *                                "parameters": {"turns": 2, "lastUserMessage": "refund"}}},
 *  "response": {"transformers": ["chatglm-api"],
 *               "transformerParameters": {"reply": "Your refund is on its way."}}}
 * }</pre>
 *
 * A body that is no JSON object, or an unknown parameter, matches nothing.
 */
public final class ConversationMatcher extends RequestMatcherExtension {
  public static final String NAME = "chatglm-conversation";

  private static final Set<String> KNOWN =
      Set.of(
          "turns",
          "lastUserMessage",
          "lastUserMessageMatches",
          "lastRole",
          "model",
          "hasTools",
          "messages",
          "stream");

  @Override
  public String getName() {
    return NAME;
  }

  @Override
  public MatchResult match(Request request, Parameters parameters) {
    return MatchResult.of(matches(request.getBody(), parameters));
  }

  /** Whether the chat request {@code body} meets every condition in {@code parameters}. */
  static boolean matches(byte[] body, Parameters parameters) {
    if (!KNOWN.containsAll(parameters.keySet())) {
      return false;
    }
    JsonNode request;
    try {
      request = Json.MAPPER.readTree(body);
    } catch (Exception e) {
      return false;
    }
    if (request == null || !request.isObject()) {
      return false;
    }
    int users = 0;
    String lastUser = null;
    String lastRole = null;
    for (String field : new String[] {"history", "messages"}) {
      for (JsonNode message : request.path(field)) {
        lastRole = message.path("role").asText(null);
        if ("user".equals(lastRole)) {
          users++;
          lastUser = message.path("content").isTextual() ? message.path("content").asText() : "";
        }
      }
    }
    if (parameters.containsKey("turns") && parameters.getInt("turns") != users) {
      return false;
    }
    if (parameters.containsKey("lastUserMessage")
        && (lastUser == null || !lastUser.contains(parameters.getString("lastUserMessage")))) {
      return false;
    }
    if (parameters.containsKey("lastUserMessageMatches")
        && (lastUser == null
            || !Pattern.compile(parameters.getString("lastUserMessageMatches"), Pattern.DOTALL)
                .matcher(lastUser)
                .matches())) {
      return false;
    }
    if (parameters.containsKey("lastRole") && !parameters.getString("lastRole").equals(lastRole)) {
      return false;
    }
    if (parameters.containsKey("model")
        && !parameters.getString("model").equals(request.path("model").asText(null))) {
      return false;
    }
    if (parameters.containsKey("stream")
        && bool(parameters.get("stream")) != request.path("stream").asBoolean(false)) {
      return false;
    }
    if (parameters.containsKey("messages")) {
      com.fasterxml.jackson.databind.node.ArrayNode conversation = Json.MAPPER.createArrayNode();
      request.path("history").forEach(conversation::add);
      request.path("messages").forEach(conversation::add);
      if (!Json.MAPPER.valueToTree(parameters.get("messages")).equals(conversation)) {
        return false;
      }
    }
    if (parameters.containsKey("hasTools")) {
      boolean offers = request.path("tools").size() > 0 || request.path("functions").size() > 0;
      return offers == bool(parameters.get("hasTools"));
    }
    return true;
  }

  private static boolean bool(Object value) {
    return Boolean.parseBoolean(String.valueOf(value).toLowerCase(Locale.ROOT));
  }
}
