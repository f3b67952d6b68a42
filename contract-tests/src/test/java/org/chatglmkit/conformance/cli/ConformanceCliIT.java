package org.chatglmkit.conformance.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import org.chatglmkit.mockserver.server.ReferenceServer;
import org.chatglmkit.mockserver.server.ServerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command's contract: its exit codes, its table, its one-line errors. */
class ConformanceCliIT {
  @TempDir Path reports;

  @Test
  void passesTheEmbeddedReferenceServerWithExitZeroAndATable() {
    CliRun run = CliRun.of("--report-dir", reports.toString());
    assertThat(run.code()).isZero();
    assertThat(run.out())
        .contains("embedded reference server")
        .containsPattern("AUTH-BEARER-HEADER +PASS");
    assertThat(run.out()).contains("0 fail");
    assertThat(reports.resolve("summary.json")).exists();
  }

  @Test
  void exitsTwoWithOneLineForAnUnreachableTarget() throws IOException {
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    CliRun run =
        CliRun.of(
            "--target",
            "http://127.0.0.1:" + port,
            "--api-key",
            "k",
            "--report-dir",
            reports.toString());
    assertThat(run.code()).isEqualTo(2);
    assertThat(run.err()).startsWith("chatglm-conformance: cannot reach 127.0.0.1:" + port);
    assertThat(run.err().lines()).hasSize(1);
  }

  @Test
  void exitsOneWhenARuleFails() {
    try (ReferenceServer server = ReferenceServer.start(ServerConfig.builder().port(0).build())) {
      CliRun run =
          CliRun.of(
              "--target",
              server.baseUrl(),
              "--api-key",
              ServerConfig.DEVELOPMENT_KEY,
              "--forbidden-key",
              "a-key-the-server-does-not-know",
              "--report-dir",
              reports.toString());
      assertThat(run.code()).isEqualTo(1);
      assertThat(run.out())
          .containsPattern("AUTH-FORBIDDEN-KEY-403 +FAIL")
          .contains("expected 403, got 401");
    }
  }

  @Test
  void exitsTwoForUsageErrors() {
    String dir = reports.toString();
    CliRun profile = CliRun.of("--profile", "strictest", "--report-dir", dir);
    assertThat(profile.code()).isEqualTo(2);
    assertThat(profile.err()).contains("profile");
    assertThat(CliRun.of("--no-such-flag").code()).isEqualTo(2);
    assertThat(CliRun.of("--target", "ftp://example.org", "--api-key", "k").code()).isEqualTo(2);
    CliRun unknownRule = CliRun.of("--waive", "NO-SUCH-RULE=because", "--report-dir", dir);
    assertThat(unknownRule.code()).isEqualTo(2);
    assertThat(unknownRule.err())
        .isEqualTo("chatglm-conformance: --waive names no rule of the catalogue: NO-SUCH-RULE");
    CliRun noReason = CliRun.of("--waive", "RESP-ID", "--report-dir", dir);
    assertThat(noReason.code()).isEqualTo(2);
    assertThat(noReason.err()).contains("needs a reason");
    CliRun header = CliRun.of("--header", "no colon here", "--report-dir", dir);
    assertThat(header.code()).isEqualTo(2);
    assertThat(header.err()).contains("not a header");
    CliRun baseline = CliRun.of("--baseline", reports.resolve("missing.json").toString());
    assertThat(baseline.code()).isEqualTo(2);
    assertThat(baseline.err()).contains("--baseline: cannot read");
  }
}
