package org.chatglmkit.load.workload;

import com.fasterxml.jackson.databind.node.ArrayNode;
import java.util.List;

/**
 * What one virtual user sends: earlier messages given as context, then one request per turn. In a
 * multi-turn session each answer joins the context of the next turn.
 *
 * @param context messages before the first turn (a recorded conversation's earlier turns, a system
 *     prompt), maybe empty
 * @param turns the requests, in order
 */
public record Conversation(ArrayNode context, List<Turn> turns) {
  public Conversation {
    turns = List.copyOf(turns);
    if (turns.isEmpty()) {
      throw new IllegalArgumentException("a conversation needs at least one turn");
    }
  }

  /**
   * One request's own messages (usually one user message).
   *
   * @param messages the messages this turn adds
   * @param maxTokens its {@code max_tokens}, or {@code null} for the run's
   * @param inputTokens the input length it was made for (synthetic and trace workloads), or -1
   * @param tools the tools this turn offers (a dataset line's own {@code tools}), or {@code null}
   *     for the run's
   */
  public record Turn(ArrayNode messages, Integer maxTokens, int inputTokens, ArrayNode tools) {
    /** A turn that offers the run's tools, if any. */
    public Turn(ArrayNode messages, Integer maxTokens, int inputTokens) {
      this(messages, maxTokens, inputTokens, null);
    }
  }
}
