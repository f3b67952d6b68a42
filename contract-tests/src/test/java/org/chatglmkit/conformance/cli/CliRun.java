package org.chatglmkit.conformance.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.chatglmkit.mockserver.settings.CommandLines;

/**
 * The gate command run in this JVM as a user would run it, with what it printed.
 *
 * @param code the exit code
 * @param out what it printed on standard output
 * @param err what it printed on standard error, stripped
 * @param seconds how long it took
 */
public record CliRun(int code, String out, String err, double seconds) {

  /** Runs {@code chatglm-conformance ARGS}, capturing both streams. */
  public static synchronized CliRun of(String... args) {
    PrintStream savedOut = System.out;
    PrintStream savedErr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    long started = System.nanoTime();
    try {
      int code = CommandLines.create(new ConformanceCli()).execute(args);
      return new CliRun(
          code,
          out.toString(StandardCharsets.UTF_8),
          err.toString(StandardCharsets.UTF_8).strip(),
          (System.nanoTime() - started) / 1e9);
    } finally {
      System.setOut(savedOut);
      System.setErr(savedErr);
    }
  }
}
