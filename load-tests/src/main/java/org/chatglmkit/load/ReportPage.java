package org.chatglmkit.load;

import com.fasterxml.jackson.databind.JsonNode;
import java.awt.Color;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.HdrHistogram.Histogram;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * {@code report.html}: one self-contained page (charts drawn with XChart and inlined as PNG, so it
 * works offline and in CI artifacts): the latency distributions on a log-percentile axis, latency
 * and throughput over time, and for a sweep throughput against p99 TTFT with the knee marked.
 */
final class ReportPage {
  private static final int WIDTH = 760;
  private static final int HEIGHT = 360;

  private ReportPage() {}

  static String html(JsonNode summary, List<Metrics.Sample> samples, boolean gatlingReport) {
    StringBuilder html = new StringBuilder();
    String title = summary.path("simulation").asText() + " — " + summary.path("profile").asText();
    html.append("<!doctype html><html><head><meta charset=\"utf-8\"><title>")
        .append(escape(title))
        .append("</title><style>body{font-family:sans-serif;margin:2em;max-width:60em}")
        .append("td,th{padding:2px 10px;text-align:right}th{text-align:left}")
        .append("img{display:block;margin:1em 0;border:1px solid #ddd}</style></head><body>");
    html.append("<h1>").append(escape(title)).append("</h1>");
    html.append("<p>Target ")
        .append(escape(summary.path("target").asText()))
        .append("; workload: ")
        .append(escape(summary.path("workload").asText()))
        .append(".</p>");
    html.append("<p><b>")
        .append(summary.path("passed").asBoolean() ? "PASSED" : "FAILED")
        .append("</b> ")
        .append(escape(String.join("; ", texts(summary.path("breaches")))))
        .append("</p>");
    html.append("<table>");
    for (String field : SummaryFormat.COUNTS) {
      html.append("<tr><th>")
          .append(field)
          .append("</th><td>")
          .append(summary.path(field).asText())
          .append("</td></tr>");
    }
    html.append("</table>");
    html.append("<table><tr><th>ms</th><th>mean</th><th>median</th><th>p90</th><th>p99</th></tr>");
    for (String metric : SummaryFormat.METRICS) {
      html.append("<tr><th>").append(metric.toUpperCase(Locale.ROOT)).append("</th>");
      for (String figure : new String[] {"mean", "median", "p90", "p99"}) {
        html.append("<td>")
            .append(summary.path(figure + "_" + metric + "_ms").asText())
            .append("</td>");
      }
      html.append("</tr>");
    }
    html.append("</table>");
    html.append(tokenTable(summary.path("token_counts")));
    html.append(scheduleTable(summary.path("schedule")));
    try {
      html.append(image(distributions(summary)));
      if (!samples.isEmpty()) {
        html.append(image(latencyOverTime(samples)));
        html.append(image(throughputOverTime(samples)));
      }
      if (summary.has("capacity")) {
        html.append(image(sweep(summary.path("capacity"))));
      }
    } catch (IOException | RuntimeException | Error e) {
      // A machine without fonts or AWT still gets the figures above.
      html.append("<p>Charts could not be drawn here: ")
          .append(escape(e.toString()))
          .append("</p>");
    }
    if (gatlingReport) {
      html.append(
          "<p>Gatling's own report: <a href=\"index.html\">index.html</a>. It counts three entries"
              + " per stream (opening it, the wait for its events until [DONE], closing it), each"
              + " timed by Gatling's rules; a stream's TTFT, ITL and TPOT are only on this page.</p>");
    }
    return html.append("</body></html>").toString();
  }

  /** What each source of token counts means, in words. */
  private static final Map<String, String> SOURCES =
      Map.of(
          "usage", "the answer's own usage",
          "tokenizer", "the client's tokenizer (--tokenizer)",
          "stream_chunks", "content events counted, one token each",
          "words_estimate", "words of the answer (an estimate: no usage, no tokenizer)",
          "unknown", "nothing to count from");

  /** What each comparison of two token counts compares, in words. */
  private static final Map<String, String> COMPARISONS =
      Map.of(
          "input_usage_vs_tokenizer", "input: usage against the client's tokenizer",
          "output_usage_vs_tokenizer", "output: usage against the client's tokenizer",
          "output_usage_vs_stream_chunks", "output: usage against content events");

  /** Where the token counts came from, and how often two sources disagreed, as two tables. */
  static String tokenTable(JsonNode counts) {
    StringBuilder html = new StringBuilder("<h2>Token counts</h2>");
    html.append(
        "<table><tr><th>counted from</th><th>input (requests)</th><th>output (requests)</th></tr>");
    java.util.Set<String> sources = new java.util.TreeSet<>();
    counts.path("input_source").fieldNames().forEachRemaining(sources::add);
    counts.path("output_source").fieldNames().forEachRemaining(sources::add);
    for (String source : sources) {
      html.append("<tr><td>")
          .append(escape(SOURCES.getOrDefault(source, source)))
          .append("</td><td>")
          .append(counts.path("input_source").path(source).asLong(0))
          .append("</td><td>")
          .append(counts.path("output_source").path(source).asLong(0))
          .append("</td></tr>");
    }
    html.append("</table>");
    if (!counts.path("compared").isEmpty()) {
      html.append("<table><tr><th>compared</th><th>requests</th><th>differing</th></tr>");
      counts
          .path("compared")
          .fields()
          .forEachRemaining(
              entry ->
                  html.append("<tr><td>")
                      .append(escape(COMPARISONS.getOrDefault(entry.getKey(), entry.getKey())))
                      .append("</td><td>")
                      .append(entry.getValue().asLong())
                      .append("</td><td>")
                      .append(counts.path("mismatches").path(entry.getKey()).asLong(0))
                      .append("</td></tr>"));
      html.append("</table>");
    }
    return html.toString();
  }

  /** How the generator kept to its arrival schedule, as a table in words. */
  static String scheduleTable(JsonNode schedule) {
    StringBuilder html = new StringBuilder("<h2>Arrival schedule</h2>");
    if (!schedule.has("arrivals_planned")) {
      return html.append("<p>")
          .append(schedule.path("arrivals_started").asLong())
          .append(" users started; a closed model (a fixed number in flight) has no schedule.</p>")
          .toString();
    }
    html.append("<table>");
    row(
        html,
        "arrivals started",
        schedule.path("arrivals_started").asLong()
            + " of "
            + schedule.path("arrivals_planned").asLong()
            + " planned");
    row(
        html,
        "arrival rate",
        schedule.path("achieved_rate").asText()
            + "/s achieved of "
            + schedule.path("requested_rate").asText()
            + "/s planned");
    row(
        html,
        "lateness of an arrival",
        "p50 "
            + schedule.path("lag_p50_ms").asText()
            + " ms, p99 "
            + schedule.path("lag_p99_ms").asText()
            + " ms, max "
            + schedule.path("lag_max_ms").asText()
            + " ms");
    row(
        html,
        "the load generator",
        schedule.path("generator_behind").asBoolean()
            ? "fell behind its schedule: the figures understate what the target was asked for"
            : "kept to its schedule");
    return html.append("</table>").toString();
  }

  private static void row(StringBuilder html, String name, String value) {
    html.append("<tr><th>")
        .append(escape(name))
        .append("</th><td>")
        .append(escape(value))
        .append("</td></tr>");
  }

  /** TTFT, ITL, TPOT and E2E by percentile, the x axis in "nines" so the tail gets room. */
  static XYChart distributions(JsonNode summary) {
    XYChart chart = chart("Latency by percentile", "percentile", "ms");
    chart.getStyler().setYAxisLogarithmic(true);
    chart
        .getStyler()
        .setxAxisTickLabelsFormattingFunction(
            nines -> {
              double percentile = 100 * (1 - Math.pow(10, -nines));
              return String.format(Locale.ROOT, percentile >= 99 ? "%.2f%%" : "%.0f%%", percentile);
            });
    for (String metric : SummaryFormat.METRICS) {
      String encoded = summary.path("histograms_us").path(metric).asText("");
      if (encoded.isEmpty()) {
        continue;
      }
      Histogram histogram = SummaryFormat.decode(encoded);
      if (histogram.getTotalCount() == 0) {
        continue;
      }
      List<Double> x = new ArrayList<>();
      List<Double> y = new ArrayList<>();
      double maxNines = Math.min(4, Math.log10(Math.max(10, histogram.getTotalCount())));
      for (double nines = 0; nines <= maxNines + 1e-9; nines += 0.05) {
        double percentile = 100 * (1 - Math.pow(10, -nines));
        x.add(nines);
        y.add(Math.max(0.001, histogram.getValueAtPercentile(percentile) / 1000.0));
      }
      XYSeries series = chart.addSeries(metric.toUpperCase(Locale.ROOT), x, y);
      series.setMarker(SeriesMarkers.NONE);
    }
    return chart;
  }

  /** TTFT and E2E of each request against when it was sent. */
  static XYChart latencyOverTime(List<Metrics.Sample> samples) {
    XYChart chart = chart("Latency over time", "seconds since the start of measuring", "ms");
    chart.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
    chart.getStyler().setMarkerSize(4);
    List<Double> at = new ArrayList<>();
    List<Double> ttft = new ArrayList<>();
    List<Double> e2e = new ArrayList<>();
    for (Metrics.Sample sample : samples) {
      if (sample.ok()) {
        at.add(sample.startMillis() / 1000);
        ttft.add(sample.ttftMillis());
        e2e.add(sample.e2eMillis());
      }
    }
    if (!at.isEmpty()) {
      chart.addSeries("E2E", at, e2e);
      chart.addSeries("TTFT", at, ttft);
    }
    return chart;
  }

  /** Completed requests and output tokens per second, by the second they completed in. */
  static XYChart throughputOverTime(List<Metrics.Sample> samples) {
    XYChart chart = chart("Throughput over time", "seconds since the start of measuring", "per s");
    TreeMap<Long, double[]> bins = new TreeMap<>();
    for (Metrics.Sample sample : samples) {
      if (sample.ok()) {
        long second = (long) Math.floor((sample.startMillis() + sample.e2eMillis()) / 1000);
        double[] bin = bins.computeIfAbsent(second, s -> new double[2]);
        bin[0]++;
        bin[1] += sample.outputTokens();
      }
    }
    if (!bins.isEmpty()) {
      List<Double> x = new ArrayList<>();
      List<Double> requests = new ArrayList<>();
      List<Double> tokens = new ArrayList<>();
      for (long s = bins.firstKey(); s <= bins.lastKey(); s++) {
        double[] bin = bins.getOrDefault(s, new double[2]);
        x.add((double) s);
        requests.add(bin[0]);
        tokens.add(bin[1]);
      }
      chart.addSeries("output tokens/s", x, tokens).setMarker(SeriesMarkers.NONE);
      chart.addSeries("requests/s", x, requests).setMarker(SeriesMarkers.NONE);
    }
    return chart;
  }

  /** Goodput against p99 TTFT, one point per step, the knee marked. */
  static XYChart sweep(JsonNode capacity) {
    XYChart chart = chart("Throughput against p99 TTFT (sweep)", "p99 TTFT (ms)", "requests/s");
    List<Double> p99 = new ArrayList<>();
    List<Double> throughput = new ArrayList<>();
    List<Double> goodput = new ArrayList<>();
    double knee = capacity.path("max_rate_within_slo").asDouble();
    List<Double> kneeX = new ArrayList<>();
    List<Double> kneeY = new ArrayList<>();
    double stepSeconds = capacity.path("step_seconds").asDouble(0);
    for (JsonNode step : capacity.path("steps")) {
      p99.add(step.path("p99Ttft").asDouble());
      double done =
          stepSeconds > 0
              ? step.path("completed").asDouble() / stepSeconds
              : step.path("rate").asDouble();
      throughput.add(done);
      goodput.add(step.path("goodput").asDouble());
      if (knee > 0 && step.path("rate").asDouble() == knee) {
        kneeX.add(step.path("p99Ttft").asDouble());
        kneeY.add(step.path("goodput").asDouble());
      }
    }
    if (!p99.isEmpty()) {
      chart.addSeries("throughput", p99, throughput);
      chart.addSeries("goodput", p99, goodput);
      if (!kneeX.isEmpty()) {
        XYSeries mark = chart.addSeries("knee: " + knee + " req/s offered", kneeX, kneeY);
        mark.setMarker(SeriesMarkers.DIAMOND);
        mark.setMarkerColor(Color.RED);
        mark.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
      }
    }
    return chart;
  }

  private static XYChart chart(String title, String x, String y) {
    XYChart chart =
        new XYChartBuilder()
            .width(WIDTH)
            .height(HEIGHT)
            .title(title)
            .xAxisTitle(x)
            .yAxisTitle(y)
            .build();
    chart.getStyler().setPlotGridLinesVisible(true);
    chart.getStyler().setChartBackgroundColor(Color.WHITE);
    chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.InsideNW);
    return chart;
  }

  private static String image(XYChart chart) throws IOException {
    if (chart.getSeriesMap().isEmpty()) {
      return "<p>" + escape(chart.getTitle()) + ": no data.</p>";
    }
    byte[] png = BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
    return "<img alt=\""
        + escape(chart.getTitle())
        + "\" src=\"data:image/png;base64,"
        + Base64.getEncoder().encodeToString(png)
        + "\">";
  }

  private static List<String> texts(JsonNode array) {
    List<String> list = new ArrayList<>();
    array.forEach(node -> list.add(node.asText()));
    return list;
  }

  private static String escape(String text) {
    return text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\"", "&quot;");
  }
}
