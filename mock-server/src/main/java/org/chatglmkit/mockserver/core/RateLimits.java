package org.chatglmkit.mockserver.core;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Per-key limits, as hosted APIs enforce them: requests per minute, tokens per minute and streams
 * open at once. A key without limits of its own has the defaults; 0 means no limit.
 *
 * <p>A limits file is JSON:
 *
 * <pre>{@code
 * {"default": {"requests_per_minute": 60, "tokens_per_minute": 40000, "concurrent_streams": 4},
 *  "keys": {"sk-team-a": {"requests_per_minute": 600}}}
 * }</pre>
 *
 * A key's entry replaces only the limits it names; the rest come from {@code default}.
 *
 * @param defaults the limits of every key without an entry of its own
 * @param perKey the limits of named keys
 */
public record RateLimits(Limit defaults, Map<String, Limit> perKey) {

  /** No limit at all: the server does no accounting. */
  public static final RateLimits NONE = new RateLimits(Limit.NONE, Map.of());

  public RateLimits {
    perKey = Map.copyOf(perKey);
  }

  /**
   * One key's limits; {@code null} in a file or a flag means "as the default", 0 means none.
   *
   * @param requestsPerMinute requests admitted per minute
   * @param tokensPerMinute prompt plus completion tokens per minute
   * @param concurrentStreams streams open at once
   */
  public record Limit(Integer requestsPerMinute, Long tokensPerMinute, Integer concurrentStreams) {
    public static final Limit NONE = new Limit(0, 0L, 0);

    @JsonCreator
    public Limit(
        @JsonProperty("requests_per_minute") Integer requestsPerMinute,
        @JsonProperty("tokens_per_minute") Long tokensPerMinute,
        @JsonProperty("concurrent_streams") Integer concurrentStreams) {
      requireNotNegative("requests_per_minute", requestsPerMinute);
      requireNotNegative("tokens_per_minute", tokensPerMinute);
      requireNotNegative("concurrent_streams", concurrentStreams);
      this.requestsPerMinute = requestsPerMinute;
      this.tokensPerMinute = tokensPerMinute;
      this.concurrentStreams = concurrentStreams;
    }

    private static void requireNotNegative(String field, Number value) {
      if (value != null && value.longValue() < 0) {
        throw new IllegalArgumentException(field + " must be 0 (no limit) or more, got " + value);
      }
    }

    /** This limit where it names one, {@code base}'s elsewhere. */
    Limit over(Limit base) {
      return new Limit(
          requestsPerMinute != null ? requestsPerMinute : base.requestsPerMinute,
          tokensPerMinute != null ? tokensPerMinute : base.tokensPerMinute,
          concurrentStreams != null ? concurrentStreams : base.concurrentStreams);
    }

    int rpm() {
      return requestsPerMinute == null ? 0 : requestsPerMinute;
    }

    long tpm() {
      return tokensPerMinute == null ? 0 : tokensPerMinute;
    }

    int streams() {
      return concurrentStreams == null ? 0 : concurrentStreams;
    }

    boolean any() {
      return rpm() > 0 || tpm() > 0 || streams() > 0;
    }

    /**
     * Parses {@code rpm=60,tpm=40000,streams=4}: the names a flag takes, any of them, in any order.
     */
    public static Limit parse(String text) {
      Integer rpm = null;
      Long tpm = null;
      Integer streams = null;
      for (String part : text.split(",")) {
        String[] pair = part.trim().split("=", 2);
        if (pair.length != 2) {
          throw new IllegalArgumentException(
              "expected rpm=N, tpm=N or streams=N, got '" + part.trim() + "'");
        }
        long value;
        try {
          value = Long.parseLong(pair[1].trim());
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("'" + pair[1].trim() + "' is not a whole number");
        }
        switch (pair[0].trim()) {
          case "rpm" -> rpm = Math.toIntExact(value);
          case "tpm" -> tpm = value;
          case "streams" -> streams = Math.toIntExact(value);
          default ->
              throw new IllegalArgumentException(
                  "unknown limit '" + pair[0].trim() + "' (expected rpm, tpm or streams)");
        }
      }
      return new Limit(rpm, tpm, streams);
    }

    @Override
    public String toString() {
      return "rpm=" + rpm() + ",tpm=" + tpm() + ",streams=" + streams();
    }
  }

  /** The limits {@code key} has: its own where it names them, the defaults elsewhere. */
  public Limit of(String key) {
    Limit own = perKey.get(key);
    return own == null ? defaults.over(Limit.NONE) : own.over(defaults.over(Limit.NONE));
  }

  /** Whether any key has any limit. */
  public boolean any() {
    return defaults.any() || perKey.values().stream().anyMatch(limit -> limit.over(defaults).any());
  }

  /** These limits with {@code key}'s own replaced by {@code limit}. */
  public RateLimits withKey(String key, Limit limit) {
    Map<String, Limit> keys = new LinkedHashMap<>(perKey);
    keys.put(key, limit);
    return new RateLimits(defaults, keys);
  }

  /** These limits with defaults {@code limit} where it names one. */
  public RateLimits withDefaults(Limit limit) {
    return new RateLimits(limit.over(defaults), perKey);
  }

  /** The shape of a limits file. */
  private record File(
      @JsonProperty("default") Limit defaults, @JsonProperty("keys") Map<String, Limit> keys) {}

  private static final ObjectMapper READER =
      new ObjectMapper().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  /**
   * Reads a limits file.
   *
   * @throws IllegalArgumentException with one line naming the file, the line and the field, for a
   *     file that does not parse, an unknown field or a negative limit
   */
  public static RateLimits read(Path file) {
    String text;
    try {
      text = Files.readString(file);
    } catch (IOException e) {
      throw new IllegalArgumentException(file + ": cannot read (" + e.getMessage() + ")");
    }
    File parsed;
    try {
      parsed = READER.readValue(text, File.class);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(where(file, e) + ": " + reason(e));
    }
    if (parsed == null) {
      throw new IllegalArgumentException(file + ": empty; expected {\"default\": …, \"keys\": …}");
    }
    Map<String, Limit> keys = parsed.keys() == null ? Map.of() : parsed.keys();
    if (keys.values().stream().anyMatch(limit -> limit == null)) {
      throw new IllegalArgumentException(
          file
              + ": a key's limits must be an object, e.g. {\"requests_per_minute\": 60} (keys "
              + keys.entrySet().stream()
                  .filter(e -> e.getValue() == null)
                  .map(e -> Keys.mask(e.getKey()))
                  .collect(Collectors.joining(", "))
              + ")");
    }
    return new RateLimits(parsed.defaults() == null ? Limit.NONE : parsed.defaults(), keys);
  }

  /** {@code file line N, field a.b}, without the key a path may hold. */
  private static String where(Path file, JsonProcessingException e) {
    JsonLocation location = e.getLocation();
    StringBuilder where = new StringBuilder(file.toString());
    if (location != null && location.getLineNr() > 0) {
      where.append(" line ").append(location.getLineNr());
    }
    if (e instanceof JsonMappingException mapping && !mapping.getPath().isEmpty()) {
      where.append(", field ");
      String path =
          mapping.getPath().stream()
              .map(
                  reference ->
                      reference.getFieldName() == null
                          ? String.valueOf(reference.getIndex())
                          : reference.getFrom() instanceof Map<?, ?>
                              ? Keys.mask(reference.getFieldName())
                              : reference.getFieldName())
              .collect(Collectors.joining("."));
      where.append(path);
    }
    return where.toString();
  }

  private static String reason(JsonProcessingException e) {
    if (e instanceof UnrecognizedPropertyException unknown) {
      return "unknown field '"
          + unknown.getPropertyName()
          + "' (expected "
          + (unknown.getKnownPropertyIds() == null
              ? "default, keys"
              : unknown.getKnownPropertyIds().stream()
                  .map(String::valueOf)
                  .sorted()
                  .collect(Collectors.joining(", ")))
          + ")";
    }
    if (e instanceof ValueInstantiationException instantiation
        && instantiation.getCause() instanceof IllegalArgumentException invalid) {
      return invalid.getMessage();
    }
    return e.getOriginalMessage();
  }

  @Override
  public String toString() {
    return "default "
        + defaults.over(Limit.NONE)
        + (perKey.isEmpty()
            ? ""
            : "; "
                + perKey.entrySet().stream()
                    .map(e -> Keys.mask(e.getKey()) + " " + of(e.getKey()))
                    .collect(Collectors.joining("; ")));
  }
}
