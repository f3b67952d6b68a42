package org.chatglmkit.mockserver;

import java.util.concurrent.Callable;
import org.chatglmkit.mockserver.core.LatencyProfile;
import org.chatglmkit.mockserver.server.ReferenceServer;
import org.chatglmkit.mockserver.server.ServerConfig;
import org.chatglmkit.mockserver.settings.CommandLines;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code java -jar chatglm-mock-server.jar [options]}: starts the reference server. */
@Command(
    name = "chatglm-mock-server",
    mixinStandardHelpOptions = true,
    version = "chatglm-mock-server 0.1.0",
    sortOptions = false,
    description = "Serves the ChatGLM chat-completions API (openai profile) on WireMock.")
public final class Main implements Callable<Integer> {
  /** Streams are paced by default, so that they are visibly incremental. */
  public static final LatencyProfile DEFAULT_LATENCY = ServerConfig.DEFAULT_LATENCY;

  @Mixin ServerOptions server;

  @Mixin ServingOptions serving;

  @Option(
      names = "--model",
      paramLabel = "NAME",
      descriptionKey = "chatglm.server.model",
      description = "Model name in answers (default ${DEFAULT-VALUE}).")
  String model = ServerConfig.DEFAULT_MODEL;

  @Option(
      names = "--reply-tokens",
      paramLabel = "N",
      descriptionKey = "chatglm.server.reply-tokens",
      description = "Fixed answer length in tokens; 0 = natural.")
  int replyTokens;

  @Option(
      names = "--record-from",
      paramLabel = "URL",
      descriptionKey = "chatglm.server.record.from",
      description =
          "Record a real server: pass every API call on to URL, its answer back as it comes, and"
              + " keep each exchange as a stub in --record-to's mappings/ (no key is kept).")
  java.net.URI recordFrom;

  @Option(
      names = "--record-to",
      paramLabel = "DIR",
      descriptionKey = "chatglm.server.record.to",
      description =
          "Where recordings go (default ${DEFAULT-VALUE}); replay them with --root-dir DIR.")
  java.nio.file.Path recordTo = java.nio.file.Path.of("recordings");

  @Option(
      names = "--replay-speed",
      paramLabel = "X",
      descriptionKey = "chatglm.server.record.replay-speed",
      description = "Replay recordings X times as fast as they came (default ${DEFAULT-VALUE}).")
  double replaySpeed = 1;

  /** The server options as parsed (tests). */
  ServerOptions serverOptions() {
    return server;
  }

  public static void main(String[] args) {
    picocli.CommandLine commandLine = CommandLines.create(new Main());
    int code = commandLine.execute(args);
    if (code != 0) {
      System.exit(code);
    }
  }

  @Override
  public Integer call() throws InterruptedException {
    server.configureLogging();
    ServerConfig.Builder builder =
        server.toBuilder(DEFAULT_LATENCY).model(model).replyTokens(replyTokens);
    ServerConfig config =
        builder
            .serving(serving.profile(builder.build().latency()))
            .recordReplay(
                new ServerConfig.RecordReplay(
                    recordFrom, recordFrom == null ? null : recordTo, replaySpeed))
            .build();
    server.serveUntilStopped(
        ReferenceServer.start(config),
        "ChatGLM reference server",
        java.util.stream.Stream.concat(
                ServingOptions.describe(config.serving()).stream(),
                recordFrom == null
                    ? java.util.stream.Stream.<String>empty()
                    : java.util.stream.Stream.of(
                        "recording "
                            + recordFrom
                            + " into "
                            + recordTo.resolve("mappings")
                            + " (replay: --root-dir "
                            + recordTo
                            + ")"))
            .toList());
    return 0;
  }
}
