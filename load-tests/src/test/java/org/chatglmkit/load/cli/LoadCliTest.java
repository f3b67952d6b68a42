package org.chatglmkit.load.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The command's options become the settings the Maven path reads. */
class LoadCliTest {
  private static Map<String, String> settings(String... args) {
    LoadCli cli = new LoadCli();
    new CommandLine(cli).parseArgs(args);
    return cli.settings();
  }

  @Test
  void optionsBecomeTheSettingsOfTheMavenPath() {
    Map<String, String> settings =
        settings(
            "--target",
            "http://127.0.0.1:9",
            "--model",
            "glm",
            "--header",
            "X-Tenant: a",
            "--profile",
            "rate",
            "--rate",
            "12.5",
            "--duration",
            "60s",
            "--warmup",
            "5s",
            "--slo",
            "ttft=500ms,tpot=0.05s,e2e=10",
            "--threshold",
            "p99_ttft=2s,error-rate=0.01,buffered-share=0.2",
            "--no-validate");
    assertThat(settings)
        .containsEntry("chatglm.target.url", "http://127.0.0.1:9")
        .containsEntry("chatglm.target.model", "glm")
        .containsEntry("chatglm.target.headers", "X-Tenant: a")
        .containsEntry("chatglm.load.profile", "rate")
        .containsEntry("chatglm.load.rate", "12.5")
        .containsEntry("chatglm.load.duration", "60s")
        .containsEntry("chatglm.load.warmup", "5s")
        .containsEntry("chatglm.slo.ttft-ms", "500.0")
        .containsEntry("chatglm.slo.tpot-ms", "50.0")
        .containsEntry("chatglm.slo.e2e-ms", "10.0")
        .containsEntry("chatglm.assert.p99-ttft-ms", "2000.0")
        .containsEntry("chatglm.assert.error-rate", "0.01")
        .containsEntry("chatglm.assert.buffered-share", "0.2")
        .containsEntry("chatglm.load.validate", "false");
  }

  @Test
  void namesAPairItCannotRead() {
    assertThatThrownBy(() -> settings("--slo", "latency=5ms"))
        .hasMessageContaining("--slo: 'latency=5ms' is not NAME=VALUE");
    assertThatThrownBy(() -> settings("--threshold", "error-rate=some"))
        .hasMessageContaining("error-rate: 'some' is not a number");
  }
}
