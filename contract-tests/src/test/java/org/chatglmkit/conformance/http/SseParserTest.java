package org.chatglmkit.conformance.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class SseParserTest {

  private static SseParser feed(String text, int pieceSize) {
    SseParser parser = new SseParser();
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < bytes.length; i += pieceSize) {
      parser.feed(bytes, i, Math.min(pieceSize, bytes.length - i), i);
    }
    return parser;
  }

  private static List<String> data(SseParser parser) {
    return parser.events().stream().map(SseEvent::data).toList();
  }

  @Test
  void readsEventsEndingInLfCrlfOrCr() {
    String text = "data: a\n\ndata: b\r\n\r\ndata: c\r\rdata: [DONE]\n\n";
    for (int piece = 1; piece <= text.length(); piece++) {
      assertThat(data(feed(text, piece)))
          .as("piece %d", piece)
          .containsExactly("a", "b", "c", "[DONE]");
    }
  }

  @Test
  void skipsCommentsAndCountsThem() {
    SseParser parser = feed(": ping\n\ndata: x\n: ping\n\n", 3);
    assertThat(data(parser)).containsExactly("x");
    assertThat(parser.comments()).isEqualTo(2);
  }

  @Test
  void joinsDataLinesAndKeepsTheEventName() {
    SseParser parser = feed("event: delta\ndata: {\"a\":\ndata:1}\nid: 7\n\n", 5);
    assertThat(parser.events())
        .singleElement()
        .satisfies(
            event -> {
              assertThat(event.data()).isEqualTo("{\"a\":\n1}");
              assertThat(event.event()).isEqualTo("delta");
            });
  }

  @Test
  void decodesCharactersSplitAcrossReads() {
    assertThat(data(feed("data: 你好,世界\n\n", 1))).containsExactly("你好,世界");
  }

  @Test
  void reportsAnEventCutByTheEndOfTheStream() {
    SseParser parser = feed("data: a\n\ndata: b", 4);
    assertThat(data(parser)).containsExactly("a");
    assertThat(parser.hasPartialEvent()).isTrue();
    assertThat(feed("data: a\n\n", 4).hasPartialEvent()).isFalse();
  }

  @Test
  void stampsEachEventWithTheReadThatCompletedIt() {
    SseParser parser = new SseParser();
    byte[] first = "data: a\n\ndata: b\n".getBytes(StandardCharsets.UTF_8);
    parser.feed(first, 0, first.length, 100);
    parser.feed(new byte[] {'\n'}, 0, 1, 250);
    assertThat(parser.events()).extracting(SseEvent::arrivedNanos).containsExactly(100L, 250L);
  }

  @Test
  void ignoresAnEventWithoutData() {
    assertThat(data(feed("event: noop\n\nretry: 10\n\n", 2))).isEmpty();
  }
}
