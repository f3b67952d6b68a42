package org.chatglmkit.mockserver.client;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.util.Optional;

/** Checks that a target URL can be used before a run starts, so the user gets one clear line. */
public final class Reachability {
  private Reachability() {}

  /** Why {@code url} cannot be used, or empty when a TCP connection to it opens. */
  public static Optional<String> problem(String url) {
    URI uri;
    try {
      uri = URI.create(url.strip());
    } catch (IllegalArgumentException e) {
      return Optional.of("not a URL: " + url);
    }
    if (uri.getHost() == null
        || !("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))) {
      return Optional.of("not an http(s) URL: " + url);
    }
    int port = uri.getPort() > 0 ? uri.getPort() : "https".equals(uri.getScheme()) ? 443 : 80;
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(uri.getHost(), port), 5_000);
      return Optional.empty();
    } catch (IOException e) {
      String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
      return Optional.of("cannot reach " + uri.getHost() + ":" + port + " (" + why + ")");
    }
  }
}
