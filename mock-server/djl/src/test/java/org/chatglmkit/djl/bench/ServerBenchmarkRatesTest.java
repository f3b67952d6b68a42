package org.chatglmkit.djl.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The benchmark's decode rates count the server's tokens, not the content chunks they came in. */
class ServerBenchmarkRatesTest {

  private static final long SECOND = 1_000_000_000L;

  /** A stream whose content chunks came once a second from {@code first}, then ended. */
  private static ServerBenchmark.Stream stream(long first, int chunks, long ended, int tokens) {
    ServerBenchmark.Stream stream = new ServerBenchmark.Stream();
    stream.sent = first - SECOND;
    for (int i = 0; i < chunks; i++) {
      stream.times.add(first + i * SECOND);
    }
    stream.ended = ended;
    stream.completionTokens = tokens;
    return stream;
  }

  @Test
  void oneStreamsRateIsTokensAfterTheFirstOverTheTimeToItsEnd() {
    // 32 tokens, one a second; tokens 5, 12 and 20 ended inside a character and came with the
    // next: 29 chunks. Counted by chunks, the rate was 28 / 31 s.
    ServerBenchmark.Stream stream = new ServerBenchmark.Stream();
    stream.sent = -SECOND;
    for (int token = 0; token < 32; token++) {
      if (token != 5 && token != 12 && token != 20) {
        stream.times.add(token * SECOND);
      }
    }
    stream.ended = 31 * SECOND;
    stream.completionTokens = 32;

    assertThat(stream.times).hasSize(29);
    assertThat(stream.decodeRate()).isCloseTo(1.0, within(1e-9));
    assertThat(stream.ttftSeconds()).isCloseTo(1.0, within(1e-9));
  }

  @Test
  void aBatchsChunksCountAsEachStreamsTokensPerChunk() {
    // From 2 s to 11 s both streams decode: nine chunks of each arrive in (2 s, 11 s], the first
    // carrying two tokens a chunk, the second one.
    ServerBenchmark.Stream twoPerChunk = stream(0, 12, 12 * SECOND, 24);
    ServerBenchmark.Stream onePerChunk = stream(2 * SECOND, 10, 12 * SECOND, 10);

    double rate = ServerBenchmark.batchedRate(List.of(twoPerChunk, onePerChunk));

    assertThat(rate).isCloseTo((9 * 2 + 9 * 1) / 9.0, within(1e-9));
  }

  @Test
  void aStreamWithoutUsageOrWithFewerTokensThanChunksIsRefused() {
    // A server that sends no usage (or null, as a model left unset serializes) counts no tokens.
    assertThatThrownBy(() -> stream(0, 5, 5 * SECOND, 0).requireTokens(24))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("usage.completion_tokens 0 for 5 content chunks");
    assertThatThrownBy(() -> stream(0, 1, SECOND, 1).requireTokens(24))
        .hasMessageContaining("a stream of 1 chunks for max_tokens 24");
    stream(0, 22, 23 * SECOND, 24).requireTokens(24);
  }
}
