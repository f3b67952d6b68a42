package org.chatglmkit.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;
import org.chatglmkit.mockserver.core.Json;

/**
 * Capacity search over a step sweep: each step's requests (by start time), its goodput and latency,
 * and the knee: the last step, counting up from the first, at which the SLOs held for at least
 * {@code chatglm.capacity.good-ratio} (default 0.95) of the requests.
 *
 * @param steps one row per step
 * @param goodRatio the share of good requests a step needs
 * @param stepSeconds how long each step lasted
 */
record Capacity(List<Step> steps, double goodRatio, double stepSeconds) {

  /**
   * One step of the sweep.
   *
   * @param rate the offered rate (requests started per second)
   * @param completed requests that succeeded
   * @param failed requests that failed
   * @param goodput good requests per second
   * @param goodShare good requests over all requests
   * @param p50Ttft median TTFT in ms
   * @param p99Ttft p99 TTFT in ms
   * @param p99E2e p99 end-to-end latency in ms
   * @param holds whether the SLOs held
   */
  record Step(
      double rate,
      long completed,
      long failed,
      double goodput,
      double goodShare,
      double p50Ttft,
      double p99Ttft,
      double p99E2e,
      boolean holds) {}

  static Capacity of(LoadConfig config, List<Metrics.Sample> samples) {
    double goodRatio = config.slo().goodRatio();
    double stepMillis = config.duration().toMillis();
    List<Step> steps = new ArrayList<>();
    for (int i = 0; i < config.steps(); i++) {
      double from = i * stepMillis;
      double to = from + stepMillis;
      List<Metrics.Sample> mine =
          samples.stream().filter(s -> s.startMillis() >= from && s.startMillis() < to).toList();
      long ok = mine.stream().filter(Metrics.Sample::ok).count();
      long good = mine.stream().filter(Metrics.Sample::good).count();
      double[] ttft = sortedOk(mine, Metrics.Sample::ttftMillis);
      double[] e2e = sortedOk(mine, Metrics.Sample::e2eMillis);
      double share = mine.isEmpty() ? 0 : (double) good / mine.size();
      steps.add(
          new Step(
              config.rate() + i * config.stepRate(),
              ok,
              mine.size() - ok,
              SummaryFormat.round(good / (stepMillis / 1000)),
              SummaryFormat.round(share),
              SummaryFormat.round(percentile(ttft, 50)),
              SummaryFormat.round(percentile(ttft, 99)),
              SummaryFormat.round(percentile(e2e, 99)),
              !mine.isEmpty() && share >= goodRatio));
    }
    return new Capacity(steps, goodRatio, stepMillis / 1000);
  }

  /** One figure of the successful samples, sorted. */
  private static double[] sortedOk(
      List<Metrics.Sample> samples, ToDoubleFunction<Metrics.Sample> figure) {
    return samples.stream().filter(Metrics.Sample::ok).mapToDouble(figure).sorted().toArray();
  }

  static double percentile(double[] sorted, double p) {
    if (sorted.length == 0) {
      return 0;
    }
    int index = (int) Math.ceil(p / 100 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
  }

  /**
   * The knee: the rate of the last step before the SLOs first broke, or 0 when the first step
   * already broke them. A later step that holds again (noise, a server that recovered) does not
   * raise it.
   */
  double capacity() {
    double knee = 0;
    for (Step step : steps) {
      if (!step.holds()) {
        break;
      }
      knee = step.rate();
    }
    return knee;
  }

  JsonNode toJson() {
    ObjectNode node = Json.MAPPER.createObjectNode();
    node.put("good_ratio", goodRatio);
    node.put("max_rate_within_slo", capacity());
    node.put("step_seconds", stepSeconds);
    ArrayNode rows = node.putArray("steps");
    for (Step step : steps) {
      rows.add(Json.MAPPER.valueToTree(step));
    }
    return node;
  }

  static void print(JsonNode capacity, PrintStream out) {
    out.printf(
        Locale.ROOT,
        "%n%8s %9s %7s %9s %7s %10s %10s %10s %6s%n",
        "rate/s",
        "completed",
        "failed",
        "goodput/s",
        "good",
        "p50 TTFT",
        "p99 TTFT",
        "p99 E2E",
        "SLOs");
    for (JsonNode step : capacity.path("steps")) {
      out.printf(
          Locale.ROOT,
          "%8.2f %9d %7d %9.2f %7.2f %10.1f %10.1f %10.1f %6s%n",
          step.path("rate").asDouble(),
          step.path("completed").asLong(),
          step.path("failed").asLong(),
          step.path("goodput").asDouble(),
          step.path("goodShare").asDouble(),
          step.path("p50Ttft").asDouble(),
          step.path("p99Ttft").asDouble(),
          step.path("p99E2e").asDouble(),
          step.path("holds").asBoolean() ? "hold" : "break");
    }
    out.printf(
        Locale.ROOT,
        "capacity: %.2f requests/s with the SLOs held for %.0f%% of requests%n%n",
        capacity.path("max_rate_within_slo").asDouble(),
        capacity.path("good_ratio").asDouble() * 100);
  }
}
