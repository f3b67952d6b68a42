package org.chatglmkit.conformance.http;

import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.stream.Stream;
import org.chatglmkit.mockserver.core.Keys;

/** The keys of a run, and the one way any text about the run is made safe to show. */
public final class Secrets {
  private final List<String> keys;

  public Secrets(String... keys) {
    this.keys =
        Stream.of(keys)
            .filter(Objects::nonNull)
            .filter(key -> key.length() >= 4)
            .distinct()
            .sorted(Comparator.comparingInt(String::length).reversed())
            .toList();
  }

  /** {@code text} with every key replaced by its masked form. */
  public String mask(String text) {
    if (text == null) {
      return null;
    }
    String masked = text;
    for (String key : keys) {
      masked = masked.replace(key, Keys.mask(key));
    }
    return masked;
  }
}
