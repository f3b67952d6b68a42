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
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;
import org.chatglmkit.mockserver.core.Keys;

/**
 * WireMock's stores with a request journal that never holds a key: every request is recorded with
 * its {@code API-KEY} and {@code Authorization} values masked ({@link Keys#mask}), so the admin
 * API, the Java API and a journal persisted anywhere show at most a key's last 4 characters.
 */
final class MaskedJournal implements Stores {
  private final DefaultStores stores;
  private final RequestJournalStore journal;

  MaskedJournal(FileSource root) {
    this.stores = new DefaultStores(root);
    this.journal = new Masking(stores.getRequestJournalStore());
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

  private static String mask(String value) {
    String trimmed = value.strip();
    int space = trimmed.indexOf(' ');
    return space > 0
        ? trimmed.substring(0, space) + " " + Keys.mask(trimmed.substring(space + 1).strip())
        : Keys.mask(trimmed);
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

  /** Records each serve event with its request masked. */
  private record Masking(RequestJournalStore delegate) implements RequestJournalStore {
    @Override
    public void add(ServeEvent event) {
      delegate.add(event.replaceRequest(masked(event.getRequest())));
    }

    @Override
    public Stream<ServeEvent> getAll() {
      return delegate.getAll();
    }

    @Override
    public void removeLast() {
      delegate.removeLast();
    }

    @Override
    public Stream<UUID> getAllKeys() {
      return delegate.getAllKeys();
    }

    @Override
    public Optional<ServeEvent> get(UUID key) {
      return delegate.get(key);
    }

    @Override
    public void put(UUID key, ServeEvent event) {
      delegate.put(key, event.replaceRequest(masked(event.getRequest())));
    }

    @Override
    public void remove(UUID key) {
      delegate.remove(key);
    }

    @Override
    public void clear() {
      delegate.clear();
    }
  }
}
