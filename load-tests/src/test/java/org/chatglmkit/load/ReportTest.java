package org.chatglmkit.load;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.chatglmkit.mockserver.client.Target;
import org.chatglmkit.mockserver.core.Json;
import org.chatglmkit.mockserver.settings.Settings;
import org.chatglmkit.schemas.Profile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportTest {
  @TempDir Path dir;

  private static Metrics metrics(long ttftMillis, int requests) {
    Metrics metrics = new Metrics(new LoadConfig.Slo(150.0, null, null));
    for (int i = 0; i < requests; i++) {
      long sent = System.nanoTime();
      long first = sent + ttftMillis * 1_000_000;
      metrics.success(sent, List.of(first, first + 20_000_000L), first + 20_000_000L, 5, 2);
    }
    metrics.failure(System.nanoTime(), "http-429");
    metrics.finish();
    return metrics;
  }

  private static LoadConfig config(Double p99Ttft, Double errorRate) {
    Map<String, String> settings = new HashMap<>();
    settings.put("chatglm.load.profile", "rate");
    settings.put("chatglm.load.duration", "1s");
    settings.put("chatglm.slo.ttft-ms", "150");
    if (p99Ttft != null) {
      settings.put("chatglm.assert.p99-ttft-ms", p99Ttft.toString());
    }
    if (errorRate != null) {
      settings.put("chatglm.assert.error-rate", errorRate.toString());
    }
    return LoadConfig.from(Settings.of(settings::get));
  }

  private static final Target TARGET =
      new Target("http://127.0.0.1:1", "k", null, Profile.OPENAI, false);

  @Test
  void namesFiguresAsVllmDoesAndComputesTpotAndGoodput() {
    Report report = Report.of("Sim", config(null, null), TARGET, metrics(100, 10));
    ObjectNode summary = report.summary();
    assertThat(summary.path("completed").asLong()).isEqualTo(10);
    assertThat(summary.path("failed").asLong()).isEqualTo(1);
    assertThat(summary.path("median_ttft_ms").asDouble()).isBetween(99.0, 101.0);
    assertThat(summary.path("median_itl_ms").asDouble()).isBetween(19.9, 20.1);
    assertThat(summary.path("median_tpot_ms").asDouble()).isBetween(19.9, 20.1);
    assertThat(summary.path("p99_e2el_ms").asDouble()).isBetween(119.0, 121.0);
    assertThat(summary.path("total_output_tokens").asLong()).isEqualTo(20);
    assertThat(summary.path("errors_by_kind").path("http-429").asLong()).isEqualTo(1);
    assertThat(summary.path("request_goodput").asDouble()).isPositive();
    assertThat(report.breaches()).isEmpty();
  }

  @Test
  void thePageSaysWhereTokenCountsCameFromAndHowTheScheduleWentInWords() throws Exception {
    Report.of("Sim", config(null, null), TARGET, metrics(100, 10)).write(dir.resolve("words"));
    String page = Files.readString(dir.resolve("words/report.html"));
    assertThat(page)
        .contains("<h2>Token counts</h2>")
        .contains("the answer's own usage")
        .contains("<h2>Arrival schedule</h2>")
        .doesNotContain("{\"input_source\"")
        .doesNotContain("{\"usage\"");
    com.fasterxml.jackson.databind.JsonNode schedule =
        Json.MAPPER.readTree(
            "{\"arrivals_started\":9,\"arrivals_planned\":10,\"requested_rate\":4.0,"
                + "\"achieved_rate\":3.9,\"lag_p50_ms\":1.5,\"lag_p99_ms\":9.0,"
                + "\"lag_max_ms\":12.0,\"generator_behind\":true}");
    assertThat(ReportPage.scheduleTable(schedule))
        .contains("9 of 10 planned")
        .contains("3.9/s achieved of 4.0/s planned")
        .contains("p50 1.5 ms, p99 9.0 ms, max 12.0 ms")
        .contains("fell behind its schedule");
  }

  @Test
  void anySchemaViolationFailsTheRunByDefault() {
    Metrics metrics = metrics(100, 3);
    metrics.violation("RESP-USAGE");
    Report report = Report.of("Sim", config(null, null), TARGET, metrics);
    assertThat(report.summary().path("violations_by_rule").path("RESP-USAGE").asLong())
        .isEqualTo(1);
    assertThat(report.breaches()).singleElement().asString().contains("schema violations");
  }

  @Test
  void breachesFailTheRun() {
    Report report = Report.of("Sim", config(50.0, 0.0), TARGET, metrics(100, 10));
    assertThat(report.breaches()).hasSize(2);
    assertThat(report.breaches().get(0)).contains("p99 TTFT");
    org.assertj.core.api.Assertions.assertThatThrownBy(report::requirePassed)
        .isInstanceOf(Report.ThresholdBreached.class)
        .hasMessageContaining("error rate");
  }

  @Test
  void mergesInjectorsExactly() throws Exception {
    Report slow = Report.of("A", config(null, null), TARGET, metrics(300, 10));
    Report fast = Report.of("B", config(null, null), TARGET, metrics(100, 30));
    slow.write(dir.resolve("a"));
    fast.write(dir.resolve("b"));
    ObjectNode merged =
        Merge.merge(List.of(dir.resolve("a/summary.json"), dir.resolve("b/summary.json")));
    assertThat(merged.path("completed").asLong()).isEqualTo(40);
    assertThat(merged.path("failed").asLong()).isEqualTo(2);
    // 30 of 40 at 100 ms, 10 at 300 ms: the merged median is 100 ms, the p90 300 ms.
    assertThat(merged.path("median_ttft_ms").asDouble()).isBetween(99.0, 101.0);
    assertThat(merged.path("p90_ttft_ms").asDouble()).isBetween(299.0, 301.0);
    assertThat(Json.MAPPER.convertValue(merged.path("errors_by_kind"), Map.class))
        .containsEntry("http-429", 2L);
    String page = Files.readString(dir.resolve("a/report.html"));
    assertThat(page)
        .contains("alt=\"Latency by percentile\"")
        .contains("alt=\"Latency over time\"");
    // The charts are real pictures: the first one decodes as a PNG of the page's size.
    String base64 =
        page.substring(page.indexOf("base64,") + 7, page.indexOf('"', page.indexOf("base64,")));
    java.awt.image.BufferedImage image =
        javax.imageio.ImageIO.read(
            new java.io.ByteArrayInputStream(java.util.Base64.getDecoder().decode(base64)));
    assertThat(image.getWidth()).isEqualTo(760);
    assertThat(image.getHeight()).isEqualTo(360);
  }
}
