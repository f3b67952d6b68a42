package org.chatglmkit.mockserver.server;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.MappingBuilder;
import com.github.tomakehurst.wiremock.common.Slf4jNotifier;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;
import com.github.tomakehurst.wiremock.security.TokenAuthenticator;
import com.github.tomakehurst.wiremock.stubbing.StubMapping;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.chatglmkit.mockserver.backend.DeterministicBackend;
import org.chatglmkit.mockserver.core.AccessPolicy;
import org.chatglmkit.mockserver.core.Answer;
import org.chatglmkit.mockserver.core.ChatBackend;
import org.chatglmkit.mockserver.core.ChatService;

/**
 * The reference server: WireMock with the ChatGLM API as stubs, paced SSE streaming in front.
 *
 * <pre>{@code
 * try (ReferenceServer server = ReferenceServer.start(ServerConfig.builder().port(0).build())) {
 *   String url = server.baseUrl(); // http://127.0.0.1:PORT
 * }
 * }</pre>
 */
public final class ReferenceServer implements AutoCloseable {
  /** Priority of the API stubs; stubs of yours (default priority 5) win over them. */
  public static final int API_PRIORITY = 10;

  /**
   * Threads that release due stream events and write them (each write is a socket write, so one
   * thread would cap every stream together at one core).
   */
  static final int PACER_THREADS = 2;

  /** The listen backlog (the kernel caps it at {@code net.core.somaxconn}). */
  static final int ACCEPT_QUEUE = 4096;

  /** The most requests the journal keeps; the oldest go first. */
  public static final int JOURNAL_ENTRIES = 10_000;

  /** The most request and response body bytes the journal keeps; the oldest go first. */
  public static final long JOURNAL_BYTES = 64L * 1024 * 1024;

  private final ServerConfig config;
  private final ChatBackend backend;
  private final WireMockServer wireMock;
  private final Pacer pacer;
  private final PacingStats pacingStats = new PacingStats();
  private final AtomicInteger activeStreams = new AtomicInteger();
  private final StubWatch stubWatch = new StubWatch();
  private final DirectJournal directJournal;
  private final Recorder recorder;

  private ReferenceServer(ServerConfig config, ChatBackend backend) {
    this.config = config;
    this.backend = backend;
    ChatService service =
        new ChatService(
            backend,
            new AccessPolicy(config.apiKeys(), config.forbiddenKeys()),
            config.faults(),
            config.latency(),
            config.bodyLimitBytes(),
            config.rateLimits(),
            config.serving());
    this.pacer = new Pacer(PACER_THREADS, "sse-pacer");
    // The journal bounds itself (see MaskedJournal); WireMock's own bound costs O(n) per request.
    MaskedJournal[] stores = new MaskedJournal[1];
    StreamStubs[] streamStubs = new StreamStubs[1];
    ServerConfig.RecordReplay record = config.recordReplay();
    this.recorder =
        record.from() == null
            ? null
            : new Recorder(record.from(), record.to(), config.bodyLimitBytes());
    Recorder recorder = this.recorder;
    this.directJournal =
        config.requestJournal() ? new DirectJournal(event -> stores[0].recordMasked(event)) : null;
    WireMockConfiguration options =
        options()
            .bindAddress(config.host())
            .port(config.port())
            .containerThreads(config.containerThreads())
            // Java's default listen backlog is 50: a burst of new connections beyond it has its
            // SYNs dropped and retried a second later, which a client sees as a 1 s TTFT.
            .jettyAcceptQueueSize(ACCEPT_QUEUE)
            .asynchronousResponseEnabled(true)
            .asynchronousResponseThreads(4)
            .notifier(new Slf4jNotifier(false))
            .extensions(
                new ApiTransformer(service, config.recordReplay().speed()),
                stubWatch,
                new ConversationMatcher())
            .httpServerFactory(
                new ReferenceHttpServerFactory(
                    handler ->
                        new ChatFrontHandler(
                            handler,
                            service,
                            pacer,
                            pacingStats,
                            activeStreams,
                            stubWatch::onlyApiStubs,
                            directJournal,
                            config.admin(),
                            () -> streamStubs[0],
                            recorder)))
            .withRootDirectory(rootDirectory(config).toString());
    stores[0] = new MaskedJournal(options.filesRoot(), JOURNAL_ENTRIES, JOURNAL_BYTES);
    options.withStores(stores[0]);
    if (config.adminToken() != null) {
      options.adminAuthenticator(new TokenAuthenticator(config.adminToken()));
    }
    if (!config.requestJournal()) {
      options.disableRequestJournal();
    }
    this.wireMock = new WireMockServer(options);
    streamStubs[0] = new StreamStubs(wireMock, config.latency(), config.recordReplay().speed());
    stubWatch.watch(wireMock);
  }

  /** Starts a server with the deterministic backend. */
  public static ReferenceServer start(ServerConfig config) {
    return start(config, new DeterministicBackend(config.model(), config.replyTokens()));
  }

  /** Starts a server that answers from {@code backend}. */
  public static ReferenceServer start(ServerConfig config, ChatBackend backend) {
    ReferenceServer server = new ReferenceServer(config, backend);
    server.wireMock.start();
    server.addApiStubs();
    return server;
  }

  /** The API as WireMock stubs, one per route, for stubs of yours to sit beside. */
  private void addApiStubs() {
    apiStub(
        Answer.Route.CHAT,
        post(urlPathEqualTo(ChatService.CHAT_PATH))
            .atPriority(API_PRIORITY)
            .willReturn(api("chat")));
    apiStub(
        Answer.Route.MODELS,
        get(urlPathEqualTo(ChatService.MODELS_PATH))
            .atPriority(API_PRIORITY)
            .willReturn(api("models")));
    apiStub(
        Answer.Route.CHAT_WRONG_METHOD,
        any(urlPathEqualTo(ChatService.CHAT_PATH))
            .atPriority(API_PRIORITY + 1)
            .willReturn(api("method-not-allowed")));
    apiStub(
        Answer.Route.NOT_FOUND,
        any(anyUrl()).atPriority(Integer.MAX_VALUE).willReturn(api("not-found")));
  }

  private void apiStub(Answer.Route route, MappingBuilder stub) {
    StubMapping added = wireMock.stubFor(stub);
    stubWatch.apiStub(added);
    if (directJournal != null) {
      directJournal.stub(route, added);
    }
  }

  private static com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder api(
      String operation) {
    return aResponse()
        .withTransformers(ApiTransformer.NAME)
        .withTransformerParameter("operation", operation);
  }

  private static Path rootDirectory(ServerConfig config) {
    if (config.rootDir() != null) {
      return config.rootDir();
    }
    try {
      Path empty = Files.createTempDirectory("chatglm-mock-");
      empty.toFile().deleteOnExit();
      return empty;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a temporary WireMock root", e);
    }
  }

  /** {@code http://host:port}, without a trailing slash. */
  public String baseUrl() {
    return "http://" + config.host() + ":" + wireMock.port();
  }

  public int port() {
    return wireMock.port();
  }

  /** How late, against their due time, the server has written stream events so far. */
  public PacingStats pacing() {
    return pacingStats;
  }

  /** Exchanges recorded so far (0 unless recording). */
  public int recorded() {
    return recorder == null ? 0 : recorder.recorded();
  }

  /** Streams being sent right now; a stream whose client left is no longer counted. */
  public int activeStreams() {
    return activeStreams.get();
  }

  public ServerConfig config() {
    return config;
  }

  /** The WireMock server underneath, for stubs, the admin API and the request journal. */
  public WireMockServer wireMock() {
    return wireMock;
  }

  @Override
  public void close() {
    wireMock.stop();
    pacer.close();
    backend.close();
  }
}
