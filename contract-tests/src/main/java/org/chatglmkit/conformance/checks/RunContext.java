package org.chatglmkit.conformance.checks;

import java.time.Duration;
import java.util.function.UnaryOperator;
import org.chatglmkit.conformance.http.ChatGlmClient;
import org.chatglmkit.mockserver.target.OpenTarget;
import org.chatglmkit.mockserver.target.Target;
import org.chatglmkit.mockserver.target.TargetSettings;

/**
 * What every check of one run shares: the target (the embedded server is started once), the client
 * and its record of errors, and the run's tunables.
 *
 * @param open the target, closed when the run ends
 * @param client the client every check uses
 * @param minStreamSpreadMillis how far the first content event must come before the stream's end
 * @param oversizedBytes the size of the body that probes the body limit
 */
public record RunContext(
    OpenTarget open, ChatGlmClient client, long minStreamSpreadMillis, int oversizedBytes)
    implements AutoCloseable {

  public static final String TIMEOUT_SECONDS = "chatglm.timeout-s";
  public static final String MIN_STREAM_SPREAD_MS = "chatglm.stream.min-spread-ms";
  public static final String OVERSIZED_BYTES = "chatglm.oversized-bytes";

  /** Reads the settings through {@code parameters}, then system properties and the environment. */
  public static RunContext open(UnaryOperator<String> parameters) {
    TargetSettings settings = TargetSettings.resolve(parameters);
    long timeout = number(parameters, TIMEOUT_SECONDS, 60);
    OpenTarget open = settings.open();
    return new RunContext(
        open,
        new ChatGlmClient(open.target(), Duration.ofSeconds(timeout)),
        number(parameters, MIN_STREAM_SPREAD_MS, 10),
        (int) number(parameters, OVERSIZED_BYTES, 2 * 1024 * 1024 + 1));
  }

  private static long number(UnaryOperator<String> parameters, String name, long fallback) {
    String value = parameters.apply(name);
    if (value == null || value.isBlank()) {
      value = System.getProperty(name);
    }
    return value == null || value.isBlank() ? fallback : Long.parseLong(value.strip());
  }

  public Target target() {
    return open.target();
  }

  @Override
  public void close() {
    open.close();
  }
}
