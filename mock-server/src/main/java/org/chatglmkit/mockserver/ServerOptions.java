package org.chatglmkit.mockserver;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import org.chatglmkit.mockserver.core.FaultKind;
import org.chatglmkit.mockserver.core.FaultPolicy;
import org.chatglmkit.mockserver.core.Keys;
import org.chatglmkit.mockserver.core.LatencyProfile;
import org.chatglmkit.mockserver.core.RateLimits;
import org.chatglmkit.mockserver.server.ReferenceServer;
import org.chatglmkit.mockserver.server.ServerConfig;
import org.chatglmkit.mockserver.settings.CommandLines;
import org.chatglmkit.mockserver.settings.Durations;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * The command-line flags every server of the toolkit shares (the WireMock reference server and the
 * DJL model server), as a picocli mixin, and how such a server runs until it is stopped.
 */
public final class ServerOptions {
  @Option(
      names = "--port",
      paramLabel = "PORT",
      descriptionKey = "chatglm.server.port",
      description = "Port; 0 picks a free one (default ${DEFAULT-VALUE}).")
  int port = 8080;

  @Option(
      names = "--host",
      paramLabel = "HOST",
      descriptionKey = "chatglm.server.host",
      description = "Address to bind (default ${DEFAULT-VALUE}).")
  String host = "127.0.0.1";

  @Option(
      names = "--api-key",
      paramLabel = "KEY",
      descriptionKey = "chatglm.server.api-keys",
      split = "[,\\n]",
      splitSynopsisLabel = ",",
      description =
          "A key that may use the API; repeatable (a comma-separated list in the property)."
              + " Default: the development key "
              + ServerConfig.DEVELOPMENT_KEY
              + ".")
  List<String> apiKeys = new ArrayList<>();

  @Option(
      names = "--forbidden-key",
      paramLabel = "KEY",
      descriptionKey = "chatglm.server.forbidden-keys",
      split = "[,\\n]",
      splitSynopsisLabel = ",",
      description = "A known key that gets 403; repeatable.")
  List<String> forbiddenKeys = new ArrayList<>();

  @Option(
      names = "--ttft",
      paramLabel = "TIME",
      converter = Durations.Converter.class,
      descriptionKey = "chatglm.server.ttft",
      description =
          "Time to first token: the earliest a stream's first token is sent (reference server"
              + " default 20ms; model server default 0, its own compute decides).")
  Duration ttft;

  @Option(
      names = "--itl",
      paramLabel = "TIME",
      converter = Durations.Converter.class,
      descriptionKey = "chatglm.server.itl",
      description =
          "Delay between tokens: the earliest each next token is sent (reference server default"
              + " 5ms, 0 sends a stream at once; model server default 0).")
  Duration itl;

  @Option(
      names = "--jitter",
      paramLabel = "TIME",
      converter = Durations.Converter.class,
      descriptionKey = "chatglm.server.jitter",
      defaultValue = "0",
      description = "Random ± variation of each delay.")
  Duration jitter;

  @Option(
      names = "--fault-rate",
      paramLabel = "FAULT=FRACTION[,...]",
      descriptionKey = "chatglm.server.fault-rate",
      converter = FaultRatesConverter.class,
      description =
          "Inject faults into a fraction of requests, e.g. 429=0.05,cut=0.01. Faults: 429, 529,"
              + " 500, reset, stream-error, stall, malformed-chunk, cut, cut-reset,"
              + " duplicate-event, hold-headers, keepalive-flood, no-final-chunk,"
              + " tool-args-not-json, tool-args-object, tool-call-no-id.")
  FaultRates faultRates;

  @Option(
      names = "--fault-seed",
      paramLabel = "N",
      descriptionKey = "chatglm.server.fault-seed",
      description =
          "Seed of the --fault-rate draws: the same seed gives the same faults to the same"
              + " sequence of requests (default: different each run).")
  Long faultSeed;

  @Option(
      names = "--retry-after",
      paramLabel = "TIME",
      converter = Durations.Converter.class,
      descriptionKey = "chatglm.server.retry-after",
      defaultValue = "1s",
      description = "Retry-After of 429/529, in whole seconds rounded up.")
  Duration retryAfter;

  @Option(
      names = "--stall",
      paramLabel = "TIME",
      converter = Durations.Converter.class,
      descriptionKey = "chatglm.server.stall",
      defaultValue = "30s",
      description = "How long a stalled stream stays silent.")
  Duration stall;

  @Option(
      names = "--rpm",
      paramLabel = "N",
      descriptionKey = "chatglm.server.limits.rpm",
      description =
          "Requests per minute each key may make (0: no limit; default ${DEFAULT-VALUE}).")
  Integer rpm;

  @Option(
      names = "--tpm",
      paramLabel = "N",
      descriptionKey = "chatglm.server.limits.tpm",
      description =
          "Tokens per minute each key may use: prompt plus max_tokens reserved, settled to the"
              + " real count when the answer ends (0: no limit).")
  Long tpm;

  @Option(
      names = "--max-streams",
      paramLabel = "N",
      descriptionKey = "chatglm.server.limits.streams",
      description = "Streams each key may hold open at once (0: no limit).")
  Integer maxStreams;

  @Option(
      names = "--key-limit",
      paramLabel = "KEY:LIMITS",
      descriptionKey = "chatglm.server.limits.key",
      split = "[;\\n]",
      splitSynopsisLabel = ";",
      converter = KeyLimitConverter.class,
      description =
          "One key's own limits, e.g. sk-team-a:rpm=600,tpm=100000,streams=8; repeatable. Limits"
              + " it does not name come from --rpm, --tpm, --max-streams.")
  List<KeyLimit> keyLimits = new ArrayList<>();

  @Option(
      names = "--limits-file",
      paramLabel = "FILE",
      descriptionKey = "chatglm.server.limits.file",
      converter = LimitsFileConverter.class,
      description =
          "Limits in JSON: {\"default\": {\"requests_per_minute\": 60, \"tokens_per_minute\":"
              + " 40000, \"concurrent_streams\": 4}, \"keys\": {\"KEY\": {…}}}. The flags"
              + " win over the file.")
  RateLimits limitsFile;

  @Option(
      names = "--body-limit",
      paramLabel = "BYTES",
      descriptionKey = "chatglm.server.body-limit",
      description = "Largest request body in bytes (default ${DEFAULT-VALUE}).")
  long bodyLimit = ServerConfig.DEFAULT_BODY_LIMIT;

  @Option(
      names = "--root-dir",
      paramLabel = "DIR",
      descriptionKey = "chatglm.server.root-dir",
      description = "WireMock root with mappings/ and __files/ of your own stubs.")
  Path rootDir;

  @Option(
      names = "--request-journal",
      negatable = true,
      defaultValue = "true",
      fallbackValue = "true",
      descriptionKey = "chatglm.server.request-journal",
      description = "Record requests for the admin API (--no-request-journal for long load runs).")
  boolean journal = true;

  @Option(
      names = "--container-threads",
      paramLabel = "N",
      descriptionKey = "chatglm.server.container-threads",
      description = "Jetty threads (default ${DEFAULT-VALUE}).")
  int containerThreads = 64;

  @Option(
      names = "--admin-token",
      paramLabel = "TOKEN",
      descriptionKey = "chatglm.server.admin-token",
      description =
          "Token the WireMock admin API requires (Authorization: Token TOKEN). Default: none on"
              + " loopback; one generated and printed when --host is beyond loopback.")
  String adminToken;

  @Option(
      names = "--admin",
      negatable = true,
      defaultValue = "true",
      fallbackValue = "true",
      descriptionKey = "chatglm.server.admin",
      description = "Serve the WireMock admin API (--no-admin: not at all).")
  boolean admin = true;

  @Option(
      names = "--verbose",
      descriptionKey = "chatglm.server.verbose",
      description = "Show the libraries' start-up and info logs (Jetty, WireMock, DJL).")
  boolean verbose;

  /** Values given by an old spelling; they win over the new option's default or setting. */
  private final Map<String, Duration> old = new HashMap<>();

  private Duration effective(String name, Duration value) {
    return old.getOrDefault(name, value);
  }

  @Option(names = "--ttft-ms", hidden = true, paramLabel = "MS")
  void oldTtft(String millis) {
    CommandLines.renamed("--ttft-ms", "--ttft");
    old.put("ttft", Durations.parse(millis, "ms"));
  }

  @Option(names = "--itl-ms", hidden = true, paramLabel = "MS")
  void oldItl(String millis) {
    CommandLines.renamed("--itl-ms", "--itl");
    old.put("itl", Durations.parse(millis, "ms"));
  }

  @Option(names = "--jitter-ms", hidden = true, paramLabel = "MS")
  void oldJitter(String millis) {
    CommandLines.renamed("--jitter-ms", "--jitter");
    old.put("jitter", Durations.parse(millis, "ms"));
  }

  @Option(names = "--retry-after-s", hidden = true, paramLabel = "SECONDS")
  void oldRetryAfter(String seconds) {
    CommandLines.renamed("--retry-after-s", "--retry-after");
    old.put("retryAfter", Durations.parse(seconds, "s"));
  }

  @Option(names = "--stall-ms", hidden = true, paramLabel = "MS")
  void oldStall(String millis) {
    CommandLines.renamed("--stall-ms", "--stall");
    old.put("stall", Durations.parse(millis, "ms"));
  }

  /**
   * Keeps the libraries quiet unless {@code --verbose}: warnings and errors only, and not even
   * those for Jetty's start-up notes and the missing-GPU probe of DJL. Call before anything logs; a
   * level given with {@code -Dorg.slf4j.simpleLogger...} wins.
   */
  public void configureLogging() {
    if (verbose) {
      System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "info");
      return;
    }
    quiet("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    quiet("org.slf4j.simpleLogger.log.org.eclipse.jetty", "error");
    quiet("org.slf4j.simpleLogger.log.ai.djl.util.cuda", "error");
    quiet("org.slf4j.simpleLogger.log.ai.djl.pytorch.jni", "error");
  }

  private static void quiet(String property, String level) {
    if (System.getProperty(property) == null) {
      System.setProperty(property, level);
    }
  }

  /** The flags as a server configuration, with the pacing a server uses when none is given. */
  public ServerConfig.Builder toBuilder(LatencyProfile defaultLatency) {
    Duration ttft = effective("ttft", this.ttft);
    Duration itl = effective("itl", this.itl);
    LatencyProfile latency =
        new LatencyProfile(
            ttft != null ? ttft.toMillis() : defaultLatency.ttftMillis(),
            itl != null ? itl.toMillis() : defaultLatency.itlMillis(),
            effective("jitter", jitter).toMillis());
    ServerConfig.Builder builder =
        ServerConfig.builder()
            .host(host)
            .port(port)
            .latency(latency)
            .faults(
                new FaultPolicy(
                    faultRates == null ? Map.of() : faultRates.rates(),
                    retryAfterSeconds(),
                    effective("stall", stall).toMillis(),
                    faultSeed))
            .bodyLimitBytes(bodyLimit)
            .rootDir(rootDir)
            .requestJournal(journal)
            .containerThreads(containerThreads)
            .admin(admin)
            .adminToken(adminToken)
            .rateLimits(rateLimits());
    apiKeys.forEach(builder::apiKey);
    forbiddenKeys.forEach(builder::forbiddenKey);
    if (admin && adminToken == null && !builder.build().loopbackOnly()) {
      // Beyond loopback anyone who reaches the port could read the journal and replace the stubs.
      builder.adminToken(newToken());
    }
    return builder;
  }

  /** The fractions of requests that get each fault. */
  record FaultRates(Map<FaultKind, Double> rates) {}

  /** {@code 429=0.05,cut=0.01}, checked when the flags are parsed: a bad one is a usage error. */
  static final class FaultRatesConverter implements CommandLine.ITypeConverter<FaultRates> {
    @Override
    public FaultRates convert(String value) {
      try {
        Map<FaultKind, Double> rates = FaultPolicy.parseRates(value);
        new FaultPolicy(rates, 1, 0); // the fractions' own checks
        return new FaultRates(rates);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.TypeConversionException(e.getMessage());
      }
    }
  }

  /** The limits of the file, then the flags over them. */
  RateLimits rateLimits() {
    RateLimits limits = limitsFile == null ? RateLimits.NONE : limitsFile;
    limits = limits.withDefaults(new RateLimits.Limit(rpm, tpm, maxStreams));
    for (KeyLimit keyLimit : keyLimits) {
      limits = limits.withKey(keyLimit.key(), keyLimit.limit());
    }
    return limits;
  }

  /** One {@code --key-limit}: a key and its own limits. */
  record KeyLimit(String key, RateLimits.Limit limit) {}

  /** {@code KEY:rpm=N,tpm=N,streams=N}; an error never shows the key. */
  static final class KeyLimitConverter implements CommandLine.ITypeConverter<KeyLimit> {
    @Override
    public KeyLimit convert(String value) {
      int colon = value.lastIndexOf(':');
      if (colon <= 0) {
        throw new CommandLine.TypeConversionException(
            "expected KEY:rpm=N,tpm=N,streams=N (a key, a colon, then its limits)");
      }
      String key = value.substring(0, colon).trim();
      try {
        return new KeyLimit(key, RateLimits.Limit.parse(value.substring(colon + 1)));
      } catch (IllegalArgumentException | ArithmeticException e) {
        throw new CommandLine.TypeConversionException(
            "limits of key " + Keys.mask(key) + ": " + e.getMessage());
      }
    }
  }

  /** Reads a limits file; its errors name the file, the line and the field. */
  static final class LimitsFileConverter implements CommandLine.ITypeConverter<RateLimits> {
    @Override
    public RateLimits convert(String value) {
      try {
        return RateLimits.read(Path.of(value));
      } catch (IllegalArgumentException e) {
        throw new CommandLine.TypeConversionException(e.getMessage());
      }
    }
  }

  private static String newToken() {
    byte[] bytes = new byte[24];
    new java.security.SecureRandom().nextBytes(bytes);
    return java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  /** Retry-After in whole seconds, rounded up (at least 1). */
  public int retryAfterSeconds() {
    return (int) Math.max(1, (effective("retryAfter", retryAfter).toMillis() + 999) / 1000);
  }

  /**
   * Prints where {@code server} listens and how it is set up, then blocks until the JVM is asked to
   * stop, when the server is closed.
   *
   * @param title the first line, before "listening on URL"
   * @param details more lines of set-up to print
   */
  public void serveUntilStopped(ReferenceServer server, String title, List<String> details)
      throws InterruptedException {
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  server.close();
                  if (server.pacing().all().events() > 0) {
                    System.out.println("stopped; " + server.pacing().summary());
                  }
                  stopped.countDown();
                }));
    ServerConfig config = server.config();
    System.out.println(title + " listening on " + server.baseUrl());
    System.out.println("  POST " + server.baseUrl() + "/v1/chat/completions");
    if (config.apiKeys().equals(Set.of(ServerConfig.DEVELOPMENT_KEY))) {
      System.out.println("  development API key: " + ServerConfig.DEVELOPMENT_KEY);
    } else {
      System.out.println("  API keys: " + config.apiKeys().stream().map(Keys::mask).toList());
    }
    details.forEach(line -> System.out.println("  " + line));
    LatencyProfile latency = config.latency();
    System.out.println(
        (config.serving() != null
                ? "  latency of stubs that set ttftMs or itlMs: ttft="
                : "  latency: ttft=")
            + latency.ttftMillis()
            + "ms itl="
            + latency.itlMillis()
            + "ms jitter=±"
            + latency.jitterMillis()
            + "ms");
    System.out.println(
        "  faults: header "
            + FaultKind.HEADER
            + ": {"
            + FaultKind.names()
            + "}; rates: "
            + (config.faults().rates().isEmpty() ? "none" : config.faults().describeRates()));
    if (config.rateLimits().any()) {
      System.out.println("  limits: " + config.rateLimits());
    }
    if (!config.admin()) {
      System.out.println("  WireMock admin API: off");
    } else if (config.adminToken() != null) {
      // A generated token is shown once, here, to the server's own operator; a given one is masked.
      System.out.println(
          "  WireMock admin API: "
              + server.baseUrl()
              + "/__admin (header Authorization: Token "
              + (adminToken == null ? config.adminToken() : Keys.mask(config.adminToken()))
              + ")");
    } else {
      System.out.println(
          "  WireMock admin API: " + server.baseUrl() + "/__admin (loopback only, no token)");
    }
    stopped.await();
  }
}
