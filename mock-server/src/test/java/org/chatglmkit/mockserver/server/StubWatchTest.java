package org.chatglmkit.mockserver.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.client.WireMock;
import com.github.tomakehurst.wiremock.stubbing.StubMapping;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class StubWatchTest {
  private static StubMapping stub(String path) {
    return WireMock.get(path).willReturn(WireMock.ok()).build();
  }

  @Test
  void knowsWhenAStubOfTheUsersIsThere() {
    StubWatch watch = new StubWatch();
    StubMapping api = stub("/api");
    AtomicReference<List<StubMapping>> held = new AtomicReference<>(List.of(api));
    watch.watch(held::get);
    watch.apiStub(api);
    assertThat(watch.onlyApiStubs()).isTrue();
    held.set(List.of(api, stub("/yours")));
    watch.afterStubCreated(held.get().get(1));
    assertThat(watch.onlyApiStubs()).isFalse();
    held.set(List.of(api));
    watch.afterStubRemoved(stub("/yours"));
    assertThat(watch.onlyApiStubs()).isTrue();
  }

  @Test
  void aCallThatComesWhileTheAnswerIsWorkedOutWaitsForIt() throws Exception {
    // At start-up the first calls come together: the one that works the answer out is slow (a
    // cold JVM); the others must not take the answer from before (no), which reads their bodies
    // on server threads.
    StubWatch watch = new StubWatch();
    StubMapping api = stub("/api");
    CountDownLatch inside = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    watch.watch(
        () -> {
          inside.countDown();
          try {
            release.await(10, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          return List.of(api);
        });
    watch.apiStub(api);
    CompletableFuture<Boolean> first = CompletableFuture.supplyAsync(watch::onlyApiStubs);
    assertThat(inside.await(10, TimeUnit.SECONDS)).isTrue();
    CompletableFuture<Boolean> second = CompletableFuture.supplyAsync(watch::onlyApiStubs);
    Thread.sleep(100);
    release.countDown();
    assertThat(second.get(10, TimeUnit.SECONDS)).isTrue();
    assertThat(first.get(10, TimeUnit.SECONDS)).isTrue();
  }
}
