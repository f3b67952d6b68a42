package org.chatglmkit.mockserver.backend;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits text into word-like tokens for the deterministic backend: a word or number with its
 * leading space, one Chinese character, or one punctuation mark. Concatenating the tokens gives
 * back the text.
 *
 * <p>The rule is the regular expression {@link #RULE}; it is scanned by hand, because every answer
 * and every prompt count passes through it and the regular expression was the largest cost of an
 * unstreamed answer.
 */
public final class SimpleTokenizer {
  /** What one token is: leading whitespace, then a Han character, a word, or one other sign. */
  static final String RULE = "\\s*(?:\\p{IsHan}|[\\p{L}\\p{N}']+|[^\\s\\p{L}\\p{N}])|\\s+";

  private SimpleTokenizer() {}

  public static List<String> split(String text) {
    List<String> tokens = new ArrayList<>();
    int start = 0;
    int end;
    while ((end = next(text, start)) > start) {
      tokens.add(text.substring(start, end));
      start = end;
    }
    return tokens;
  }

  public static int count(String text) {
    int count = 0;
    int start = 0;
    int end;
    while ((end = next(text, start)) > start) {
      count++;
      start = end;
    }
    return count;
  }

  /** Where the token that starts at {@code from} ends ({@code from} at the end of the text). */
  private static int next(String text, int from) {
    int n = text.length();
    int i = from;
    while (i < n && isSpace(text.charAt(i))) {
      i++;
    }
    if (i == n) {
      return i; // trailing whitespace is a token of its own (or nothing is left)
    }
    int cp = text.codePointAt(i);
    i += Character.charCount(cp);
    if (Character.UnicodeScript.of(cp) == Character.UnicodeScript.HAN || !isWord(cp)) {
      return i;
    }
    while (i < n) {
      int following = text.codePointAt(i);
      if (!isWord(following)) {
        break;
      }
      i += Character.charCount(following);
    }
    return i;
  }

  /** {@code \s} as the regular expression reads it: ASCII whitespace only. */
  private static boolean isSpace(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == 0x0B || c == '\f' || c == '\r';
  }

  /** {@code [\p{L}\p{N}']}. */
  private static boolean isWord(int cp) {
    if (cp == '\'' || Character.isLetter(cp)) {
      return true;
    }
    int type = Character.getType(cp);
    return type == Character.DECIMAL_DIGIT_NUMBER
        || type == Character.LETTER_NUMBER
        || type == Character.OTHER_NUMBER;
  }
}
