package org.chatglmkit.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.HdrHistogram.Histogram;
import org.chatglmkit.mockserver.client.Target;
import org.chatglmkit.mockserver.core.Json;

/**
 * The figures of a run under vLLM's names ({@code mean_ttft_ms}, {@code p99_itl_ms}, ...), the
 * thresholds it breached, and the histograms themselves so that runs of several injectors can be
 * merged. Written as {@code summary.json} and {@code report.html}, printed as a table.
 */
public final class Report {
  private final ObjectNode summary;
  private final List<String> breaches;
  private final List<Metrics.Sample> samples;

  Report(ObjectNode summary, List<String> breaches, List<Metrics.Sample> samples) {
    this.summary = summary;
    this.breaches = List.copyOf(breaches);
    this.samples = samples;
  }

  /** The JSON written to {@code summary.json}. */
  public ObjectNode summary() {
    return summary;
  }

  /** One line per threshold breached; empty when the run passes. */
  public List<String> breaches() {
    return breaches;
  }

  /** Fails the run (and the Maven build) when a threshold was breached. */
  public void requirePassed() {
    if (!breaches.isEmpty()) {
      throw new ThresholdBreached(String.join("; ", breaches));
    }
  }

  /** A load run breached a threshold of {@code chatglm.assert.*}. */
  public static final class ThresholdBreached extends RuntimeException {
    private static final long serialVersionUID = 1L;

    ThresholdBreached(String message) {
      super(message);
    }
  }

  static Report of(String simulation, LoadConfig config, Target target, Metrics metrics) {
    return of(simulation, config, target, metrics, Json.MAPPER.createObjectNode(), "");
  }

  static Report of(
      String simulation,
      LoadConfig config,
      Target target,
      Metrics metrics,
      ObjectNode schedule,
      String workload) {
    Map<String, Histogram> histograms = new LinkedHashMap<>();
    histograms.put("ttft", metrics.ttft);
    histograms.put("tpot", metrics.tpot);
    histograms.put("itl", metrics.itl);
    histograms.put("e2el", metrics.e2e);
    ObjectNode summary = Json.MAPPER.createObjectNode();
    summary.put("simulation", simulation);
    summary.put("target", target.baseUrl());
    summary.put("embedded_target", target.embedded());
    summary.put("profile", config.profile());
    summary.put("api_profile", target.profile().id());
    summary.put("workload", workload);
    summary.set("config", Json.MAPPER.valueToTree(config.describe()));
    fill(
        summary,
        histograms,
        metrics.durationSeconds(),
        metrics.completed.sum(),
        metrics.failed.sum(),
        metrics.good.sum(),
        metrics.inputTokens.sum(),
        metrics.outputTokens.sum(),
        Metrics.counts(metrics.errors),
        Metrics.counts(metrics.violations),
        metrics.checkedDocuments.sum());
    summary.put("warmup_requests", metrics.warmupRequests.sum());
    summary.put("buffered_streams", metrics.bufferedStreams.sum());
    long completedStreams = metrics.completed.sum();
    summary.put(
        "buffered_share",
        SummaryFormat.round(
            completedStreams == 0 ? 0 : (double) metrics.bufferedStreams.sum() / completedStreams));
    summary.set("schedule", schedule);
    ObjectNode tokens = summary.putObject("token_counts");
    tokens.set("input_source", Json.MAPPER.valueToTree(Metrics.counts(metrics.inputSources)));
    tokens.set("output_source", Json.MAPPER.valueToTree(Metrics.counts(metrics.outputSources)));
    tokens.set("compared", Json.MAPPER.valueToTree(Metrics.counts(metrics.compared)));
    tokens.set("mismatches", Json.MAPPER.valueToTree(Metrics.counts(metrics.mismatches)));
    if (config.sweeps()) {
      summary.set("capacity", Capacity.of(config, metrics.samples()).toJson());
    }
    List<String> breaches = breaches(summary, config.thresholds());
    summary.set("breaches", Json.MAPPER.valueToTree(breaches));
    summary.put("passed", breaches.isEmpty());
    return new Report(summary, breaches, metrics.samples());
  }

  /** Fills the vLLM-style figures from histograms and counters (also used when merging). */
  static void fill(
      ObjectNode summary,
      Map<String, Histogram> histograms,
      double duration,
      long completed,
      long failed,
      long good,
      long inputTokens,
      long outputTokens,
      Map<String, Long> errors,
      Map<String, Long> violations,
      long checked) {
    summary.put("duration", SummaryFormat.round(duration));
    summary.put("completed", completed);
    summary.put("failed", failed);
    summary.put("total_input_tokens", inputTokens);
    summary.put("total_output_tokens", outputTokens);
    summary.put("request_throughput", SummaryFormat.round(completed / duration));
    summary.put("request_goodput", SummaryFormat.round(good / duration));
    summary.put("output_throughput", SummaryFormat.round(outputTokens / duration));
    summary.put(
        "total_token_throughput", SummaryFormat.round((inputTokens + outputTokens) / duration));
    summary.put(
        "error_rate",
        SummaryFormat.round(completed + failed == 0 ? 0 : (double) failed / (completed + failed)));
    for (Map.Entry<String, Histogram> entry : histograms.entrySet()) {
      String name = entry.getKey();
      Histogram h = entry.getValue();
      boolean empty = h.getTotalCount() == 0;
      summary.put("mean_" + name + "_ms", empty ? 0 : SummaryFormat.round(h.getMean() / 1000));
      summary.put(
          "median_" + name + "_ms",
          empty ? 0 : SummaryFormat.round(h.getValueAtPercentile(50) / 1000.0));
      summary.put(
          "std_" + name + "_ms", empty ? 0 : SummaryFormat.round(h.getStdDeviation() / 1000));
      summary.put(
          "p90_" + name + "_ms",
          empty ? 0 : SummaryFormat.round(h.getValueAtPercentile(90) / 1000.0));
      summary.put(
          "p99_" + name + "_ms",
          empty ? 0 : SummaryFormat.round(h.getValueAtPercentile(99) / 1000.0));
    }
    summary.set("errors_by_kind", Json.MAPPER.valueToTree(errors));
    summary.set("violations_by_rule", Json.MAPPER.valueToTree(violations));
    summary.put("checked_documents", checked);
    ObjectNode encoded = summary.putObject("histograms_us");
    histograms.forEach((name, h) -> encoded.put(name, SummaryFormat.encode(h)));
  }

  static List<String> breaches(JsonNode summary, LoadConfig.Thresholds limits) {
    List<String> breaches = new ArrayList<>();
    limit(
        breaches, "p99 TTFT", summary.path("p99_ttft_ms").asDouble(), limits.p99TtftMillis(), "ms");
    limit(breaches, "p99 ITL", summary.path("p99_itl_ms").asDouble(), limits.p99ItlMillis(), "ms");
    limit(breaches, "p99 E2E", summary.path("p99_e2el_ms").asDouble(), limits.p99E2eMillis(), "ms");
    limit(breaches, "error rate", summary.path("error_rate").asDouble(), limits.errorRate(), "");
    long violations = 0;
    for (JsonNode count : summary.path("violations_by_rule")) {
      violations += count.asLong();
    }
    limit(breaches, "schema violations", violations, limits.violations(), "");
    limit(
        breaches,
        "share of streams that arrived all at once (buffered)",
        summary.path("buffered_share").asDouble(),
        limits.bufferedShare(),
        "");
    if (summary.path("completed").asLong() == 0) {
      breaches.add("no request completed");
    }
    return breaches;
  }

  private static void limit(
      List<String> breaches, String what, double value, Double max, String unit) {
    if (max != null && value > max) {
      breaches.add(
          String.format(
              Locale.ROOT, "%s %.2f%s above the limit %.2f%s", what, value, unit, max, unit));
    }
  }

  void write(Path dir) {
    try {
      Files.createDirectories(dir);
      Json.MAPPER
          .writerWithDefaultPrettyPrinter()
          .writeValue(dir.resolve("summary.json").toFile(), summary);
      System.setProperty("java.awt.headless", "true");
      Files.writeString(
          dir.resolve("report.html"),
          ReportPage.html(summary, samples, Files.exists(dir.resolve("simulation.log"))),
          StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the report to " + dir, e);
    }
  }

  void print(PrintStream out, Path dir) {
    out.println();
    out.printf(
        Locale.ROOT,
        "=== %s against %s (%s) ===%n",
        summary.path("simulation").asText(),
        summary.path("target").asText(),
        summary.path("profile").asText());
    out.printf(Locale.ROOT, "%-28s %12s%n", "duration (s)", summary.path("duration").asText());
    for (String field : SummaryFormat.COUNTS) {
      out.printf(Locale.ROOT, "%-28s %12s%n", field, summary.path(field).asText());
    }
    out.printf(
        Locale.ROOT,
        "%-8s %10s %10s %10s %10s %10s%n",
        "ms",
        "mean",
        "median",
        "p90",
        "p99",
        "std");
    for (String metric : SummaryFormat.METRICS) {
      out.printf(
          Locale.ROOT,
          "%-8s %10.2f %10.2f %10.2f %10.2f %10.2f%n",
          metric.toUpperCase(Locale.ROOT),
          summary.path("mean_" + metric + "_ms").asDouble(),
          summary.path("median_" + metric + "_ms").asDouble(),
          summary.path("p90_" + metric + "_ms").asDouble(),
          summary.path("p99_" + metric + "_ms").asDouble(),
          summary.path("std_" + metric + "_ms").asDouble());
    }
    out.println("errors by kind:     " + summary.path("errors_by_kind"));
    JsonNode tokens = summary.path("token_counts");
    out.println(
        "token counts from:  input "
            + counted(tokens.path("input_source"))
            + "; output "
            + counted(tokens.path("output_source"))
            + (tokens.path("compared").isEmpty() ? "" : "; " + differing(tokens)));
    JsonNode schedule = summary.path("schedule");
    if (schedule.has("lag_p99_ms")) {
      out.printf(
          Locale.ROOT,
          "schedule:           %d of %d arrivals, %.2f/s achieved of %.2f/s, lag p50 %.2f ms p99"
              + " %.2f ms%n",
          schedule.path("arrivals_started").asLong(),
          schedule.path("arrivals_planned").asLong(),
          schedule.path("achieved_rate").asDouble(),
          schedule.path("requested_rate").asDouble(),
          schedule.path("lag_p50_ms").asDouble(),
          schedule.path("lag_p99_ms").asDouble());
      if (schedule.path("generator_behind").asBoolean()) {
        out.println(
            "WARNING: the load generator fell behind its schedule; the figures describe a lighter"
                + " load than asked for (fewer cores, a slower client, or a rate too high for one"
                + " injector: try more injectors)");
      }
    }
    out.println("violations by rule: " + summary.path("violations_by_rule"));
    if (summary.has("capacity")) {
      Capacity.print(summary.path("capacity"), out);
    }
    out.println(
        breaches.isEmpty()
            ? "PASSED: no threshold breached"
            : "FAILED: " + String.join("; ", breaches));
    out.println("report: " + dir.resolve("summary.json") + " and " + dir.resolve("report.html"));
  }

  /** {@code {"usage":20,"tokenizer":3}} as {@code usage 20, tokenizer 3} (requests per source). */
  private static String counted(JsonNode sources) {
    List<String> parts = new ArrayList<>();
    sources.fields().forEachRemaining(e -> parts.add(e.getKey() + " " + e.getValue().asLong()));
    return parts.isEmpty() ? "none" : String.join(", ", parts);
  }

  /** How often two token counts of one request differed, per comparison. */
  private static String differing(JsonNode tokens) {
    List<String> parts = new ArrayList<>();
    tokens
        .path("compared")
        .fields()
        .forEachRemaining(
            e ->
                parts.add(
                    e.getKey().replace('_', ' ')
                        + " differ in "
                        + tokens.path("mismatches").path(e.getKey()).asLong(0)
                        + " of "
                        + e.getValue().asLong()));
    return String.join(", ", parts);
  }
}
