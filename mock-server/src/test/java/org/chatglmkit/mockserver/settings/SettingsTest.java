package org.chatglmkit.mockserver.settings;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The one settings rule: explicit, then system property, then environment, then default. */
class SettingsTest {
  private static final String NAME = "chatglm.test.settings-rule";

  @AfterEach
  void clear() {
    System.clearProperty(NAME);
  }

  private static Settings with(Map<String, String> explicit, Map<String, String> environment) {
    return Settings.of(explicit).withEnvironment(environment);
  }

  @Test
  void takesTheExplicitValueFirstThenThePropertyThenTheEnvironmentThenTheDefault() {
    Map<String, String> environment = Map.of("CHATGLM_TEST_SETTINGS_RULE", "from-env");
    assertThat(with(Map.of(), Map.of()).text(NAME, "default")).isEqualTo("default");
    assertThat(with(Map.of(), environment).text(NAME, "default")).isEqualTo("from-env");
    System.setProperty(NAME, "from-property");
    assertThat(with(Map.of(), environment).text(NAME, "default")).isEqualTo("from-property");
    assertThat(with(Map.of(NAME, "explicit"), environment).text(NAME, "default"))
        .isEqualTo("explicit");
  }

  @Test
  void anExplicitBlankMeansNoneAndStopsTheSearch() {
    System.setProperty(NAME, "from-property");
    Map<String, String> explicit = new HashMap<>();
    explicit.put(NAME, " ");
    assertThat(with(explicit, Map.of()).text(NAME)).isEmpty();
  }

  @Test
  void readsNumbersFlagsAndLinesAndNamesTheSettingWhenAValueIsWrong() {
    Settings settings =
        with(
            Map.of(
                "chatglm.a", "12",
                "chatglm.b", "0.5",
                "chatglm.c", "yes",
                "chatglm.d", "X-One: 1\n\n X-Two: 2 ",
                "chatglm.e", "twelve"),
            Map.of());
    assertThat(settings.whole("chatglm.a", 0)).isEqualTo(12);
    assertThat(settings.number("chatglm.b", 0)).isEqualTo(0.5);
    assertThat(settings.flag("chatglm.c", false)).isTrue();
    assertThat(settings.lines("chatglm.d")).containsExactly("X-One: 1", "X-Two: 2");
    assertThatThrownBy(() -> settings.whole("chatglm.e", 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("chatglm.e (CHATGLM_E) must be a whole number, got 'twelve'");
  }

  @Test
  void namesTheEnvironmentVariableOfEachProperty() {
    assertThat(Settings.environmentName("chatglm.load.max-tokens"))
        .isEqualTo("CHATGLM_LOAD_MAX_TOKENS");
    assertThat(Settings.environmentName("chatglm.target.api-key")).isEqualTo("CHATGLM_API_KEY");
    assertThat(Settings.environmentName("chatglm.target.model")).isEqualTo("CHATGLM_MODEL");
  }
}
