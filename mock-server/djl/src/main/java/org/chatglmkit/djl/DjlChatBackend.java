package org.chatglmkit.djl;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.chatglmkit.mockserver.core.ApiError;
import org.chatglmkit.mockserver.core.ApiException;
import org.chatglmkit.mockserver.core.ChatBackend;
import org.chatglmkit.mockserver.core.ChatRequest;
import org.chatglmkit.mockserver.core.TokenSink;

/**
 * A ChatGLM model behind the reference API. One decoder thread owns the model and runs continuous
 * batching: each step it admits waiting requests (a prefill each, up to {@code maxBatch} running),
 * then feeds the next token of every running sequence in one batched forward pass, and hands each
 * chosen token to its request's sink as soon as it is sampled. Requests beyond {@code maxBatch}
 * running plus {@code maxQueue} waiting are refused with 529 and {@code Retry-After}; a cancelled
 * request (its client left) leaves at the next step and its KV cache is freed.
 *
 * <pre>{@code
 * try (DjlChatBackend backend = new DjlChatBackend(ChatGlmCheckpoint.open(dir, null), "chatglm3-6b", Limits.DEFAULT)) {
 *   ReferenceServer.start(config, backend);
 * }
 * }</pre>
 */
public final class DjlChatBackend implements ChatBackend {
  /**
   * How much work the backend takes on.
   *
   * @param maxBatch sequences decoded together (each holds a KV cache)
   * @param maxQueue requests waiting for a place in the batch (holding no cache)
   * @param retryAfterSeconds the {@code Retry-After} of a 529
   */
  public record Limits(int maxBatch, int maxQueue, int retryAfterSeconds) {
    public static final Limits DEFAULT = new Limits(4, 32, 1);

    public Limits {
      if (maxBatch < 1 || maxQueue < 0 || retryAfterSeconds < 0) {
        throw new IllegalArgumentException("max batch ≥ 1, max queue ≥ 0, retry-after ≥ 0");
      }
    }
  }

  private final ChatGlmCheckpoint checkpoint;
  private final ChatGlmModel model;
  private final ChatFormat format;
  private final Set<Integer> stopTokens;
  private final String modelName;
  private final Limits limits;
  private final BlockingQueue<Job> waiting = new LinkedBlockingQueue<>();

  /** Places in the batch and the queue; a request holds one from admission to its end. */
  private final Semaphore places;

  private final AtomicInteger cachesHeld = new AtomicInteger();
  private final AtomicInteger running = new AtomicInteger();
  private final AtomicInteger cancelled = new AtomicInteger();
  private final java.util.concurrent.atomic.AtomicLong generatedTokens =
      new java.util.concurrent.atomic.AtomicLong();
  private final Thread decoder;
  private volatile boolean closed;

  /** Serves {@code checkpoint} (and closes it when closed). */
  public DjlChatBackend(ChatGlmCheckpoint checkpoint, String modelName, Limits limits) {
    this.checkpoint = checkpoint;
    this.model = checkpoint.model();
    this.format = checkpoint.format();
    this.stopTokens = format.stopTokens();
    this.modelName = modelName;
    this.limits = limits;
    this.places = new Semaphore(limits.maxBatch() + limits.maxQueue());
    this.decoder = new Thread(this::decode, "djl-decoder");
    decoder.setDaemon(true);
    decoder.start();
  }

  @Override
  public String modelName() {
    return modelName;
  }

  public ChatGlmCheckpoint checkpoint() {
    return checkpoint;
  }

  public Limits limits() {
    return limits;
  }

  /** Sequences in the batch right now. */
  public int running() {
    return running.get();
  }

  /** Requests waiting for a place in the batch. */
  public int waiting() {
    return waiting.size();
  }

  /** Tokens generated since start, over all requests. */
  public long generatedTokens() {
    return generatedTokens.get();
  }

  /** Generations stopped because their client went away. */
  public int cancelled() {
    return cancelled.get();
  }

  /** KV caches allocated and not yet freed. */
  public int cachesHeld() {
    return cachesHeld.get();
  }

  /**
   * Queues a request.
   *
   * @throws ApiException 400 when the prompt leaves no room in the context, 529 when the batch and
   *     the queue are full
   */
  @Override
  public Generation generate(ChatRequest request, TokenSink sink) {
    int[] prompt;
    synchronized (format) {
      prompt = format.prompt(request.conversation());
    }
    int context = model.config().seqLength();
    if (prompt.length >= context) {
      throw new ApiException(
          ApiError.invalidRequest(
              String.format(
                  Locale.ROOT,
                  "the prompt is %d tokens; this model's context is %d tokens (seq_length), prompt"
                      + " and answer together",
                  prompt.length,
                  context),
              "messages"));
    }
    if (closed || !places.tryAcquire()) {
      throw new ApiException(ApiError.overloaded(limits.retryAfterSeconds()));
    }
    Job job = new Job(prompt, sampling(request), sink);
    waiting.add(job);
    return job::cancel;
  }

  /** top_p outside (0, 1] is read as its limit: ≤ 0 keeps only the likeliest token, > 1 all. */
  private static Sampling sampling(ChatRequest request) {
    double topP = request.topP() == null ? 1 : Math.min(1, request.topP());
    double temperature = topP <= 0 ? 0 : request.temperature();
    return new Sampling(
        temperature,
        topP <= 0 ? 1 : topP,
        request.maxTokens() == null ? Integer.MAX_VALUE : request.maxTokens(),
        request.seed());
  }

  // ---- the decoder thread ----

  private void decode() {
    List<Job> batch = new ArrayList<>();
    try {
      while (!closed) {
        while (batch.size() < limits.maxBatch()) {
          Job job = batch.isEmpty() ? waiting.poll(50, TimeUnit.MILLISECONDS) : waiting.poll();
          if (job == null) {
            break;
          }
          if (job.cancelled) {
            release(job);
          } else if (prefill(job)) {
            batch.add(job);
          }
        }
        batch.removeIf(job -> job.cancelled && release(job));
        running.set(batch.size());
        if (!batch.isEmpty()) {
          step(batch);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      ApiError stopping = ApiError.overloaded(limits.retryAfterSeconds());
      batch.forEach(job -> fail(job, stopping));
      for (Job job = waiting.poll(); job != null; job = waiting.poll()) {
        fail(job, stopping);
      }
      running.set(0);
    }
  }

  /** Feeds the prompt and emits the first token; {@code false} when the job already ended. */
  private boolean prefill(Job job) {
    try {
      job.cache = model.newCache();
      cachesHeld.incrementAndGet();
      float[] logits = model.forward(job.prompt, job.cache);
      return emit(job, DecodeLoop.choose(logits, job.sampling, job.random));
    } catch (RuntimeException e) {
      fail(job, ApiError.internal("generation failed: " + e.getMessage()));
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
      ApiError error = ApiError.internal("generation failed: " + e.getMessage());
      batch.forEach(job -> fail(job, error));
      batch.clear();
      return;
    }
    List<Job> still = new ArrayList<>(batch.size());
    for (int i = 0; i < batch.size(); i++) {
      Job job = batch.get(i);
      if (emit(job, DecodeLoop.choose(logits[i], job.sampling, job.random))) {
        still.add(job);
      }
    }
    batch.clear();
    batch.addAll(still);
  }

  /**
   * Hands a sampled token to the job's sink; {@code true} while the job goes on. Special tokens
   * show no text; a token that completes no character yet shows none until the one that does.
   */
  private boolean emit(Job job, int token) {
    if (job.cancelled) {
      release(job);
      return false;
    }
    if (stopTokens.contains(token)) {
      return finish(job, "stop");
    }
    job.generated++;
    generatedTokens.incrementAndGet();
    try {
      if (!format.isSpecial(token) && checkpoint.piece(token) != null) {
        String text = job.text.push(token);
        if (!text.isEmpty()) {
          job.sink.onToken(text);
        }
      }
    } catch (RuntimeException e) {
      job.cancel();
      release(job);
      return false;
    }
    if (DecodeLoop.full(job.prompt.length, job.generated, job.sampling, model.config())) {
      return finish(job, "length");
    }
    job.next = token;
    return true;
  }

  private boolean finish(Job job, String reason) {
    try {
      String rest = job.text.flush();
      if (!rest.isEmpty()) {
        job.sink.onToken(rest);
      }
      job.sink.onFinish(reason, job.prompt.length, job.generated);
    } finally {
      release(job);
    }
    return false;
  }

  private void fail(Job job, ApiError error) {
    try {
      job.sink.onError(error);
    } finally {
      release(job);
    }
  }

  /** Frees the job's cache and its place; runs once per job. Returns {@code true}. */
  private boolean release(Job job) {
    if (job.released) {
      return true;
    }
    job.released = true;
    if (job.cache != null) {
      job.cache.close();
      job.cache = null;
      cachesHeld.decrementAndGet();
    }
    places.release();
    return true;
  }

  /** Stops decoding: running and waiting requests get a 529, the model is freed. */
  @Override
  public void close() {
    closed = true;
    decoder.interrupt();
    try {
      decoder.join(TimeUnit.SECONDS.toMillis(30));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    checkpoint.close();
  }

  /** One request: its prompt, sampling, sink, and (once running) its cache. */
  private final class Job {
    final int[] prompt;
    final Sampling sampling;
    final TokenSink sink;
    final SplittableRandom random;
    final Detokenizer text = new Detokenizer(checkpoint::piece);
    volatile boolean cancelled;

    volatile boolean released;

    // Touched by the decoder thread only.
    KvCache cache;
    int next;
    int generated;

    Job(int[] prompt, Sampling sampling, TokenSink sink) {
      this.prompt = prompt;
      this.sampling = sampling;
      this.sink = sink;
      this.random =
          new SplittableRandom(
              sampling.seed() != null ? sampling.seed() : ThreadLocalRandom.current().nextLong());
    }

    /** Marks the job; a job still waiting gives its place back at once. */
    void cancel() {
      if (released) {
        return; // already finished
      }
      if (!cancelled) {
        DjlChatBackend.this.cancelled.incrementAndGet();
      }
      cancelled = true;
      if (waiting.remove(this)) {
        released = true; // the decoder never saw it
        places.release();
      }
    }
  }
}
