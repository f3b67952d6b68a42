package org.chatglmkit.mockserver.server;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.extension.StubLifecycleListener;
import com.github.tomakehurst.wiremock.stubbing.StubMapping;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Knows whether WireMock holds only the API's own stubs. While it does, WireMock would only hand
 * every call back to the API, so the front handler answers them itself (and journals them); a stub
 * of yours, added from a directory or the admin API, switches that off at once.
 */
final class StubWatch implements StubLifecycleListener {
  private final Set<UUID> apiStubs = ConcurrentHashMap.newKeySet();
  private volatile WireMockServer wireMock;
  private volatile boolean changed = true;
  private volatile boolean onlyApiStubs;

  @Override
  public String getName() {
    return "chatglm-stub-watch";
  }

  void watch(WireMockServer server) {
    this.wireMock = server;
    changed = true;
  }

  void apiStub(StubMapping stub) {
    apiStubs.add(stub.getId());
    changed = true;
  }

  @Override
  public void afterStubCreated(StubMapping stub) {
    changed = true;
  }

  @Override
  public void afterStubEdited(StubMapping oldStub, StubMapping newStub) {
    changed = true;
  }

  @Override
  public void afterStubRemoved(StubMapping stub) {
    changed = true;
  }

  @Override
  public void afterStubsReset() {
    changed = true;
  }

  /** Whether every stub WireMock holds is one of the API's. */
  boolean onlyApiStubs() {
    if (changed && wireMock != null) {
      changed = false;
      var stubs = wireMock.getStubMappings();
      onlyApiStubs =
          stubs.size() == apiStubs.size()
              && stubs.stream().allMatch(stub -> apiStubs.contains(stub.getId()));
    }
    return onlyApiStubs;
  }
}
