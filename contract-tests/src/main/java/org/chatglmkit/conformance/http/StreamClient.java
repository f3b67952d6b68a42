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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Sends {@code stream: true} requests and reads the events as they arrive. REST Assured buffers
 * whole bodies, so streams go through the JDK client, whose body subscriber sees each chunk of
 * bytes when it is read.
 */
final class StreamClient {
  private static final int MAX_BODY_BYTES = 64 * 1024;

  private final HttpClient http;
  private final Duration timeout;

  StreamClient(Duration timeout) {
    this.timeout = timeout;
    this.http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
  }

  StreamResult post(URI uri, Auth auth, String body) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(uri)
            .timeout(timeout)
            .header("Content-Type", "application/json")
            .header("Accept", "text/event-stream")
            .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
    if (auth.present()) {
      request.header(auth.header(), auth.value());
    }
    EventSubscriber subscriber = new EventSubscriber();
    long sent = System.nanoTime();
    CompletableFuture<HttpResponse<Void>> answer =
        http.sendAsync(
            request.build(), info -> HttpResponse.BodySubscribers.fromSubscriber(subscriber));
    String failure = null;
    int status = 0;
    String contentType = null;
    String retryAfter = null;
    try {
      HttpResponse<Void> response = answer.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      status = response.statusCode();
      contentType = response.headers().firstValue("Content-Type").orElse(null);
      retryAfter = response.headers().firstValue("Retry-After").orElse(null);
    } catch (TimeoutException e) {
      failure = "no end of stream within " + timeout.toSeconds() + " s";
      subscriber.cancel();
      answer.cancel(true);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      failure = cause.getClass().getSimpleName() + ": " + cause.getMessage();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      failure = "interrupted";
    }
    synchronized (subscriber) {
      String raw = status == 200 ? null : subscriber.raw.toString(StandardCharsets.UTF_8);
      return new StreamResult(
          status,
          contentType,
          subscriber.parser.events(),
          subscriber.parser.comments(),
          subscriber.parser.hasPartialEvent(),
          failure,
          raw,
          retryAfter,
          sent);
    }
  }

  /** Feeds every chunk into the parser at the moment it is read. */
  private static final class EventSubscriber implements Flow.Subscriber<List<ByteBuffer>> {
    final SseParser parser = new SseParser();
    final ByteArrayOutputStream raw = new ByteArrayOutputStream();
    private Flow.Subscription subscription;

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
          parser.feed(bytes, 0, bytes.length, now);
          if (raw.size() < MAX_BODY_BYTES) {
            raw.write(bytes, 0, Math.min(bytes.length, MAX_BODY_BYTES - raw.size()));
          }
        }
        subscription.request(1);
      }
    }

    @Override
    public void onError(Throwable throwable) {}

    @Override
    public void onComplete() {}

    synchronized void cancel() {
      if (subscription != null) {
        subscription.cancel();
      }
    }
  }
}
