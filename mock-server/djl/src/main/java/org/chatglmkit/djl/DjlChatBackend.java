package org.chatglmkit.djl;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.function.Function;
import org.chatglmkit.mockserver.core.ApiError;
import org.chatglmkit.mockserver.core.ApiException;
import org.chatglmkit.mockserver.core.ChatBackend;
import org.chatglmkit.mockserver.core.ChatRequest;
import org.chatglmkit.mockserver.core.TokenSink;
import org.chatglmkit.mockserver.core.Tools;

/**
 * A ChatGLM model behind the reference API: each request's conversation becomes a prompt in the
 * model's chat format and a generation of the {@link DecodeLoop} (continuous batching), whose
 * tokens become text for the request's sink as they are sampled. Requests beyond {@code maxBatch}
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
  private final ChatFormat format;
  private final String modelName;
  private final Limits limits;
  private final DecodeLoop loop;
  private final Function<ChatRequest, List<Integer>> forcing;

  /** Serves {@code checkpoint} (and closes it when closed). */
  public DjlChatBackend(ChatGlmCheckpoint checkpoint, String modelName, Limits limits) {
    this(checkpoint, modelName, limits, request -> List.of());
  }

  /**
   * A backend whose answers start with the tokens {@code forcing} gives for each request (see
   * {@link Sampling#forced()}): tests drive a model of random weights to a chosen answer, a call
   * for one, through the whole serving path.
   */
  DjlChatBackend(
      ChatGlmCheckpoint checkpoint,
      String modelName,
      Limits limits,
      Function<ChatRequest, List<Integer>> forcing) {
    this.forcing = forcing;
    this.checkpoint = checkpoint;
    this.format = checkpoint.format();
    this.modelName = modelName;
    this.limits = limits;
    this.loop =
        new DecodeLoop(
            checkpoint.model(), format.stopTokens(), limits.maxBatch(), limits.maxQueue());
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

  /** The decode loop that serves: its counters (running, waiting, caches held, …). */
  public DecodeLoop loop() {
    return loop;
  }

  /** Sequences in the batch right now. */
  public int running() {
    return loop.running();
  }

  /** Requests waiting for a place in the batch. */
  public int waiting() {
    return loop.waiting();
  }

  /** Tokens generated since start, over all requests. */
  public long generatedTokens() {
    return loop.generatedTokens();
  }

  /** Generations stopped because their client went away. */
  public int cancelled() {
    return loop.cancelled();
  }

  /** KV caches allocated and not yet freed. */
  public int cachesHeld() {
    return loop.cachesHeld();
  }

  /**
   * Queues a request.
   *
   * @throws ApiException 400 when the prompt leaves no room in the context, 529 when the batch and
   *     the queue are full
   */
  @Override
  public Generation generate(ChatRequest request, TokenSink sink) {
    if (format.version() == ChatFormat.Version.CHATGLM2 && request.tools().callable()) {
      String field = request.tools().legacy() ? "functions" : "tools";
      throw new ApiException(
          ApiError.invalidRequest(
              field + ": this model (ChatGLM2) has no tool format; offer no " + field, field));
    }
    int[] prompt;
    synchronized (format) {
      prompt = format.prompt(request.conversation(), request.tools());
    }
    int context = checkpoint.model().config().seqLength();
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
    try {
      DecodeLoop.Listener answer =
          request.tools().callable()
              ? new CallingAnswer(prompt.length, sink, request.tools(), callId(request))
              : new Answer(prompt.length, sink);
      return loop.submit(prompt, sampling(request, forcing.apply(request)), answer)::cancel;
    } catch (DecodeLoop.Full e) {
      throw new ApiException(ApiError.overloaded(limits.retryAfterSeconds()));
    }
  }

  /** top_p outside (0, 1] is read as its limit: ≤ 0 keeps only the likeliest token, > 1 all. */
  private static Sampling sampling(ChatRequest request, List<Integer> forced) {
    double topP = request.topP() == null ? 1 : Math.min(1, request.topP());
    double temperature = topP <= 0 ? 0 : request.temperature();
    return new Sampling(
        temperature,
        topP <= 0 ? 1 : topP,
        request.maxTokens() == null ? Integer.MAX_VALUE : request.maxTokens(),
        request.seed(),
        forced);
  }

  /**
   * One answer's text: special tokens show none; a token that completes no character yet shows none
   * until the one that does.
   */
  private final class Answer implements DecodeLoop.Listener {
    private final int promptTokens;
    private final TokenSink sink;
    private final Detokenizer text = new Detokenizer(checkpoint::piece);

    Answer(int promptTokens, TokenSink sink) {
      this.promptTokens = promptTokens;
      this.sink = sink;
    }

    @Override
    public boolean onToken(int token) {
      if (!format.isSpecial(token) && checkpoint.piece(token) != null) {
        String piece = text.push(token);
        if (!piece.isEmpty()) {
          sink.onToken(piece); // a sink that throws (its client left) ends the generation
        }
      }
      return true;
    }

    @Override
    public void onEnd(DecodeLoop.Result result) {
      if (result.finishReason().equals("cancelled")) {
        return; // nobody is listening
      }
      String rest = text.flush();
      if (!rest.isEmpty()) {
        sink.onToken(rest);
      }
      sink.onFinish(result.finishReason(), promptTokens, result.tokens().size());
    }

    @Override
    public void onFailure(String message, boolean closing) {
      sink.onError(
          closing ? ApiError.overloaded(limits.retryAfterSeconds()) : ApiError.internal(message));
    }
  }

  /** A call's id: random, as OpenAI's are; the same for the same seed. */
  private static String callId(ChatRequest request) {
    Random random = request.seed() == null ? new Random() : new Random(request.seed());
    return "call_" + Long.toHexString(random.nextLong() & Long.MAX_VALUE);
  }

  /**
   * An answer to a request that offers functions, in ChatGLM3's format: the answer's first line is
   * its metadata, empty for text and a function's name for a call (a named {@code tool_choice} put
   * the name in the prompt already). Text goes out as it comes; a call is held until the answer
   * ends, then read by {@link ToolCallText} (never run) and sent whole. A call that does not read
   * as one, or names a function not offered, is sent as the text it is.
   */
  private final class CallingAnswer implements DecodeLoop.Listener {
    private final int promptTokens;
    private final TokenSink sink;
    private final Tools tools;
    private final String id;
    private final Detokenizer text = new Detokenizer(checkpoint::piece);
    private final StringBuilder held = new StringBuilder();
    private String function;
    private boolean decided;

    CallingAnswer(int promptTokens, TokenSink sink, Tools tools, String id) {
      this.promptTokens = promptTokens;
      this.sink = sink;
      this.tools = tools;
      this.id = id;
      if (tools.choice() == Tools.Choice.NAMED) {
        function = tools.named();
        decided = true;
      }
    }

    @Override
    public boolean onToken(int token) {
      if (!format.isSpecial(token) && checkpoint.piece(token) != null) {
        take(text.push(token));
      }
      return true;
    }

    private void take(String piece) {
      if (piece.isEmpty()) {
        return;
      }
      if (decided && function == null) {
        sink.onToken(piece);
        return;
      }
      held.append(piece);
      int newline = held.indexOf("\n");
      if (!decided && newline >= 0) {
        decided = true;
        String metadata = held.substring(0, newline).strip();
        String rest = held.substring(newline + 1);
        held.setLength(0);
        if (metadata.isEmpty()) {
          take(rest);
        } else {
          function = metadata;
          held.append(rest);
        }
      }
    }

    @Override
    public void onEnd(DecodeLoop.Result result) {
      if (result.finishReason().equals("cancelled")) {
        return;
      }
      take(text.flush());
      int generated = result.tokens().size();
      if (function == null) {
        if (held.length() > 0) {
          sink.onToken(held.toString()); // never reached a first line: it is text
        }
        sink.onFinish(result.finishReason(), promptTokens, generated);
        return;
      }
      String call = held.toString();
      try {
        if (tools.function(function).isEmpty()) {
          throw new ToolCallText.NotACall("no function " + function + " is offered");
        }
        String arguments = ToolCallText.parse(withoutFences(call)).toString();
        sink.onToolCall(0, id, function);
        sink.onToolArguments(0, arguments);
        sink.onFinish(tools.finishReason(), promptTokens, generated);
      } catch (ToolCallText.NotACall e) {
        sink.onToken((tools.choice() == Tools.Choice.NAMED ? "" : function + "\n") + call);
        sink.onFinish(result.finishReason(), promptTokens, generated);
      }
    }

    @Override
    public void onFailure(String message, boolean closing) {
      sink.onError(
          closing ? ApiError.overloaded(limits.retryAfterSeconds()) : ApiError.internal(message));
    }
  }

  /**
   * The call text inside its fences: every line but the first and the last, as the demo reads it.
   */
  static String withoutFences(String call) {
    String[] lines = call.strip().split("\n", -1);
    if (lines.length >= 3 && lines[0].strip().startsWith("```")) {
      return String.join("\n", Arrays.copyOfRange(lines, 1, lines.length - 1));
    }
    return call.strip();
  }

  /**
   * Stops decoding: running and waiting requests get a 529, and the model is freed once the pass
   * under way has ended (if it does not end within 10 minutes, the model is left to the process's
   * exit rather than freed under it).
   */
  @Override
  public void close() {
    if (loop.stop(Duration.ofMinutes(10))) {
      checkpoint.close();
    } else {
      System.err.println("chatglm-djl: the decoder did not stop; the model stays allocated");
    }
  }
}
