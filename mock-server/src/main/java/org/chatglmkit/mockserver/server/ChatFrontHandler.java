package org.chatglmkit.mockserver.server;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.chatglmkit.mockserver.core.Answer;
import org.chatglmkit.mockserver.core.ApiError;
import org.chatglmkit.mockserver.core.ApiException;
import org.chatglmkit.mockserver.core.ChatBackend.Generation;
import org.chatglmkit.mockserver.core.ChatService;
import org.chatglmkit.mockserver.core.Fault;
import org.chatglmkit.mockserver.core.FaultKind;
import org.chatglmkit.mockserver.core.Recording;
import org.chatglmkit.mockserver.core.Responses;
import org.chatglmkit.mockserver.core.Ticket;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.SelectableChannelEndPoint;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sits in front of WireMock's handlers and writes the core's {@link Answer}s. While WireMock holds
 * nothing but the API's own stubs, every API call is decided by the core and written here (and
 * journaled, when the journal is on, as WireMock would have). While a stub of yours exists, calls
 * go to WireMock, body intact, so that your stub can match, except chat calls that ask to stream
 * and meet a stub that answers through the API ({@link StreamStubs}): WireMock cannot send events
 * one by one, so those are decided and paced here, recorded answers replayed alike. While recording
 * a real server, every call but the admin API's goes to the {@link Recorder}. The body limit holds
 * for every call but the admin API's.
 */
final class ChatFrontHandler extends Handler.Wrapper {
  private static final Logger LOG = LoggerFactory.getLogger(ChatFrontHandler.class);

  /** The most of an oversized body read and dropped before the 413 is sent. */
  static final long DRAIN_LIMIT = 16L * 1024 * 1024;

  private static final byte[] STREAM_KEY = "\"stream\"".getBytes(StandardCharsets.US_ASCII);

  private final ChatService service;
  private final Pacer pacer;
  private final PacingStats stats;
  private final AtomicInteger activeStreams;
  private final BooleanSupplier onlyApiStubs;
  private final DirectJournal journal;
  private final boolean admin;
  private final Supplier<StreamStubs> streamStubs;
  private final Recorder recorder;

  /**
   * @param onlyApiStubs whether WireMock holds only the API's stubs (see {@link StubWatch})
   * @param journal where calls answered here are journaled, or {@code null} when the journal is off
   */
  ChatFrontHandler(
      Handler wireMock,
      ChatService service,
      Pacer pacer,
      PacingStats stats,
      AtomicInteger activeStreams,
      BooleanSupplier onlyApiStubs,
      DirectJournal journal,
      boolean admin,
      Supplier<StreamStubs> streamStubs,
      Recorder recorder) {
    super(wireMock);
    this.recorder = recorder;
    this.streamStubs = streamStubs;
    this.service = service;
    this.pacer = pacer;
    this.stats = stats;
    this.activeStreams = activeStreams;
    this.onlyApiStubs = onlyApiStubs;
    this.journal = journal;
    this.admin = admin;
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) throws Exception {
    try {
      return route(request, response, callback);
    } catch (RuntimeException e) {
      internalError(request, response, callback, e);
      return true;
    }
  }

  /** A fault of the server's own, never a client's: a JSON 500 rather than Jetty's HTML page. */
  private static void internalError(
      Request request, Response response, Callback callback, RuntimeException e) {
    LOG.warn("internal error answering {} {}", request.getMethod(), request.getHttpURI(), e);
    if (!response.isCommitted()) {
      writeError(
          response, callback, ApiError.internal("internal error: " + e.getClass().getName()));
    } else {
      callback.failed(e);
    }
  }

  private boolean route(Request request, Response response, Callback callback) throws Exception {
    String path = Request.getPathInContext(request);
    if (path.startsWith("/__admin")) {
      if (admin) {
        return super.handle(request, response, callback);
      }
      writeError(response, callback, ApiError.notFound("no such path: " + path));
      return true;
    }
    if (recorder != null) {
      // recording a real server: every call of the API goes to it
      recorder.handle(request, response, callback);
      return true;
    }
    long limit = service.bodyLimit();
    if (onlyApiStubs.getAsBoolean()) {
      // The usual case: the core decides every call, and the body is read without a thread.
      new BodyReader(
              request,
              limit,
              body -> answer(request, response, callback, path, body),
              failure -> unreadable(response, callback, failure))
          .start();
      return true;
    }
    // A stub of yours exists: WireMock decides, but for chat calls that ask to stream. WireMock's
    // handlers want the body in hand, so it is read here on this thread (bounded by the idle
    // timeout).
    byte[] body;
    try {
      body =
          request.getLength() > limit
              ? null
              : hasBody(request) ? readBody(request, limit) : new byte[0];
    } catch (IOException e) {
      unreadable(response, callback, e);
      return true;
    }
    if (body == null || body.length > limit) {
      drain(request);
      answer(request, response, callback, path, null);
      return true;
    }
    Optional<Answer> stream = Optional.empty();
    if (contains(body, STREAM_KEY)) {
      Optional<ChatService.Overrides> api = streamStubs.get().apiAnswers(request, body);
      if (api.isPresent()) {
        stream = service.decideStream(incoming(request, body), api.get());
      }
    }
    if (stream.isPresent()) {
      if (journal != null) {
        journal.record(request, body, stream.get());
      }
      write(stream.get(), request, response, callback);
      return true;
    }
    return super.handle(new ReplayedRequest(request, body), response, callback);
  }

  /**
   * Decides, journals and writes the answer to a call whose body is read ({@code null}: too large).
   */
  private void answer(
      Request request, Response response, Callback callback, String path, byte[] body) {
    try {
      Answer answer =
          body == null
              ? service.oversized(request.getMethod(), path)
              : service.decide(incoming(request, body));
      if (journal != null) {
        journal.record(request, body == null ? new byte[0] : body, answer);
      }
      write(answer, request, response, callback);
    } catch (RuntimeException e) {
      internalError(request, response, callback, e);
    }
  }

  /** The body could not be read (the client went away or timed out): a 400 if it can be sent. */
  private static void unreadable(Response response, Callback callback, Throwable failure) {
    if (response.isCommitted()) {
      callback.failed(failure);
    } else {
      writeError(response, callback, ApiError.invalidRequest("unreadable body", null));
    }
  }

  private static ChatService.Incoming incoming(Request request, byte[] body) {
    return new ChatService.Incoming(
        request.getMethod(),
        request.getHttpURI().getPathQuery(),
        name -> request.getHeaders().get(name),
        body,
        request.getBeginNanoTime());
  }

  /** Writes {@code answer}: at once, when it is due, or event by event. */
  private void write(Answer answer, Request request, Response response, Callback callback) {
    answer.headers().forEach(response.getHeaders()::put);
    if (answer instanceof Answer.Refused refused) {
      writeError(response, callback, refused.error());
    } else if (answer instanceof Answer.Reset) {
      reset(request, callback);
    } else if (answer instanceof Answer.Completed completed) {
      complete(completed, request, response, callback);
    } else if (answer instanceof Answer.Streamed streamed) {
      stream(streamed, request, response, callback);
    } else if (answer instanceof Answer.Replayed replayed) {
      replay(replayed.recording(), request, response, callback);
    }
  }

  /** A recorded answer at its recorded pace: each event when it came, a body when it was whole. */
  private void replay(Recording recording, Request request, Response response, Callback callback) {
    response.setStatus(recording.status());
    recording.headers().forEach(response.getHeaders()::put);
    long arrived = request.getBeginNanoTime();
    if (!recording.streamed()) {
      Runnable write = () -> Content.Sink.write(response, true, recording.wholeBody(), callback);
      long dueIn = millisToNanos(recording.atMillis()) - (System.nanoTime() - arrived);
      if (dueIn > 0) {
        pacer.after(request, dueIn, write);
      } else {
        write.run();
      }
      return;
    }
    StreamSession session =
        new StreamSession(response, callback, pacer, stats, activeStreams, Ticket.NONE);
    List<Recording.Event> events = recording.events();
    for (int i = 0; i < events.size(); i++) {
      session.at(
          arrived + millisToNanos(events.get(i).atMillis()),
          events.get(i).text().getBytes(StandardCharsets.UTF_8),
          i == events.size() - 1);
    }
    if (events.isEmpty()) {
      session.at(arrived + millisToNanos(recording.atMillis()), new byte[0], true);
    }
    session.open(() -> {});
  }

  private static long millisToNanos(double millis) {
    return Math.round(millis * 1_000_000);
  }

  /** A completed answer, due relative to the request's arrival (parsing and queueing included). */
  private void complete(
      Answer.Completed completed, Request request, Response response, Callback callback) {
    Runnable write =
        () -> {
          response.setStatus(200);
          response.getHeaders().put(HttpHeader.CONTENT_TYPE, Responses.JSON);
          Content.Sink.write(response, true, completed.json(), callback);
        };
    long dueIn =
        TimeUnit.MILLISECONDS.toNanos(completed.dueMillis())
            - (System.nanoTime() - request.getBeginNanoTime());
    if (completed.dueMillis() > 0 && dueIn > 0) {
      pacer.after(request, dueIn, write);
    } else {
      write.run();
    }
  }

  private void stream(
      Answer.Streamed streamed, Request request, Response response, Callback callback) {
    StreamSession session =
        new StreamSession(response, callback, pacer, stats, activeStreams, streamed.ticket());
    response.setStatus(200);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, Responses.EVENT_STREAM);
    response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache");
    Fault fault = streamed.plan().fault();
    if (fault != null && fault.kind() == FaultKind.HOLD_HEADERS) {
      session.holdHeaders(request.getBeginNanoTime() + fault.holdMillis() * 1_000_000);
    }
    Generation generation;
    try {
      generation = streamed.start(request.getBeginNanoTime(), session);
    } catch (ApiException e) {
      streamed.ticket().settle(0, 0);
      streamed.ticket().end();
      writeError(response, callback, e.error());
      return;
    }
    session.open(generation);
  }

  private static byte[] readBody(Request request, long limit) throws IOException {
    return Content.Source.asInputStream(request)
        .readNBytes((int) Math.min(Integer.MAX_VALUE - 8, limit + 1));
  }

  /**
   * Reads and drops the rest of an oversized body, up to {@link #DRAIN_LIMIT} bytes, so that a
   * client that sends its whole body before reading the answer gets the 413 rather than a reset. A
   * client that asked for {@code 100-continue} has not sent its body and is answered at once.
   */
  private static void drain(Request request) {
    if (request.getHeaders().contains(HttpHeader.EXPECT, "100-continue")) {
      return;
    }
    try {
      InputStream in = Content.Source.asInputStream(request);
      byte[] buffer = new byte[64 * 1024];
      long left = DRAIN_LIMIT;
      int read;
      while (left > 0 && (read = in.read(buffer, 0, (int) Math.min(buffer.length, left))) > 0) {
        left -= read;
      }
    } catch (IOException e) {
      // The client went away; the answer will not reach it either way.
    }
  }

  /** Whether {@code needle} occurs in {@code haystack}: a cheap test before any parsing. */
  private static boolean contains(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i <= haystack.length - needle.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }

  private static boolean hasBody(Request request) {
    return request.getLength() > 0 || request.getHeaders().contains(HttpHeader.TRANSFER_ENCODING);
  }

  static void writeError(Response response, Callback callback, ApiError error) {
    response.setStatus(error.status());
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, Responses.JSON);
    error.headers().forEach(response.getHeaders()::put);
    Content.Sink.write(response, true, error.toJson(), callback);
  }

  /** Resets the connection (TCP RST): linger 0, then close. */
  private static void reset(Request request, Callback callback) {
    resetConnection(request);
    callback.failed(new IOException("injected connection reset"));
  }

  /** Closes the request's connection with a TCP RST (linger 0). */
  static void resetConnection(Request request) {
    EndPoint endPoint = request.getConnectionMetaData().getConnection().getEndPoint();
    try {
      if (endPoint instanceof SelectableChannelEndPoint channelEndPoint
          && channelEndPoint.getChannel() instanceof SocketChannel channel) {
        Socket socket = channel.socket();
        socket.setSoLinger(true, 0);
        socket.close();
      }
    } catch (IOException ignored) {
      // The connection is going away either way.
    }
    endPoint.close();
  }
}
