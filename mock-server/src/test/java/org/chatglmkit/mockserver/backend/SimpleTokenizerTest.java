package org.chatglmkit.mockserver.backend;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The hand-written scanner splits exactly as its rule, the regular expression, does. */
class SimpleTokenizerTest {
  private static final Pattern RULE = Pattern.compile(SimpleTokenizer.RULE);

  private static List<String> byRule(String text) {
    List<String> tokens = new ArrayList<>();
    Matcher matcher = RULE.matcher(text);
    while (matcher.find()) {
      tokens.add(matcher.group());
    }
    return tokens;
  }

  @Test
  void splitsAsTheRuleSays() {
    for (String text :
        List.of(
            "",
            "   ",
            "Hello, world!",
            " don't stop  ",
            "abc中文def 你好。",
            "x² ½ Ⅻ 42.5%",
            "emoji 😀 and \uD83D unpaired",
            "tabs\tand\nnewlines\r\n",
            "温度为 0 时回答是确定的,便于测试比较。")) {
      assertThat(SimpleTokenizer.split(text)).as(text).isEqualTo(byRule(text));
      assertThat(SimpleTokenizer.count(text)).isEqualTo(byRule(text).size());
      assertThat(String.join("", SimpleTokenizer.split(text))).isEqualTo(text);
    }
  }

  @Test
  void splitsRandomTextAsTheRuleSays() {
    String alphabet = " \t\n'aZé9²½Ⅻ中文。,!-😀\u00a0\u2028";
    Random random = new Random(7);
    for (int round = 0; round < 2_000; round++) {
      StringBuilder text = new StringBuilder();
      int length = random.nextInt(30);
      for (int i = 0; i < length; i++) {
        int at = random.nextInt(alphabet.length());
        text.append(
            Character.isHighSurrogate(alphabet.charAt(at))
                ? alphabet.substring(at, at + 2)
                : alphabet.substring(at, at + 1));
      }
      assertThat(SimpleTokenizer.split(text.toString()))
          .as("'%s'", text)
          .isEqualTo(byRule(text.toString()));
    }
  }
}
