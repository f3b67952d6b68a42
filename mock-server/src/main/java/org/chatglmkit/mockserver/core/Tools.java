package org.chatglmkit.mockserver.core;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Optional;

/**
 * The functions a request offers and what it asks of them: {@code tools} with {@code tool_choice}
 * and {@code parallel_tool_calls}, or the older {@code functions} with {@code function_call}
 * (docs/api-reading.md section 8).
 *
 * @param functions the offered functions, in request order; empty when none are
 * @param choice whether and which to call
 * @param named the function {@link Choice#NAMED} asks for, else {@code null}
 * @param parallel whether one answer may call several functions
 * @param legacy whether they came as {@code functions}: the answer then carries one {@code
 *     function_call} and finishes with {@code function_call}
 * @param definitions the {@code tools} (or {@code functions}) list as the request gave it, for a
 *     model whose prompt quotes it; an empty list when none are offered
 */
public record Tools(
    List<Function> functions,
    Choice choice,
    String named,
    boolean parallel,
    boolean legacy,
    JsonNode definitions) {

  /** No functions offered. */
  public static final Tools NONE =
      new Tools(List.of(), Choice.NONE, null, false, false, Json.MAPPER.createArrayNode());

  public Tools {
    functions = List.copyOf(functions);
  }

  /**
   * An offered function.
   *
   * @param name its name
   * @param description what it does, or {@code null}
   * @param parameters the JSON Schema of its arguments (an object schema); {@code {"type":
   *     "object"}} when the request gave none
   */
  public record Function(String name, String description, JsonNode parameters) {}

  /** Whether and which function to call. */
  public enum Choice {
    /** Never call. */
    NONE,
    /** Call when the model decides to. */
    AUTO,
    /** Call at least one function. */
    REQUIRED,
    /** Call {@link Tools#named()}. */
    NAMED
  }

  /** Whether any function may be called. */
  public boolean callable() {
    return !functions.isEmpty() && choice != Choice.NONE;
  }

  /** The offered function of that name. */
  public Optional<Function> function(String name) {
    return functions.stream().filter(f -> f.name().equals(name)).findFirst();
  }

  /** The finish reason of an answer that calls. */
  public String finishReason() {
    return legacy ? "function_call" : "tool_calls";
  }
}
