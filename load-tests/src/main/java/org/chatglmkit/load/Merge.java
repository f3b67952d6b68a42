package org.chatglmkit.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.HdrHistogram.Histogram;
import org.chatglmkit.mockserver.core.Json;

/**
 * Combines the {@code summary.json} of several injectors that ran side by side into one: histograms
 * are added (so percentiles are exact over all requests), counters summed, and rates taken over the
 * longest run.
 *
 * <pre>{@code
 * load-tests/bin/merge.sh reports/load/merged  injector-1/summary.json injector-2/summary.json
 * }</pre>
 */
public final class Merge {
  private Merge() {}

  public static void main(String[] args) throws IOException {
    if (args.length < 2) {
      System.err.println("usage: merge OUT_DIR SUMMARY.json [SUMMARY.json ...]");
      System.exit(2);
    }
    List<Path> inputs = new ArrayList<>();
    for (int i = 1; i < args.length; i++) {
      Path input = Path.of(args[i]);
      inputs.add(Files.isDirectory(input) ? input.resolve("summary.json") : input);
    }
    ObjectNode merged = merge(inputs);
    Path out = Path.of(args[0]);
    Files.createDirectories(out);
    Json.MAPPER
        .writerWithDefaultPrettyPrinter()
        .writeValue(out.resolve("summary.json").toFile(), merged);
    System.out.printf(
        "merged %d summaries: %d completed, %d failed, %.2f req/s, p99 TTFT %.2f ms, p99 ITL %.2f ms%n",
        inputs.size(),
        merged.path("completed").asLong(),
        merged.path("failed").asLong(),
        merged.path("request_throughput").asDouble(),
        merged.path("p99_ttft_ms").asDouble(),
        merged.path("p99_itl_ms").asDouble());
    System.out.println("written: " + out.resolve("summary.json"));
  }

  public static ObjectNode merge(List<Path> summaries) throws IOException {
    Map<String, Histogram> histograms = new LinkedHashMap<>();
    Map<String, Long> errors = new TreeMap<>();
    Map<String, Long> violations = new TreeMap<>();
    double duration = 0;
    long completed = 0;
    long failed = 0;
    long good = 0;
    long input = 0;
    long output = 0;
    long checked = 0;
    List<String> sources = new ArrayList<>();
    for (Path path : summaries) {
      JsonNode summary = Json.MAPPER.readTree(path.toFile());
      sources.add(path.toString());
      double seconds = summary.path("duration").asDouble();
      duration = Math.max(duration, seconds);
      completed += summary.path("completed").asLong();
      failed += summary.path("failed").asLong();
      good += Math.round(summary.path("request_goodput").asDouble() * seconds);
      input += summary.path("total_input_tokens").asLong();
      output += summary.path("total_output_tokens").asLong();
      checked += summary.path("checked_documents").asLong();
      summary
          .path("errors_by_kind")
          .fields()
          .forEachRemaining(e -> errors.merge(e.getKey(), e.getValue().asLong(), Long::sum));
      summary
          .path("violations_by_rule")
          .fields()
          .forEachRemaining(e -> violations.merge(e.getKey(), e.getValue().asLong(), Long::sum));
      for (String metric : SummaryFormat.METRICS) {
        String encoded = summary.path("histograms_us").path(metric).asText(null);
        if (encoded == null) {
          throw new IllegalArgumentException(path + " has no histogram for " + metric);
        }
        Histogram histogram = SummaryFormat.decode(encoded);
        histograms.merge(
            metric,
            histogram,
            (a, b) -> {
              a.add(b);
              return a;
            });
      }
    }
    ObjectNode merged = Json.MAPPER.createObjectNode();
    merged.put("simulation", "merged");
    merged.putPOJO("sources", sources);
    Report.fill(
        merged,
        histograms,
        duration,
        completed,
        failed,
        good,
        input,
        output,
        errors,
        violations,
        checked);
    return merged;
  }
}
