package org.chatglmkit.mockserver.settings;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * The toolkit's one rule for every setting: an explicit value (a command-line option, a JUnit
 * configuration parameter, a map handed to an API), then the system property, then the environment
 * variable, then the default. An explicit blank value means "none" and stops the search.
 *
 * <pre>{@code
 * Settings settings = Settings.of(Map.of("chatglm.timeout-s", "5"));
 * long timeout = settings.whole("chatglm.timeout-s", 60);       // 5
 * String url = settings.text("chatglm.target.url").orElse(null); // -D..., then CHATGLM_TARGET_URL
 * }</pre>
 */
public final class Settings {
  /** Environment names that are shorter than the rule would make them. */
  private static final Map<String, String> ENVIRONMENT_ALIASES =
      Map.of(
          "chatglm.target.api-key", "CHATGLM_API_KEY",
          "chatglm.target.forbidden-key", "CHATGLM_FORBIDDEN_KEY",
          "chatglm.target.model", "CHATGLM_MODEL",
          "chatglm.target.headers", "CHATGLM_HEADERS");

  /**
   * Settings renamed so that the commands speak one vocabulary: the new name, the old one (still
   * read, with a one-line notice) and the unit a bare number had under the old name.
   */
  private static final Map<String, Renamed> RENAMED =
      Map.of(
          "chatglm.api-profile", new Renamed("chatglm.profile", null),
          "chatglm.timeout", new Renamed("chatglm.timeout-s", "s"),
          "chatglm.max-time", new Renamed("chatglm.max-time-s", "s"),
          "chatglm.stream.min-spread", new Renamed("chatglm.stream.min-spread-ms", "ms"),
          "chatglm.fuzz.time", new Renamed("chatglm.fuzz.time-s", "s"));

  private record Renamed(String old, String bareUnit) {}

  private final UnaryOperator<String> explicit;
  private final UnaryOperator<String> environment;

  private Settings(UnaryOperator<String> explicit, UnaryOperator<String> environment) {
    this.explicit = explicit;
    this.environment = environment;
  }

  /** Explicit values from {@code explicit} (null: not given), then properties and environment. */
  public static Settings of(UnaryOperator<String> explicit) {
    return new Settings(explicit, System::getenv);
  }

  public static Settings of(Map<String, String> explicit) {
    return of(explicit::get);
  }

  /** No explicit values: system properties, then the environment. */
  public static Settings system() {
    return of(name -> null);
  }

  /** The same rule with another environment (tests). */
  public Settings withEnvironment(Map<String, String> variables) {
    return new Settings(explicit, variables::get);
  }

  /**
   * The environment variable that stands for a property: {@code chatglm.load.rate} → {@code
   * CHATGLM_LOAD_RATE}.
   */
  public static String environmentName(String property) {
    String alias = ENVIRONMENT_ALIASES.get(property);
    return alias != null
        ? alias
        : property.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
  }

  /**
   * The value, stripped; empty when nothing (or an explicit blank) was given. A renamed setting is
   * also read by its old name, which prints a one-line notice.
   */
  public Optional<String> text(String name) {
    Optional<String> value = lookUp(name);
    Renamed renamed = RENAMED.get(name);
    if (value.isPresent() || renamed == null) {
      return value;
    }
    Optional<String> old = lookUp(renamed.old());
    old.ifPresent(given -> CommandLines.renamed(renamed.old(), name));
    return old.map(
        given ->
            renamed.bareUnit() != null && given.matches("\\d+(\\.\\d+)?")
                ? given + renamed.bareUnit()
                : given);
  }

  /** A time: {@code 500ms}, {@code 90s}, {@code 2m}, {@code 1h}, or plain seconds. */
  public Duration duration(String name, Duration fallback) {
    Optional<String> value = text(name);
    if (value.isEmpty()) {
      return fallback;
    }
    try {
      return Durations.parse(value.get(), "s");
    } catch (IllegalArgumentException e) {
      throw notA("a time such as 500ms, 90s or 2m", name, value.get());
    }
  }

  private Optional<String> lookUp(String name) {
    String given = explicit.apply(name);
    if (given != null) {
      return blankToEmpty(given);
    }
    Optional<String> property = blankToEmpty(System.getProperty(name));
    return property.isPresent() ? property : blankToEmpty(environment.apply(environmentName(name)));
  }

  public String text(String name, String fallback) {
    return text(name).orElse(fallback);
  }

  /** A whole number; anything else is an {@link IllegalArgumentException} naming the setting. */
  public long whole(String name, long fallback) {
    Optional<String> value = text(name);
    if (value.isEmpty()) {
      return fallback;
    }
    try {
      return Long.parseLong(value.get());
    } catch (NumberFormatException e) {
      throw notA("a whole number", name, value.get());
    }
  }

  public double number(String name, double fallback) {
    return optionalNumber(name).orElse(fallback);
  }

  public Optional<Double> optionalNumber(String name) {
    Optional<String> value = text(name);
    if (value.isEmpty()) {
      return Optional.empty();
    }
    try {
      return Optional.of(Double.valueOf(value.get()));
    } catch (NumberFormatException e) {
      throw notA("a number", name, value.get());
    }
  }

  public boolean flag(String name, boolean fallback) {
    Optional<String> value = text(name);
    if (value.isEmpty()) {
      return fallback;
    }
    return switch (value.get().toLowerCase(Locale.ROOT)) {
      case "true", "yes", "1", "on" -> true;
      case "false", "no", "0", "off" -> false;
      default -> throw notA("true or false", name, value.get());
    };
  }

  /** A repeatable setting: one value per line. */
  public List<String> lines(String name) {
    return text(name)
        .map(value -> Arrays.stream(value.split("\\R")).map(String::strip))
        .map(values -> values.filter(line -> !line.isEmpty()).toList())
        .orElse(List.of());
  }

  private static IllegalArgumentException notA(String what, String name, String value) {
    return new IllegalArgumentException(
        name + " (" + environmentName(name) + ") must be " + what + ", got '" + value + "'");
  }

  private static Optional<String> blankToEmpty(String value) {
    return value == null || value.isBlank() ? Optional.empty() : Optional.of(value.strip());
  }
}
