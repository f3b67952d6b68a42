package org.chatglmkit.mockserver;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.chatglmkit.mockserver.core.LatencyProfile;
import org.chatglmkit.mockserver.core.ServingModel;
import org.chatglmkit.mockserver.settings.Durations;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * The reference server's serving mode (off by default): latency that grows with load, from a few
 * figures or from points the DJL benchmark measured. {@code --max-batch} and {@code --max-queue}
 * mean what they mean on the DJL server.
 */
public final class ServingOptions {
  @Option(
      names = "--max-batch",
      paramLabel = "N",
      descriptionKey = "chatglm.server.serving.max-batch",
      description =
          "Serving mode: at most N sequences run at once and latency grows with load (prefill per"
              + " prompt token, inter-token latency by batch); 0 (default) keeps the fixed"
              + " --ttft/--itl.")
  int maxBatch;

  @Option(
      names = "--max-queue",
      paramLabel = "N",
      descriptionKey = "chatglm.server.serving.max-queue",
      description =
          "Serving mode: calls that may wait for a sequence; beyond them 529 with Retry-After"
              + " (default ${DEFAULT-VALUE}).")
  int maxQueue = 64;

  @Option(
      names = "--prefill-per-token",
      paramLabel = "TIME",
      converter = Durations.Converter.class,
      descriptionKey = "chatglm.server.serving.prefill-per-token",
      defaultValue = "0",
      description = "Serving mode: prefill time per prompt token, e.g. 0.2ms.")
  Duration prefillPerToken;

  @Option(
      names = "--itl-growth",
      paramLabel = "TIME",
      converter = Durations.Converter.class,
      descriptionKey = "chatglm.server.serving.itl-growth",
      defaultValue = "0",
      description =
          "Serving mode: inter-token latency added per extra running sequence (--itl is the"
              + " latency of one alone).")
  Duration itlGrowth;

  @Option(
      names = "--serving-profile",
      paramLabel = "FILE",
      descriptionKey = "chatglm.server.serving.profile",
      converter = ServingProfileConverter.class,
      description =
          "Serving mode from measured points (JSON: itl_ms_by_batch, prefill_ms_by_prompt_tokens,"
              + " max_running, max_queue), as the DJL benchmark writes them.")
  ServingProfileFile servingProfile;

  /** The serving model the flags describe, or {@code null} when it is off. */
  public ServingModel.Profile profile(LatencyProfile latency) {
    if (servingProfile != null) {
      return ServingModel.Profile.read(
          servingProfile.path(), maxBatch > 0 ? maxBatch : 1, maxQueue);
    }
    if (maxBatch <= 0) {
      return null;
    }
    return ServingModel.Profile.linear(
        maxBatch,
        maxQueue,
        latency.itlMillis(),
        itlGrowth.toNanos() / 1e6,
        prefillPerToken.toNanos() / 1e6);
  }

  /** A serving profile file, read when the flags are parsed so that its errors are usage errors. */
  record ServingProfileFile(Path path) {}

  /** Checks the file at once: its errors name the file, the line and the field. */
  static final class ServingProfileConverter
      implements CommandLine.ITypeConverter<ServingProfileFile> {
    @Override
    public ServingProfileFile convert(String value) {
      try {
        ServingModel.Profile.read(Path.of(value), 1, 0);
        return new ServingProfileFile(Path.of(value));
      } catch (IllegalArgumentException e) {
        throw new CommandLine.TypeConversionException(e.getMessage());
      }
    }
  }

  /** The banner line of the serving model, if it is on. */
  public static Optional<String> describe(ServingModel.Profile serving) {
    if (serving == null) {
      return Optional.empty();
    }
    return Optional.of(
        "serving: at most "
            + serving.maxRunning()
            + " sequences, "
            + serving.maxQueue()
            + " waiting; itl "
            + serving.itlMillisByBatch()
            + " ms by batch; prefill "
            + serving.prefillMillisByPromptTokens()
            + " ms by prompt tokens");
  }
}
