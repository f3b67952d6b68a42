package org.chatglmkit.conformance.targets;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Random;

/** Targets that misbehave in the ways real servers and proxies do when they are broken. */
public final class Misbehaviours {
  private Misbehaviours() {}

  private static final String CHUNK =
      "data: {\"object\":\"chat.completion.chunk\",\"id\":\"c\",\"model\":\"m\",\"created\":1,"
          + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"more \"},\"finish_reason\":null}]}"
          + "\n\n";

  /** Accepts the connection, reads the request, and never answers. */
  public static RawServer.Behaviour neverAnswers() {
    return (socket, head) -> {
      InputStream in = socket.getInputStream();
      while (in.read() >= 0) {
        // hold the connection until the client gives up
      }
    };
  }

  /** Answers every request with bytes that are not HTTP, then closes. */
  public static RawServer.Behaviour garbage() {
    return (socket, head) -> {
      byte[] noise = new byte[4096];
      new Random(7).nextBytes(noise);
      socket.getOutputStream().write(noise);
      socket.getOutputStream().flush();
    };
  }

  /** Closes every connection as soon as the request head has arrived. */
  public static RawServer.Behaviour closesAtOnce() {
    return (socket, head) -> {};
  }

  /** Answers every request with a 200 event stream that never ends: a chunk every 10 ms. */
  public static RawServer.Behaviour endlessStream() {
    return (socket, head) -> {
      RawServer.skipBody(socket, head);
      RawServer.write(
          socket,
          "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n");
      while (true) {
        RawServer.write(socket, CHUNK);
        Thread.sleep(10);
      }
    };
  }

  /** Sends its status line, then one more header line a second, forever. */
  public static RawServer.Behaviour dribbledHeaders() {
    return (socket, head) -> {
      RawServer.skipBody(socket, head);
      RawServer.write(socket, "HTTP/1.1 200 OK\r\n");
      for (int i = 0; ; i++) {
        Thread.sleep(1000);
        RawServer.write(socket, "X-Still-Thinking-" + i + ": yes\r\n");
      }
    };
  }

  /** A 200 JSON answer whose body announces a gigabyte and sends a byte every 100 ms. */
  public static RawServer.Behaviour bodyNeverEnds() {
    return (socket, head) -> {
      RawServer.skipBody(socket, head);
      RawServer.write(
          socket,
          "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000000000\r\n\r\n"
              + "{\"model\": \"");
      while (true) {
        Thread.sleep(100);
        RawServer.write(socket, "x");
      }
    };
  }

  /** A 200 JSON answer that never ends, sent as fast as the socket takes it. */
  public static RawServer.Behaviour floodsTheBody() {
    return (socket, head) -> {
      RawServer.skipBody(socket, head);
      RawServer.write(
          socket,
          "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"
              + "{\"model\": \"");
      byte[] block = "x".repeat(64 * 1024).getBytes(StandardCharsets.US_ASCII);
      OutputStream out = socket.getOutputStream();
      while (true) {
        out.write(block);
      }
    };
  }

  /**
   * A conforming server behind a front that answers 413 as soon as it reads a Content-Length over
   * {@code limit} and closes without reading the body (as nginx does); every other connection is
   * relayed to {@code upstream} byte for byte.
   */
  public static RawServer.Behaviour early413(String upstream, long limit) {
    return early413(upstream, limit, false);
  }

  /**
   * Like {@link #early413(String, long)}, but a request that carries {@code Expect: 100-continue}
   * is first answered {@code 100 Continue}, before its length is looked at: Python's {@code
   * http.server} (with {@code protocol_version = "HTTP/1.1"}) does that by itself before its
   * handler runs. The client then sends the body into a connection that the 413 has closed.
   */
  public static RawServer.Behaviour continueThen413(String upstream, long limit) {
    return early413(upstream, limit, true);
  }

  private static RawServer.Behaviour early413(String upstream, long limit, boolean continueFirst) {
    URI uri = URI.create(upstream);
    return (socket, head) -> {
      if (head.contentLength() > limit) {
        if (continueFirst
            && head.text().toLowerCase(Locale.ROOT).contains("expect: 100-continue")) {
          RawServer.write(socket, "HTTP/1.1 100 Continue\r\n\r\n");
        }
        String error =
            "{\"error\": {\"message\": \"the body is too large\", \"type\": \"request_too_large\"}}";
        RawServer.write(
            socket,
            "HTTP/1.1 413 Payload Too Large\r\nContent-Type: application/json\r\nContent-Length: "
                + error.length()
                + "\r\nConnection: close\r\n\r\n"
                + error);
        // As socketserver ends a request: no more output, then close with the body unread (RST).
        socket.shutdownOutput();
        return;
      }
      try (Socket up = new Socket()) {
        up.connect(new InetSocketAddress(uri.getHost(), uri.getPort()), 5_000);
        up.getOutputStream()
            .write(
                (head.text().replace("\n", "\r\n") + "\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
        Thread back =
            new Thread(
                () -> {
                  try {
                    up.getInputStream().transferTo(socket.getOutputStream());
                  } catch (IOException e) {
                    // one side closed
                  } finally {
                    try {
                      socket.shutdownOutput();
                    } catch (IOException e) {
                      // closed already
                    }
                  }
                });
        back.start();
        try {
          socket.getInputStream().transferTo(up.getOutputStream());
        } catch (IOException e) {
          // one side closed
        }
        back.join(30_000);
      }
    };
  }
}
