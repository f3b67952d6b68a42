package org.chatglmkit.mockserver.server;

import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.chatglmkit.mockserver.core.FaultPolicy;
import org.chatglmkit.mockserver.core.Keys;
import org.chatglmkit.mockserver.core.LatencyProfile;
import org.chatglmkit.mockserver.core.RateLimits;
import org.chatglmkit.mockserver.core.ServingModel;

/**
 * Everything the reference server is started with. {@link #toString()} masks the keys.
 *
 * <pre>{@code
 * ServerConfig config = ServerConfig.builder().port(0).latency(new LatencyProfile(200, 20, 0)).build();
 * }</pre>
 *
 * @param host the address to bind, loopback by default
 * @param port the port, 0 for a free one
 * @param apiKeys keys that may use the API
 * @param forbiddenKeys known keys that get 403
 * @param latency when tokens are sent
 * @param faults which faults are injected
 * @param bodyLimitBytes larger request bodies get 413
 * @param model the model name answers carry
 * @param replyTokens a fixed answer length, 0 for natural lengths
 * @param rootDir a WireMock root with {@code mappings/} and {@code __files/}, or {@code null}
 * @param requestJournal whether WireMock records requests (switch off for long load runs)
 * @param containerThreads Jetty's thread pool size
 * @param admin whether the WireMock admin API ({@code /__admin}) is served at all
 * @param adminToken the token the admin API requires ({@code Authorization: Token <token>}), or
 *     {@code null} for none (only sensible on loopback)
 * @param recordReplay what to record, and how fast recordings are replayed
 * @param serving the serving model whose load sets the latency, or {@code null} (fixed latency)
 * @param rateLimits per-key requests and tokens per minute and open streams ({@link
 *     RateLimits#NONE}: none)
 */
public record ServerConfig(
    String host,
    int port,
    Set<String> apiKeys,
    Set<String> forbiddenKeys,
    LatencyProfile latency,
    FaultPolicy faults,
    long bodyLimitBytes,
    String model,
    int replyTokens,
    Path rootDir,
    boolean requestJournal,
    int containerThreads,
    boolean admin,
    String adminToken,
    RateLimits rateLimits,
    ServingModel.Profile serving,
    RecordReplay recordReplay) {

  /** The key accepted when none is configured; printed at start-up. */
  public static final String DEVELOPMENT_KEY = "chatglm-dev-key";

  public static final long DEFAULT_BODY_LIMIT = 1024 * 1024;

  /** The model name answers carry unless one is configured. */
  public static final String DEFAULT_MODEL = "chatglm3-6b";

  /**
   * The pacing of the reference server's command line and of the suites' embedded server: slow
   * enough that a stream is visibly incremental, fast enough for quick runs.
   */
  public static final LatencyProfile DEFAULT_LATENCY = new LatencyProfile(20, 5, 0);

  public ServerConfig {
    apiKeys = Set.copyOf(apiKeys.isEmpty() ? Set.of(DEVELOPMENT_KEY) : apiKeys);
    forbiddenKeys = Set.copyOf(forbiddenKeys);
    rateLimits = rateLimits == null ? RateLimits.NONE : rateLimits;
    recordReplay = recordReplay == null ? RecordReplay.NONE : recordReplay;
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port must be 0 to 65535: " + port);
    }
    if (bodyLimitBytes < 1 || bodyLimitBytes > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("body limit must be 1 to 2^31-1 bytes");
    }
  }

  /**
   * Recording a real server, and replaying recordings.
   *
   * @param from the real server to pass every API call on to and record, or {@code null}
   * @param to the directory whose {@code mappings/} receives the recordings
   * @param speed how much faster than recorded a recording is replayed (1: as it came)
   */
  public record RecordReplay(java.net.URI from, Path to, double speed) {
    public static final RecordReplay NONE = new RecordReplay(null, null, 1);

    public RecordReplay {
      if (!(speed > 0)) {
        throw new IllegalArgumentException("the replay speed must be above 0: " + speed);
      }
      if (from != null && to == null) {
        throw new IllegalArgumentException("a recording needs a directory to go to");
      }
    }
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Whether the server is bound to a loopback address only. */
  public boolean loopbackOnly() {
    try {
      return java.net.InetAddress.getByName(host).isLoopbackAddress();
    } catch (java.net.UnknownHostException e) {
      return false;
    }
  }

  public static ServerConfig defaults() {
    return builder().build();
  }

  public Builder toBuilder() {
    Builder builder = new Builder();
    builder.host = host;
    builder.port = port;
    builder.apiKeys = new LinkedHashSet<>(apiKeys);
    builder.forbiddenKeys = new LinkedHashSet<>(forbiddenKeys);
    builder.latency = latency;
    builder.faults = faults;
    builder.bodyLimitBytes = bodyLimitBytes;
    builder.model = model;
    builder.replyTokens = replyTokens;
    builder.rootDir = rootDir;
    builder.requestJournal = requestJournal;
    builder.containerThreads = containerThreads;
    builder.admin = admin;
    builder.adminToken = adminToken;
    builder.rateLimits = rateLimits;
    builder.serving = serving;
    builder.recordReplay = recordReplay;
    return builder;
  }

  @Override
  public String toString() {
    return "ServerConfig[host=%s, port=%d, apiKeys=%s, forbiddenKeys=%s, latency=%s, faults=%s,"
            .formatted(host, port, masked(apiKeys), masked(forbiddenKeys), latency, faults)
        + " bodyLimitBytes=%d, model=%s, replyTokens=%d, rootDir=%s, requestJournal=%s,"
            .formatted(bodyLimitBytes, model, replyTokens, rootDir, requestJournal)
        + " admin=%s, adminToken=%s, rateLimits=%s]"
            .formatted(admin, adminToken == null ? "(none)" : Keys.mask(adminToken), rateLimits);
  }

  private static List<String> masked(Set<String> keys) {
    return keys.stream().map(Keys::mask).collect(Collectors.toList());
  }

  /** Builds a {@link ServerConfig}; every setting has a default. */
  public static final class Builder {
    private String host = "127.0.0.1";
    private int port = 8080;
    private Set<String> apiKeys = new LinkedHashSet<>();
    private Set<String> forbiddenKeys = new LinkedHashSet<>();
    private LatencyProfile latency = LatencyProfile.none();
    private FaultPolicy faults = FaultPolicy.none();
    private long bodyLimitBytes = DEFAULT_BODY_LIMIT;
    private String model = DEFAULT_MODEL;
    private int replyTokens;
    private Path rootDir;
    private boolean requestJournal = true;
    private int containerThreads = 64;
    private boolean admin = true;
    private String adminToken;
    private RateLimits rateLimits = RateLimits.NONE;
    private ServingModel.Profile serving;
    private RecordReplay recordReplay = RecordReplay.NONE;

    public Builder host(String host) {
      this.host = host;
      return this;
    }

    public Builder port(int port) {
      this.port = port;
      return this;
    }

    public Builder apiKey(String key) {
      apiKeys.add(key);
      return this;
    }

    public Builder forbiddenKey(String key) {
      forbiddenKeys.add(key);
      return this;
    }

    public Builder latency(LatencyProfile latency) {
      this.latency = latency;
      return this;
    }

    public Builder faults(FaultPolicy faults) {
      this.faults = faults;
      return this;
    }

    public Builder bodyLimitBytes(long bodyLimitBytes) {
      this.bodyLimitBytes = bodyLimitBytes;
      return this;
    }

    public Builder model(String model) {
      this.model = model;
      return this;
    }

    public Builder replyTokens(int replyTokens) {
      this.replyTokens = replyTokens;
      return this;
    }

    public Builder rootDir(Path rootDir) {
      this.rootDir = rootDir;
      return this;
    }

    public Builder requestJournal(boolean requestJournal) {
      this.requestJournal = requestJournal;
      return this;
    }

    public Builder containerThreads(int containerThreads) {
      this.containerThreads = containerThreads;
      return this;
    }

    /** Serves the admin API or not ({@code --no-admin}). */
    public Builder admin(boolean admin) {
      this.admin = admin;
      return this;
    }

    /** The token the admin API requires, or {@code null} for none. */
    public Builder adminToken(String adminToken) {
      this.adminToken = adminToken;
      return this;
    }

    /** Per-key limits ({@link RateLimits#NONE}: none). */
    public Builder rateLimits(RateLimits rateLimits) {
      this.rateLimits = rateLimits;
      return this;
    }

    /** Latency that grows with load ({@code null}: the fixed latency profile). */
    public Builder serving(ServingModel.Profile serving) {
      this.serving = serving;
      return this;
    }

    /** Records a real server, or replays recordings at a speed. */
    public Builder recordReplay(RecordReplay recordReplay) {
      this.recordReplay = recordReplay;
      return this;
    }

    public ServerConfig build() {
      return new ServerConfig(
          host,
          port,
          apiKeys,
          forbiddenKeys,
          latency,
          faults,
          bodyLimitBytes,
          model,
          replyTokens,
          rootDir,
          requestJournal,
          containerThreads,
          admin,
          adminToken,
          rateLimits,
          serving,
          recordReplay);
    }
  }
}
