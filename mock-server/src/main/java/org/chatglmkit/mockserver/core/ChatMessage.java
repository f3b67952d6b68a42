package org.chatglmkit.mockserver.core;

import java.util.List;

/**
 * One turn of a conversation.
 *
 * @param role {@code system}, {@code user}, {@code assistant}, {@code tool} or {@code function}
 * @param content the text; may be {@code null} for an assistant turn
 * @param name the author's name, or the function's name in a {@code function} message
 * @param toolCalls the calls an assistant turn made ({@code tool_calls}, or its one {@code
 *     function_call}); empty for other turns
 * @param toolCallId the call a {@code tool} message answers, else {@code null}
 */
public record ChatMessage(
    String role, String content, String name, List<ToolCall> toolCalls, String toolCallId) {

  public ChatMessage {
    toolCalls = List.copyOf(toolCalls);
  }

  /** A turn without calls. */
  public ChatMessage(String role, String content, String name) {
    this(role, content, name, List.of(), null);
  }

  /** Whether this turn carries a tool's or function's result. */
  public boolean isResult() {
    return "tool".equals(role) || "function".equals(role);
  }
}
