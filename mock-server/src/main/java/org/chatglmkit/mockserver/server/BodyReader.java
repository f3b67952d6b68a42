package org.chatglmkit.mockserver.server;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.function.Consumer;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;

/**
 * Reads a request body without holding a thread (Jetty's read-and-demand loop): a client that sends
 * its body slowly, or never, costs a connection until the idle timeout, not one of the server's
 * threads. A body over the limit is read and dropped, up to {@link ChatFrontHandler#DRAIN_LIMIT}
 * bytes, so that a client that sends its whole body before reading the answer gets the 413 rather
 * than a reset; a client that asked for {@code 100-continue} has not sent it and is answered at
 * once.
 */
final class BodyReader implements Runnable {
  private final Request request;
  private final long limit;
  private final Consumer<byte[]> onBody;
  private final Consumer<Throwable> onFailure;
  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

  /** Bytes dropped once the body is over the limit; -1 while it is not. */
  private long dropped = -1;

  /**
   * @param onBody receives the body, or {@code null} when it is over the limit
   * @param onFailure receives a read failure (the client went away, or timed out)
   */
  BodyReader(Request request, long limit, Consumer<byte[]> onBody, Consumer<Throwable> onFailure) {
    this.request = request;
    this.limit = limit;
    this.onBody = onBody;
    this.onFailure = onFailure;
  }

  void start() {
    if (request.getLength() > limit) {
      if (request.getHeaders().contains(HttpHeader.EXPECT, "100-continue")) {
        onBody.accept(null);
        return;
      }
      dropped = 0;
    }
    run();
  }

  @Override
  public void run() {
    while (true) {
      Content.Chunk chunk = request.read();
      if (chunk == null) {
        request.demand(this);
        return;
      }
      if (Content.Chunk.isFailure(chunk)) {
        onFailure.accept(chunk.getFailure());
        return;
      }
      ByteBuffer buffer = chunk.getByteBuffer();
      int length = buffer.remaining();
      if (dropped < 0 && bytes.size() + (long) length > limit) {
        dropped = bytes.size();
        bytes.reset();
      }
      if (dropped >= 0) {
        dropped += length;
      } else if (buffer.hasArray()) {
        bytes.write(buffer.array(), buffer.arrayOffset() + buffer.position(), length);
      } else {
        byte[] copy = new byte[length];
        buffer.get(copy);
        bytes.writeBytes(copy);
      }
      boolean last = chunk.isLast();
      chunk.release();
      if (last || dropped > ChatFrontHandler.DRAIN_LIMIT) {
        onBody.accept(dropped >= 0 ? null : bytes.toByteArray());
        return;
      }
    }
  }
}
