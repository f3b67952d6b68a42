package org.chatglmkit.mockserver;

import java.util.List;
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
    ServerConfig config =
        server.toBuilder(DEFAULT_LATENCY).model(model).replyTokens(replyTokens).build();
    server.serveUntilStopped(ReferenceServer.start(config), "ChatGLM reference server", List.of());
    return 0;
  }
}
