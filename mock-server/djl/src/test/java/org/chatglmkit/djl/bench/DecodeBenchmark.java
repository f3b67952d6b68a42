package org.chatglmkit.djl.bench;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.chatglmkit.djl.ChatGlmConfig;
import org.chatglmkit.djl.ChatGlmModel;
import org.chatglmkit.djl.ChatGlmWeights;
import org.chatglmkit.djl.DecodeLoop;
import org.chatglmkit.djl.Sampling;
import org.chatglmkit.djl.TestModelGenerator;

/**
 * Prefill and decode speed of the DJL model on a generated checkpoint, beside the memory-bandwidth
 * bound of this machine (weight bytes read per decoded token against a measured copy bandwidth).
 * Prints one JSON line.
 *
 * <p>Arguments: {@code DIR DTYPE [prompt=128] [tokens=32] [streams=4]}; the checkpoint is generated
 * into DIR when it is not there.
 */
public final class DecodeBenchmark {
  private DecodeBenchmark() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    String dtype = args[1];
    int promptLength = args.length > 2 ? Integer.parseInt(args[2]) : 128;
    int tokens = args.length > 3 ? Integer.parseInt(args[3]) : 32;
    int streams = args.length > 4 ? Integer.parseInt(args[4]) : 4;
    ChatGlmConfig shape = new ChatGlmConfig(8, 768, 12, 64, 2, 2048, 32000, 2048, 1e-5, 1.0);
    if (!Files.exists(dir.resolve("config.json"))) {
      TestModelGenerator.generate(dir, shape, 42, 2, dtype);
    }
    ChatGlmConfig config = ChatGlmConfig.read(dir.resolve("config.json"));
    double bandwidth = copyBandwidthBytesPerSecond();
    try (NDManager manager = NDManager.newBaseManager("PyTorch");
        ChatGlmWeights weights = ChatGlmWeights.load(dir, config, manager)) {
      ChatGlmModel model = new ChatGlmModel(config, weights, manager);
      int[] prompt = new int[promptLength];
      for (int i = 0; i < prompt.length; i++) {
        prompt[i] = (i * 7919) % config.vocab();
      }
      DecodeLoop loop = new DecodeLoop(model, java.util.Set.of());
      loop.run(prompt, Sampling.greedy(tokens), t -> true); // warm-up
      double prefill = prefillTokensPerSecond(model, prompt);
      double single = decodeTokensPerSecond(loop, prompt, tokens, 1);
      double many = decodeTokensPerSecond(loop, prompt, tokens, streams);
      double batched = batchedTokensPerSecond(loop, prompt, tokens, streams);
      long weightBytes = weights.bytes();
      double bound = bandwidth / weightBytes;
      System.out.printf(
          Locale.ROOT,
          "{\"dtype_on_disk\": \"%s\", \"parameters\": %d, \"weight_bytes_in_memory\": %d,"
              + " \"prefill_tokens_per_s\": %.1f, \"decode_tokens_per_s_1_stream\": %.2f,"
              + " \"decode_tokens_per_s_%d_streams\": %.2f, \"streams_speedup\": %.2f,"
              + " \"decode_tokens_per_s_batched\": %.2f, \"batched_speedup\": %.2f,"
              + " \"copy_bandwidth_gb_per_s\": %.2f, \"bandwidth_bound_tokens_per_s\": %.2f,"
              + " \"single_stream_share_of_bound\": %.3f, \"peak_rss_mb\": %d, \"checkpoint_bytes\": %d}%n",
          dtype,
          weightBytes / 4,
          weightBytes,
          prefill,
          single,
          streams,
          many,
          many / single,
          batched,
          batched / single,
          bandwidth / 1e9,
          bound,
          single / bound,
          peakRssMegabytes(),
          checkpointBytes(dir));
    }
  }

  private static double prefillTokensPerSecond(ChatGlmModel model, int[] prompt) {
    long start = System.nanoTime();
    int rounds = 3;
    for (int i = 0; i < rounds; i++) {
      try (var cache = model.newCache()) {
        model.forward(prompt, cache);
      }
    }
    return rounds * prompt.length / ((System.nanoTime() - start) / 1e9);
  }

  /** Tokens per second over {@code streams} concurrent generations (prefill excluded). */
  private static double decodeTokensPerSecond(
      DecodeLoop loop, int[] prompt, int tokens, int streams) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(streams);
    try {
      List<Future<long[]>> runs = new ArrayList<>();
      for (int s = 0; s < streams; s++) {
        runs.add(
            pool.submit(
                () -> {
                  long[] times = new long[2];
                  loop.run(
                      prompt,
                      Sampling.greedy(tokens),
                      t -> {
                        if (times[0] == 0) {
                          times[0] = System.nanoTime();
                        }
                        times[1] = System.nanoTime();
                        return true;
                      });
                  return times;
                }));
      }
      long first = Long.MAX_VALUE;
      long last = 0;
      for (Future<long[]> run : runs) {
        long[] times = run.get();
        first = Math.min(first, times[0]);
        last = Math.max(last, times[1]);
      }
      return (double) streams * (tokens - 1) / ((last - first) / 1e9);
    } finally {
      pool.shutdown();
    }
  }

  /**
   * Tokens per second of {@code streams} sequences decoded as one batch; prefill excluded by
   * subtracting a run that stops after the first token.
   */
  private static double batchedTokensPerSecond(
      DecodeLoop loop, int[] prompt, int tokens, int streams) {
    int[][] prompts = new int[streams][];
    java.util.Arrays.fill(prompts, prompt);
    loop.runBatch(prompts, Sampling.greedy(tokens));
    long start = System.nanoTime();
    loop.runBatch(prompts, Sampling.greedy(1));
    long prefillOnly = System.nanoTime() - start;
    start = System.nanoTime();
    loop.runBatch(prompts, Sampling.greedy(tokens));
    long whole = System.nanoTime() - start;
    return (double) streams * (tokens - 1) / ((whole - prefillOnly) / 1e9);
  }

  /** Bytes per second of a large array copy (read + write counted once, as a decode step reads). */
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

  private static long peakRssMegabytes() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmHWM:")) {
        return Long.parseLong(line.replaceAll("\\D", "")) / 1024;
      }
    }
    return -1;
  }

  private static long checkpointBytes(Path dir) throws IOException {
    try (var files = Files.list(dir)) {
      return files.mapToLong(f -> f.toFile().length()).sum();
    }
  }
}
