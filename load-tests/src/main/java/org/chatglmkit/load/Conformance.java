package org.chatglmkit.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.chatglmkit.mockserver.client.ToolCalls;
import org.chatglmkit.mockserver.core.Json;
import org.chatglmkit.schemas.ChatGlmSchemas;
import org.chatglmkit.schemas.Profile;
import org.chatglmkit.schemas.Shape;
import org.chatglmkit.schemas.ToolParameters;
import org.chatglmkit.schemas.Violation;

/**
 * Conformance under load: every answer, chunk and error body is checked, violations counted by
 * rule. In a run the checks happen on a thread of their own, so that validating one stream's chunks
 * never delays the timestamps of another's on the load generator's threads; {@link #drain} waits
 * for them before the report.
 */
final class Conformance {
  private static final String WORKER = "chatglm-load-conformance";

  /** How many documents a run keeps to check at its end (about 300 bytes each). */
  static final int DEFERRED_LIMIT = 250_000;

  private record Deferred(Shape shape, String text) {}

  private final Queue<Deferred> deferred = new ConcurrentLinkedQueue<>();
  private final AtomicInteger deferredCount = new AtomicInteger();

  private final Profile profile;
  private final Metrics metrics;
  private final boolean enabled;
  private final ExecutorService worker;

  /** Checks inline, on the caller's thread (for tests). */
  Conformance(Profile profile, Metrics metrics, boolean enabled) {
    this(profile, metrics, enabled, false);
  }

  Conformance(Profile profile, Metrics metrics, boolean enabled, boolean background) {
    this.profile = profile;
    this.metrics = metrics;
    this.enabled = enabled;
    this.worker =
        background
            ? Executors.newSingleThreadExecutor(
                task -> {
                  Thread thread = new Thread(task, WORKER);
                  thread.setDaemon(true);
                  return thread;
                })
            : null;
  }

  /** Whether answers are held to {@code profile}'s rules (the openai profile holds both). */
  boolean holds(Profile ruleProfile) {
    return profile.includes(ruleProfile);
  }

  void check(Shape shape, JsonNode document) {
    if (!enabled) {
      return;
    }
    if (worker == null || onWorker()) {
      validate(shape, document);
    } else {
      worker.execute(() -> validate(shape, document));
    }
  }

  /**
   * Checks a document given both parsed and as its text: in a run, kept to be checked at the end
   * while fewer than {@link #DEFERRED_LIMIT} are waiting, else checked now.
   */
  void check(Shape shape, JsonNode document, String text) {
    if (!enabled) {
      return;
    }
    if (worker != null && text != null && deferredCount.incrementAndGet() <= DEFERRED_LIMIT) {
      deferred.add(new Deferred(shape, text));
      return;
    }
    check(shape, document);
  }

  /** How many documents were checked after the load ended. */
  int deferred() {
    return Math.min(deferredCount.get(), DEFERRED_LIMIT);
  }

  /** Runs {@code task} on the checks' thread (inline when there is none). */
  void background(Runnable task) {
    if (worker == null) {
      task.run();
      return;
    }
    try {
      worker.execute(task);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      task.run(); // after drain(): a straggler is still counted
    }
  }

  private boolean onWorker() {
    return Thread.currentThread().getName().equals(WORKER);
  }

  private void validate(Shape shape, JsonNode document) {
    metrics.checked();
    for (Violation violation : ChatGlmSchemas.get().validate(shape, profile, document)) {
      metrics.violation(violation.ruleId());
    }
  }

  /**
   * An answer's calls, against the tools its request offered: each call names an offered function
   * and its arguments are a string that holds a JSON object valid against the function's
   * parameters. What the calls' reading found wrong (a delta without an index, an id that changed)
   * counts under its own rule. Checked even with {@code --no-validate}: the agent loop answers
   * them.
   */
  void checkCalls(ToolCalls calls, ArrayNode tools) {
    background(
        () -> {
          for (String problem : calls.problems()) {
            metrics.violation(problem.substring(0, problem.indexOf(':')));
          }
          if ("length".equals(calls.finishReason())) {
            return; // max_tokens cut the call: its arguments may end anywhere
          }
          for (ToolCalls.Call call : calls.calls()) {
            Optional<JsonNode> parameters =
                AgentLoop.parameters(tools, String.valueOf(call.name()));
            ToolCalls.Parsed parsed = call.parsed();
            if (parameters.isEmpty()) {
              metrics.violation("TOOLS-CALL-SHAPE");
            } else if (parsed.problem() != null) {
              metrics.violation("TOOLS-ARGUMENTS-JSON");
            } else if (!ToolParameters.get()
                .validate(parameters.get(), parsed.object())
                .isEmpty()) {
              metrics.violation("TOOLS-ARGUMENTS-VALID");
            }
          }
        });
  }

  /** An error answer: the error shape, and Retry-After on 429 and 529. */
  void checkError(int status, JsonNode body, String retryAfter) {
    if (!enabled) {
      return;
    }
    check(Shape.ERROR, body);
    if ((status == 429 || status == 529) && (retryAfter == null || !retryAfter.matches("\\d+"))) {
      metrics.violation("ERR-RETRY-AFTER");
    }
  }

  /** Checks what was kept for the end, and waits (at most two minutes) for every check queued. */
  void drain() {
    if (worker == null) {
      return;
    }
    worker.execute(
        () -> {
          Deferred next;
          while ((next = deferred.poll()) != null) {
            validate(next.shape(), Conformance.parse(next.text()));
          }
        });
    worker.shutdown();
    try {
      if (!worker.awaitTermination(120, TimeUnit.SECONDS)) {
        worker.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** {@code text} as JSON, or JSON {@code null} when it is not JSON. */
  static JsonNode parse(String text) {
    try {
      return Json.MAPPER.readTree(text);
    } catch (Exception e) {
      return Json.MAPPER.nullNode();
    }
  }
}
