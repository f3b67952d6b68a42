package org.chatglmkit.conformance.targets;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A loopback TCP server that answers each connection with a {@link Behaviour} written against the
 * raw socket: the way to build targets that misbehave below HTTP (never answer, send garbage,
 * dribble headers, never end a body). Every connection is closed when the server closes.
 */
public final class RawServer implements AutoCloseable {
  /** What the server does with one connection, after it has read the request head. */
  @FunctionalInterface
  public interface Behaviour {
    void serve(Socket socket, Head head) throws IOException, InterruptedException;
  }

  /**
   * A request head as read off the socket.
   *
   * @param requestLine the first line, e.g. {@code POST /v1/chat/completions HTTP/1.1}
   * @param text the whole head, lines joined with {@code \n}
   */
  public record Head(String requestLine, String text) {
    public long contentLength() {
      for (String line : text.split("\n")) {
        if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
          return Long.parseLong(line.substring(15).strip());
        }
      }
      return 0;
    }

    public String path() {
      String[] parts = requestLine.split(" ");
      return parts.length > 1 ? parts[1] : "";
    }
  }

  private final ServerSocket server;
  private final ExecutorService connections = Executors.newCachedThreadPool();
  private final Behaviour behaviour;
  private volatile boolean open = true;

  public RawServer(Behaviour behaviour) throws IOException {
    this.behaviour = behaviour;
    this.server = new ServerSocket(0, 64, InetAddress.getLoopbackAddress());
    connections.submit(this::accept);
  }

  public String baseUrl() {
    return "http://127.0.0.1:" + server.getLocalPort();
  }

  private void accept() {
    while (open) {
      try {
        Socket socket = server.accept();
        connections.submit(() -> serve(socket));
      } catch (IOException e) {
        return;
      }
    }
  }

  private void serve(Socket socket) {
    try (socket) {
      behaviour.serve(socket, readHead(socket.getInputStream()));
    } catch (IOException e) {
      // the client went away
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Reads up to the blank line that ends the head (and nothing of the body). */
  static Head readHead(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int last = 0;
    int b;
    while ((b = in.read()) >= 0) {
      head.write(b);
      last = (last << 8) | b;
      if (last == 0x0d0a0d0a || (last & 0xffff) == 0x0a0a) {
        break;
      }
    }
    String text = head.toString(StandardCharsets.ISO_8859_1).replace("\r\n", "\n").strip();
    int newline = text.indexOf('\n');
    return new Head(newline < 0 ? text : text.substring(0, newline), text);
  }

  /** Reads and drops the body the head announces. */
  static void skipBody(Socket socket, Head head) throws IOException {
    socket.getInputStream().readNBytes((int) Math.min(Integer.MAX_VALUE, head.contentLength()));
  }

  static void write(Socket socket, String text) throws IOException {
    socket.getOutputStream().write(text.getBytes(StandardCharsets.UTF_8));
    socket.getOutputStream().flush();
  }

  @Override
  public void close() {
    open = false;
    try {
      server.close();
    } catch (IOException e) {
      // closing
    }
    connections.shutdownNow();
  }
}
