package org.chatglmkit.mockserver.server;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.chatglmkit.mockserver.core.ApiError;
import org.chatglmkit.mockserver.core.ApiException;
import org.chatglmkit.mockserver.core.ChatBackend.Generation;
import org.chatglmkit.mockserver.core.ChatService;
import org.chatglmkit.mockserver.core.FaultKind;
import org.chatglmkit.mockserver.core.Json;
import org.chatglmkit.mockserver.core.PlainAnswer;
import org.chatglmkit.mockserver.core.Responses;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.SelectableChannelEndPoint;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Sits in front of WireMock's handlers. It enforces the body limit on every non-admin request,
 * serves {@code stream: true} chat requests itself as paced server-sent events (WireMock cannot
 * stream event by event), answers unstreamed chat requests itself while WireMock holds nothing but
 * the API's stubs and the journal is off, and hands everything else, body intact, to WireMock.
 */
final class ChatFrontHandler extends Handler.Wrapper {
  static final String CHAT_PATH = "/v1/chat/completions";

  /** The most of an oversized body read and dropped before the 413 is sent. */
  static final long DRAIN_LIMIT = 16L * 1024 * 1024;

  private static final byte[] STREAM_KEY = "\"stream\"".getBytes(StandardCharsets.US_ASCII);

  private final ChatService service;
  private final ScheduledExecutorService scheduler;
  private final long bodyLimit;
  private final AtomicInteger activeStreams;
  private final BooleanSupplier answerDirectly;
  private final boolean admin;

  ChatFrontHandler(
      Handler wireMock,
      ChatService service,
      ScheduledExecutorService scheduler,
      long bodyLimit,
      AtomicInteger activeStreams,
      BooleanSupplier answerDirectly,
      boolean admin) {
    super(wireMock);
    this.admin = admin;
    this.answerDirectly = answerDirectly;
    this.activeStreams = activeStreams;
    this.service = service;
    this.scheduler = scheduler;
    this.bodyLimit = bodyLimit;
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) throws Exception {
    String path = Request.getPathInContext(request);
    if (!admin && path.startsWith("/__admin")) {
      writeError(response, callback, ApiError.notFound("no such path: " + path));
      return true;
    }
    if (path.startsWith("/__admin") || !hasBody(request)) {
      return super.handle(request, response, callback);
    }
    if (request.getLength() > bodyLimit) {
      drain(request);
      writeError(response, callback, ApiError.tooLarge(bodyLimit));
      return true;
    }
    byte[] body;
    try {
      body =
          Content.Source.asInputStream(request)
              .readNBytes((int) Math.min(Integer.MAX_VALUE - 8, bodyLimit + 1));
    } catch (IOException e) {
      writeError(response, callback, ApiError.invalidRequest("unreadable body", null));
      return true;
    }
    if (body.length > bodyLimit) {
      drain(request);
      writeError(response, callback, ApiError.tooLarge(bodyLimit));
      return true;
    }
    if (CHAT_PATH.equals(path) && "POST".equals(request.getMethod())) {
      if (asksToStream(body)) {
        stream(request, response, callback, body);
        return true;
      }
      if (answerDirectly.getAsBoolean()) {
        answer(request, response, callback, body);
        return true;
      }
    }
    return super.handle(new ReplayedRequest(request, body), response, callback);
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

  /**
   * Checks a streamed call; answers it at once (error, injected error, reset) and returns {@code
   * null}, or returns it to be streamed, with a stall or stream-error still to be played out.
   */
  private ChatService.Call acceptStream(
      Request request, Response response, Callback callback, byte[] body) {
    ChatService.Call call;
    try {
      call = service.accept(name -> request.getHeaders().get(name), body);
    } catch (ApiException e) {
      writeError(response, callback, e.error());
      return null;
    }
    FaultKind fault = call.fault().orElse(null);
    if (fault == FaultKind.RESET) {
      reset(request, callback);
      return null;
    }
    if (fault != null && fault != FaultKind.STALL && fault != FaultKind.STREAM_ERROR) {
      writeError(response, callback, service.faults().errorFor(fault));
      return null;
    }
    return call;
  }

  /**
   * An unstreamed answer without WireMock in between (see {@link StubWatch}): the same core, the
   * same faults and the same delay as the {@code chatglm-api} transformer, the delay waited on the
   * scheduler rather than on a thread.
   */
  private void answer(Request request, Response response, Callback callback, byte[] body) {
    ChatService.Call call;
    PlainAnswer answer;
    try {
      call = service.accept(name -> request.getHeaders().get(name), body);
      answer = service.answer(call, call.fault().orElse(null), service.latency());
    } catch (ApiException e) {
      writeError(response, callback, e.error());
      return;
    }
    if (answer.reset()) {
      reset(request, callback);
      return;
    }
    if (answer.error() != null) {
      writeError(response, callback, answer.error());
      return;
    }
    String json = Responses.completion(call.info(), answer.completion());
    Runnable write =
        () -> {
          response.setStatus(200);
          response.getHeaders().put(HttpHeader.CONTENT_TYPE, Responses.JSON);
          Content.Sink.write(response, true, json, callback);
        };
    // Due relative to the request's arrival, so time spent parsing and queueing is not added.
    long dueIn =
        TimeUnit.MILLISECONDS.toNanos(answer.delayMillis())
            - (System.nanoTime() - request.getBeginNanoTime());
    if (answer.delayMillis() > 0 && dueIn > 0) {
      scheduler.schedule(write, dueIn, TimeUnit.NANOSECONDS);
    } else {
      write.run();
    }
  }

  private void stream(Request request, Response response, Callback callback, byte[] body) {
    ChatService.Call call = acceptStream(request, response, callback, body);
    if (call == null) {
      return;
    }
    FaultKind fault = call.fault().orElse(null);
    response.setStatus(200);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, Responses.EVENT_STREAM);
    response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache");
    StreamSession session =
        new StreamSession(
            response,
            callback,
            scheduler,
            call.info(),
            service.latency(),
            call.request().includeUsage(),
            fault,
            service.faults().stallMillis(),
            activeStreams,
            request.getBeginNanoTime());
    Generation generation;
    try {
      generation = service.backend().generate(call.request(), session);
    } catch (ApiException e) {
      writeError(response, callback, e.error());
      return;
    }
    session.open(generation);
  }

  /**
   * Whether a body is a JSON object with {@code "stream": true}; anything else goes to WireMock.
   */
  private static boolean asksToStream(byte[] body) {
    if (!contains(body, STREAM_KEY)) {
      return false;
    }
    try {
      JsonNode stream = Json.MAPPER.readTree(body).path("stream");
      return stream.isBoolean() && stream.booleanValue();
    } catch (IOException e) {
      return false;
    }
  }

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
    if (error.retryAfterSeconds() != null) {
      response.getHeaders().put(HttpHeader.RETRY_AFTER, error.retryAfterSeconds());
    }
    Content.Sink.write(response, true, error.toJson(), callback);
  }

  /** Resets the connection (TCP RST): linger 0, then close. */
  private static void reset(Request request, Callback callback) {
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
    callback.failed(new IOException("injected connection reset"));
  }
}
