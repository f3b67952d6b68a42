package org.chatglmkit.mockserver.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Clients that send their headers and then their body slowly, or never, hold no server thread: with
 * more of them than the server has threads, others are still answered, and a slow body that does
 * arrive in the end is answered too.
 */
class SlowClientsIT {
  private static final String BODY = "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}";

  private static Socket startSlowly(int port, String firstPart) throws IOException {
    Socket socket = new Socket("127.0.0.1", port);
    socket.setSoTimeout(20_000);
    OutputStream out = socket.getOutputStream();
    out.write(
        ("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAPI-KEY: "
                + Http.KEY
                + "\r\nContent-Type: application/json\r\nContent-Length: "
                + BODY.length()
                + "\r\n\r\n"
                + firstPart)
            .getBytes(StandardCharsets.UTF_8));
    out.flush();
    return socket;
  }

  @Test
  void slowBodiesHoldNoThreadAndAreAnsweredWhenTheyArrive() throws Exception {
    ServerConfig config =
        ServerConfig.builder().port(0).apiKey(Http.KEY).containerThreads(8).build();
    List<Socket> slow = new ArrayList<>();
    try (ReferenceServer server = ReferenceServer.start(config)) {
      String firstPart = BODY.substring(0, 10);
      for (int i = 0; i < 40; i++) {
        slow.add(startSlowly(server.port(), firstPart));
      }
      Thread.sleep(300);
      // 40 stalled bodies, 8 threads: a whole request still gets its answer at once
      long start = System.nanoTime();
      assertThat(new Http(server.baseUrl()).post(BODY).statusCode()).isEqualTo(200);
      assertThat((System.nanoTime() - start) / 1e9)
          .as("seconds; a thread held per stalled body would wait for the idle timeout")
          .isLessThan(10);
      // the rest of one slow body arrives: it is answered
      Socket first = slow.get(0);
      first.getOutputStream().write(BODY.substring(10).getBytes(StandardCharsets.UTF_8));
      first.getOutputStream().flush();
      InputStream in = first.getInputStream();
      byte[] head = new byte[12];
      int read = 0;
      while (read < head.length) {
        int n = in.read(head, read, head.length - read);
        assertThat(n).isPositive();
        read += n;
      }
      assertThat(new String(head, StandardCharsets.US_ASCII)).isEqualTo("HTTP/1.1 200");
    } finally {
      for (Socket socket : slow) {
        socket.close();
      }
    }
  }
}
