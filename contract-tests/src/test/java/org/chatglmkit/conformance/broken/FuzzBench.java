package org.chatglmkit.conformance.broken;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.chatglmkit.conformance.fuzz.Finding;
import org.chatglmkit.conformance.fuzz.FuzzCampaign;
import org.chatglmkit.conformance.fuzz.FuzzReport;
import org.chatglmkit.conformance.fuzz.FuzzRules;
import org.chatglmkit.conformance.fuzz.FuzzSettings;
import org.chatglmkit.conformance.http.Call;
import org.chatglmkit.conformance.http.ChatGlmClient;
import org.chatglmkit.conformance.http.Exchange;
import org.chatglmkit.mockserver.client.Target;
import org.chatglmkit.mockserver.client.TargetSettings;
import org.chatglmkit.mockserver.core.Json;
import org.chatglmkit.mockserver.core.LatencyProfile;
import org.chatglmkit.mockserver.server.ReferenceServer;
import org.chatglmkit.mockserver.server.ServerConfig;
import org.chatglmkit.schemas.Profile;

/**
 * Fuzzing's speed and reach: cases per second against the reference server (paced as the gate
 * starts it, and unpaced), each against the same client sending one fixed minimal request as the
 * same-run baseline; and for every planted bug of {@link PlantedBugsIT}, the number of cases until
 * it is found, over ten seeds. Prints a table and writes {@code reports/bench/fuzz-<stamp>.json}.
 *
 * <pre>{@code contract-tests/bench/fuzz.sh [CASES] [SEEDS]}</pre>
 */
public final class FuzzBench {
  private FuzzBench() {}

  public static void main(String[] args) throws Exception {
    int cases = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
    int seeds = args.length > 1 ? Integer.parseInt(args[1]) : 10;
    Path out = Path.of(args.length > 2 ? args[2] : "reports/bench");
    ObjectNode root = Json.MAPPER.createObjectNode();
    root.put("cases", cases);
    root.put("seeds", seeds);
    root.put("concurrency", ChatGlmClient.Limits.DEFAULT_CONCURRENCY);
    try (ReferenceServer paced = ReferenceServer.start(TargetSettings.embeddedServer().build());
        ReferenceServer unpaced =
            ReferenceServer.start(
                TargetSettings.embeddedServer().latency(LatencyProfile.none()).build())) {
      ArrayNode speed = root.putArray("speed");
      System.out.printf("%-34s %12s %14s %8s%n", "target", "fuzz cases/s", "plain req/s", "ratio");
      for (var target :
          List.of(
              Map.entry("reference, paced 20/5 ms", paced),
              Map.entry("reference, unpaced", unpaced))) {
        String url = target.getValue().baseUrl();
        fuzz(url, 200, 1); // warm-up: JIT, connections
        FuzzReport report = fuzz(url, cases, 7);
        double plain = plainRate(url, cases);
        double ratio = report.casesPerSecond() / plain;
        System.out.printf(
            Locale.ROOT,
            "%-34s %12.1f %14.1f %8.2f   (%d findings)%n",
            target.getKey(),
            report.casesPerSecond(),
            plain,
            ratio,
            report.findings().size());
        ObjectNode row = speed.addObject();
        row.put("target", target.getKey());
        row.put("fuzz_cases_per_second", round(report.casesPerSecond()));
        row.put("plain_requests_per_second", round(plain));
        row.put("ratio", round(ratio));
        row.put("findings", report.findings().size());
      }
      System.out.printf(
          "%n%-48s %-22s %10s  %s%n",
          "planted bug", "rule", "median", "cases until found, per seed");
      ArrayNode bugs = root.putArray("planted_bugs");
      for (PlantedBugsIT.Bug bug : PlantedBugsIT.bugs().toList()) {
        List<Integer> found = new ArrayList<>();
        try (MutatingProxy proxy = new MutatingProxy(unpaced.baseUrl(), bug.distortion())) {
          for (long seed = 1; seed <= seeds; seed++) {
            // a hang costs one timeout per case and per shrink step: keep it short there
            Duration timeout = Duration.ofSeconds(bug.rule().equals(FuzzRules.NO_HANG) ? 1 : 10);
            FuzzReport report = fuzz(proxy.baseUrl(), 300, seed, timeout);
            found.add(
                report.findings().stream()
                    .filter(f -> f.rule().equals(bug.rule()))
                    .mapToInt(Finding::firstCase)
                    .map(index -> index + 1)
                    .min()
                    .orElse(-1));
            System.err.printf("  %s, seed %d: %s%n", bug.name(), seed, report.summaryLine());
          }
        }
        List<Integer> sorted =
            found.stream().map(n -> n < 0 ? Integer.MAX_VALUE : n).sorted().toList();
        int median = sorted.get((sorted.size() - 1) / 2);
        System.out.printf(
            "%-48s %-22s %10s  %s%n",
            bug.name(), bug.rule(), median == Integer.MAX_VALUE ? "not found" : median, found);
        ObjectNode row = bugs.addObject();
        row.put("bug", bug.name());
        row.put("rule", bug.rule());
        row.put("median_cases_until_found", median == Integer.MAX_VALUE ? -1 : median);
        ArrayNode per = row.putArray("cases_until_found_per_seed");
        found.forEach(per::add);
      }
    }
    Files.createDirectories(out);
    Path file =
        out.resolve(
            "fuzz-"
                + Instant.now().toString().replace(":", "").replaceAll("\\.\\d+", "")
                + ".json");
    Json.MAPPER.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), root);
    System.out.println("\nwrote " + file + " (-1: not found within 300 cases)");
    System.exit(0);
  }

  static FuzzReport fuzz(String url, int cases, long seed) {
    return fuzz(url, cases, seed, Duration.ofSeconds(10));
  }

  static FuzzReport fuzz(String url, int cases, long seed, Duration timeout) {
    try (ChatGlmClient client = client(url, timeout)) {
      return FuzzCampaign.run(
          client,
          new FuzzSettings(cases, seed, true, Duration.ofSeconds(120), 1_800, 32),
          System.nanoTime() + Duration.ofMinutes(5).toNanos());
    }
  }

  /** The same client sending one fixed minimal request {@code count} times: the baseline. */
  static double plainRate(String url, int count) {
    try (ChatGlmClient client = client(url, Duration.ofSeconds(10))) {
      Call call =
          Call.chat(
              "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":16}",
              client.auth());
      long started = System.nanoTime();
      List<CompletableFuture<Exchange>> sent = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        sent.add(client.later(call));
      }
      sent.forEach(CompletableFuture::join);
      return count / ((System.nanoTime() - started) / 1e9);
    }
  }

  private static ChatGlmClient client(String url, Duration timeout) {
    Target target =
        new Target(url, ServerConfig.DEVELOPMENT_KEY, null, Profile.OPENAI, false, null, Map.of());
    return new ChatGlmClient(
        target,
        new ChatGlmClient.Limits(
            timeout,
            ChatGlmClient.Limits.DEFAULT_MAX_BYTES,
            ChatGlmClient.Limits.DEFAULT_CONCURRENCY,
            System.nanoTime() + Duration.ofMinutes(10).toNanos()));
  }

  private static double round(double value) {
    return Math.round(value * 10) / 10.0;
  }

  static {
    // Keep the servers quiet: only the table matters here.
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "error");
  }
}
