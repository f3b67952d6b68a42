package org.chatglmkit.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.chatglmkit.mockserver.settings.Settings;
import org.junit.jupiter.api.Test;

/** A load run reads its settings by the toolkit's one rule, the environment included. */
class LoadConfigTest {

  @Test
  void readsTheEnvironmentWhenNoPropertyIsGiven() {
    LoadConfig config =
        LoadConfig.from(
            Settings.of(Map.of())
                .withEnvironment(
                    Map.of(
                        "CHATGLM_LOAD_PROFILE", "rate",
                        "CHATGLM_LOAD_RATE", "7",
                        "CHATGLM_LOAD_VALIDATE", "false",
                        "CHATGLM_SLO_TTFT_MS", "250")));
    assertThat(config.profile()).isEqualTo("rate");
    assertThat(config.rate()).isEqualTo(7);
    assertThat(config.duration()).isEqualTo(Duration.ofSeconds(30));
    assertThat(config.validate()).isFalse();
    assertThat(config.slo().ttftMillis()).isEqualTo(250);
  }

  @Test
  void anExplicitValueWinsOverTheEnvironment() {
    LoadConfig config =
        LoadConfig.from(
            Settings.of(Map.of("chatglm.load.max-tokens", "16"))
                .withEnvironment(Map.of("CHATGLM_LOAD_MAX_TOKENS", "99")));
    assertThat(config.maxTokens()).isEqualTo(16);
  }

  @Test
  void namesASettingThatIsNotANumber() {
    Settings settings = Settings.of(Map.of("chatglm.load.users", "many"));
    assertThatThrownBy(() -> LoadConfig.from(settings))
        .hasMessageContaining("chatglm.load.users (CHATGLM_LOAD_USERS)");
  }

  @Test
  void durationsTakeUnitsAndTheOlderWholeSecondsStillWork() {
    assertThat(LoadConfig.from(Settings.of(Map.of("chatglm.load.duration", "1.5s"))).duration())
        .isEqualTo(Duration.ofMillis(1_500));
    assertThat(LoadConfig.from(Settings.of(Map.of("chatglm.load.warmup", "2m"))).warmup())
        .isEqualTo(Duration.ofMinutes(2));
    assertThat(LoadConfig.from(Settings.of(Map.of("chatglm.load.duration-s", "7"))).duration())
        .isEqualTo(Duration.ofSeconds(7));
    assertThatThrownBy(() -> LoadConfig.from(Settings.of(Map.of("chatglm.load.duration", "soon"))))
        .hasMessageContaining("'soon' is not a duration");
  }

  @Test
  void aSmokeAllowsNoErrorAndNoBufferedStreamUnlessToldOtherwise() {
    LoadConfig smoke = LoadConfig.from(Settings.of(Map.of()));
    assertThat(smoke.thresholds().errorRate()).isZero();
    assertThat(smoke.thresholds().bufferedShare()).isEqualTo(0.5);
    LoadConfig rate = LoadConfig.from(Settings.of(Map.of("chatglm.load.profile", "rate")));
    assertThat(rate.thresholds().errorRate()).isNull();
    assertThat(rate.thresholds().bufferedShare()).isNull();
    assertThat(rate.thresholds().violations()).isZero();
  }

  @Test
  void refusesWhatCannotBeRun() {
    assertThatThrownBy(() -> LoadConfig.from(Settings.of(Map.of("chatglm.load.profile", "fast"))))
        .hasMessageContaining("unknown load profile 'fast'");
    assertThatThrownBy(
            () ->
                LoadConfig.from(
                    Settings.of(
                        Map.of("chatglm.load.injectors", "2", "chatglm.load.injector-index", "2"))))
        .hasMessageContaining("from 0 to 1");
    assertThatThrownBy(
            () -> LoadConfig.from(Settings.of(Map.of("chatglm.load.output-tokens", "32"))))
        .hasMessageContaining("need input lengths");
  }
}
