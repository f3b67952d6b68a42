package org.chatglmkit.conformance.http;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import javax.net.ssl.SSLContext;
import org.apache.http.conn.scheme.PlainSocketFactory;
import org.apache.http.conn.scheme.Scheme;
import org.apache.http.conn.scheme.SchemeRegistry;
import org.apache.http.conn.ssl.SSLSocketFactory;
import org.apache.http.params.HttpParams;

/**
 * Socket factories for REST Assured's HTTP client whose sockets answer to the calling thread's
 * {@link ExchangeGuard}: registered for closing at the deadline, and counted against the byte cap.
 */
final class GuardedSockets {
  private GuardedSockets() {}

  /** {@code http} and {@code https} with guarded sockets (TLS is layered over the guarded one). */
  static SchemeRegistry registry() {
    SchemeRegistry registry = new SchemeRegistry();
    registry.register(new Scheme("http", 80, new Plain()));
    try {
      registry.register(new Scheme("https", 443, new Tls(SSLContext.getDefault())));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("no default TLS context", e);
    }
    return registry;
  }

  static Socket socket() throws IOException {
    ExchangeGuard guard = ExchangeGuard.current();
    Socket socket = new GuardedSocket(guard);
    if (guard != null) {
      guard.register(socket);
    }
    return socket;
  }

  private static final class Plain extends PlainSocketFactory {
    @Override
    public Socket createSocket(HttpParams params) {
      try {
        return socket();
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
  }

  private static final class Tls extends SSLSocketFactory {
    Tls(SSLContext context) {
      super(context, SSLSocketFactory.BROWSER_COMPATIBLE_HOSTNAME_VERIFIER);
    }

    @Override
    public Socket createSocket(HttpParams params) throws IOException {
      return socket();
    }
  }

  /**
   * A plain socket whose reads are counted by its guard, and whose writes outlive a server that has
   * stopped reading (see {@link Unread}).
   */
  private static final class GuardedSocket extends Socket {
    private final ExchangeGuard guard;
    private InputStream in;
    private OutputStream out;

    GuardedSocket(ExchangeGuard guard) {
      this.guard = guard;
    }

    @Override
    public synchronized InputStream getInputStream() throws IOException {
      if (in == null) {
        InputStream raw = super.getInputStream();
        in = guard == null ? raw : new Counting(raw, guard);
      }
      return in;
    }

    @Override
    public synchronized OutputStream getOutputStream() throws IOException {
      if (out == null) {
        out = new Unread(super.getOutputStream(), guard);
      }
      return out;
    }
  }

  /**
   * The request's bytes, sent until the server stops taking them, then dropped: a server may answer
   * (413 before reading a large body, for one) and close without reading the rest, and the kernel
   * then fails the client's next write while the answer is already in the receive buffer. The
   * client reads it, as curl does, instead of reporting the failed write. The failure is kept in
   * the guard and named if no answer follows; a write the guard itself ended (its deadline) fails
   * as before.
   */
  private static final class Unread extends OutputStream {
    private final OutputStream out;
    private final ExchangeGuard guard;
    private boolean broken;

    Unread(OutputStream out, ExchangeGuard guard) {
      this.out = out;
      this.guard = guard;
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] bytes, int offset, int length) throws IOException {
      if (broken) {
        return;
      }
      try {
        out.write(bytes, offset, length);
      } catch (IOException e) {
        stopped(e);
      }
    }

    @Override
    public void flush() throws IOException {
      if (broken) {
        return;
      }
      try {
        out.flush();
      } catch (IOException e) {
        stopped(e);
      }
    }

    private void stopped(IOException failure) throws IOException {
      if (guard == null || guard.tripped() != null) {
        throw failure;
      }
      broken = true;
      guard.writeFailed(failure);
    }

    @Override
    public void close() throws IOException {
      out.close();
    }
  }

  private static final class Counting extends FilterInputStream {
    private final ExchangeGuard guard;

    Counting(InputStream in, ExchangeGuard guard) {
      super(in);
      this.guard = guard;
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      if (b >= 0) {
        guard.read(1);
      }
      return b;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
      int n = super.read(buffer, offset, length);
      if (n > 0) {
        guard.read(n);
      }
      return n;
    }
  }
}
