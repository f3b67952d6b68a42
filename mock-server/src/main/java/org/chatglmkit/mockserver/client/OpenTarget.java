package org.chatglmkit.mockserver.client;

import java.util.Optional;
import org.chatglmkit.mockserver.server.ReferenceServer;

/**
 * A target ready for requests; closing it stops the embedded reference server, if one was started.
 *
 * @param target where requests go
 * @param embeddedServer the in-process server behind {@code target}, or {@code null}
 */
public record OpenTarget(Target target, ReferenceServer embeddedServer) implements AutoCloseable {

  public Optional<ReferenceServer> embedded() {
    return Optional.ofNullable(embeddedServer);
  }

  @Override
  public void close() {
    if (embeddedServer != null) {
      embeddedServer.close();
    }
  }
}
