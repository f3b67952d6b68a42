package org.chatglmkit.mockserver.server;

import java.nio.ByteBuffer;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;

/** A request whose body was already read, offered again to the next handler. */
final class ReplayedRequest extends Request.Wrapper {
  private final byte[] body;
  private boolean consumed;

  ReplayedRequest(Request wrapped, byte[] body) {
    super(wrapped);
    this.body = body;
  }

  @Override
  public long getLength() {
    return body.length;
  }

  @Override
  public synchronized Content.Chunk read() {
    if (consumed) {
      return Content.Chunk.EOF;
    }
    consumed = true;
    return Content.Chunk.from(ByteBuffer.wrap(body), true);
  }

  @Override
  public void demand(Runnable demandCallback) {
    demandCallback.run();
  }
}
