package org.chatglmkit.mockserver.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.common.Json;
import com.github.tomakehurst.wiremock.common.SingleRootFileSource;
import com.github.tomakehurst.wiremock.store.RequestJournalStore;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The journal keeps its bounds (entries and body bytes), newest first, and never a key. */
class MaskedJournalTest {
  @TempDir Path root;

  private static ServeEvent event(String path, String key) {
    return event(path, key, "");
  }

  private static ServeEvent event(String path, String key, String body) {
    String request =
        """
        {"url": "%s", "absoluteUrl": "http://127.0.0.1:1%s", "method": "POST", "clientIp": "127.0.0.1",
         "headers": {"API-KEY": "%s", "Authorization": "Bearer %s"}, "cookies": {},
         "browserProxyRequest": false, "loggedDate": 0, "body": "%s", "bodyAsBase64": "%s"}"""
            .formatted(
                path,
                path,
                key,
                key,
                body,
                Base64.getEncoder().encodeToString(body.getBytes(StandardCharsets.UTF_8)));
    return ServeEvent.of(Json.read(request, LoggedRequest.class));
  }

  @Test
  void keepsItsBodiesWithinTheirByteBoundTooButAlwaysTheNewest() {
    RequestJournalStore journal =
        new MaskedJournal(new SingleRootFileSource(root.toFile()), 100, 2_500)
            .getRequestJournalStore();
    for (int i = 1; i <= 5; i++) {
      journal.add(event("/" + i, "key-0123456789", "x".repeat(1_000)));
    }
    assertThat(journal.getAll().map(e -> e.getRequest().getUrl())).containsExactly("/5", "/4");
    journal.add(event("/big", "key-0123456789", "y".repeat(10_000)));
    assertThat(journal.getAll().map(e -> e.getRequest().getUrl())).containsExactly("/big");
    journal.add(event("/small", "key-0123456789", "z"));
    assertThat(journal.getAll().map(e -> e.getRequest().getUrl())).containsExactly("/small");
    journal.clear();
    journal.add(event("/again", "key-0123456789", "x".repeat(1_000)));
    journal.add(event("/again2", "key-0123456789", "x".repeat(1_000)));
    assertThat(journal.getAll()).hasSize(2);
  }

  @Test
  void keepsTheNewestEntriesUpToItsBoundWithEveryKeyMasked() {
    RequestJournalStore journal =
        new MaskedJournal(new SingleRootFileSource(root.toFile()), 2, 1 << 20)
            .getRequestJournalStore();
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
        new MaskedJournal(new SingleRootFileSource(root.toFile()), 10, 1 << 20)
            .getRequestJournalStore();
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
