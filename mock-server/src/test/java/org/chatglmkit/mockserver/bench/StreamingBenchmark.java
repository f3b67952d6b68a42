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
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;

/**
 * Opens N concurrent streams against a running server and measures, per event as it arrives, time
 * to first token and the gaps between tokens. Prints a summary line and JSON. By default the client
 * is raw sockets on one selector thread (the request written, each event timed as its bytes are
 * read); {@code jdk} uses the JDK's HTTP client instead, whose own per-event work on a 2-core
 * machine shows up in the figures.
 *
 * <p>The socket client opens a new connection per stream ({@code new}), or keeps each connection
 * once its stream has ended and sends the next round's request on it ({@code keep-alive}), as a
 * pooling HTTP client does: the warm-up rounds then open the connections, and the measured round
 * measures streams alone, without accepting and closing thousands of connections on the same cores.
 *
 * <p>{@code java -cp chatglm-mock-server.jar org.chatglmkit.mockserver.bench.StreamingBenchmark URL
 * KEY STREAMS RAMP_MS [WARMUPS] [nio|jdk] [SERVER_PID] [new|keep-alive]}
 */
public final class StreamingBenchmark {
  private StreamingBenchmark() {}

  private static final String BODY =
      "{\"messages\":[{\"role\":\"user\",\"content\":\"benchmark\"}],\"stream\":true}";

  /** Timestamps of one stream: request sent, then each data event. */
  private static final class Timings implements Flow.Subscriber<String> {
    final long sentNanos = System.nanoTime();
    final long plannedNanos;
    long connectedNanos;

    /** When the request's last byte was written (the socket client); 0 until then. */
    long requestWrittenNanos;

    long headersNanos;
    final List<Long> events = new ArrayList<>();

    Timings(long plannedNanos) {
      this.plannedNanos = plannedNanos;
    }

    /** The {@code [DONE]} event came. */
    boolean done;

    /** The response's last chunk came too: its connection can carry the next request. */
    boolean ended;

    /**
     * Raw response bytes not yet split into events (the socket client), kept as bytes: the client's
     * own work per event is part of what the figures measure, so it allocates nothing per event.
     */
    private byte[] pending = new byte[4096];

    private int pendingLength;

    private boolean headersRead;

    /**
     * Bytes off the socket at {@code now}: every event they complete (ended by a blank line) is
     * timed now. Chunked-encoding size lines fall between events and are ignored.
     */
    void bytes(ByteBuffer data, long now) {
      int length = data.remaining();
      if (pendingLength + length > pending.length) {
        pending = Arrays.copyOf(pending, Math.max(2 * pending.length, pendingLength + length));
      }
      data.get(pending, pendingLength, length);
      pendingLength += length;
      int from = 0;
      if (!headersRead) {
        int end = indexOf(pending, 0, pendingLength, HEADERS_END);
        if (end < 0) {
          return;
        }
        headersRead = true;
        headersNanos = now;
        from = end + HEADERS_END.length;
      }
      int end;
      while ((end = indexOf(pending, from, pendingLength, EVENT_END)) >= 0) {
        int line = indexOf(pending, from, end, DATA);
        if (line >= 0) {
          if (indexOf(pending, line, end, DONE) >= 0) {
            done = true;
          } else if (indexOf(pending, line, end, CONTENT) >= 0) {
            events.add(now);
          }
        }
        from = end + EVENT_END.length;
      }
      System.arraycopy(pending, from, pending, 0, pendingLength - from);
      pendingLength -= from;
      if (done && indexOf(pending, 0, pendingLength, LAST_CHUNK) >= 0) {
        ended = true;
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

  private static final byte[] HEADERS_END = ascii("\r\n\r\n");
  private static final byte[] EVENT_END = ascii("\n\n");
  private static final byte[] DATA = ascii("data:");
  private static final byte[] DONE = ascii("[DONE]");
  private static final byte[] CONTENT = ascii("\"content\"");

  /** Chunked encoding's zero-size chunk that ends a response. */
  private static final byte[] LAST_CHUNK = ascii("\r\n0\r\n\r\n");

  private static byte[] ascii(String text) {
    return text.getBytes(StandardCharsets.US_ASCII);
  }

  /** Where {@code needle} first occurs in {@code bytes[from, to)}, or -1. */
  private static int indexOf(byte[] bytes, int from, int to, byte[] needle) {
    outer:
    for (int i = from; i <= to - needle.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (bytes[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
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
    long serverPid = args.length > 6 ? Long.parseLong(args[6]) : -1;
    boolean keepAlive = args.length > 7 && args[7].equals("keep-alive");
    try (Connections connections = new Connections(keepAlive)) {
      rounds(url, key, streams, rampMillis, warmups, jdk, client, serverPid, connections);
    }
  }

  private static void rounds(
      String url,
      String key,
      int streams,
      long rampMillis,
      int warmups,
      boolean jdk,
      HttpClient client,
      long serverPid,
      Connections connections)
      throws Exception {
    for (int i = 0; i <= warmups; i++) {
      long start = System.nanoTime();
      double clientCpu = clientCpuSeconds();
      double serverCpu = cpuSeconds(serverPid);
      double serverSystem = systemSeconds(serverPid);
      Map<String, Double> serverThreads = threadGroupSeconds(serverPid, false);
      Map<String, Double> serverWaits = threadGroupSeconds(serverPid, true);
      Map<String, Double> clientWaits = threadGroupSeconds(clientPid(), true);
      double clientSystem = systemSeconds(clientPid());
      List<Timings> timings =
          jdk
              ? jdkRound(client, url, key, streams, rampMillis)
              : socketRound(url, key, streams, rampMillis, connections);
      if (timings.stream().noneMatch(stream -> stream.done)) {
        // a broken server: say so now, rather than after every warm-up round's deadline
        System.err.printf("round %d: none of %d streams completed%n", i + 1, streams);
        System.exit(1);
      }
      if (i == warmups) {
        double wall = (System.nanoTime() - start) / 1e9;
        System.out.println(
            summary(
                timings,
                wall,
                jdk ? "jdk" : connections.keepAlive ? "nio, keep-alive" : "nio, new connections",
                (clientCpuSeconds() - clientCpu) / wall,
                (systemSeconds(clientPid()) - clientSystem) / wall,
                (cpuSeconds(serverPid) - serverCpu) / wall,
                (systemSeconds(serverPid) - serverSystem) / wall,
                groupDeltas(serverThreads, threadGroupSeconds(serverPid, false), 1 / wall, 2),
                groupDeltas(serverWaits, threadGroupSeconds(serverPid, true), 1000, 0),
                groupDeltas(clientWaits, threadGroupSeconds(clientPid(), true), 1000, 0)));
      }
    }
  }

  /**
   * One round with raw non-blocking sockets on one selector thread: a stream's events are timed
   * when its bytes come off the socket, with no HTTP client machinery in between.
   */
  private static List<Timings> socketRound(
      String url, String key, int streams, long rampMillis, Connections connections)
      throws IOException {
    URI uri = URI.create(url);
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
    SocketRound round =
        new SocketRound(new InetSocketAddress(uri.getHost(), uri.getPort()), request, connections);
    round.run(streams, rampMillis);
    return round.timings;
  }

  /** The state of one socket round: its streams, and how many have finished. */
  private static final class SocketRound {
    private final InetSocketAddress address;
    private final byte[] request;
    private final Connections connections;
    final List<Timings> timings = new ArrayList<>();

    /** Where reads land: a direct buffer, which the JDK does not copy through another first. */
    private final ByteBuffer buffer = ByteBuffer.allocateDirect(64 * 1024);

    private int finished;

    SocketRound(InetSocketAddress address, byte[] request, Connections connections) {
      this.address = address;
      this.request = request;
      this.connections = connections;
    }

    void run(int streams, long rampMillis) throws IOException {
      Selector selector = connections.selector;
      long start = System.nanoTime();
      long deadline = start + TimeUnit.SECONDS.toNanos(120);
      while (finished < streams && System.nanoTime() < deadline) {
        while (timings.size() < streams
            && System.nanoTime() >= start + dueOffset(timings.size(), streams, rampMillis)) {
          begin(new Timings(start + dueOffset(timings.size(), streams, rampMillis)));
        }
        long untilNext =
            timings.size() < streams
                ? start + dueOffset(timings.size(), streams, rampMillis) - System.nanoTime()
                : TimeUnit.MILLISECONDS.toNanos(100);
        // The selector waits in whole milliseconds: a stream due in less than one starts up to a
        // millisecond late (its start lag; its TTFT counts from when it did start), where a
        // selectNow() loop would spin a core away from the server until then. Ready keys go
        // straight to the handler, with no selected-key set filled and emptied per event.
        if (untilNext > 0) {
          selector.select(this::ready, Math.max(1, TimeUnit.NANOSECONDS.toMillis(untilNext)));
        } else {
          selector.selectNow(this::ready);
        }
      }
      // Streams that did not end in time: their connections go, the idle ones stay.
      for (SelectionKey open : selector.keys()) {
        if (open.attachment() != null) {
          open.channel().close();
        }
      }
    }

    /** Sends a stream's request: on an idle connection if there is one, else on a new one. */
    private void begin(Timings stream) throws IOException {
      timings.add(stream);
      if (connections.reuse(stream, request)) {
        return;
      }
      SocketChannel channel = SocketChannel.open();
      channel.configureBlocking(false);
      channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
      if (channel.connect(address)) {
        stream.connectedNanos = System.nanoTime();
        send(channel, request);
        stream.requestWrittenNanos = System.nanoTime();
        channel.register(connections.selector, SelectionKey.OP_READ, stream);
      } else {
        channel.register(connections.selector, SelectionKey.OP_CONNECT, stream);
      }
    }

    private void ready(SelectionKey ready) {
      Timings stream = (Timings) ready.attachment();
      SocketChannel channel = (SocketChannel) ready.channel();
      try {
        if (ready.isConnectable()) {
          channel.finishConnect();
          stream.connectedNanos = System.nanoTime();
          send(channel, request);
          stream.requestWrittenNanos = System.nanoTime();
          ready.interestOps(SelectionKey.OP_READ);
          return;
        }
        buffer.clear();
        int read = channel.read(buffer);
        long now = System.nanoTime();
        if (read > 0) {
          stream.bytes(buffer.flip(), now);
        }
        if (read >= 0 && connections.keepAlive && stream.ended) {
          connections.release(ready);
          finished++;
        } else if (read < 0 || (!connections.keepAlive && stream.done)) {
          ready.cancel();
          channel.close();
          finished++;
        }
      } catch (IOException e) {
        // the server reset or refused the connection: the stream ends where it got to
        ready.cancel();
        try {
          channel.close();
        } catch (IOException ignored) {
          // already closed
        }
        finished++;
      }
    }
  }

  /**
   * The socket client's selector, kept for the whole run, and (keep-alive) the connections whose
   * last response has ended, ready for the next request.
   */
  private static final class Connections implements AutoCloseable {
    final boolean keepAlive;
    final Selector selector;
    private final ArrayDeque<SelectionKey> idle = new ArrayDeque<>();

    Connections(boolean keepAlive) throws IOException {
      this.keepAlive = keepAlive;
      this.selector = Selector.open();
    }

    /**
     * Sends {@code stream}'s request on an idle connection, if there is one that takes it; false
     * when a new connection is needed.
     */
    boolean reuse(Timings stream, byte[] request) throws IOException {
      for (SelectionKey key; (key = idle.poll()) != null; ) {
        SocketChannel channel = (SocketChannel) key.channel();
        try {
          send(channel, request);
        } catch (IOException closedByServer) {
          channel.close();
          continue;
        }
        // Connected before the stream began: its connect time is zero.
        stream.connectedNanos = stream.sentNanos;
        stream.requestWrittenNanos = System.nanoTime();
        key.attach(stream);
        key.interestOps(SelectionKey.OP_READ);
        return true;
      }
      return false;
    }

    /** Keeps a connection whose response has ended, unwatched until its next request. */
    void release(SelectionKey key) {
      key.attach(null);
      key.interestOps(0);
      idle.add(key);
    }

    @Override
    public void close() throws IOException {
      for (SelectionKey key : selector.keys()) {
        key.channel().close();
      }
      selector.close();
    }
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
      Timings stream = new Timings(due);
      timings.add(stream);
      futures.add(client.sendAsync(request, HttpResponse.BodyHandlers.fromLineSubscriber(stream)));
    }
    CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
    return timings;
  }

  /** This JVM's CPU time so far, all threads, in seconds. */
  private static double clientCpuSeconds() {
    return ((com.sun.management.OperatingSystemMXBean)
                java.lang.management.ManagementFactory.getOperatingSystemMXBean())
            .getProcessCpuTime()
        / 1e9;
  }

  /** Another process's CPU time so far (user + system, from /proc), or NaN. */
  private static double cpuSeconds(long pid) {
    return cpuSeconds(pid, true);
  }

  /** Another process's CPU time so far in the kernel (system, from /proc), or NaN. */
  private static double systemSeconds(long pid) {
    return cpuSeconds(pid, false);
  }

  private static double cpuSeconds(long pid, boolean withUser) {
    if (pid < 0) {
      return Double.NaN;
    }
    try {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
      String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      // fields[11] and [12] are utime and stime (fields 14 and 15 of proc(5)), in clock ticks
      return ((withUser ? Long.parseLong(fields[11]) : 0) + Long.parseLong(fields[12])) / 100.0;
    } catch (IOException | RuntimeException e) {
      return Double.NaN;
    }
  }

  private static long clientPid() {
    return ProcessHandle.current().pid();
  }

  /**
   * A process's CPU time so far (seconds, from /proc) by what its threads do, as the JVM and Jetty
   * name them: the pacer that writes stream events, Jetty's pool (accepting, reading requests,
   * starting streams), the JIT compilers, the garbage collector, and the rest. Empty when unknown.
   * With {@code waiting}, the time they were runnable but waited for a core instead (the kernel's
   * run-queue delay, from {@code schedstat}): on a shared machine, who lost time to whom.
   */
  private static Map<String, Double> threadGroupSeconds(long pid, boolean waiting) {
    Map<String, Double> groups = new TreeMap<>();
    if (pid < 0) {
      return groups;
    }
    try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
      for (Path task : (Iterable<Path>) tasks::iterator) {
        try {
          String stat = Files.readString(task.resolve("stat"));
          String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
          double seconds;
          if (waiting) {
            // schedstat: time on a core, time waiting for one (both ns), time slices
            String[] times = Files.readString(task.resolve("schedstat")).split(" ");
            seconds = Long.parseLong(times[1].trim()) / 1e9;
          } else {
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            seconds = (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) / 100.0;
          }
          groups.merge(threadGroup(name), seconds, Double::sum);
        } catch (IOException | RuntimeException gone) {
          // the thread ended while being read
        }
      }
    } catch (IOException | RuntimeException e) {
      groups.clear();
    }
    return groups;
  }

  private static String threadGroup(String name) {
    if (name.startsWith("sse-pacer")) {
      return "pacer";
    }
    if (name.startsWith("qtp")) {
      return "jetty";
    }
    if (name.startsWith("C1 ") || name.startsWith("C2 ")) {
      return "jit";
    }
    if (name.startsWith("Z") || name.startsWith("GC") || name.startsWith("G1")) {
      return "gc";
    }
    if (name.equals("java")) {
      // the launcher's threads: in the client, the one that runs the selector loop
      return "main";
    }
    return "other";
  }

  /**
   * Each thread group's seconds between two readings, times {@code scale}, as a JSON object with
   * {@code decimals} digits (cores: 1/wall; milliseconds: 1000). A thread that ended between the
   * readings takes its time with it: a group may show less than it used, never more.
   */
  private static String groupDeltas(
      Map<String, Double> before, Map<String, Double> after, double scale, int decimals) {
    StringBuilder json = new StringBuilder("{");
    for (var group : after.entrySet()) {
      double delta =
          scale * Math.max(0, group.getValue() - before.getOrDefault(group.getKey(), 0.0));
      json.append(json.length() > 1 ? ", " : "")
          .append(String.format(Locale.ROOT, "\"%s\": %." + decimals + "f", group.getKey(), delta));
    }
    return json.append('}').toString();
  }

  /** Percentiles of {@code values} (ms) as a JSON object. */
  private static String percentiles(double[] values) {
    double[] sorted = Arrays.stream(values).filter(v -> !Double.isNaN(v)).sorted().toArray();
    return String.format(
        Locale.ROOT,
        "{\"p50\": %.2f, \"p90\": %.2f, \"p99\": %.2f, \"max\": %.2f}",
        pct(sorted, 50),
        pct(sorted, 90),
        pct(sorted, 99),
        sorted.length == 0 ? Double.NaN : sorted[sorted.length - 1]);
  }

  /** The figures of a round as one JSON line. */
  private static String summary(
      List<Timings> timings,
      double wallSeconds,
      String client,
      double clientCores,
      double clientSystemCores,
      double serverCores,
      double serverSystemCores,
      String serverThreadCores,
      String serverWaitedMillis,
      String clientWaitedMillis) {
    int streams = timings.size();
    double[] startLag = new double[streams];
    double[] connect = new double[streams];
    double[] headers = new double[streams];
    for (int i = 0; i < streams; i++) {
      Timings stream = timings.get(i);
      startLag[i] = (stream.sentNanos - stream.plannedNanos) / 1e6;
      connect[i] =
          stream.connectedNanos == 0
              ? Double.NaN
              : (stream.connectedNanos - stream.sentNanos) / 1e6;
      headers[i] =
          stream.headersNanos == 0 ? Double.NaN : (stream.headersNanos - stream.sentNanos) / 1e6;
    }
    double[] ttft = new double[streams];
    double[] ttftAfterRequest = new double[streams];
    List<Double> gaps = new ArrayList<>();
    int complete = 0;
    long tokens = 0;
    for (int i = 0; i < streams; i++) {
      Timings stream = timings.get(i);
      complete += stream.done ? 1 : 0;
      tokens += stream.events.size();
      ttft[i] =
          stream.events.isEmpty() ? Double.NaN : (stream.events.get(0) - stream.sentNanos) / 1e6;
      ttftAfterRequest[i] =
          stream.events.isEmpty() || stream.requestWrittenNanos == 0
              ? Double.NaN
              : (stream.events.get(0) - stream.requestWrittenNanos) / 1e6;
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
            + " \"itl_ms\": {\"p50\": %.2f, \"p90\": %.2f, \"p99\": %.2f, \"max\": %.2f},"
            + " \"ttft_after_request_ms\": %s,"
            + " \"client_start_lag_ms\": %s, \"connect_ms\": %s, \"headers_ms\": %s,"
            + " \"client_cpu_cores\": %.2f, \"client_kernel_cores\": %.2f,"
            + " \"server_cpu_cores\": %.2f, \"server_kernel_cores\": %.2f,"
            + " \"server_thread_cores\": %s, \"server_waited_for_a_core_ms\": %s,"
            + " \"client_waited_for_a_core_ms\": %s}",
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
        itl.length == 0 ? Double.NaN : itl[itl.length - 1],
        percentiles(ttftAfterRequest),
        percentiles(startLag),
        percentiles(connect),
        percentiles(headers),
        clientCores,
        clientSystemCores,
        serverCores,
        serverSystemCores,
        serverThreadCores,
        serverWaitedMillis,
        clientWaitedMillis);
  }

  private static double pct(double[] sorted, double percentile) {
    if (sorted.length == 0) {
      return Double.NaN;
    }
    int index = (int) Math.ceil(percentile / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
  }
}
