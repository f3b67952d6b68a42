package org.chatglmkit.conformance.fuzz;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.chatglmkit.mockserver.core.Json;

/**
 * One generated request: valid by the schema, or valid but for one breakage.
 *
 * @param request the request body
 * @param breakage how it was broken, or {@code null} for a valid request
 * @param breaks the rule the broken request breaks (as the schema names it), or {@code null}
 */
record FuzzCase(ObjectNode request, Breakage breakage, String breaks) {
  /** Numbers as written ({@code 0.001}, not {@code 1E-3}), so a request reads as generated. */
  private static final ObjectWriter WRITER =
      Json.MAPPER.writer().with(StreamWriteFeature.WRITE_BIGDECIMAL_AS_PLAIN);

  boolean valid() {
    return breakage == null;
  }

  /** A valid request that asks for a stream. */
  boolean streamed() {
    return valid() && request.path("stream").asBoolean(false);
  }

  String json() {
    return json(request);
  }

  static String json(ObjectNode request) {
    try {
      return WRITER.writeValueAsString(request);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write a generated request", e);
    }
  }

  /** Valid, valid and streamed, or what it breaks. */
  String kind() {
    return valid() ? (streamed() ? "valid, streamed" : "valid") : "breaks " + breaks;
  }
}
