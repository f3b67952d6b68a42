package org.chatglmkit.mockserver.backend;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.chatglmkit.mockserver.core.ChatMessage;
import org.chatglmkit.mockserver.core.ChatRequest;
import org.chatglmkit.mockserver.core.Tools;

/**
 * Which functions the reference server calls, by a rule users can script their tests against
 * (docs/reference-server.md, "Tool calls"):
 *
 * <ul>
 *   <li>no functions offered, or {@code tool_choice: "none"}: no call;
 *   <li>a named choice: that function;
 *   <li>{@code "required"}: the first offered function;
 *   <li>{@code "auto"} (the default): every offered function whose name appears in the last user
 *       message, in offered order (only the first when {@code parallel_tool_calls} is false or the
 *       older {@code functions} were offered); none when the conversation ends in a tool's result
 *       or no name appears.
 * </ul>
 */
public final class ToolDecision {
  private ToolDecision() {}

  /** The functions to call, in order; empty for an answer in text. */
  public static List<Tools.Function> calls(ChatRequest request) {
    Tools tools = request.tools();
    if (!tools.callable()) {
      return List.of();
    }
    return switch (tools.choice()) {
      case NAMED -> List.of(tools.function(tools.named()).orElseThrow());
      case REQUIRED -> List.of(tools.functions().get(0));
      case AUTO -> mentioned(request);
      case NONE -> List.of();
    };
  }

  private static List<Tools.Function> mentioned(ChatRequest request) {
    List<ChatMessage> conversation = request.conversation();
    if (conversation.isEmpty() || conversation.get(conversation.size() - 1).isResult()) {
      return List.of();
    }
    String said = "";
    for (ChatMessage message : conversation) {
      if ("user".equals(message.role()) && message.content() != null) {
        said = message.content().toLowerCase(Locale.ROOT);
      }
    }
    List<Tools.Function> calls = new ArrayList<>();
    for (Tools.Function function : request.tools().functions()) {
      if (said.contains(function.name().toLowerCase(Locale.ROOT))) {
        calls.add(function);
        if (!request.tools().parallel() || request.tools().legacy()) {
          break;
        }
      }
    }
    return calls;
  }
}
