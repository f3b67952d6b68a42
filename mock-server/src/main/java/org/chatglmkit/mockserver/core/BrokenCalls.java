package org.chatglmkit.mockserver.core;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Writes the parts of a call that a {@link FaultKind#breaksCalls() call-breaking fault} breaks, so
 * that client teams can test how they handle a server that calls tools wrongly. Without such a
 * fault each part is written as it is.
 */
final class BrokenCalls {
  private BrokenCalls() {}

  /** The call's id, or none under {@link FaultKind#TOOL_CALL_NO_ID}. */
  static void id(ObjectNode call, String id, FaultKind fault) {
    if (fault != FaultKind.TOOL_CALL_NO_ID) {
      call.put("id", id);
    }
  }

  /** {@code name} and {@code arguments} of a whole call. */
  static void function(ObjectNode function, ToolCall call, FaultKind fault) {
    function.put("name", call.name());
    if (fault == FaultKind.TOOL_ARGS_OBJECT) {
      try {
        function.set("arguments", Json.MAPPER.readTree(call.arguments()));
      } catch (JsonProcessingException e) {
        function.putObject("arguments").put("fragment", call.arguments());
      }
    } else {
      argumentsText(function, call.arguments(), fault);
    }
  }

  /**
   * One streamed piece of the arguments: a string, or an object under {@link
   * FaultKind#TOOL_ARGS_OBJECT}.
   */
  static void argumentsPiece(ObjectNode function, String piece, FaultKind fault) {
    if (fault == FaultKind.TOOL_ARGS_OBJECT) {
      function.putObject("arguments").put("fragment", piece);
    } else {
      argumentsText(function, piece, fault);
    }
  }

  private static void argumentsText(ObjectNode function, String text, FaultKind fault) {
    // The arguments' first brace, doubled, makes them no JSON, streamed or whole.
    function.put(
        "arguments", fault == FaultKind.TOOL_ARGS_NOT_JSON ? text.replaceFirst("\\{", "{{") : text);
  }
}
