package org.chatglmkit.conformance.fuzz;

import com.fasterxml.jackson.databind.JsonNode;
import io.kotest.property.Arb;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Strings a schema accepts: printable ASCII, CJK, code points beyond the BMP, control characters
 * and line separators, long text, mixes of these, and strings of the one pattern form the schemas
 * use. Every string is well formed (no half of a surrogate pair), while shrinking too.
 */
final class Texts {
  /** {@code ^[class]{min,max}$}: the one pattern form the schemas use. */
  static final Pattern CLASS_PATTERN = Pattern.compile("\\^\\[([^\\]]+)\\]\\{(\\d+),(\\d+)\\}\\$");

  private Texts() {}

  /**
   * Strings of the {@code string} schema, at most {@code longest} characters where it sets no
   * {@code maxLength}.
   */
  static Arb<String> of(JsonNode schema, int longest) {
    if (schema.has("pattern")) {
      return patterned(schema.path("pattern").asText());
    }
    int min = schema.path("minLength").asInt(0);
    int max = schema.path("maxLength").asInt(longest);
    // Code points beyond the BMP, one by one, so that shrinking never splits a surrogate pair.
    Arb<String> beyondBmp =
        Gens.map(
            Gens.lists(
                Gens.map(
                    Gens.ints(0x1F300, 0x1FAFF), point -> new String(Character.toChars(point))),
                1,
                8),
            points -> String.join("", points));
    char[] controls = new char[] {'\u007f', '\u2028', '\u2029', '\ufeff', '\u200b'};
    Arb<String> control =
        Gens.weighted(3, Gens.strings(1, 4, 0x00, 0x1f), 1, Gens.strings(1, 2, controls));
    Arb<String> pieces =
        Gens.map(
            Gens.lists(
                Gens.<String>weighted(
                    1,
                    Gens.strings(0, 8, ' ', '~'),
                    1,
                    Gens.strings(1, 4, 0x4e00, 0x9fa5),
                    1,
                    beyondBmp,
                    1,
                    control),
                2,
                6),
            parts -> String.join("", parts));
    Arb<String> any =
        Gens.weighted(
            6, Gens.strings(1, 24, ' ', '~'),
            1, Gens.just(""),
            2, Gens.strings(1, 16, 0x4e00, 0x9fa5),
            1, beyondBmp,
            1, control,
            1, pieces,
            1, longText(max));
    return Gens.filter(
        any,
        text ->
            wellFormed(text)
                && text.codePointCount(0, text.length()) >= min
                && text.length() <= max);
  }

  /**
   * Whether every surrogate is paired: shrinking a string beyond the BMP char by char can split a
   * pair, and half a pair is not a string any client can send.
   */
  static boolean wellFormed(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (Character.isHighSurrogate(c)
          && i + 1 < text.length()
          && Character.isLowSurrogate(text.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        return false;
      }
    }
    return true;
  }

  /**
   * Long text, up to {@code max} characters: a short piece repeated. It shrinks to fewer repeats of
   * a shorter piece, so a finding that does not need the length loses it.
   */
  private static Arb<String> longText(int max) {
    int piece = 16;
    return Gens.both(
        Gens.strings(1, piece, 'a', 'z'),
        Gens.ints(1, Math.max(1, max / piece)),
        (text, times) -> {
          String repeated = text.repeat(times);
          return repeated.length() > max ? repeated.substring(0, max) : repeated;
        });
  }

  /** Strings of {@code ^[class]{min,max}$}, the shortest and the longest included. */
  static Arb<String> patterned(String pattern) {
    Matcher matcher = CLASS_PATTERN.matcher(pattern);
    if (!matcher.matches()) {
      throw new IllegalStateException(
          "the fuzzer understands only patterns of the form ^[class]{min,max}$, not " + pattern);
    }
    char[] chars = characterClass(matcher.group(1));
    int min = Integer.parseInt(matcher.group(2));
    int max = Integer.parseInt(matcher.group(3));
    return Gens.weighted(
        6, Gens.strings(min, Math.min(max, 16), chars),
        1, Gens.strings(min, min, chars),
        1, Gens.strings(max, max, chars),
        1, Gens.strings(min, max, chars));
  }

  /** The characters of a regular-expression class body such as {@code a-zA-Z0-9_}. */
  static char[] characterClass(String body) {
    StringBuilder chars = new StringBuilder();
    for (int i = 0; i < body.length(); i++) {
      char c = body.charAt(i);
      if (c == '\\' || c == '^' || c == '[') {
        throw new IllegalStateException("the fuzzer does not understand the class [" + body + "]");
      }
      if (i + 2 < body.length() && body.charAt(i + 1) == '-') {
        for (char x = c; x <= body.charAt(i + 2); x++) {
          chars.append(x);
        }
        i += 2;
      } else {
        chars.append(c);
      }
    }
    return chars.toString().toCharArray();
  }
}
