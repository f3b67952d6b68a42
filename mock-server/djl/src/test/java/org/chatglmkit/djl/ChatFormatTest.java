package org.chatglmkit.djl;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.sentencepiece.SpProcessor;
import ai.djl.sentencepiece.SpTokenizer;
import java.io.InputStream;
import java.util.Arrays;
import java.util.List;
import org.chatglmkit.mockserver.core.ChatMessage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ChatFormatTest {
  static SpTokenizer tokenizer;
  static SpProcessor processor;
  static final int VOCAB = 1000;
  static final int EOS = 2;

  @BeforeAll
  static void load() throws Exception {
    try (InputStream in = ChatFormatTest.class.getResourceAsStream("/tokenizer/tokenizer.model")) {
      tokenizer = new SpTokenizer(in);
    }
    processor = tokenizer.getProcessor();
  }

  @AfterAll
  static void close() {
    tokenizer.close();
  }

  private static int[] encode(String text) {
    return processor.encode(text);
  }

  private static int[] concat(int[]... parts) {
    return Arrays.stream(parts).flatMapToInt(Arrays::stream).toArray();
  }

  @Test
  void buildsTheChatGlm3PromptWithRoleTokens() {
    ChatFormat format = new ChatFormat(ChatFormat.Version.CHATGLM3, processor, VOCAB, EOS);
    List<ChatMessage> conversation =
        List.of(
            new ChatMessage("system", "Be brief.", null),
            new ChatMessage("user", "你好", null),
            new ChatMessage("assistant", "Hello", null),
            new ChatMessage("user", "again", null));
    int[] expected =
        concat(
            new int[] {VOCAB + 1, VOCAB + 3, VOCAB + 5},
            encode("\nBe brief."),
            new int[] {VOCAB + 6},
            encode("\n你好"),
            new int[] {VOCAB + 7},
            encode("\nHello"),
            new int[] {VOCAB + 6},
            encode("\nagain"),
            new int[] {VOCAB + 7});
    assertThat(format.prompt(conversation)).containsExactly(expected);
    assertThat(format.stopTokens()).containsExactlyInAnyOrder(EOS, VOCAB + 6, VOCAB + 8);
    assertThat(format.idsNeeded()).isEqualTo(VOCAB + 9);
  }

  @Test
  void buildsTheChatGlm2RoundPrompt() {
    ChatFormat format = new ChatFormat(ChatFormat.Version.CHATGLM2, processor, VOCAB, EOS);
    List<ChatMessage> conversation =
        List.of(
            new ChatMessage("user", "Hi", null),
            new ChatMessage("assistant", "Hello", null),
            new ChatMessage("user", "再见", null));
    int[] expected =
        concat(
            new int[] {VOCAB + 1, VOCAB + 3},
            encode("[Round 1]\n\n问:Hi\n\n答:Hello\n\n[Round 2]\n\n问:再见\n\n答:"));
    assertThat(format.prompt(conversation)).containsExactly(expected);
    assertThat(format.stopTokens()).containsExactly(EOS);
  }
}
