package org.chatglmkit.load;

import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/**
 * What a load run measured, from per-request and per-event timestamps, with vLLM's definitions:
 * TTFT (first content), ITL (each gap between content chunks), TPOT = (E2E − TTFT) / (tokens − 1),
 * E2E. Histograms hold microseconds; everything is safe to record from many threads.
 */
public final class Metrics {
  /** Per-request samples kept for plots and capacity steps; beyond this only histograms grow. */
  static final int MAX_SAMPLES = 500_000;

  private volatile long startNanos = System.nanoTime();
  private final LoadConfig.Slo slo;
  final Histogram ttft = new ConcurrentHistogram(3);
  final Histogram itl = new ConcurrentHistogram(3);
  final Histogram tpot = new ConcurrentHistogram(3);
  final Histogram e2e = new ConcurrentHistogram(3);
  final LongAdder completed = new LongAdder();
  final LongAdder failed = new LongAdder();
  final LongAdder good = new LongAdder();
  final LongAdder inputTokens = new LongAdder();
  final LongAdder outputTokens = new LongAdder();
  final Map<String, LongAdder> errors = new ConcurrentHashMap<>();
  final Map<String, LongAdder> violations = new ConcurrentHashMap<>();
  final LongAdder checkedDocuments = new LongAdder();
  final LongAdder warmupRequests = new LongAdder();
  final LongAdder bufferedStreams = new LongAdder();
  final Map<String, LongAdder> inputSources = new ConcurrentHashMap<>();
  final Map<String, LongAdder> outputSources = new ConcurrentHashMap<>();
  final Map<String, LongAdder> mismatches = new ConcurrentHashMap<>();
  final Map<String, LongAdder> compared = new ConcurrentHashMap<>();
  private final Queue<Sample> samples = new ConcurrentLinkedQueue<>();
  private final AtomicInteger sampleCount = new AtomicInteger();
  private volatile long endNanos;

  public Metrics(LoadConfig.Slo slo) {
    this.slo = slo;
  }

  /**
   * One request's outcome.
   *
   * @param startMillis when it was sent, after the run began
   * @param ttftMillis time to first token ({@code NaN} for a failure)
   * @param e2eMillis end-to-end latency ({@code NaN} for a failure)
   * @param outputTokens tokens generated
   * @param ok whether it succeeded
   * @param good whether it succeeded within the SLOs
   */
  public record Sample(
      double startMillis,
      double ttftMillis,
      double e2eMillis,
      long outputTokens,
      boolean ok,
      boolean good) {}

  /**
   * A request's token counts from every source that had one; -1 where a source had none.
   *
   * @param usageInput {@code usage.prompt_tokens} of the answer
   * @param usageOutput {@code usage.completion_tokens} of the answer
   * @param tokenizerInput the prompt counted with the client's tokenizer (chat template included)
   * @param tokenizerOutput the answer text counted with the client's tokenizer
   * @param chunkOutput content chunks of a stream
   * @param wordOutput words of an unstreamed answer (an estimate, the last resort)
   */
  public record Tokens(
      long usageInput,
      long usageOutput,
      long tokenizerInput,
      long tokenizerOutput,
      long chunkOutput,
      long wordOutput) {

    /** Only what {@code usage} said (or -1), output counted from chunks when usage has none. */
    static Tokens ofUsage(long prompt, long completion) {
      return new Tokens(prompt, completion, -1, -1, -1, -1);
    }

    /** The input figure used, and where it came from. */
    Map.Entry<String, Long> input() {
      if (usageInput >= 0) {
        return Map.entry("usage", usageInput);
      }
      if (tokenizerInput >= 0) {
        return Map.entry("tokenizer", tokenizerInput);
      }
      return Map.entry("unknown", 0L);
    }

    /** The output figure used, and where it came from. */
    Map.Entry<String, Long> output() {
      if (usageOutput >= 0) {
        return Map.entry("usage", usageOutput);
      }
      if (tokenizerOutput >= 0) {
        return Map.entry("tokenizer", tokenizerOutput);
      }
      if (chunkOutput >= 0) {
        return Map.entry("stream_chunks", chunkOutput);
      }
      return Map.entry(wordOutput >= 0 ? "words_estimate" : "unknown", Math.max(0, wordOutput));
    }
  }

  /**
   * Sets the run's origin: requests are placed in time (plots, capacity steps) and throughput
   * divided by time from here (the end of the warm-up).
   */
  public void origin(long nanos) {
    startNanos = nanos;
  }

  /**
   * Counts a stream as buffered (held back whole by the server or a proxy, then sent at once) when
   * it carried at least three content events, nine gaps in ten between them were under 1 ms, and
   * all of them came within 10% of its time to first token (at least 1 ms). A model that streams
   * spends far longer between its first and last token than a socket takes to deliver a buffered
   * body. Judging by most gaps rather than the whole span keeps a buffered body buffered when the
   * client itself paused while reading it (a collection or a compilation, a few gaps of several
   * milliseconds on a busy machine); requiring tiny gaps keeps a short answer after a long prefill,
   * paced at a few milliseconds, from counting as buffered.
   */
  void streamShape(long sent, List<Long> contentTimes) {
    if (buffered(sent, contentTimes)) {
      bufferedStreams.increment();
    }
  }

  /**
   * A gap between two events of one body that arrived at once: what a client spends reading them (a
   * cold client under a millisecond for most events), and shorter than a fast model's pace (the
   * tests' tiny DJL model: about 2 ms a token).
   */
  static final long TINY_GAP_NANOS = 1_000_000;

  static boolean buffered(long sent, List<Long> contentTimes) {
    int events = contentTimes.size();
    if (events < 3) {
      return false;
    }
    long ttft = contentTimes.get(0) - sent;
    long span = contentTimes.get(events - 1) - contentTimes.get(0);
    int tiny = 0;
    for (int i = 1; i < events; i++) {
      if (contentTimes.get(i) - contentTimes.get(i - 1) < TINY_GAP_NANOS) {
        tiny++;
      }
    }
    return tiny * 10 >= (events - 1) * 9 && span <= Math.max(1_000_000, ttft / 10);
  }

  /** A request sent during the warm-up: answered and checked, not measured. */
  public void warmup() {
    warmupRequests.increment();
  }

  /**
   * Records a completed request whose counts came from {@code usage} (or -1: chunks counted).
   *
   * @param sent {@link System#nanoTime()} when the request was sent
   * @param contentTimes arrival of each content chunk (one element for an unstreamed answer)
   * @param end when the answer was complete
   * @param prompt prompt tokens, or -1 when unknown
   * @param tokens output tokens
   */
  public void success(long sent, List<Long> contentTimes, long end, long prompt, long tokens) {
    success(sent, contentTimes, end, Tokens.ofUsage(prompt, tokens));
  }

  /**
   * Records a completed request.
   *
   * @param sent {@link System#nanoTime()} when the request was sent
   * @param contentTimes arrival of each content chunk (one element for an unstreamed answer)
   * @param end when the answer was complete
   * @param counts its token counts, by source
   */
  public void success(long sent, List<Long> contentTimes, long end, Tokens counts) {
    Map.Entry<String, Long> in = counts.input();
    Map.Entry<String, Long> out = counts.output();
    inputSources.computeIfAbsent(in.getKey(), k -> new LongAdder()).increment();
    outputSources.computeIfAbsent(out.getKey(), k -> new LongAdder()).increment();
    mismatch("input_usage_vs_tokenizer", counts.usageInput(), counts.tokenizerInput());
    mismatch("output_usage_vs_tokenizer", counts.usageOutput(), counts.tokenizerOutput());
    mismatch("output_usage_vs_stream_chunks", counts.usageOutput(), counts.chunkOutput());
    long prompt = in.getValue();
    long tokens = out.getValue();
    long first = contentTimes.isEmpty() ? end : contentTimes.get(0);
    double ttftMillis = (first - sent) / 1e6;
    double e2eMillis = (end - sent) / 1e6;
    ttft.recordValue(micros(first - sent));
    e2e.recordValue(micros(end - sent));
    for (int i = 1; i < contentTimes.size(); i++) {
      itl.recordValue(micros(contentTimes.get(i) - contentTimes.get(i - 1)));
    }
    double tpotMillis = Double.NaN;
    if (tokens > 1) {
      tpotMillis = (e2eMillis - ttftMillis) / (tokens - 1);
      tpot.recordValue(Math.max(0, Math.round(tpotMillis * 1000)));
    }
    completed.increment();
    outputTokens.add(tokens);
    inputTokens.add(prompt);
    boolean isGood = slo.met(ttftMillis, tpotMillis, e2eMillis);
    if (isGood) {
      good.increment();
    }
    sample(new Sample((sent - startNanos) / 1e6, ttftMillis, e2eMillis, tokens, true, isGood));
  }

  /** Counts, under {@code name}, a request whose two counts both exist and differ. */
  private void mismatch(String name, long one, long other) {
    if (one >= 0 && other >= 0) {
      compared.computeIfAbsent(name, k -> new LongAdder()).increment();
      LongAdder adder = mismatches.computeIfAbsent(name, k -> new LongAdder());
      if (one != other) {
        adder.increment();
      }
    }
  }

  /** Records a failed request under {@code kind} (e.g. {@code http-429}, {@code stream-error}). */
  public void failure(long sent, String kind) {
    failed.increment();
    errors.computeIfAbsent(kind, k -> new LongAdder()).increment();
    sample(new Sample((sent - startNanos) / 1e6, Double.NaN, Double.NaN, 0, false, false));
  }

  /** Records a schema violation of an answer or a chunk. */
  public void violation(String ruleId) {
    violations.computeIfAbsent(ruleId, k -> new LongAdder()).increment();
  }

  /** Counts one document (answer or chunk) checked against the schemas. */
  public void checked() {
    checkedDocuments.increment();
  }

  private void sample(Sample sample) {
    if (sampleCount.incrementAndGet() <= MAX_SAMPLES) {
      samples.add(sample);
    }
  }

  public List<Sample> samples() {
    return List.copyOf(samples);
  }

  public void finish() {
    endNanos = System.nanoTime();
  }

  public double durationSeconds() {
    long end = endNanos == 0 ? System.nanoTime() : endNanos;
    return (end - startNanos) / 1e9;
  }

  static Map<String, Long> counts(Map<String, LongAdder> adders) {
    Map<String, Long> counts = new TreeMap<>();
    adders.forEach((key, value) -> counts.put(key, value.sum()));
    return counts;
  }

  private static long micros(long nanos) {
    return Math.max(0, nanos / 1000);
  }
}
