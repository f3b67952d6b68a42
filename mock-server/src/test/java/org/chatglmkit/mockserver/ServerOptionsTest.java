package org.chatglmkit.mockserver;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.chatglmkit.mockserver.settings.CommandLines;
import org.chatglmkit.mockserver.settings.Settings;
import org.junit.jupiter.api.Test;
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
}
