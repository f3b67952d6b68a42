package org.chatglmkit.mockserver.server;

import com.github.tomakehurst.wiremock.common.FileSource;
import com.github.tomakehurst.wiremock.extension.requestfilter.RequestWrapper;
import com.github.tomakehurst.wiremock.http.Request;
import com.github.tomakehurst.wiremock.store.BlobStore;
import com.github.tomakehurst.wiremock.store.DefaultStores;
import com.github.tomakehurst.wiremock.store.ObjectStore;
import com.github.tomakehurst.wiremock.store.RecorderStateStore;
import com.github.tomakehurst.wiremock.store.RequestJournalStore;
import com.github.tomakehurst.wiremock.store.ScenariosStore;
import com.github.tomakehurst.wiremock.store.SettingsStore;
import com.github.tomakehurst.wiremock.store.Stores;
import com.github.tomakehurst.wiremock.store.StubMappingStore;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.chatglmkit.mockserver.core.Keys;

/**
 * WireMock's stores with a request journal that never holds a key: every request is recorded with
 * its {@code API-KEY} and {@code Authorization} values masked ({@link Keys#mask}), so the admin API
 * and the Java API show at most a key's last 4 characters. The journal keeps its own bound.
 */
final class MaskedJournal implements Stores {
  private final DefaultStores stores;
  private final Masking journal;

  /**
   * @param root WireMock's root, for the other stores
   * @param maxEntries the most requests the journal keeps (the oldest go first)
   * @param maxBytes the most request and response body bytes it keeps (the oldest go first): ten
   *     thousand bodies at the body limit would otherwise hold gigabytes
   */
  MaskedJournal(FileSource root, int maxEntries, long maxBytes) {
    this.stores = new DefaultStores(root);
    this.journal = new Masking(maxEntries, maxBytes);
  }

  /** {@code request} with its key headers masked. */
  static Request masked(Request request) {
    return RequestWrapper.create()
        .transformHeader("API-KEY", MaskedJournal::maskAll)
        .transformHeader("Authorization", MaskedJournal::maskAll)
        .wrap(request);
  }

  private static List<String> maskAll(List<String> values) {
    return values.stream().map(MaskedJournal::mask).toList();
  }

  /** A key header's value masked: at most the key's last 4 characters, a scheme kept. */
  static String mask(String value) {
    String trimmed = value.strip();
    int space = trimmed.indexOf(' ');
    return space > 0
        ? trimmed.substring(0, space) + " " + Keys.mask(trimmed.substring(space + 1).strip())
        : Keys.mask(trimmed);
  }

  /**
   * Records a serve event that did not pass through WireMock and whose key headers are masked
   * already (see {@link DirectJournal}): masking it again would turn "…6789" into "…".
   */
  void recordMasked(ServeEvent event) {
    journal.addMasked(event);
  }

  @Override
  public RequestJournalStore getRequestJournalStore() {
    return journal;
  }

  @Override
  public StubMappingStore getStubStore() {
    return stores.getStubStore();
  }

  @Override
  public SettingsStore getSettingsStore() {
    return stores.getSettingsStore();
  }

  @Override
  public ScenariosStore getScenariosStore() {
    return stores.getScenariosStore();
  }

  @Override
  public RecorderStateStore getRecorderStateStore() {
    return stores.getRecorderStateStore();
  }

  @Override
  public BlobStore getBlobStore(String name) {
    return stores.getBlobStore(name);
  }

  @Override
  public ObjectStore getObjectStore(String name, PersistenceType type, int maxItems) {
    return stores.getObjectStore(name, type, maxItems);
  }

  @Override
  public void start() {
    stores.start();
  }

  @Override
  public void stop() {
    stores.stop();
  }

  /**
   * The journal itself: each serve event recorded with its request masked, newest first, at most
   * {@code max} of them and {@code maxBytes} of their bodies. Every operation a request makes is
   * O(1) (but for the evictions a large body causes): WireMock's own bounded journal counts all its
   * entries on every request and searches them on every update, which at its bound of 10,000 took a
   * busy server from about 20,000 to under 300 requests a second.
   */
  private static final class Masking implements RequestJournalStore {
    private final Map<UUID, ServeEvent> events = new ConcurrentHashMap<>();
    private final Deque<UUID> order = new ConcurrentLinkedDeque<>();
    private final AtomicInteger size = new AtomicInteger();
    private final AtomicLong bytes = new AtomicLong();
    private final int max;
    private final long maxBytes;

    Masking(int max, long maxBytes) {
      this.max = max;
      this.maxBytes = maxBytes;
    }

    /** The body bytes an event holds: its request's and, once answered, its response's. */
    private static long bytesOf(ServeEvent event) {
      long request = event.getRequest().getBody() == null ? 0 : event.getRequest().getBody().length;
      byte[] response = event.getResponse() == null ? null : event.getResponse().getBody();
      return request + (response == null ? 0 : response.length);
    }

    @Override
    public void add(ServeEvent event) {
      addMasked(event.replaceRequest(masked(event.getRequest())));
    }

    void addMasked(ServeEvent event) {
      events.put(event.getId(), event);
      order.addFirst(event.getId());
      bytes.addAndGet(bytesOf(event));
      size.incrementAndGet();
      trim();
    }

    /** Evicts the oldest entries while the journal is over either bound (the newest stays). */
    private void trim() {
      while ((size.get() > max || bytes.get() > maxBytes) && size.get() > 1) {
        removeLast();
      }
    }

    @Override
    public Stream<ServeEvent> getAll() {
      return order.stream().map(events::get).filter(Objects::nonNull);
    }

    @Override
    public void removeLast() {
      UUID oldest = order.pollLast();
      ServeEvent removed = oldest == null ? null : events.remove(oldest);
      if (removed != null) {
        size.decrementAndGet();
        bytes.addAndGet(-bytesOf(removed));
      }
    }

    @Override
    public Stream<UUID> getAllKeys() {
      return order.stream();
    }

    @Override
    public Optional<ServeEvent> get(UUID key) {
      return Optional.ofNullable(events.get(key));
    }

    @Override
    public void put(UUID key, ServeEvent event) {
      ServeEvent masked = event.replaceRequest(masked(event.getRequest()));
      ServeEvent previous = events.replace(key, masked);
      if (previous == null) {
        add(event); // masks it; masking twice would turn "…6789" into "…"
        return;
      }
      bytes.addAndGet(bytesOf(masked) - bytesOf(previous));
      trim();
    }

    @Override
    public void remove(UUID key) {
      ServeEvent removed = events.remove(key);
      if (removed != null) {
        order.remove(key);
        size.decrementAndGet();
        bytes.addAndGet(-bytesOf(removed));
      }
    }

    @Override
    public void clear() {
      events.clear();
      order.clear();
      size.set(0);
      bytes.set(0);
    }
  }
}
