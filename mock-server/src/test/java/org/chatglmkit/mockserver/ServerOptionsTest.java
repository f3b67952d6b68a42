package org.chatglmkit.mockserver;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.chatglmkit.mockserver.core.RateLimits;
import org.chatglmkit.mockserver.settings.CommandLines;
import org.chatglmkit.mockserver.settings.Settings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ServerOptionsTest {
  @Test
  void theServersOldMillisecondFlagsStillWork() {
    Main main = new Main();
    CommandLine line = CommandLines.create(main, Settings.system().withEnvironment(Map.of()));
    line.parseArgs("--ttft-ms", "250", "--itl", "30ms", "--retry-after-s", "3");
    var config = main.serverOptions().toBuilder(Main.DEFAULT_LATENCY).build();
    assertThat(config.latency().ttftMillis()).isEqualTo(250);
    assertThat(config.latency().itlMillis()).isEqualTo(30);
    assertThat(config.faults().retryAfterSeconds()).isEqualTo(3);
  }

  @Test
  void theServersOptionsHaveEnvironmentVariables() {
    Main main = new Main();
    CommandLines.create(
            main,
            Settings.system()
                .withEnvironment(Map.of("CHATGLM_SERVER_TTFT", "1s", "CHATGLM_SERVER_PORT", "0")))
        .parseArgs();
    var config = main.serverOptions().toBuilder(Main.DEFAULT_LATENCY).build();
    assertThat(config.latency().ttftMillis()).isEqualTo(1000);
    assertThat(config.port()).isZero();
  }

  @Test
  void limitsComeFromTheFileThenTheFlags(@TempDir Path dir) throws Exception {
    Path file =
        Files.writeString(
            dir.resolve("limits.json"),
            "{\"default\": {\"requests_per_minute\": 60, \"tokens_per_minute\": 40000},"
                + " \"keys\": {\"sk-team-a-0123\": {\"concurrent_streams\": 2}}}");
    Main main = new Main();
    CommandLines.create(main, Settings.system().withEnvironment(Map.of()))
        .parseArgs(
            "--limits-file", file.toString(), "--rpm", "30", "--key-limit", "sk-b-99:tpm=5,rpm=1");
    RateLimits limits = main.serverOptions().toBuilder(Main.DEFAULT_LATENCY).build().rateLimits();
    assertThat(limits.of("anyone")).isEqualTo(new RateLimits.Limit(30, 40000L, 0));
    assertThat(limits.of("sk-team-a-0123")).isEqualTo(new RateLimits.Limit(30, 40000L, 2));
    assertThat(limits.of("sk-b-99")).isEqualTo(new RateLimits.Limit(1, 5L, 0));
  }

  @Test
  void aBadLimitsFileStopsTheServerWithOneLineNamingFileLineAndField(@TempDir Path dir)
      throws Exception {
    Path file =
        Files.writeString(
            dir.resolve("limits.json"), "{\"default\": {\n  \"requests_per_minute\": -1}}");
    StringWriter err = new StringWriter();
    CommandLine line = CommandLines.create(new Main(), Settings.system().withEnvironment(Map.of()));
    line.setErr(new PrintWriter(err));
    assertThat(line.execute("--limits-file", file.toString(), "--port", "0")).isEqualTo(2);
    assertThat(err.toString().lines().findFirst().orElseThrow())
        .contains("--limits-file")
        .contains(file + " line 2, field default")
        .contains("requests_per_minute must be 0 (no limit) or more, got -1");
    StringWriter keyErr = new StringWriter();
    CommandLine keyLine =
        CommandLines.create(new Main(), Settings.system().withEnvironment(Map.of()));
    keyLine.setErr(new PrintWriter(keyErr));
    assertThat(keyLine.execute("--key-limit", "sk-secret-0001:rpm=-3", "--port", "0")).isEqualTo(2);
    assertThat(keyErr.toString())
        .contains("limits of key …0001: requests_per_minute must be 0 (no limit) or more, got -3")
        .doesNotContain("sk-secret");
  }

  @Test
  void aBadFaultRateIsOneLineAndExitTwo() {
    for (String rates : new String[] {"bogus=0.1", "cut=abc", "429=0.7,500=0.6"}) {
      StringWriter err = new StringWriter();
      CommandLine line =
          CommandLines.create(new Main(), Settings.system().withEnvironment(Map.of()));
      line.setErr(new PrintWriter(err));
      assertThat(line.execute("--fault-rate", rates, "--port", "0")).isEqualTo(2);
      assertThat(err.toString().lines().findFirst().orElseThrow())
          .startsWith("chatglm-mock-server: Invalid value for option '--fault-rate': ");
    }
  }
}
