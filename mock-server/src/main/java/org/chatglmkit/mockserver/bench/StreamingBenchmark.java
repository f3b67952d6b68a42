package org.chatglmkit.mockserver.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;

/**
 * Opens N concurrent streams against a running server and measures, per event as it arrives, time
 * to first token and the gaps between tokens. Prints a summary line and JSON.
 *
 * <p>{@code java -cp chatglm-mock-server.jar org.chatglmkit.mockserver.bench.StreamingBenchmark URL
 * KEY STREAMS RAMP_MS}
 */
public final class StreamingBenchmark {
  private StreamingBenchmark() {}

  /** Timestamps of one stream: request sent, then each data event. */
  private static final class Timings implements Flow.Subscriber<String> {
    final long sentNanos = System.nanoTime();
    final List<Long> events = new ArrayList<>();
    boolean done;

    @Override
    public void onSubscribe(Flow.Subscription subscription) {
      subscription.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(String line) {
      if (line.startsWith("data:")) {
        if (line.contains("[DONE]")) {
          done = true;
        } else if (line.contains("\"content\"")) {
          events.add(System.nanoTime());
        }
      }
    }

    @Override
    public void onError(Throwable throwable) {}

    @Override
    public void onComplete() {}
  }

  public static void main(String[] args) throws Exception {
    String url = args[0];
    String key = args[1];
    int streams = Integer.parseInt(args[2]);
    long rampMillis = Long.parseLong(args[3]);
    int warmups = args.length > 4 ? Integer.parseInt(args[4]) : 0;
    HttpClient client =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10))
            .build();
    // Warm-up rounds in the same JVM, so the measured round meets compiled code on both sides.
    for (int i = 0; i < warmups; i++) {
      round(client, url, key, streams, rampMillis);
    }
    System.out.println(round(client, url, key, streams, rampMillis));
  }

  /** One round of {@code streams} streams; the figures as one JSON line. */
  private static String round(
      HttpClient client, String url, String key, int streams, long rampMillis) throws Exception {
    String body = "{\"messages\":[{\"role\":\"user\",\"content\":\"benchmark\"}],\"stream\":true}";
    List<Timings> timings = new ArrayList<>();
    List<CompletableFuture<?>> futures = new ArrayList<>();
    long start = System.nanoTime();
    for (int i = 0; i < streams; i++) {
      long due = start + TimeUnit.MILLISECONDS.toNanos(rampMillis * i / Math.max(1, streams));
      long wait = due - System.nanoTime();
      if (wait > 0) {
        TimeUnit.NANOSECONDS.sleep(wait);
      }
      HttpRequest request =
          HttpRequest.newBuilder(URI.create(url + "/v1/chat/completions"))
              .timeout(Duration.ofSeconds(60))
              .header("Content-Type", "application/json")
              .header("API-KEY", key)
              .POST(HttpRequest.BodyPublishers.ofString(body))
              .build();
      Timings stream = new Timings();
      timings.add(stream);
      futures.add(client.sendAsync(request, HttpResponse.BodyHandlers.fromLineSubscriber(stream)));
    }
    CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
    double wallSeconds = (System.nanoTime() - start) / 1e9;

    double[] ttft = new double[streams];
    List<Double> gaps = new ArrayList<>();
    int complete = 0;
    long tokens = 0;
    for (int i = 0; i < streams; i++) {
      Timings stream = timings.get(i);
      complete += stream.done ? 1 : 0;
      tokens += stream.events.size();
      ttft[i] =
          stream.events.isEmpty() ? Double.NaN : (stream.events.get(0) - stream.sentNanos) / 1e6;
      for (int j = 1; j < stream.events.size(); j++) {
        gaps.add((stream.events.get(j) - stream.events.get(j - 1)) / 1e6);
      }
    }
    double[] itl = gaps.stream().mapToDouble(Double::doubleValue).toArray();
    Arrays.sort(ttft);
    Arrays.sort(itl);
    return String.format(
        Locale.ROOT,
        "{\"streams\": %d, \"completed\": %d, \"content_events\": %d, \"wall_s\": %.2f,"
            + " \"ttft_ms\": {\"p50\": %.2f, \"p90\": %.2f, \"p99\": %.2f, \"max\": %.2f},"
            + " \"itl_ms\": {\"p50\": %.2f, \"p90\": %.2f, \"p99\": %.2f, \"max\": %.2f}}",
        streams,
        complete,
        tokens,
        wallSeconds,
        pct(ttft, 50),
        pct(ttft, 90),
        pct(ttft, 99),
        ttft[ttft.length - 1],
        pct(itl, 50),
        pct(itl, 90),
        pct(itl, 99),
        itl.length == 0 ? Double.NaN : itl[itl.length - 1]);
  }

  private static double pct(double[] sorted, double percentile) {
    if (sorted.length == 0) {
      return Double.NaN;
    }
    int index = (int) Math.ceil(percentile / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
  }
}
