package org.chatglmkit.mockserver.target;

import java.util.Optional;
import org.chatglmkit.mockserver.core.Keys;
import org.chatglmkit.schemas.Profile;

/**
 * A server that a suite checks or loads: where it is, which keys to send, and which profile of the
 * API it is held to. {@link #toString()} never shows a key.
 *
 * @param baseUrl the server root, e.g. {@code http://127.0.0.1:8080}, without a trailing slash
 * @param apiKey a key the server accepts
 * @param forbiddenKey a key the server knows but refuses with 403, or {@code null} when none is
 *     known
 * @param profile the profile the server is held to
 * @param embedded whether this is the in-process reference server started for the run
 */
public record Target(
    String baseUrl, String apiKey, String forbiddenKey, Profile profile, boolean embedded) {

  public Target {
    if (baseUrl == null || baseUrl.isBlank()) {
      throw new IllegalArgumentException("a target needs a URL");
    }
    baseUrl = normalise(baseUrl);
    apiKey = apiKey == null ? "" : apiKey;
    forbiddenKey = forbiddenKey == null || forbiddenKey.isBlank() ? null : forbiddenKey;
  }

  /** The 403 key, when the user gave one. */
  public Optional<String> forbidden() {
    return Optional.ofNullable(forbiddenKey);
  }

  /** The URL of {@code path}, which starts with a slash. */
  public String url(String path) {
    return baseUrl + path;
  }

  /** Accepts a root with or without a trailing slash, and the full chat URL people often paste. */
  static String normalise(String url) {
    String root = url.strip();
    while (root.endsWith("/")) {
      root = root.substring(0, root.length() - 1);
    }
    for (String suffix : new String[] {"/v1/chat/completions", "/v1"}) {
      if (root.endsWith(suffix)) {
        root = root.substring(0, root.length() - suffix.length());
      }
    }
    return root;
  }

  @Override
  public String toString() {
    return "Target[url="
        + baseUrl
        + ", apiKey="
        + Keys.mask(apiKey)
        + ", forbiddenKey="
        + (forbiddenKey == null ? "(none)" : Keys.mask(forbiddenKey))
        + ", profile="
        + profile.id()
        + (embedded ? ", embedded" : "")
        + "]";
  }
}
