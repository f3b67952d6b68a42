package org.chatglmkit.mockserver;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.chatglmkit.mockserver.core.FaultKind;
import org.chatglmkit.mockserver.core.FaultPolicy;
import org.chatglmkit.mockserver.core.Keys;
import org.chatglmkit.mockserver.core.LatencyProfile;
import org.chatglmkit.mockserver.server.ReferenceServer;
import org.chatglmkit.mockserver.server.ServerConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code java -jar chatglm-mock-server.jar [options]}: starts the reference server. */
@Command(
    name = "chatglm-mock-server",
    mixinStandardHelpOptions = true,
    version = "chatglm-mock-server 0.1.0",
    sortOptions = false,
    description = "Serves the ChatGLM chat-completions API (openai profile) on WireMock.")
public final class Main implements Callable<Integer> {
  @Option(names = "--port", description = "Port; 0 picks a free one (default ${DEFAULT-VALUE}).")
  int port = 8080;

  @Option(names = "--host", description = "Address to bind (default ${DEFAULT-VALUE}).")
  String host = "127.0.0.1";

  @Option(
      names = "--api-key",
      description =
          "A key that may use the API; repeatable. Default: the development key "
              + ServerConfig.DEVELOPMENT_KEY
              + ".")
  List<String> apiKeys = new ArrayList<>();

  @Option(names = "--forbidden-key", description = "A known key that gets 403; repeatable.")
  List<String> forbiddenKeys = new ArrayList<>();

  @Option(
      names = "--ttft-ms",
      defaultValue = "20",
      description = "Time to first token (default ${DEFAULT-VALUE}; 0 turns pacing off).")
  long ttftMs;

  @Option(
      names = "--itl-ms",
      defaultValue = "5",
      description = "Delay between tokens (default ${DEFAULT-VALUE}; 0 sends a stream at once).")
  long itlMs;

  @Option(names = "--jitter-ms", description = "Random ± variation of each delay.")
  long jitterMs;

  @Option(
      names = "--fault-rate",
      paramLabel = "FAULT=FRACTION[,...]",
      description =
          "Inject faults into a fraction of requests, e.g. 429=0.05,reset=0.01. Faults: 429, 529, 500, reset, stream-error, stall.")
  String faultRates = "";

  @Option(
      names = "--retry-after-s",
      description = "Retry-After of 429/529 (default ${DEFAULT-VALUE}).")
  int retryAfterSeconds = 1;

  @Option(
      names = "--stall-ms",
      description = "How long a stalled stream stays silent (default ${DEFAULT-VALUE}).")
  long stallMs = 30_000;

  @Option(
      names = "--body-limit",
      description = "Largest request body in bytes (default ${DEFAULT-VALUE}).")
  long bodyLimit = ServerConfig.DEFAULT_BODY_LIMIT;

  @Option(names = "--model", description = "Model name in answers (default ${DEFAULT-VALUE}).")
  String model = "chatglm3-6b";

  @Option(names = "--reply-tokens", description = "Fixed answer length in tokens; 0 = natural.")
  int replyTokens;

  @Option(
      names = "--root-dir",
      description = "WireMock root with mappings/ and __files/ of your own stubs.")
  Path rootDir;

  @Option(
      names = "--no-request-journal",
      description = "Do not record requests (for long load runs).")
  boolean noJournal;

  @Option(names = "--container-threads", description = "Jetty threads (default ${DEFAULT-VALUE}).")
  int containerThreads = 64;

  public static void main(String[] args) {
    CommandLine commandLine = new CommandLine(new Main());
    int code = commandLine.execute(args);
    if (code != 0) {
      System.exit(code);
    }
  }

  @Override
  public Integer call() throws InterruptedException {
    ServerConfig.Builder builder =
        ServerConfig.builder()
            .host(host)
            .port(port)
            .latency(new LatencyProfile(ttftMs, itlMs, jitterMs))
            .faults(new FaultPolicy(FaultPolicy.parseRates(faultRates), retryAfterSeconds, stallMs))
            .bodyLimitBytes(bodyLimit)
            .model(model)
            .replyTokens(replyTokens)
            .rootDir(rootDir)
            .requestJournal(!noJournal)
            .containerThreads(containerThreads);
    apiKeys.forEach(builder::apiKey);
    forbiddenKeys.forEach(builder::forbiddenKey);
    ServerConfig config = builder.build();
    ReferenceServer server = ReferenceServer.start(config);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  server.close();
                  stopped.countDown();
                }));
    System.out.println("ChatGLM reference server listening on " + server.baseUrl());
    System.out.println("  POST " + server.baseUrl() + "/v1/chat/completions");
    if (apiKeys.isEmpty()) {
      System.out.println("  development API key: " + ServerConfig.DEVELOPMENT_KEY);
    } else {
      System.out.println("  API keys: " + apiKeys.stream().map(Keys::mask).toList());
    }
    System.out.println(
        "  latency: ttft=" + ttftMs + "ms itl=" + itlMs + "ms jitter=±" + jitterMs + "ms");
    System.out.println(
        "  faults: header "
            + FaultKind.HEADER
            + ": {"
            + FaultKind.names()
            + "}; rates: "
            + (faultRates.isBlank() ? "none" : faultRates));
    System.out.println("  WireMock admin API: " + server.baseUrl() + "/__admin");
    stopped.await();
    return 0;
  }
}
