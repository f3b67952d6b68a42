package org.chatglmkit.mockserver.core;

import java.util.Optional;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;

/**
 * Which keys may call the API (docs/api-reading.md section 2). Both {@code API-KEY: <key>} and
 * {@code Authorization: Bearer <key>} carry a key.
 *
 * @param keys keys that may use the API
 * @param forbiddenKeys keys that are known but may not use it (403)
 */
public record AccessPolicy(Set<String> keys, Set<String> forbiddenKeys) {

  public AccessPolicy {
    keys = Set.copyOf(keys);
    forbiddenKeys = Set.copyOf(forbiddenKeys);
  }

  /** The error for a request's headers, or empty when the key may use the API. */
  public Optional<ApiError> check(UnaryOperator<String> header) {
    String key = keyOf(header);
    if (key == null) {
      return Optional.of(
          ApiError.unauthorized(
              "missing API key: send it as 'API-KEY: <key>' or 'Authorization: Bearer <key>'"));
    }
    if (forbiddenKeys.contains(key)) {
      return Optional.of(
          ApiError.forbidden("API key " + Keys.mask(key) + " may not use this resource"));
    }
    if (!keys.contains(key)) {
      return Optional.of(ApiError.unauthorized("unknown API key " + Keys.mask(key)));
    }
    return Optional.empty();
  }

  /** The key a request carries, from API-KEY first, then a Bearer token; {@code null} if none. */
  public static String keyOf(UnaryOperator<String> header) {
    String apiKey = header.apply("API-KEY");
    if (apiKey != null && !apiKey.isBlank()) {
      return apiKey.trim();
    }
    String authorization = header.apply("Authorization");
    if (authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      String token = authorization.substring(7).trim();
      return token.isEmpty() ? null : token;
    }
    return null;
  }

  @Override
  public String toString() {
    return "AccessPolicy[keys="
        + keys.stream().map(Keys::mask).collect(Collectors.toList())
        + ", forbiddenKeys="
        + forbiddenKeys.stream().map(Keys::mask).collect(Collectors.toList())
        + "]";
  }
}
