package org.chatglmkit.load;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.chatglmkit.mockserver.core.Json;
import org.chatglmkit.schemas.Profile;

/** Request bodies of a load run. */
final class Requests {
  private Requests() {}

  /**
   * One request.
   *
   * @param earlier the conversation so far (context, earlier turns and answers): in {@code history}
   *     for a server held to the documented profile, in front of {@code messages} for an
   *     OpenAI-style server (which ignores {@code history})
   * @param messages this turn's messages
   * @param model the {@code model} to name, or {@code null}
   * @param tools the tools to offer, or {@code null}
   */
  static String body(
      ArrayNode earlier,
      ArrayNode messages,
      int maxTokens,
      double temperature,
      boolean stream,
      String model,
      Profile profile,
      ArrayNode tools) {
    ObjectNode body = Json.MAPPER.createObjectNode();
    if (model != null) {
      body.put("model", model);
    }
    if (profile == Profile.DOCUMENTED) {
      body.set("messages", messages);
      if (!earlier.isEmpty()) {
        body.set("history", earlier);
      }
    } else {
      body.set("messages", earlier.deepCopy().addAll(messages));
    }
    body.put("max_tokens", maxTokens);
    body.put("temperature", temperature);
    if (tools != null) {
      body.set("tools", tools);
    }
    if (stream) {
      body.put("stream", true);
      // OpenAI-compatible servers then put usage in the last chunk: real input and output token
      // counts for streams too (servers that do not know the field ignore it).
      body.putObject("stream_options").put("include_usage", true);
    }
    return body.toString();
  }
}
