package org.chatglmkit.load;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.HdrHistogram.Histogram;

/**
 * {@code plots.html}: TTFT and ITL distributions, latency over time, and capacity, as inline SVG.
 */
final class Plots {
  private static final double[] PERCENTILES = {0, 10, 25, 50, 75, 90, 95, 99, 99.9, 100};
  private static final int WIDTH = 640;
  private static final int HEIGHT = 300;
  private static final int MARGIN = 50;

  private Plots() {}

  /** A named line or point series. */
  private record Series(String name, String color, List<double[]> points, boolean dots) {}

  static String page(JsonNode summary, List<Metrics.Sample> samples) {
    StringBuilder html = new StringBuilder();
    html.append("<!doctype html><html><head><meta charset=\"utf-8\"><title>")
        .append(summary.path("simulation").asText())
        .append(
            "</title><style>body{font-family:sans-serif;margin:2em}svg{border:1px solid #ccc;margin:1em 0}</style></head><body>");
    html.append("<h1>")
        .append(summary.path("simulation").asText())
        .append(" — ")
        .append(summary.path("profile").asText())
        .append("</h1>");
    html.append("<p>")
        .append(summary.path("completed").asLong())
        .append(" completed, ")
        .append(summary.path("failed").asLong())
        .append(" failed, ")
        .append(summary.path("request_throughput").asDouble())
        .append(" req/s, ")
        .append(summary.path("output_throughput").asDouble())
        .append(" tokens/s</p>");
    for (String metric : new String[] {"ttft", "itl"}) {
      Histogram histogram = Report.decode(summary.path("histograms_us").path(metric).asText());
      List<double[]> points = new ArrayList<>();
      if (histogram.getTotalCount() > 0) {
        for (double p : PERCENTILES) {
          points.add(new double[] {p, histogram.getValueAtPercentile(p) / 1000.0});
        }
      }
      html.append(
          chart(
              metric.toUpperCase(Locale.ROOT) + " distribution",
              "percentile",
              "ms",
              List.of(new Series(metric, "#1f77b4", points, false))));
    }
    List<double[]> e2e = new ArrayList<>();
    List<double[]> ttft = new ArrayList<>();
    for (Metrics.Sample sample : samples) {
      if (sample.ok()) {
        e2e.add(new double[] {sample.startMillis() / 1000, sample.e2eMillis()});
        ttft.add(new double[] {sample.startMillis() / 1000, sample.ttftMillis()});
      }
    }
    html.append(
        chart(
            "Latency over time",
            "seconds into the run",
            "ms",
            List.of(
                new Series("E2E", "#ff7f0e", e2e, true),
                new Series("TTFT", "#1f77b4", ttft, true))));
    JsonNode capacity = summary.path("capacity");
    if (!capacity.isMissingNode()) {
      List<double[]> goodput = new ArrayList<>();
      List<double[]> offered = new ArrayList<>();
      List<double[]> p99 = new ArrayList<>();
      for (JsonNode step : capacity.path("steps")) {
        double rate = step.path("rate").asDouble();
        goodput.add(new double[] {rate, step.path("goodput").asDouble()});
        offered.add(new double[] {rate, rate});
        p99.add(new double[] {rate, step.path("p99Ttft").asDouble()});
      }
      html.append(
          chart(
              "Goodput against offered load",
              "offered requests/s",
              "requests/s",
              List.of(
                  new Series("goodput", "#2ca02c", goodput, false),
                  new Series("offered", "#999", offered, false))));
      html.append(
          chart(
              "p99 TTFT against offered load",
              "offered requests/s",
              "ms",
              List.of(new Series("p99 TTFT", "#d62728", p99, false))));
    }
    return html.append("</body></html>").toString();
  }

  private static String chart(String title, String xLabel, String yLabel, List<Series> series) {
    double maxX = 1e-9;
    double maxY = 1e-9;
    for (Series s : series) {
      for (double[] p : s.points()) {
        maxX = Math.max(maxX, p[0]);
        maxY = Math.max(maxY, p[1]);
      }
    }
    StringBuilder svg = new StringBuilder();
    svg.append("<h2>").append(title).append("</h2>");
    svg.append(
        String.format(
            Locale.ROOT,
            "<svg width=\"%d\" height=\"%d\" xmlns=\"http://www.w3.org/2000/svg\">",
            WIDTH,
            HEIGHT));
    int plotW = WIDTH - 2 * MARGIN;
    int plotH = HEIGHT - 2 * MARGIN;
    svg.append(
        String.format(
            Locale.ROOT,
            "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#000\"/>",
            MARGIN,
            HEIGHT - MARGIN,
            WIDTH - MARGIN,
            HEIGHT - MARGIN));
    svg.append(
        String.format(
            Locale.ROOT,
            "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#000\"/>",
            MARGIN,
            MARGIN,
            MARGIN,
            HEIGHT - MARGIN));
    svg.append(
        String.format(
            Locale.ROOT,
            "<text x=\"%d\" y=\"%d\" font-size=\"11\">%s (max %.1f)</text>",
            MARGIN,
            HEIGHT - 15,
            xLabel,
            maxX));
    svg.append(
        String.format(
            Locale.ROOT,
            "<text x=\"5\" y=\"%d\" font-size=\"11\">%s (max %.1f)</text>",
            MARGIN - 10,
            yLabel,
            maxY));
    int legend = 0;
    for (Series s : series) {
      StringBuilder path = new StringBuilder();
      for (double[] p : s.points()) {
        double x = MARGIN + p[0] / maxX * plotW;
        double y = HEIGHT - MARGIN - p[1] / maxY * plotH;
        if (s.dots()) {
          svg.append(
              String.format(
                  Locale.ROOT,
                  "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"1.5\" fill=\"%s\"/>",
                  x,
                  y,
                  s.color()));
        } else {
          path.append(path.length() == 0 ? "M" : "L")
              .append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
        }
      }
      if (path.length() > 0) {
        svg.append("<path d=\"")
            .append(path)
            .append("\" fill=\"none\" stroke=\"")
            .append(s.color())
            .append("\" stroke-width=\"2\"/>");
      }
      svg.append(
          String.format(
              Locale.ROOT,
              "<text x=\"%d\" y=\"%d\" font-size=\"12\" fill=\"%s\">%s</text>",
              WIDTH - MARGIN - 90,
              MARGIN + 15 * legend++,
              s.color(),
              s.name()));
    }
    return svg.append("</svg>").toString();
  }
}
