package org.chatglmkit.mockserver.server;

import com.github.tomakehurst.wiremock.common.JettySettings;
import com.github.tomakehurst.wiremock.core.Options;
import com.github.tomakehurst.wiremock.http.AdminRequestHandler;
import com.github.tomakehurst.wiremock.http.HttpServer;
import com.github.tomakehurst.wiremock.http.HttpServerFactory;
import com.github.tomakehurst.wiremock.http.StubRequestHandler;
import com.github.tomakehurst.wiremock.jetty12.Jetty12HttpServer;
import java.util.function.UnaryOperator;
import org.eclipse.jetty.io.NetworkTrafficListener;
import org.eclipse.jetty.server.ConnectionFactory;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/** WireMock's own Jetty 12 server, with one handler placed in front of WireMock's handlers. */
final class ReferenceHttpServerFactory implements HttpServerFactory {
  private final UnaryOperator<Handler> front;

  /**
   * @param front wraps WireMock's handler tree in the handler that sees requests first
   */
  ReferenceHttpServerFactory(UnaryOperator<Handler> front) {
    this.front = front;
  }

  @Override
  public String getName() {
    return "chatglm-reference-http-server";
  }

  @Override
  public HttpServer buildHttpServer(
      Options options,
      AdminRequestHandler adminRequestHandler,
      StubRequestHandler stubRequestHandler) {
    UnaryOperator<Handler> wrap = front;
    return new Jetty12HttpServer(options, adminRequestHandler, stubRequestHandler) {
      @Override
      protected Handler createHandler(
          Options options, AdminRequestHandler admin, StubRequestHandler stubs) {
        return wrap.apply(super.createHandler(options, admin, stubs));
      }

      /**
       * Jetty's own refusals (headers too large, broken framing) in the API's JSON shape; and
       * Jetty's threads at the lowest Java priority, below the {@link Pacer}'s. Reading a request
       * and starting its stream can wait a few milliseconds (a first token is due a whole TTFT
       * later); a token due now cannot. Java priorities reach the operating system only when the
       * JVM runs with {@code -XX:ThreadPriorityPolicy=1} (Jetty's threads then run at nice 4, no
       * privilege needed); without it they change nothing. Measured at 2,000 paced streams on 2
       * cores, seven pairs of runs side by side: TTFT p99 over the profile +3.8 to +8.5 ms with the
       * option, +7.2 to +158 ms without.
       */
      @Override
      protected void applyAdditionalServerConfiguration(Server server, Options options) {
        super.applyAdditionalServerConfiguration(server, options);
        server.setErrorHandler(new JsonErrorHandler());
        if (server.getThreadPool() instanceof QueuedThreadPool pool) {
          pool.setThreadsPriority(Thread.MIN_PRIORITY);
        }
      }

      /** No acceptor threads: the selectors accept new connections themselves. */
      private static final int SELECTORS_ACCEPT = 0;

      /** As many selectors as Jetty chooses for this machine's cores (one on 2 cores). */
      private static final int JETTY_CHOOSES = -1;

      /**
       * WireMock's connector, as a plain one: WireMock's reports every buffer it writes to a
       * traffic listener (slicing each), a cost per stream event for a listener that does nothing
       * here. Its selectors accept new connections themselves, and there are as many as Jetty
       * chooses for this machine's cores: WireMock asks for 3 acceptor threads and 2 selectors even
       * on 2 cores, so each new connection woke an acceptor, which then woke a selector. Measured
       * at 2,000 new streams in 2 s on 2 cores: 10-20% less CPU in Jetty's threads (five runs side
       * by side), the unstreamed throughput unchanged.
       */
      @Override
      protected ServerConnector createHttpConnector(
          String bindAddress, int port, JettySettings settings, NetworkTrafficListener listener) {
        ServerConnector wireMocks =
            super.createHttpConnector(bindAddress, port, settings, listener);
        ServerConnector plain =
            new ServerConnector(
                wireMocks.getServer(),
                SELECTORS_ACCEPT,
                JETTY_CHOOSES,
                wireMocks.getConnectionFactories().toArray(ConnectionFactory[]::new));
        plain.setHost(wireMocks.getHost());
        plain.setPort(wireMocks.getPort());
        plain.setAcceptQueueSize(wireMocks.getAcceptQueueSize());
        plain.setIdleTimeout(wireMocks.getIdleTimeout());
        plain.setReuseAddress(wireMocks.getReuseAddress());
        plain.setShutdownIdleTimeout(wireMocks.getShutdownIdleTimeout());
        return plain;
      }
    };
  }
}
