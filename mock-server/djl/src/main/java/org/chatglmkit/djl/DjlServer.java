package org.chatglmkit.djl;

import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.chatglmkit.mockserver.ServerOptions;
import org.chatglmkit.mockserver.core.LatencyProfile;
import org.chatglmkit.mockserver.server.ReferenceServer;
import org.chatglmkit.mockserver.server.ServerConfig;
import org.chatglmkit.mockserver.settings.CommandLines;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code java -jar mock-server/djl/target/chatglm-djl-server.jar --model DIR [options]}: the
 * reference server's API, auth, validation, faults and SSE, answered by a ChatGLM checkpoint on
 * DJL.
 */
@Command(
    name = "chatglm-djl-server",
    mixinStandardHelpOptions = true,
    version = "chatglm-djl-server 0.1.0",
    sortOptions = false,
    description =
        "Serves the ChatGLM chat-completions API (openai profile) from a ChatGLM2/ChatGLM3"
            + " checkpoint directory (Hugging Face layout) on DJL's PyTorch engine, CPU, offline.")
public final class DjlServer implements Callable<Integer> {
  @Option(
      names = "--model",
      descriptionKey = "chatglm.djl.model",
      paramLabel = "DIR",
      description =
          "Checkpoint directory: config.json, *.safetensors (sharded or not), tokenizer.model"
              + " (required).")
  Path model;

  @Option(
      names = "--model-name",
      descriptionKey = "chatglm.djl.model-name",
      description =
          "Model name in answers (default: config.json's _name_or_path, else DIR's name).")
  String modelName;

  @Option(
      names = "--chat-format",
      descriptionKey = "chatglm.djl.chat-format",
      description = "chatglm3 or chatglm2 (default: read from the checkpoint).")
  String chatFormat;

  @Option(
      names = "--weights",
      descriptionKey = "chatglm.djl.weights",
      paramLabel = "fp32|fp16|int8",
      description =
          "How the weight matrices are held: fp32; fp16 (half the memory); int8 (a quarter: the"
              + " layers' linear weights with a scale per block of 64, multiplied by activations"
              + " quantized the same way, as Q8_0 engines do; embedding and output layer fp16)."
              + " Sums and everything else are fp32. Default: fp32 when the model and one full"
              + " context fit 80%% of the memory available, else int8.")
  String weights;

  @Option(
      names = "--max-batch",
      descriptionKey = "chatglm.djl.max-batch",
      description = "Sequences decoded together, each with a KV cache (default ${DEFAULT-VALUE}).")
  int maxBatch = DjlChatBackend.Limits.DEFAULT.maxBatch();

  @Option(
      names = "--max-queue",
      descriptionKey = "chatglm.djl.max-queue",
      description =
          "Requests waiting for the batch; beyond them 529 with Retry-After (default"
              + " ${DEFAULT-VALUE}).")
  int maxQueue = DjlChatBackend.Limits.DEFAULT.maxQueue();

  @Option(
      names = "--memory-budget",
      descriptionKey = "chatglm.djl.memory-budget",
      description =
          "Memory for KV caches, e.g. 12g (default: what the system says is available after the"
              + " weights, or the container's limit if lower). The batch is bounded so that every"
              + " running sequence can grow to a full context within 80%% of it.")
  String memoryBudget;

  @Mixin ServerOptions server;

  public static void main(String[] args) {
    int code = CommandLines.create(new DjlServer()).execute(args);
    if (code != 0) {
      System.exit(code);
    }
  }

  @Override
  public Integer call() throws InterruptedException {
    server.configureLogging();
    if (model == null) {
      System.err.println(
          "chatglm-djl-server: give the checkpoint directory: --model DIR (or CHATGLM_DJL_MODEL)");
      return 2;
    }
    ChatGlmCheckpoint checkpoint;
    long started = System.nanoTime();
    try {
      checkpoint =
          ChatGlmCheckpoint.open(
              model,
              chatFormat == null ? null : ChatFormat.Version.parse(chatFormat),
              weights == null ? null : WeightsKind.parse(weights));
    } catch (IllegalArgumentException | UncheckedIOException e) {
      System.err.println("chatglm-djl-server: " + e.getMessage());
      return 2;
    }
    MemoryBudget budget;
    try {
      budget = MemoryBudget.of(checkpoint.model().config(), maxBatch, memoryBudget);
    } catch (IllegalArgumentException e) {
      checkpoint.close();
      System.err.println("chatglm-djl-server: " + e.getMessage());
      return 2;
    }
    if (budget.batch() < 1) {
      checkpoint.close();
      System.err.println("chatglm-djl-server: not even one sequence fits: " + budget.describe());
      return 2;
    }
    DjlChatBackend backend =
        new DjlChatBackend(
            checkpoint,
            modelName != null ? modelName : checkpoint.name(),
            new DjlChatBackend.Limits(budget.batch(), maxQueue, server.retryAfterSeconds()));
    ServerConfig config =
        server.toBuilder(LatencyProfile.none()).model(backend.modelName()).build();
    ChatGlmConfig shape = checkpoint.model().config();
    long cachePerSequence = MemoryBudget.perSequence(shape);
    List<String> details =
        new ArrayList<>(
            List.of(
                "model: " + backend.modelName() + " from " + model.toAbsolutePath(),
                String.format(
                    Locale.ROOT,
                    "shape: %d layers, hidden %d, %d heads, %d KV groups, vocabulary %d, context %d;"
                        + " %s chat format",
                    shape.layers(),
                    shape.hidden(),
                    shape.heads(),
                    shape.groups(),
                    shape.vocab(),
                    shape.seqLength(),
                    checkpoint.format().version()),
                String.format(
                    Locale.ROOT,
                    "weights: %s%s, %.1f MB in memory (embedding %.1f MB; fp32 would take %.1f MB),"
                        + " loaded in %.1f s%s",
                    checkpoint.weightsKind().label(),
                    weights == null ? " (chosen for the memory available)" : "",
                    checkpoint.weightBytes() / 1e6,
                    checkpoint.embeddingBytes() / 1e6,
                    shape.parameters() * 4 / 1e6,
                    (System.nanoTime() - started) / 1e9,
                    checkpoint.weightsKind() == WeightsKind.FP32
                        ? ""
                        : String.format(
                            Locale.ROOT,
                            " on the Java heap (-Xmx %.1f GB); products: %s",
                            Runtime.getRuntime().maxMemory() / 1e9,
                            MatVec.best().name())),
                String.format(
                    Locale.ROOT,
                    "memory: KV cache up to %.1f MB per sequence, %.1f MB for a full batch of %d",
                    cachePerSequence / 1e6,
                    cachePerSequence * budget.batch() / 1e6,
                    budget.batch()),
                budget.describe(),
                "capacity: "
                    + budget.batch()
                    + " decoding, "
                    + maxQueue
                    + " waiting; beyond: 529"));
    if (checkpoint.weightsKind() != WeightsKind.FP32 && !MatVec.hint().isEmpty()) {
      details.add("note: " + MatVec.hint());
    }
    server.serveUntilStopped(ReferenceServer.start(config, backend), "ChatGLM DJL server", details);
    return 0;
  }
}
