package org.chatglmkit.schemas;

import java.util.Locale;

/**
 * The two readings of the API that every check belongs to (docs/api-reading.md, "profiles").
 *
 * <p>{@code DOCUMENTED} is only what the API document states; {@code OPENAI} adds the
 * OpenAI-compatible extras (ids, usage, streaming, {@code GET /v1/models}).
 */
public enum Profile {
  DOCUMENTED,
  OPENAI;

  /** Parses {@code documented} or {@code openai}, ignoring case. */
  public static Profile parse(String text) {
    try {
      return valueOf(text.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "unknown profile '" + text + "' (expected documented or openai)", e);
    }
  }

  /** True when a rule of profile {@code ruleProfile} applies to a run of this profile. */
  public boolean includes(Profile ruleProfile) {
    return this == OPENAI || ruleProfile == DOCUMENTED;
  }

  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }
}
