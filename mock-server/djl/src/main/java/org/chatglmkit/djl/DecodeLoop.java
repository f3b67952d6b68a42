package org.chatglmkit.djl;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntPredicate;

/**
 * The decode loop: continuous batching on one decoder thread that owns the model. Each step it
 * admits waiting generations (a prefill each, up to {@code maxBatch} running), then feeds the next
 * token of every running sequence in one batched forward pass (the weights are read once per step
 * however many sequences run), and hands each chosen token to its listener as soon as it is
 * sampled. A generation ends at a stop token (EOS, or a role token of the chat format), at {@code
 * max_tokens}, when prompt and answer fill the context ({@code length}), or when its listener
 * declines a token or it is cancelled ({@code cancelled}); its KV cache is freed at once. Beyond
 * {@code maxBatch} running plus {@code maxQueue} waiting, {@link #submit} refuses with {@link
 * Full}.
 *
 * <p>This one loop serves the HTTP API ({@link DjlChatBackend}), and the tests and the benchmarks
 * drive it too, through {@link #generate} and {@link #generateAll}.
 *
 * <pre>{@code
 * try (DecodeLoop loop = new DecodeLoop(model, Set.of(eos), 4, 32)) {
 *   DecodeLoop.Result result = loop.generate(prompt, Sampling.greedy(64), token -> send(token));
 * }
 * }</pre>
 */
public final class DecodeLoop implements AutoCloseable {
  /**
   * What a generation produced.
   *
   * @param tokens the generated tokens, without the stop token
   * @param finishReason {@code stop}, {@code length} or {@code cancelled}
   */
  public record Result(List<Integer> tokens, String finishReason) {}

  /** What a generation tells its submitter; called on the decoder thread. */
  public interface Listener {
    /** A token was chosen (not a stop token); {@code false} ends the generation (cancelled). */
    boolean onToken(int token);

    /** The generation ended with {@code stop}, {@code length} or {@code cancelled}. */
    void onEnd(Result result);

    /** The generation failed: the model threw, or the loop was closed ({@code closing}). */
    void onFailure(String message, boolean closing);
  }

  /** The batch and its queue are full. */
  public static final class Full extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Full() {
      super("the batch and its queue are full", null, false, false);
    }
  }

  /** A queued or running generation. */
  public interface Handle {
    /** Ends the generation at the next step (a waiting one at once) and frees its cache. */
    void cancel();
  }

  /**
   * Prompt tokens fed per forward pass: a long prompt is prefilled in chunks, so a pass's
   * temporaries stay bounded. Measured at full size (ChatGLM3-6B shape, int8) with a 382-token
   * prompt: the whole prompt at once raised the peak memory by 2.5 GB over the weights; chunks of
   * 256 by 0.8 GB, in about the same time; chunks of 128 by 0.6 GB but 25% slower (each chunk
   * widens every weight block once more).
   */
  static final int PREFILL_CHUNK = 256;

  private final int prefillChunk;
  private final ChatGlmModel model;
  private final Set<Integer> stopTokens;
  private final int maxBatch;
  private final BlockingQueue<Job> waiting = new LinkedBlockingQueue<>();

  /** Places in the batch and the queue; a generation holds one from admission to its end. */
  private final Semaphore places;

  private final AtomicInteger cachesHeld = new AtomicInteger();
  private final AtomicInteger running = new AtomicInteger();
  private final AtomicInteger cancelled = new AtomicInteger();
  private final AtomicLong generatedTokens = new AtomicLong();
  private final Thread decoder;
  private volatile boolean closed;

  public DecodeLoop(ChatGlmModel model, Set<Integer> stopTokens, int maxBatch, int maxQueue) {
    this(model, stopTokens, maxBatch, maxQueue, PREFILL_CHUNK);
  }

  /** A loop that prefills {@code prefillChunk} prompt tokens per forward pass. */
  DecodeLoop(
      ChatGlmModel model, Set<Integer> stopTokens, int maxBatch, int maxQueue, int prefillChunk) {
    if (maxBatch < 1 || maxQueue < 0 || prefillChunk < 1) {
      throw new IllegalArgumentException("max batch ≥ 1, max queue ≥ 0, prefill chunk ≥ 1");
    }
    this.prefillChunk = prefillChunk;
    this.model = model;
    this.stopTokens = Set.copyOf(stopTokens);
    this.maxBatch = maxBatch;
    this.places = new Semaphore(maxBatch + maxQueue);
    this.decoder = new Thread(this::decode, "djl-decoder");
    decoder.setDaemon(true);
    decoder.start();
  }

  public ChatGlmModel model() {
    return model;
  }

  /**
   * Queues a generation.
   *
   * @throws Full when the batch and the queue are full, or the loop is closed
   */
  public Handle submit(int[] prompt, Sampling sampling, Listener listener) {
    if (prompt.length == 0) {
      throw new IllegalArgumentException("an empty prompt");
    }
    if (closed || !places.tryAcquire()) {
      throw new Full();
    }
    Job job = new Job(prompt, sampling, listener);
    waiting.add(job);
    if (closed && waiting.remove(job)) {
      places.release();
      throw new Full(); // closed while queueing: the decoder may not see it
    }
    return job::cancel;
  }

  /** Generates one answer through the loop and waits for it; {@code onToken} sees each token. */
  public Result generate(int[] prompt, Sampling sampling, IntPredicate onToken) {
    return await(submitCollecting(prompt, sampling, onToken));
  }

  /** Submits every prompt at once (so they decode as a batch) and waits for all answers. */
  public List<Result> generateAll(int[][] prompts, Sampling sampling) {
    List<CompletableFuture<Result>> futures = new ArrayList<>();
    for (int[] prompt : prompts) {
      futures.add(submitCollecting(prompt, sampling, token -> true));
    }
    return futures.stream().map(DecodeLoop::await).toList();
  }

  private CompletableFuture<Result> submitCollecting(
      int[] prompt, Sampling sampling, IntPredicate onToken) {
    CompletableFuture<Result> result = new CompletableFuture<>();
    submit(
        prompt,
        sampling,
        new Listener() {
          @Override
          public boolean onToken(int token) {
            return onToken.test(token);
          }

          @Override
          public void onEnd(Result end) {
            result.complete(end);
          }

          @Override
          public void onFailure(String message, boolean closing) {
            result.completeExceptionally(new IllegalStateException(message));
          }
        });
    return result;
  }

  private static Result await(CompletableFuture<Result> future) {
    try {
      return future.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while generating", e);
    } catch (ExecutionException e) {
      throw new IllegalStateException(e.getCause().getMessage(), e.getCause());
    }
  }

  /** Sequences in the batch right now. */
  public int running() {
    return running.get();
  }

  /** Generations waiting for a place in the batch. */
  public int waiting() {
    return waiting.size();
  }

  /** Tokens generated since start, over all generations. */
  public long generatedTokens() {
    return generatedTokens.get();
  }

  /** Generations cancelled (their listener declined a token, or {@link Handle#cancel}). */
  public int cancelled() {
    return cancelled.get();
  }

  /** KV caches allocated and not yet freed. */
  public int cachesHeld() {
    return cachesHeld.get();
  }

  // ---- the decoder thread ----

  private void decode() {
    List<Job> batch = new ArrayList<>();
    try {
      while (!closed) {
        while (batch.size() < maxBatch) {
          Job job = batch.isEmpty() ? waiting.poll(50, TimeUnit.MILLISECONDS) : waiting.poll();
          if (job == null) {
            break;
          }
          if (job.cancelled) {
            end(job, "cancelled");
          } else if (prefill(job)) {
            batch.add(job);
          }
        }
        batch.removeIf(job -> job.cancelled && end(job, "cancelled"));
        running.set(batch.size());
        if (!batch.isEmpty()) {
          step(batch);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      batch.forEach(job -> fail(job, "the server is stopping", true));
      for (Job job = waiting.poll(); job != null; job = waiting.poll()) {
        fail(job, "the server is stopping", true);
      }
      running.set(0);
    }
  }

  /**
   * Feeds the prompt, a chunk ({@link #PREFILL_CHUNK} tokens unless told) at a time, and takes the
   * first token; {@code false} when the job already ended.
   */
  private boolean prefill(Job job) {
    try {
      job.cache = model.newCache();
      cachesHeld.incrementAndGet();
      float[] logits = null;
      for (int from = 0; from < job.prompt.length; from += prefillChunk) {
        if (closed) {
          fail(job, "the server is stopping", true);
          return false;
        }
        int[] chunk =
            Arrays.copyOfRange(job.prompt, from, Math.min(job.prompt.length, from + prefillChunk));
        logits = model.forward(chunk, job.cache);
      }
      return accept(job, choose(logits, job));
    } catch (RuntimeException e) {
      fail(job, "generation failed: " + e.getMessage(), false);
      return false;
    }
  }

  /** One batched decode step over every running job. */
  private void step(List<Job> batch) {
    int[][] tokens = new int[batch.size()][];
    List<KvCache> caches = new ArrayList<>(batch.size());
    for (int i = 0; i < batch.size(); i++) {
      tokens[i] = new int[] {batch.get(i).next};
      caches.add(batch.get(i).cache);
    }
    float[][] logits;
    try {
      logits = model.forward(tokens, caches);
    } catch (RuntimeException e) {
      batch.forEach(job -> fail(job, "generation failed: " + e.getMessage(), false));
      batch.clear();
      return;
    }
    List<Job> still = new ArrayList<>(batch.size());
    for (int i = 0; i < batch.size(); i++) {
      Job job = batch.get(i);
      if (accept(job, choose(logits[i], job))) {
        still.add(job);
      }
    }
    batch.clear();
    batch.addAll(still);
  }

  /** Takes a sampled token; {@code true} while the job goes on. */
  private boolean accept(Job job, int token) {
    if (job.cancelled) {
      return !end(job, "cancelled");
    }
    if (stopTokens.contains(token)) {
      return !end(job, "stop");
    }
    job.tokens.add(token);
    generatedTokens.incrementAndGet();
    boolean goOn;
    try {
      goOn = job.listener.onToken(token);
    } catch (RuntimeException e) {
      goOn = false;
    }
    if (!goOn) {
      job.markCancelled();
      return !end(job, "cancelled");
    }
    if (full(job.prompt.length, job.tokens.size(), job.sampling, model.config())) {
      return !end(job, "length");
    }
    job.next = token;
    return true;
  }

  /** Frees a job, then tells its listener it ended with {@code reason}. Returns {@code true}. */
  private boolean end(Job job, String reason) {
    release(job);
    try {
      job.listener.onEnd(new Result(List.copyOf(job.tokens), reason));
    } catch (RuntimeException e) {
      // the listener's failure ends nothing more than its own generation
    }
    return true;
  }

  private void fail(Job job, String message, boolean closing) {
    release(job);
    try {
      job.listener.onFailure(message, closing);
    } catch (RuntimeException e) {
      // as in end()
    }
  }

  /** Frees the job's cache and its place; runs once per job. */
  private void release(Job job) {
    if (job.released) {
      return;
    }
    job.released = true;
    if (job.cache != null) {
      job.cache.close();
      job.cache = null;
      cachesHeld.decrementAndGet();
    }
    places.release();
  }

  /**
   * Whether an answer of {@code generated} tokens must end with {@code length}: it reached {@code
   * max_tokens}, or prompt and answer fill the context.
   */
  static boolean full(int promptLength, int generated, Sampling sampling, ChatGlmConfig config) {
    return generated >= sampling.maxTokens() || promptLength + generated >= config.seqLength();
  }

  /**
   * Stops decoding: running and waiting generations fail with {@code closing}. Waits for the
   * forward pass under way, if any (a decode step, or one prefill chunk), so that the model may be
   * freed afterwards: freeing weights that a pass still reads would crash the JVM.
   *
   * @return whether the decoder stopped within {@code wait}; if not, the model must stay allocated
   */
  public boolean stop(Duration wait) {
    closed = true;
    decoder.interrupt();
    long deadline = System.nanoTime() + wait.toNanos();
    boolean interrupted = false;
    while (decoder.isAlive() && System.nanoTime() < deadline) {
      try {
        decoder.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
      } catch (InterruptedException e) {
        interrupted = true; // the caller must not free the model under a running pass
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    return !decoder.isAlive();
  }

  /** {@link #stop} waiting up to 10 minutes (a prefill chunk of a large model on a slow CPU). */
  @Override
  public void close() {
    stop(Duration.ofMinutes(10));
  }

  /** The job's next token: the forced one while {@link Sampling#forced()} lasts, else chosen. */
  private static int choose(float[] logits, Job job) {
    List<Integer> forced = job.sampling.forced();
    int step = job.tokens.size();
    return step < forced.size() ? forced.get(step) : choose(logits, job.sampling, job.random);
  }

  static int choose(float[] logits, Sampling sampling, SplittableRandom random) {
    if (sampling.temperature() == 0) {
      int best = 0;
      for (int i = 1; i < logits.length; i++) {
        if (logits[i] > logits[best]) {
          best = i;
        }
      }
      return best;
    }
    double max = Double.NEGATIVE_INFINITY;
    for (float logit : logits) {
      max = Math.max(max, logit);
    }
    double[] probabilities = new double[logits.length];
    double total = 0;
    for (int i = 0; i < logits.length; i++) {
      probabilities[i] = Math.exp((logits[i] - max) / sampling.temperature());
      total += probabilities[i];
    }
    int[] order = byProbability(probabilities, total);
    double kept = 0;
    int count = 0;
    while (count < order.length && kept < sampling.topP()) {
      kept += probabilities[order[count++]];
    }
    double draw = random.nextDouble() * kept;
    for (int i = 0; i < count; i++) {
      draw -= probabilities[order[i]];
      if (draw <= 0) {
        return order[i];
      }
    }
    return order[count - 1];
  }

  /**
   * Normalises {@code probabilities} in place and returns the token ids from most to least likely
   * (ties by id). One primitive sort of (probability, id) keys: no boxing over the vocabulary.
   */
  private static int[] byProbability(double[] probabilities, double total) {
    long[] keys = new long[probabilities.length];
    for (int i = 0; i < probabilities.length; i++) {
      probabilities[i] /= total;
      long bits = Float.floatToIntBits((float) probabilities[i]); // monotonic for p ≥ 0
      keys[i] = bits << 32 | (Integer.MAX_VALUE - i);
    }
    Arrays.sort(keys);
    int[] order = new int[keys.length];
    for (int i = 0; i < keys.length; i++) {
      order[i] = Integer.MAX_VALUE - (int) keys[keys.length - 1 - i];
    }
    return order;
  }

  /** One generation: its prompt, sampling, listener, and (once running) its cache. */
  private final class Job {
    final int[] prompt;
    final Sampling sampling;
    final Listener listener;
    final SplittableRandom random;
    final List<Integer> tokens = new ArrayList<>();
    volatile boolean cancelled;
    volatile boolean released;

    // Touched by the decoder thread only.
    KvCache cache;
    int next;

    Job(int[] prompt, Sampling sampling, Listener listener) {
      this.prompt = prompt;
      this.sampling = sampling;
      this.listener = listener;
      this.random =
          new SplittableRandom(
              sampling.seed() != null ? sampling.seed() : ThreadLocalRandom.current().nextLong());
    }

    void markCancelled() {
      if (!cancelled) {
        cancelled = true;
        DecodeLoop.this.cancelled.incrementAndGet();
      }
    }

    /** Marks the job; a job still waiting ends at once and gives its place back. */
    void cancel() {
      if (released) {
        return; // already finished
      }
      markCancelled();
      if (waiting.remove(this)) {
        end(this, "cancelled"); // the decoder never saw it
      }
    }
  }
}
