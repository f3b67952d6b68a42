package org.chatglmkit.load.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;

/**
 * A chat server on loopback that is wrong in one way, as servers met in the wild are: one that
 * streams forever, one that answers every request 422 with FastAPI's {@code {"detail": ...}}, one
 * that streams lines that are not JSON, one that reads each request and never answers. Every path
 * misbehaves, {@code GET /v1/models} included.
 */
final class Misbehaving implements AutoCloseable {
  enum Way {
    STREAMS_FOREVER,
    DETAIL_422,
    GARBAGE,
    HANGS
  }

  private final HttpServer server;
  private final CountDownLatch closed = new CountDownLatch(1);

  Misbehaving(Way way) throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
    server.setExecutor(Executors.newCachedThreadPool());
    server.createContext("/", exchange -> answer(exchange, way));
    server.start();
  }

  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  private void answer(HttpExchange exchange, Way way) throws IOException {
    try (exchange) {
      exchange.getRequestBody().readAllBytes();
      switch (way) {
        case DETAIL_422 -> {
          byte[] body =
              "{\"detail\":[{\"loc\":[\"body\",\"model\"],\"msg\":\"field required\"}]}"
                  .getBytes(StandardCharsets.UTF_8);
          exchange.getResponseHeaders().add("Content-Type", "application/json");
          exchange.sendResponseHeaders(422, body.length);
          exchange.getResponseBody().write(body);
        }
        case STREAMS_FOREVER -> {
          exchange.getResponseHeaders().add("Content-Type", "text/event-stream");
          exchange.sendResponseHeaders(200, 0);
          OutputStream out = exchange.getResponseBody();
          for (int i = 0; ; i++) {
            out.write(
                ("data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,"
                        + "\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x"
                        + i
                        + "\"},\"finish_reason\":null}]}\n\n")
                    .getBytes(StandardCharsets.UTF_8));
            out.flush();
            Thread.sleep(20);
          }
        }
        case GARBAGE -> {
          exchange.getResponseHeaders().add("Content-Type", "text/event-stream");
          exchange.sendResponseHeaders(200, 0);
          OutputStream out = exchange.getResponseBody();
          for (int i = 0; i < 5; i++) {
            out.write(("data: <html>not json " + i + "\n\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            Thread.sleep(20);
          }
          out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
        }
        case HANGS -> closed.await();
      }
    } catch (IOException | InterruptedException e) {
      // the client went away: that is how a run ends a stream that never does
    }
  }

  @Override
  public void close() {
    closed.countDown();
    server.stop(0);
  }
}
