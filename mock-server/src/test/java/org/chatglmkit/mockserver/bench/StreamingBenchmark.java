package org.chatglmkit.mockserver.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
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
 * to first token and the gaps between tokens. Prints a summary line and JSON. By default the client
 * is raw sockets on one selector thread (a new connection per stream, the request written, each
 * event timed as its bytes are read); {@code jdk} uses the JDK's HTTP client instead, whose own
 * per-event work on a 2-core machine shows up in the figures.
 *
 * <p>{@code java -cp chatglm-mock-server.jar org.chatglmkit.mockserver.bench.StreamingBenchmark URL
 * KEY STREAMS RAMP_MS [WARMUPS] [nio|jdk]}
 */
public final class StreamingBenchmark {
  private StreamingBenchmark() {}

  private static final String BODY =
      "{\"messages\":[{\"role\":\"user\",\"content\":\"benchmark\"}],\"stream\":true}";

  /** Timestamps of one stream: request sent, then each data event. */
  private static final class Timings implements Flow.Subscriber<String> {
    final long sentNanos = System.nanoTime();
    final List<Long> events = new ArrayList<>();
    boolean done;

    /** Raw response bytes not yet split into events (the socket client). */
    private final StringBuilder pending = new StringBuilder();

    private boolean headersRead;

    /**
     * Bytes off the socket at {@code now}: every event they complete (ended by a blank line) is
     * timed now. Chunked-encoding size lines fall between events and are ignored.
     */
    void bytes(byte[] data, int length, long now) {
      pending.append(new String(data, 0, length, StandardCharsets.ISO_8859_1));
      if (!headersRead) {
        int end = pending.indexOf("\r\n\r\n");
        if (end < 0) {
          return;
        }
        headersRead = true;
        pending.delete(0, end + 4);
      }
      int end;
      while ((end = pending.indexOf("\n\n")) >= 0) {
        String event = pending.substring(0, end);
        pending.delete(0, end + 2);
        int at = event.indexOf("data:");
        if (at >= 0) {
          onNext(event.substring(at), now);
        }
      }
    }

    @Override
    public void onSubscribe(Flow.Subscription subscription) {
      subscription.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(String line) {
      onNext(line, System.nanoTime());
    }

    private void onNext(String line, long now) {
      if (line.startsWith("data:")) {
        if (line.contains("[DONE]")) {
          done = true;
        } else if (line.contains("\"content\"")) {
          events.add(now);
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
    boolean jdk = args.length > 5 && args[5].equals("jdk");
    HttpClient client =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10))
            .build();
    // Warm-up rounds in the same JVM, so the measured round meets compiled code on both sides.
    for (int i = 0; i <= warmups; i++) {
      long start = System.nanoTime();
      List<Timings> timings =
          jdk
              ? jdkRound(client, url, key, streams, rampMillis)
              : socketRound(url, key, streams, rampMillis);
      if (i == warmups) {
        System.out.println(
            summary(timings, (System.nanoTime() - start) / 1e9, jdk ? "jdk" : "nio"));
      }
    }
  }

  /**
   * One round with raw non-blocking sockets on one selector thread: a stream's events are timed
   * when its bytes come off the socket, with no HTTP client machinery in between.
   */
  private static List<Timings> socketRound(String url, String key, int streams, long rampMillis)
      throws IOException {
    URI uri = URI.create(url);
    InetSocketAddress address = new InetSocketAddress(uri.getHost(), uri.getPort());
    byte[] request =
        ("POST /v1/chat/completions HTTP/1.1\r\nHost: "
                + uri.getHost()
                + ":"
                + uri.getPort()
                + "\r\nContent-Type: application/json\r\nAPI-KEY: "
                + key
                + "\r\nContent-Length: "
                + BODY.length()
                + "\r\n\r\n"
                + BODY)
            .getBytes(StandardCharsets.UTF_8);
    List<Timings> timings = new ArrayList<>();
    ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
    try (Selector selector = Selector.open()) {
      long start = System.nanoTime();
      long deadline = start + TimeUnit.SECONDS.toNanos(120);
      int finished = 0;
      while (finished < streams && System.nanoTime() < deadline) {
        while (timings.size() < streams
            && System.nanoTime() >= start + dueOffset(timings.size(), streams, rampMillis)) {
          Timings stream = new Timings();
          SocketChannel channel = SocketChannel.open();
          channel.configureBlocking(false);
          channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
          if (channel.connect(address)) {
            send(channel, request);
            channel.register(selector, SelectionKey.OP_READ, stream);
          } else {
            channel.register(selector, SelectionKey.OP_CONNECT, stream);
          }
          timings.add(stream);
        }
        long untilNext =
            timings.size() < streams
                ? start + dueOffset(timings.size(), streams, rampMillis) - System.nanoTime()
                : TimeUnit.MILLISECONDS.toNanos(100);
        if (untilNext >= 1_000_000) {
          selector.select(untilNext / 1_000_000);
        } else {
          selector.selectNow();
        }
        for (SelectionKey ready : selector.selectedKeys()) {
          Timings stream = (Timings) ready.attachment();
          SocketChannel channel = (SocketChannel) ready.channel();
          if (ready.isConnectable()) {
            channel.finishConnect();
            send(channel, request);
            ready.interestOps(SelectionKey.OP_READ);
            continue;
          }
          buffer.clear();
          int read = channel.read(buffer);
          long now = System.nanoTime();
          if (read > 0) {
            stream.bytes(buffer.array(), read, now);
          }
          if (read < 0 || stream.done) {
            ready.cancel();
            channel.close();
            finished++;
          }
        }
        selector.selectedKeys().clear();
      }
      for (SelectionKey open : selector.keys()) {
        open.channel().close();
      }
    }
    return timings;
  }

  /** Writes a small request in full (a fresh socket's send buffer takes it at once). */
  private static void send(SocketChannel channel, byte[] request) throws IOException {
    ByteBuffer bytes = ByteBuffer.wrap(request);
    while (bytes.hasRemaining()) {
      channel.write(bytes);
    }
  }

  private static long dueOffset(int index, int streams, long rampMillis) {
    return TimeUnit.MILLISECONDS.toNanos(rampMillis * index / Math.max(1, streams));
  }

  /** One round with the JDK's HTTP client. */
  private static List<Timings> jdkRound(
      HttpClient client, String url, String key, int streams, long rampMillis) throws Exception {
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
              .POST(HttpRequest.BodyPublishers.ofString(BODY))
              .build();
      Timings stream = new Timings();
      timings.add(stream);
      futures.add(client.sendAsync(request, HttpResponse.BodyHandlers.fromLineSubscriber(stream)));
    }
    CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
    return timings;
  }

  /** The figures of a round as one JSON line. */
  private static String summary(List<Timings> timings, double wallSeconds, String client) {
    int streams = timings.size();
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
        "{\"client\": \"%s\", \"streams\": %d, \"completed\": %d, \"content_events\": %d, \"wall_s\": %.2f,"
            + " \"ttft_ms\": {\"p50\": %.2f, \"p90\": %.2f, \"p99\": %.2f, \"max\": %.2f},"
            + " \"itl_ms\": {\"p50\": %.2f, \"p90\": %.2f, \"p99\": %.2f, \"max\": %.2f}}",
        client,
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
