package org.chatglmkit.load;

import java.nio.file.Path;
import java.util.List;
import java.util.function.ToIntFunction;
import java.util.stream.IntStream;
import org.chatglmkit.load.workload.Conversation;
import org.chatglmkit.load.workload.Datasets;
import org.chatglmkit.load.workload.Synthetic;
import org.chatglmkit.load.workload.Trace;

/**
 * What a run sends and when: the conversations (from a dataset, synthetic lengths or a trace) and,
 * for the open model, the arrival schedule, warm-up included. Everything is read and drawn before
 * the first request, so that a bad dataset stops the run before any load is sent.
 *
 * @param conversations what the users send, taken in turn
 * @param schedule when each arrival is due (seconds from the start), or {@code null} for the closed
 *     model (concurrency)
 * @param description what the workload is, for the summary
 */
record Workload(List<Conversation> conversations, double[] schedule, String description) {

  /** Synthetic conversations drawn for a run, taken round and round. */
  static final int SYNTHETIC_CONVERSATIONS = 1_000;

  static Workload of(LoadConfig config, ClientTokenizer tokenizer) {
    long seed = config.seed() * 1_000_003L + config.injectorIndex();
    ToIntFunction<String> counter = tokenizer == null ? null : text -> (int) tokenizer.text(text);
    if (config.trace() != null) {
      Trace trace = Trace.load(Path.of(config.trace()), config.speed(), seed, counter);
      int[] mine =
          IntStream.range(0, trace.conversations().size())
              .filter(i -> i % config.injectors() == config.injectorIndex())
              .toArray();
      if (mine.length == 0) {
        throw new IllegalArgumentException(
            "the trace has no request for injector " + config.injectorIndex());
      }
      return new Workload(
          IntStream.of(mine).mapToObj(i -> trace.conversations().get(i)).toList(),
          IntStream.of(mine).mapToDouble(i -> trace.offsetsSeconds()[i]).toArray(),
          String.format(
              java.util.Locale.ROOT,
              "trace %s at %sx: %d requests over %.1f s",
              config.trace(),
              config.speed(),
              trace.conversations().size(),
              trace.offsetsSeconds()[trace.offsetsSeconds().length - 1]));
    }
    List<Conversation> conversations;
    String description;
    if (config.inputTokens() != null) {
      var output =
          config.outputTokens() != null
              ? config.outputTokens()
              : org.chatglmkit.load.workload.Lengths.parse(String.valueOf(config.maxTokens()));
      conversations =
          Synthetic.conversations(
              SYNTHETIC_CONVERSATIONS, config.turns(), config.inputTokens(), output, seed, counter);
      description =
          "synthetic: input "
              + config.inputTokens()
              + " tokens"
              + (counter == null ? " (one word per token)" : " (by the tokenizer)")
              + ", output "
              + output
              + " tokens";
    } else {
      Datasets.Loaded loaded =
          Datasets.load(
              config.dataset() == null ? null : Path.of(config.dataset()), config.turns() > 1);
      conversations = loaded.conversations();
      description =
          (config.dataset() == null ? "bundled prompts" : config.dataset())
              + ": "
              + loaded.format()
              + ", "
              + conversations.size()
              + " conversations"
              + (loaded.skipped() > 0 ? ", " + loaded.skipped() + " skipped (no human turn)" : "");
    }
    if (config.turns() > 1) {
      description += ", up to " + config.turns() + " turns each, answers sent back";
    }
    return new Workload(conversations, schedule(config, seed), description);
  }

  /**
   * The arrival schedule of the open-model profiles, this injector's share of the rate; {@code
   * null} for concurrency.
   */
  static double[] schedule(LoadConfig config, long seed) {
    double warmup = config.warmup().toNanos() / 1e9;
    double seconds = config.duration().toNanos() / 1e9;
    double rate = config.share(config.rate());
    double b = config.burstiness();
    return switch (config.profile()) {
      case "smoke" -> Arrivals.even(rate, warmup + seconds);
      case "rate", "soak" -> Arrivals.gamma(rate, b, 0, warmup + seconds, seed);
      case "ramp" ->
          Arrivals.concat(
              warmup > 0 ? Arrivals.gamma(rate, b, 0, warmup, seed) : new double[0],
              Arrivals.ramp(rate, config.share(config.rampTo()), b, warmup, seconds, seed + 1));
      case "steps", "sweep" -> {
        double[] all = warmup > 0 ? Arrivals.gamma(rate, b, 0, warmup, seed) : new double[0];
        for (int step = 0; step < config.steps(); step++) {
          double stepRate = config.share(config.rate() + step * config.stepRate());
          all =
              Arrivals.concat(
                  all,
                  Arrivals.gamma(stepRate, b, warmup + step * seconds, seconds, seed + 1 + step));
        }
        yield all;
      }
      default -> null;
    };
  }

  /** The conversation of the {@code index}-th user. */
  Conversation conversation(long index) {
    return conversations.get((int) (index % conversations.size()));
  }
}
