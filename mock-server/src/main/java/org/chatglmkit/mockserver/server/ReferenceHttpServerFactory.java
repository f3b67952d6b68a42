package org.chatglmkit.mockserver.server;

import com.github.tomakehurst.wiremock.core.Options;
import com.github.tomakehurst.wiremock.http.AdminRequestHandler;
import com.github.tomakehurst.wiremock.http.HttpServer;
import com.github.tomakehurst.wiremock.http.HttpServerFactory;
import com.github.tomakehurst.wiremock.http.StubRequestHandler;
import com.github.tomakehurst.wiremock.jetty12.Jetty12HttpServer;
import java.util.function.UnaryOperator;
import org.eclipse.jetty.server.Handler;

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
    };
  }
}
