package org.chatglmkit.mockserver.server;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.extension.StubLifecycleListener;
import com.github.tomakehurst.wiremock.stubbing.StubMapping;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Knows whether WireMock holds only the API's own stubs. While it does, WireMock would only hand
 * every call back to the API, so the front handler answers them itself (and journals them); a stub
 * of yours, added from a directory or the admin API, switches that off at once.
 */
final class StubWatch implements StubLifecycleListener {
  private final Set<UUID> apiStubs = ConcurrentHashMap.newKeySet();
  private volatile Supplier<List<StubMapping>> stubs;

  /** Bumped by every change to the stubs; {@link #seen} is the one {@link #onlyApiStubs} holds. */
  private final AtomicLong version = new AtomicLong();

  private volatile long seen = -1;
  private volatile boolean onlyApiStubs;

  @Override
  public String getName() {
    return "chatglm-stub-watch";
  }

  void watch(WireMockServer server) {
    watch(server::getStubMappings);
  }

  void watch(Supplier<List<StubMapping>> stubs) {
    this.stubs = stubs;
    version.incrementAndGet();
  }

  void apiStub(StubMapping stub) {
    apiStubs.add(stub.getId());
    version.incrementAndGet();
  }

  @Override
  public void afterStubCreated(StubMapping stub) {
    version.incrementAndGet();
  }

  @Override
  public void afterStubEdited(StubMapping oldStub, StubMapping newStub) {
    version.incrementAndGet();
  }

  @Override
  public void afterStubRemoved(StubMapping stub) {
    version.incrementAndGet();
  }

  @Override
  public void afterStubsReset() {
    version.incrementAndGet();
  }

  /**
   * Whether every stub WireMock holds is one of the API's. Calls that come while the answer is
   * being worked out wait for it: an answer from before a change (at start-up, "no") would send a
   * call down the path that reads its body on a server thread.
   */
  boolean onlyApiStubs() {
    if (seen != version.get()) {
      synchronized (this) {
        long now = version.get();
        Supplier<List<StubMapping>> source = stubs;
        if (seen != now && source != null) {
          List<StubMapping> all = source.get();
          onlyApiStubs =
              all.size() == apiStubs.size()
                  && all.stream().allMatch(stub -> apiStubs.contains(stub.getId()));
          seen = now; // after the answer: a call that sees this version reads that answer
        }
      }
    }
    return onlyApiStubs;
  }
}
