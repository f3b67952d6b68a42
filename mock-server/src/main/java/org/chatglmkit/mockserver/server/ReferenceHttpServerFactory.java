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

      /** Jetty's own refusals (headers too large, broken framing) in the API's JSON shape. */
      @Override
      protected void applyAdditionalServerConfiguration(Server server, Options options) {
        super.applyAdditionalServerConfiguration(server, options);
        server.setErrorHandler(new JsonErrorHandler());
      }

      /**
       * WireMock's connector, as a plain one: WireMock's reports every buffer it writes to a
       * traffic listener (slicing each), a cost per stream event for a listener that does nothing
       * here.
       */
      @Override
      protected ServerConnector createHttpConnector(
          String bindAddress, int port, JettySettings settings, NetworkTrafficListener listener) {
        ServerConnector wireMocks =
            super.createHttpConnector(bindAddress, port, settings, listener);
        ServerConnector plain =
            new ServerConnector(
                wireMocks.getServer(),
                wireMocks.getAcceptors(),
                wireMocks.getSelectorManager().getSelectorCount(),
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
