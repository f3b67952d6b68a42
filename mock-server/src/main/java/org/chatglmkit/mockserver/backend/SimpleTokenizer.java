package org.chatglmkit.mockserver.backend;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits text into word-like tokens for the deterministic backend: a word or number with its
 * leading space, one Chinese character, or one punctuation mark. Concatenating the tokens gives
 * back the text.
 */
public final class SimpleTokenizer {
  private static final Pattern TOKEN =
      Pattern.compile("\\s*(?:\\p{IsHan}|[\\p{L}\\p{N}']+|[^\\s\\p{L}\\p{N}])|\\s+");

  private SimpleTokenizer() {}

  public static List<String> split(String text) {
    List<String> tokens = new ArrayList<>();
    Matcher matcher = TOKEN.matcher(text);
    while (matcher.find()) {
      tokens.add(matcher.group());
    }
    return tokens;
  }

  public static int count(String text) {
    int count = 0;
    Matcher matcher = TOKEN.matcher(text);
    while (matcher.find()) {
      count++;
    }
    return count;
  }
}
