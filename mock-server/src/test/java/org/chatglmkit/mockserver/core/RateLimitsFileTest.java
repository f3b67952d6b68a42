package org.chatglmkit.mockserver.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A limits file: what it sets, and one line naming file, line and field when it is wrong. */
class RateLimitsFileTest {
  @TempDir Path dir;

  private Path file(String text) throws Exception {
    return Files.writeString(dir.resolve("limits.json"), text);
  }

  @Test
  void readsDefaultsAndKeys() throws Exception {
    RateLimits limits =
        RateLimits.read(
            file(
                """
                {"default": {"requests_per_minute": 60, "tokens_per_minute": 40000},
                 "keys": {"sk-team-a-0123456789": {"requests_per_minute": 600,
                                                   "concurrent_streams": 8}}}
                """));
    assertThat(limits.of("sk-team-a-0123456789")).isEqualTo(new RateLimits.Limit(600, 40000L, 8));
    assertThat(limits.of("someone")).isEqualTo(new RateLimits.Limit(60, 40000L, 0));
    assertThat(limits.toString()).doesNotContain("sk-team-a").contains("…6789");
  }

  @Test
  void anUnknownFieldIsNamedWithItsLine() throws Exception {
    Path file =
        file(
            """
            {"default": {"requests_per_minute": 60},
             "keys": {"sk-secret-key-0001": {
                "request_per_minute": 5}}}
            """);
    assertThatThrownBy(() -> RateLimits.read(file))
        .hasMessageStartingWith(file + " line 3, field keys.…0001.request_per_minute")
        .hasMessageContaining("unknown field 'request_per_minute'")
        .hasMessageContaining("requests_per_minute")
        .hasMessageNotContaining("sk-secret");
  }

  @Test
  void aNegativeLimitIsNamed() throws Exception {
    Path file =
        file(
            """
            {"default": {
               "tokens_per_minute": -5}}
            """);
    assertThatThrownBy(() -> RateLimits.read(file))
        .hasMessageStartingWith(file + " line 2")
        .hasMessageContaining("field default")
        .hasMessageContaining("tokens_per_minute must be 0 (no limit) or more, got -5");
  }

  @Test
  void jsonThatDoesNotParseIsNamedWithItsLine() throws Exception {
    Path file = file("{\"default\": {\n \"requests_per_minute\": 60,,\n}}");
    assertThatThrownBy(() -> RateLimits.read(file))
        .hasMessageStartingWith(file + " line 2")
        .satisfies(e -> assertThat(e.getMessage().lines()).hasSize(1));
    Path wrongType = file("{\"default\": {\"requests_per_minute\": \"sixty\"}}");
    assertThatThrownBy(() -> RateLimits.read(wrongType))
        .hasMessageStartingWith(wrongType + " line 1, field default.requests_per_minute");
  }
}
