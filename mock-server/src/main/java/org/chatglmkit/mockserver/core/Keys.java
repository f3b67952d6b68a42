package org.chatglmkit.mockserver.core;

/** Shows a key the only way it may be shown: its last four characters at most. */
public final class Keys {
  private Keys() {}

  /** {@code "…wxyz"} for keys longer than 8 characters, {@code "…"} otherwise. */
  public static String mask(String key) {
    if (key == null || key.isEmpty()) {
      return "(none)";
    }
    return key.length() > 8 ? "…" + key.substring(key.length() - 4) : "…";
  }
}
