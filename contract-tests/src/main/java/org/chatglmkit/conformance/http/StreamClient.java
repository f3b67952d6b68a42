package org.chatglmkit.conformance.http;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Sends {@code stream: true} requests and reads the events as they arrive. REST Assured buffers
 * whole bodies, so streams go through the JDK client, whose body subscriber sees each chunk of
 * bytes when it is read. The whole exchange, from connecting to the stream's end, is bounded by a
 * deadline, and the stream by a byte cap: a stream that never ends, or never starts, ends the
 * exchange with the reason, never the run.
 */
final class StreamClient {
  /** Bytes of a non-200 answer kept for the report. */
  private static final int MAX_BODY_BYTES = 64 * 1024;

  private final long maxBytes;

  StreamClient(long maxBytes) {
    this.maxBytes = maxBytes;
  }

  /**
   * A client of its own for each stream: a pooled connection that the server has closed in the
   * meantime would fail the request with no answer (the JDK client does not resend a POST), and one
   * connection per exchange is what the plain requests do too.
   */
  private static HttpClient http() {
    return HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5))
        .build();
  }

  StreamResult post(URI uri, Map<String, String> headers, String body, Duration timeout) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(uri)
            .timeout(timeout)
            .header("Content-Type", "application/json")
            .header("Accept", "text/event-stream")
            .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
    headers.forEach(request::header);
    EventSubscriber subscriber = new EventSubscriber(maxBytes);
    long sent = System.nanoTime();
    CompletableFuture<HttpResponse<Void>> answer =
        http()
            .sendAsync(
                request.build(),
                info -> {
                  subscriber.headersNanos = System.nanoTime();
                  subscriber.info = info;
                  return HttpResponse.BodySubscribers.fromSubscriber(subscriber);
                });
    answer.whenComplete((response, failure) -> subscriber.done.complete(failure));
    String failure = null;
    try {
      Throwable ended = subscriber.done.get(Math.max(1, timeout.toMillis()), TimeUnit.MILLISECONDS);
      if (subscriber.overCap != null) {
        failure = subscriber.overCap;
      } else if (ended != null) {
        Throwable cause =
            ended instanceof ExecutionException && ended.getCause() != null
                ? ended.getCause()
                : ended;
        if (cause instanceof java.util.concurrent.CompletionException && cause.getCause() != null) {
          cause = cause.getCause();
        }
        failure = cause.getClass().getSimpleName() + ": " + cause.getMessage();
      }
    } catch (TimeoutException e) {
      failure =
          subscriber.info == null
              ? "no answer within " + seconds(timeout)
              : "the stream did not end within " + seconds(timeout);
    } catch (ExecutionException e) {
      failure = String.valueOf(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      failure = "interrupted";
    } finally {
      subscriber.cancel();
      answer.cancel(true);
    }
    synchronized (subscriber) {
      HttpResponse.ResponseInfo info = subscriber.info;
      int status = info == null ? 0 : info.statusCode();
      String raw = status == 200 ? null : subscriber.raw.toString(StandardCharsets.UTF_8);
      return new StreamResult(
          status,
          info == null ? null : info.headers().firstValue("Content-Type").orElse(null),
          subscriber.parser.events(),
          subscriber.parser.comments(),
          subscriber.parser.hasPartialEvent(),
          failure,
          raw,
          info == null ? null : info.headers().firstValue("Retry-After").orElse(null),
          sent,
          subscriber.headersNanos);
    }
  }

  static String seconds(Duration timeout) {
    return timeout.toMillis() % 1000 == 0 ? timeout.toSeconds() + " s" : timeout.toMillis() + " ms";
  }

  /** Feeds every chunk into the parser at the moment it is read, up to the byte cap. */
  private static final class EventSubscriber implements Flow.Subscriber<List<ByteBuffer>> {
    final SseParser parser = new SseParser();
    final ByteArrayOutputStream raw = new ByteArrayOutputStream();
    final CompletableFuture<Throwable> done = new CompletableFuture<>();
    private final long maxBytes;
    volatile HttpResponse.ResponseInfo info;
    volatile long headersNanos;
    volatile String overCap;
    private long total;
    private Flow.Subscription subscription;

    EventSubscriber(long maxBytes) {
      this.maxBytes = maxBytes;
    }

    @Override
    public synchronized void onSubscribe(Flow.Subscription subscription) {
      this.subscription = subscription;
      subscription.request(1);
    }

    @Override
    public void onNext(List<ByteBuffer> buffers) {
      long now = System.nanoTime();
      synchronized (this) {
        for (ByteBuffer buffer : buffers) {
          byte[] bytes = new byte[buffer.remaining()];
          buffer.get(bytes);
          total += bytes.length;
          if (total > maxBytes) {
            overCap = "the stream grew past " + maxBytes + " bytes";
            subscription.cancel();
            done.complete(null);
            return;
          }
          parser.feed(bytes, 0, bytes.length, now);
          if (raw.size() < MAX_BODY_BYTES) {
            raw.write(bytes, 0, Math.min(bytes.length, MAX_BODY_BYTES - raw.size()));
          }
        }
        subscription.request(1);
      }
    }

    @Override
    public void onError(Throwable throwable) {
      done.complete(throwable);
    }

    @Override
    public void onComplete() {
      done.complete(null);
    }

    synchronized void cancel() {
      if (subscription != null) {
        subscription.cancel();
      }
    }
  }
}
