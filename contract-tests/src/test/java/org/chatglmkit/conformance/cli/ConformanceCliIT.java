package org.chatglmkit.conformance.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.chatglmkit.mockserver.server.ReferenceServer;
import org.chatglmkit.mockserver.server.ServerConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The command's contract: its exit codes, its table, its one-line errors. */
class ConformanceCliIT {
  @TempDir Path reports;

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();
  private PrintStream savedOut;
  private PrintStream savedErr;

  @BeforeEach
  void capture() {
    savedOut = System.out;
    savedErr = System.err;
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  @AfterEach
  void restore() {
    System.setOut(savedOut);
    System.setErr(savedErr);
  }

  private int run(String... args) {
    return new CommandLine(new ConformanceCli()).execute(args);
  }

  @Test
  void passesTheEmbeddedReferenceServerWithExitZeroAndATable() {
    assertThat(run("--report-dir", reports.toString())).isZero();
    String table = out.toString(StandardCharsets.UTF_8);
    assertThat(table)
        .contains("embedded reference server")
        .containsPattern("AUTH-BEARER-HEADER +PASS");
    assertThat(table).contains("0 fail");
    assertThat(reports.resolve("summary.json")).exists();
  }

  @Test
  void exitsTwoWithOneLineForAnUnreachableTarget() throws IOException {
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    int code =
        run(
            "--target",
            "http://127.0.0.1:" + port,
            "--api-key",
            "k",
            "--report-dir",
            reports.toString());
    assertThat(code).isEqualTo(2);
    String message = err.toString(StandardCharsets.UTF_8).strip();
    assertThat(message).startsWith("chatglm-conformance: cannot reach 127.0.0.1:" + port);
    assertThat(message.lines()).hasSize(1);
  }

  @Test
  void exitsOneWhenARuleFails() {
    try (ReferenceServer server = ReferenceServer.start(ServerConfig.builder().port(0).build())) {
      int code =
          run(
              "--target",
              server.baseUrl(),
              "--api-key",
              ServerConfig.DEVELOPMENT_KEY,
              "--forbidden-key",
              "a-key-the-server-does-not-know",
              "--report-dir",
              reports.toString());
      assertThat(code).isEqualTo(1);
      assertThat(out.toString(StandardCharsets.UTF_8))
          .containsPattern("AUTH-FORBIDDEN-KEY-403 +FAIL")
          .contains("expected 403, got 401");
    }
  }

  @Test
  void exitsTwoForUsageErrors() {
    assertThat(run("--profile", "strictest", "--report-dir", reports.toString())).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("profile");
    assertThat(run("--no-such-flag")).isEqualTo(2);
    assertThat(run("--target", "ftp://example.org", "--api-key", "k")).isEqualTo(2);
    err.reset();
    assertThat(run("--waive", "NO-SUCH-RULE=because", "--report-dir", reports.toString()))
        .isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8).strip())
        .isEqualTo("chatglm-conformance: --waive names no rule of the catalogue: NO-SUCH-RULE");
    err.reset();
    assertThat(run("--waive", "RESP-ID", "--report-dir", reports.toString())).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("needs a reason");
    err.reset();
    assertThat(run("--header", "no colon here", "--report-dir", reports.toString())).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("not a header");
    err.reset();
    assertThat(run("--baseline", reports.resolve("missing.json").toString())).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("--baseline: cannot read");
  }
}
