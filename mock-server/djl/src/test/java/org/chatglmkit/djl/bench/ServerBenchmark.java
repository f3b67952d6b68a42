package org.chatglmkit.djl.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.chatglmkit.djl.ChatFormat;
import org.chatglmkit.djl.ChatGlmConfig;
import org.chatglmkit.djl.ChatGlmWeights;
import org.chatglmkit.djl.DecodeProfile;
import org.chatglmkit.djl.MemoryBudget;
import org.chatglmkit.djl.TestModelGenerator;
import org.chatglmkit.djl.WeightsKind;
import org.chatglmkit.mockserver.core.Json;

/**
 * The DJL server at a given size, measured from outside: a ChatGLM-shaped checkpoint is generated
 * into DIR (once), then for each weights kind the server jar is started on it as its own process
 * and driven over HTTP with streamed chat completions:
 *
 * <ul>
 *   <li>{@code load_seconds}: from the process's start to its listening banner;
 *   <li>{@code prefill_tokens_per_s}: a long prompt's {@code prompt_tokens} over its time to first
 *       token (the third of three runs);
 *   <li>{@code decode_tokens_per_s_1_stream}: one stream's tokens after the first ({@code
 *       usage.completion_tokens} − 1) over the time from its first content to its end, the inverse
 *       of the load tests' TPOT ({@code decode_content_chunks} says in how many chunks they came:
 *       chunks are not tokens, see {@link Stream});
 *   <li>{@code decode_tokens_per_s_batched}: 4 streams at once, tokens that arrived while all four
 *       were decoding over that window (the prefills, one after another, are outside it), each
 *       stream's content chunks in the window counted as its tokens per chunk;
 *   <li>{@code decode_tokens_per_s_1_stream_after_batch}: one stream again after the batch, as a
 *       server alternates: it should match the first;
 *   <li>{@code peak_rss_mb}: the server's {@code VmHWM} at the end;
 *   <li>{@code read_bound_tokens_per_s}: the machine's read bandwidth, measured in the same run by
 *       {@link MachineLimits} (every core, vector loads, four times the last-level cache; the
 *       faster of a Java probe and, where {@code bench/full-size.sh} could build it, a native one,
 *       each also reported on its own), over the weight bytes a decoded token reads (every stored
 *       matrix but the embedding, of which one row); {@code share_of_read_bound_1_stream} is the
 *       decode rate's share of it;
 *   <li>{@code prefill_gflop_per_s}: the prefill's matrix work (two FLOPs per weight of the layers
 *       per prompt token, the output layer once) over its time, and {@code
 *       prefill_share_of_matmul_peak} its share of the engine's fp32 GEMM peak, measured alike;
 *   <li>{@code profile_ms_per_token}: with the server stopped, one sequence decoded in this process
 *       with the model's {@link org.chatglmkit.djl.StepProfile} on: milliseconds per token in the
 *       QKV projection, attention, output projection, MLP, final norm and LM head, and sampling;
 *   <li>{@code read_bandwidth_gb_per_s_between_phases}: every core's read bandwidth in the second
 *       before and after the one stream, after the batch and after the stream after it (two rounds
 *       of the probe): shares stay shares of the run's best bound, and these say whether the
 *       machine's memory was slower around a phase that was;
 *   <li>{@code copy_gb_per_s}: a plain array copy, kept for comparison with earlier runs; it reads
 *       and writes, so it is no bound (a decode that only reads beats it).
 * </ul>
 *
 * <p>A share above 100% stops the benchmark ({@link Shares}): it would mean the bound is wrong.
 *
 * <p>Arguments: {@code DIR full|small KINDS OUT [decode-tokens]}, KINDS e.g. {@code int8,fp16}.
 * Prints one JSON object per kind and writes the list to OUT.
 */
public final class ServerBenchmark {
  private static final String KEY = "chatglm-dev-key";
  private static final int STREAMS = 4;

  /** ChatGLM3-6B: 28 layers, hidden 4096, 32 heads of 128, 2 KV groups, ffn 13696. */
  static final ChatGlmConfig FULL =
      new ChatGlmConfig(28, 4096, 32, 128, 2, 13696, 65024, 8192, 1e-5, 1.0);

  /** About 100M parameters, where fp32 fits anywhere. */
  static final ChatGlmConfig SMALL =
      new ChatGlmConfig(8, 768, 12, 64, 2, 2048, 32000, 2048, 1e-5, 1.0);

  private ServerBenchmark() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    boolean full = args[1].equals("full");
    List<String> kinds = List.of(args[2].split(","));
    Path out = Path.of(args[3]);
    int decodeTokens = args.length > 4 ? Integer.parseInt(args[4]) : full ? 24 : 64;
    if (!Files.exists(dir.resolve("config.json"))) {
      long start = System.nanoTime();
      System.out.println("generating a " + args[1] + "-size bf16 checkpoint into " + dir + " …");
      TestModelGenerator.generateChat(
          dir, full ? FULL : SMALL, ChatFormat.Version.CHATGLM3, 42, full ? 7 : 2, "BF16");
      System.out.printf(Locale.ROOT, "generated in %.0f s%n", (System.nanoTime() - start) / 1e9);
    } else {
      System.out.println("reusing the checkpoint in " + dir);
    }
    // The machine's limits are measured before the servers run and again after them, and the
    // better of each kept: a bound must hold for the whole run.
    MachineLimits.Limits before = MachineLimits.measure(5);
    double copy = copyBandwidthBytesPerSecond();
    List<Map<String, Object>> results = new ArrayList<>();
    for (String kind : kinds) {
      Map<String, Object> result = measure(dir, kind, decodeTokens);
      // With the server stopped: where one token's time goes, in this process.
      result.put("profile_ms_per_token", DecodeProfile.run(dir, kind, full ? 8 : 32));
      results.add(result);
      // The profile's weights were on this process's heap: handed back before the next server.
      System.gc();
    }
    MachineLimits.Limits limits = MachineLimits.best(before, MachineLimits.measure(5));
    System.out.printf(
        Locale.ROOT,
        "machine: read %.1f GB/s (%d threads; one thread %.1f GB/s; Java probe %.1f, native %s)"
            + " over %d MiB (last-level cache %d MiB); fp32 GEMM peak %.1f GFLOP/s (n=%d);"
            + " a copy %.1f GB/s (no bound)%n",
        limits.readBound() / 1e9,
        limits.threads(),
        limits.readBoundOneThread() / 1e9,
        limits.readBytesPerSecond() / 1e9,
        limits.nativeReadBytesPerSecond() > 0
            ? String.format(Locale.ROOT, "%.1f", limits.nativeReadBytesPerSecond() / 1e9)
            : "not built (no C compiler)",
        limits.bufferBytes() >> 20,
        limits.lastLevelCacheBytes() >> 20,
        limits.matmulFlopsPerSecond() / 1e9,
        limits.matmulSize(),
        copy / 1e9);
    for (Map<String, Object> result : results) {
      againstLimits(result, limits, copy);
      System.out.println(Json.MAPPER.writeValueAsString(result));
    }
    Files.createDirectories(out.toAbsolutePath().getParent());
    Json.MAPPER.writerWithDefaultPrettyPrinter().writeValue(out.toFile(), results);
    System.out.println("written: " + out);
    for (Map<String, Object> result : results) {
      Path serving =
          out.resolveSibling(
              out.getFileName()
                  .toString()
                  .replace(".json", "-serving-" + result.get("weights") + ".json"));
      Json.MAPPER
          .writerWithDefaultPrettyPrinter()
          .writeValue(serving.toFile(), result.get("serving_profile"));
      System.out.println("written: " + serving + " (the reference server's --serving-profile)");
    }
  }

  private static Map<String, Object> measure(Path dir, String kind, int decodeTokens)
      throws Exception {
    Path jar = Path.of("mock-server/djl/target/chatglm-djl-server.jar");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    // The compact weights live on the Java heap: room for them, the batch's full contexts within
    // the budget's usable share, and a gigabyte for a prefill's work. The young generation is fixed
    // (-Xmn): left to size itself, G1 grew it into the room meant for the caches, and the int8
    // server's peak RSS from 7.9 to 9.2 GiB.
    ChatGlmConfig config = ChatGlmConfig.read(dir.resolve("config.json"));
    long heap =
        ChatGlmWeights.heapBytes(config, WeightsKind.parse(kind))
            + (long) (STREAMS * MemoryBudget.perSequence(config) / MemoryBudget.USABLE)
            + (1L << 30);
    ProcessBuilder builder =
        new ProcessBuilder(
                java,
                "--add-modules",
                "jdk.incubator.vector",
                "-Xmx" + (heap >> 20) + "m",
                "-Xmn512m",
                "-jar",
                jar.toString(),
                "--model",
                dir.toString(),
                "--weights",
                kind,
                "--port",
                "0",
                "--max-batch",
                String.valueOf(STREAMS))
            .redirectErrorStream(true);
    long started = System.nanoTime();
    Process server = builder.start();
    try {
      BufferedReader lines =
          new BufferedReader(
              new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
      String base = null;
      double weightMegabytes = -1;
      double embeddingMegabytes = -1;
      List<String> banner = new ArrayList<>();
      for (String line = lines.readLine(); line != null; line = lines.readLine()) {
        banner.add(line);
        Matcher url = Pattern.compile("listening on (http://\\S+)").matcher(line);
        if (url.find()) {
          base = url.group(1);
        }
        Matcher weights = Pattern.compile("weights: .*?([\\d.]+) MB in memory").matcher(line);
        if (weights.find()) {
          weightMegabytes = Double.parseDouble(weights.group(1));
        }
        Matcher embedding = Pattern.compile("embedding ([\\d.]+) MB").matcher(line);
        if (embedding.find()) {
          embeddingMegabytes = Double.parseDouble(embedding.group(1));
        }
        if (line.contains("capacity:")) {
          break;
        }
      }
      if (base == null || weightMegabytes < 0) {
        throw new IllegalStateException("the server did not start:\n" + String.join("\n", banner));
      }
      double loadSeconds = (System.nanoTime() - started) / 1e9;
      String url = base;
      drain(lines);
      HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
      String longPrompt = words(200);
      stream(client, base, longPrompt, 1); // two warm-ups: the JIT compiles the kernels
      stream(client, base, longPrompt, 1);
      Stream prefill = stream(client, base, longPrompt, 1);
      // Warm-up of the decode path: the JIT compiles the kernels while they run, on the same two
      // cores, and one stream was still speeding up after a dozen tokens of the 6B model (and in
      // one run after 16 warm-up tokens, at 2.38 tok/s where the stream after the batch had 2.76).
      stream(client, base, words(8), 32);
      // The memory's speed between the phases: a phase that ran slow beside a slow reading was
      // slowed by the machine (other work on a shared host), not by the server.
      Map<String, Object> readBetween = new LinkedHashMap<>();
      readBetween.put("before the stream", round(MachineLimits.readNow() / 1e9, 2));
      Stream one = stream(client, base, words(8), decodeTokens);
      readBetween.put("after the stream", round(MachineLimits.readNow() / 1e9, 2));
      batch(client, url, decodeTokens); // warm-up: the JIT compiles the batched path on first use
      List<Stream> batch = batch(client, url, decodeTokens);
      readBetween.put("after the batch", round(MachineLimits.readNow() / 1e9, 2));
      // One stream again: a server alternates between batch sizes, and a decode path that the JIT
      // compiled worse after the batch ran would show here (it once did: 10 times slower).
      Stream after = stream(client, base, words(8), decodeTokens);
      readBetween.put("after the stream after the batch", round(MachineLimits.readNow() / 1e9, 2));
      double bytesPerToken = (weightMegabytes - embeddingMegabytes) * 1e6;
      Map<String, Object> result = new LinkedHashMap<>();
      result.put("weights", kind);
      result.put("parameters", parameters(dir));
      result.put("weight_mb_in_memory", weightMegabytes);
      result.put("load_seconds", round(loadSeconds, 1));
      result.put("peak_rss_mb", peakRssMegabytes(server.pid()));
      result.put("prefill_tokens", prefill.promptTokens);
      result.put("prefill_tokens_per_s", round(prefill.promptTokens / prefill.ttftSeconds(), 2));
      result.put("decode_tokens", one.completionTokens);
      result.put("decode_content_chunks", one.times.size());
      result.put("decode_tokens_per_s_1_stream", round(one.decodeRate(), 3));
      result.put("decode_tokens_per_s_batched", round(batchedRate(batch), 3));
      result.put("batched_streams", STREAMS);
      result.put("batched_over_1_stream", round(batchedRate(batch) / one.decodeRate(), 2));
      result.put("decode_tokens_per_s_1_stream_after_batch", round(after.decodeRate(), 3));
      result.put("bytes_per_token", (long) bytesPerToken);
      result.put(
          "prefill_gflop_per_s",
          round(prefillFlops(config, prefill.promptTokens) / prefill.ttftSeconds() / 1e9, 1));
      result.put("seconds_per_token_1_stream", round(1 / one.decodeRate(), 4));
      result.put("serving_profile", servingProfile(kind, one, prefill, batch));
      result.put("read_bandwidth_gb_per_s_between_phases", readBetween);
      return result;
    } finally {
      server.destroy();
      if (!server.waitFor(30, TimeUnit.SECONDS)) {
        server.destroyForcibly();
      }
    }
  }

  /** {@link #STREAMS} streams started at once, each asking for {@code tokens}. */
  private static List<Stream> batch(HttpClient client, String url, int tokens) throws Exception {
    List<CompletableFuture<Stream>> runs = new ArrayList<>();
    for (int s = 0; s < STREAMS; s++) {
      String prompt = words(8 + s);
      runs.add(
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  return stream(client, url, prompt, tokens);
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
              }));
    }
    List<Stream> batch = new ArrayList<>();
    for (CompletableFuture<Stream> run : runs) {
      batch.add(run.get());
    }
    return batch;
  }

  /**
   * The points the reference server's serving mode reads ({@code --serving-profile}): inter-token
   * latency alone and in a batch of {@link #STREAMS}, and the time to the first token of a short
   * and a long prompt.
   */
  private static Map<String, Object> servingProfile(
      String kind, Stream one, Stream prefill, List<Stream> batch) {
    Map<String, Object> profile = new LinkedHashMap<>();
    profile.put("max_running", STREAMS);
    profile.put(
        "itl_ms_by_batch",
        new java.util.TreeMap<>(
            Map.of(
                "1",
                round(1000 / one.decodeRate(), 2),
                String.valueOf(STREAMS),
                round(1000.0 * STREAMS / batchedRate(batch), 2))));
    profile.put(
        "prefill_ms_by_prompt_tokens",
        new java.util.TreeMap<>(
            Map.of(
                String.valueOf(one.promptTokens), round(one.ttftSeconds() * 1000, 1),
                String.valueOf(prefill.promptTokens), round(prefill.ttftSeconds() * 1000, 1))));
    profile.put("measured", Map.of("by", "mock-server/djl/bench/full-size.sh", "weights", kind));
    return profile;
  }

  /** Puts the machine's limits beside a kind's figures, and each figure's share of its bound. */
  private static void againstLimits(
      Map<String, Object> result, MachineLimits.Limits limits, double copy) {
    String kind = (String) result.get("weights");
    double readBound = limits.readBound() / ((Long) result.get("bytes_per_token"));
    double decode = (Double) result.get("decode_tokens_per_s_1_stream");
    result.put("read_bandwidth_gb_per_s", round(limits.readBound() / 1e9, 2));
    result.put("read_bandwidth_gb_per_s_1_thread", round(limits.readBoundOneThread() / 1e9, 2));
    result.put("read_bandwidth_gb_per_s_java_probe", round(limits.readBytesPerSecond() / 1e9, 2));
    if (limits.nativeReadBytesPerSecond() > 0) {
      result.put(
          "read_bandwidth_gb_per_s_native_probe",
          round(limits.nativeReadBytesPerSecond() / 1e9, 2));
    }
    result.put("read_bound_tokens_per_s", round(readBound, 3));
    result.put("share_of_read_bound_1_stream", Shares.of(kind + " decode", decode, readBound));
    result.put(
        "share_of_read_bound_1_stream_after_batch",
        Shares.of(
            kind + " decode after a batch",
            (Double) result.get("decode_tokens_per_s_1_stream_after_batch"),
            readBound));
    result.put("matmul_peak_gflop_per_s", round(limits.matmulFlopsPerSecond() / 1e9, 1));
    result.put(
        "prefill_share_of_matmul_peak",
        Shares.of(
            kind + " prefill",
            (Double) result.get("prefill_gflop_per_s") * 1e9,
            limits.matmulFlopsPerSecond()));
    result.put("copy_gb_per_s", round(copy / 1e9, 2));
  }

  /**
   * One streamed answer: when the request went out, when each content chunk came, when the stream
   * ended, and the tokens the server counted ({@code usage}). Chunks are not tokens: a token that
   * ends inside a character (a byte piece of a UTF-8 sequence) is held back and sent with the next,
   * and on the 6B checkpoint 48 tokens came in 44 chunks, 15 in 11, so rates over chunks were 9–29%
   * below the decoding's. Rates here count tokens, as the load tests' TPOT does.
   */
  static final class Stream {
    long sent;
    final List<Long> times = new ArrayList<>();
    long ended;
    int promptTokens;
    int completionTokens;

    double ttftSeconds() {
      return (times.get(0) - sent) / 1e9;
    }

    /** Tokens after the first over the time from the first content to the stream's end (1/TPOT). */
    double decodeRate() {
      return (completionTokens - 1) / ((ended - times.get(0)) / 1e9);
    }

    /**
     * Refuses a stream the rates cannot be taken from: fewer than two content chunks (one, if one
     * token was asked for), or a usage that counts fewer tokens than chunks came (no usage at all
     * counts none).
     */
    void requireTokens(int maxTokens) {
      if (times.size() < Math.min(2, maxTokens)) {
        throw new IllegalStateException(
            "a stream of " + times.size() + " chunks for max_tokens " + maxTokens);
      }
      if (completionTokens < times.size()) {
        throw new IllegalStateException(
            "usage.completion_tokens "
                + completionTokens
                + " for "
                + times.size()
                + " content chunks: the rates count tokens");
      }
    }

    /** Tokens per content chunk, to count the tokens among some of the chunks. */
    double tokensPerChunk() {
      return (double) completionTokens / times.size();
    }
  }

  /**
   * Tokens that arrived while every stream was past its first content and before its last, over
   * that window: each stream's chunks in the window times its tokens per chunk (a chunk's own count
   * is not sent).
   */
  static double batchedRate(List<Stream> streams) {
    long from = streams.stream().mapToLong(s -> s.times.get(0)).max().orElseThrow();
    long to = streams.stream().mapToLong(s -> s.times.get(s.times.size() - 1)).min().orElseThrow();
    if (to <= from) {
      throw new IllegalStateException("the streams never decoded together");
    }
    double tokens =
        streams.stream()
            .mapToDouble(
                s -> s.times.stream().filter(t -> t > from && t <= to).count() * s.tokensPerChunk())
            .sum();
    return tokens / ((to - from) / 1e9);
  }

  private static Stream stream(HttpClient client, String base, String prompt, int maxTokens)
      throws IOException, InterruptedException {
    String body =
        Json.MAPPER.writeValueAsString(
            Map.of(
                "messages",
                List.of(Map.of("role", "user", "content", prompt)),
                "stream",
                true,
                "stream_options",
                Map.of("include_usage", true),
                "temperature",
                0,
                "max_tokens",
                maxTokens));
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(base + "/v1/chat/completions"))
            .header("Authorization", "Bearer " + KEY)
            .header("Content-Type", "application/json")
            .timeout(Duration.ofMinutes(30))
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build();
    Stream stream = new Stream();
    stream.sent = System.nanoTime();
    HttpResponse<java.util.stream.Stream<String>> response =
        client.send(request, HttpResponse.BodyHandlers.ofLines());
    if (response.statusCode() != 200) {
      throw new IllegalStateException("HTTP " + response.statusCode());
    }
    response
        .body()
        .forEach(
            line -> {
              long now = System.nanoTime();
              stream.ended = now;
              if (!line.startsWith("data:") || line.contains("[DONE]")) {
                return;
              }
              try {
                JsonNode chunk = Json.MAPPER.readTree(line.substring(5));
                String content =
                    chunk.path("choices").path(0).path("delta").path("content").asText("");
                if (!content.isEmpty()) {
                  stream.times.add(now);
                }
                if (chunk.path("usage").isObject()) {
                  stream.promptTokens = chunk.path("usage").path("prompt_tokens").asInt();
                  stream.completionTokens = chunk.path("usage").path("completion_tokens").asInt();
                }
              } catch (IOException e) {
                throw new IllegalStateException("not JSON: " + line, e);
              }
            });
    stream.requireTokens(maxTokens);
    return stream;
  }

  /** A prompt of about {@code count} words. */
  private static String words(int count) {
    String[] words = {"the", "model", "answers", "a", "question", "about", "time", "and", "light"};
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < count; i++) {
      text.append(i == 0 ? "" : " ").append(words[(i * 7 + count) % words.length]);
    }
    return text.toString();
  }

  private static void drain(BufferedReader lines) {
    Thread thread =
        new Thread(
            () -> {
              try {
                while (lines.readLine() != null) {
                  // the server's later output is not needed
                }
              } catch (IOException e) {
                // the server stopped
              }
            });
    thread.setDaemon(true);
    thread.start();
  }

  private static long parameters(Path dir) {
    return ChatGlmConfig.read(dir.resolve("config.json")).parameters();
  }

  /**
   * The matrix work of a prefill of {@code tokens}: two FLOPs per weight of the layers per token,
   * and the output layer for the last token only (attention's own products are left out: at a few
   * hundred tokens they are a small part, so the share is if anything understated).
   */
  static double prefillFlops(ChatGlmConfig config, int tokens) {
    double outputLayer = (double) config.vocab() * config.hidden();
    double layers = config.parameters() - 2 * outputLayer;
    return 2 * layers * tokens + 2 * outputLayer;
  }

  /** Bytes per second of a large array copy (read + write counted once): a comparison, no bound. */
  static double copyBandwidthBytesPerSecond() {
    float[] source = new float[64 * 1024 * 1024];
    float[] target = new float[source.length];
    double best = 0;
    for (int i = 0; i < 5; i++) {
      long start = System.nanoTime();
      System.arraycopy(source, 0, target, 0, source.length);
      double seconds = (System.nanoTime() - start) / 1e9;
      best = Math.max(best, source.length * 4.0 / seconds);
    }
    return best;
  }

  private static long peakRssMegabytes(long pid) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (line.startsWith("VmHWM:")) {
        return Long.parseLong(line.replaceAll("\\D", "")) / 1024;
      }
    }
    return -1;
  }

  private static double round(double value, int digits) {
    double scale = Math.pow(10, digits);
    return Math.round(value * scale) / scale;
  }
}
