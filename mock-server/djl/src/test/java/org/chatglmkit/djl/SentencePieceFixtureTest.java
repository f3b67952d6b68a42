package org.chatglmkit.djl;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.sentencepiece.SpProcessor;
import ai.djl.sentencepiece.SpTokenizer;
import java.io.InputStream;
import org.junit.jupiter.api.Test;

/**
 * The committed tokenizer fixture (tokenizer/train.sh) loads through DJL, and text streamed back
 * token by token is whole: never half a character, even for byte-fallback pieces.
 */
class SentencePieceFixtureTest {

  @Test
  void encodesAndDecodesEnglishAndChinese() throws Exception {
    try (InputStream in = getClass().getResourceAsStream("/tokenizer/tokenizer.model");
        SpTokenizer tokenizer = new SpTokenizer(in)) {
      SpProcessor processor = tokenizer.getProcessor();
      for (String text :
          new String[] {"Hello, how are you today?", "你好,今天过得怎么样?", "unseen: 𝄞 ½ 龘"}) {
        int[] ids = processor.encode(text);
        assertThat(ids).isNotEmpty();
        assertThat(java.util.Arrays.stream(ids).max().orElseThrow()).isLessThan(1000);
        Detokenizer streamed = new Detokenizer(processor);
        StringBuilder out = new StringBuilder();
        for (int id : ids) {
          String chunk = streamed.push(id);
          assertThat(chunk).doesNotContain("\uFFFD");
          out.append(chunk);
        }
        out.append(streamed.flush());
        assertThat(out.toString()).isEqualTo(text);
      }
      assertThat(processor.encode("Hello").length).isLessThan("Hello".length());
    }
  }
}
