package org.chatglmkit.mockserver.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.common.Json;
import com.github.tomakehurst.wiremock.common.SingleRootFileSource;
import com.github.tomakehurst.wiremock.store.RequestJournalStore;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The journal keeps its bound, newest first, and never a key. */
class MaskedJournalTest {
  @TempDir Path root;

  private static ServeEvent event(String path, String key) {
    String request =
        """
        {"url": "%s", "absoluteUrl": "http://127.0.0.1:1%s", "method": "POST", "clientIp": "127.0.0.1",
         "headers": {"API-KEY": "%s", "Authorization": "Bearer %s"}, "cookies": {},
         "browserProxyRequest": false, "loggedDate": 0, "body": ""}"""
            .formatted(path, path, key, key);
    return ServeEvent.of(Json.read(request, LoggedRequest.class));
  }

  @Test
  void keepsTheNewestEntriesUpToItsBoundWithEveryKeyMasked() {
    RequestJournalStore journal =
        new MaskedJournal(new SingleRootFileSource(root.toFile()), 2).getRequestJournalStore();
    ServeEvent first = event("/1", "key-one-0123456789");
    journal.add(first);
    journal.add(event("/2", "key-two-0123456789"));
    journal.add(event("/3", "key-three-0123456789"));
    assertThat(journal.getAll().map(e -> e.getRequest().getUrl())).containsExactly("/3", "/2");
    assertThat(journal.get(first.getId())).isEmpty();
    for (ServeEvent kept : journal.getAll().toList()) {
      assertThat(kept.getRequest().getHeader("API-KEY")).isEqualTo("…6789");
      assertThat(kept.getRequest().getHeader("Authorization")).isEqualTo("Bearer …6789");
    }
  }

  @Test
  void updatesAnEntryInPlaceAndForgetsRemovedOnes() {
    RequestJournalStore journal =
        new MaskedJournal(new SingleRootFileSource(root.toFile()), 10).getRequestJournalStore();
    ServeEvent event = event("/1", "key-one-0123456789");
    journal.add(event);
    journal.put(event.getId(), event);
    assertThat(journal.getAll()).hasSize(1);
    assertThat(journal.get(event.getId()).orElseThrow().getRequest().getHeader("API-KEY"))
        .isEqualTo("…6789");
    journal.remove(event.getId());
    assertThat(journal.getAll()).isEmpty();
    ServeEvent unseen = event("/2", "key-two-0123456789");
    journal.put(unseen.getId(), unseen);
    assertThat(journal.get(unseen.getId()).orElseThrow().getRequest().getHeader("API-KEY"))
        .isEqualTo("…6789");
    journal.clear();
    assertThat(journal.getAllKeys()).isEmpty();
  }
}
