package org.chatglmkit.mockserver.client;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
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
 * @param model the {@code model} every request names, or {@code null} to send none
 * @param headers headers added to every request (gateways, tenants), in the order given
 * @param scheme how every request carries the key ({@link TargetClient#connect} finds the one the
 *     target takes)
 */
public record Target(
    String baseUrl,
    String apiKey,
    String forbiddenKey,
    Profile profile,
    boolean embedded,
    String model,
    Map<String, String> headers,
    KeyScheme scheme) {

  /** Header names whose values are treated as secrets: masked wherever they could be shown. */
  private static final Pattern SECRET_HEADER =
      Pattern.compile("(?i).*(auth|key|token|secret|cookie|session|password|signature).*");

  public Target {
    if (baseUrl == null || baseUrl.isBlank()) {
      throw new IllegalArgumentException("a target needs a URL");
    }
    baseUrl = normalise(baseUrl);
    apiKey = apiKey == null ? "" : apiKey;
    forbiddenKey = forbiddenKey == null || forbiddenKey.isBlank() ? null : forbiddenKey;
    model = model == null || model.isBlank() ? null : model.strip();
    headers =
        headers == null
            ? Map.of()
            : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(headers));
    scheme = scheme == null ? KeyScheme.API_KEY : scheme;
  }

  public Target(
      String baseUrl,
      String apiKey,
      String forbiddenKey,
      Profile profile,
      boolean embedded,
      String model,
      Map<String, String> headers) {
    this(baseUrl, apiKey, forbiddenKey, profile, embedded, model, headers, KeyScheme.API_KEY);
  }

  public Target(
      String baseUrl, String apiKey, String forbiddenKey, Profile profile, boolean embedded) {
    this(baseUrl, apiKey, forbiddenKey, profile, embedded, null, Map.of());
  }

  /** The same target, naming {@code model} in every request. */
  public Target withModel(String model) {
    return new Target(baseUrl, apiKey, forbiddenKey, profile, embedded, model, headers, scheme);
  }

  /** The same target, sending the key by {@code other}. */
  public Target withScheme(KeyScheme other) {
    return new Target(baseUrl, apiKey, forbiddenKey, profile, embedded, model, headers, other);
  }

  /** The headers every request carries: the key in the target's scheme, then the extra ones. */
  public Map<String, String> requestHeaders() {
    Map<String, String> all = new LinkedHashMap<>();
    if (!apiKey.isEmpty()) {
      all.put(scheme.header(), scheme.value(apiKey));
    }
    all.putAll(headers);
    return all;
  }

  /** The model to name, when one is set. */
  public Optional<String> modelName() {
    return Optional.ofNullable(model);
  }

  /**
   * Parses {@code Name: value}; an {@link IllegalArgumentException} names what is wrong with it.
   */
  public static Map.Entry<String, String> parseHeader(String line) {
    int colon = line.indexOf(':');
    String name = colon < 0 ? "" : line.substring(0, colon).strip();
    if (name.isEmpty() || !name.matches("[!#$%&'*+.^_`|~0-9A-Za-z-]+")) {
      throw new IllegalArgumentException("not a header 'Name: value': " + Keys.mask(line));
    }
    return Map.entry(name, line.substring(colon + 1).strip());
  }

  /** Values of the extra headers that look like credentials (their names say so). */
  public java.util.List<String> secretHeaderValues() {
    return headers.entrySet().stream()
        .filter(header -> SECRET_HEADER.matcher(header.getKey()).matches())
        .map(Map.Entry::getValue)
        .toList();
  }

  /** The extra headers as they may be shown: credential-like values masked. */
  public Map<String, String> shownHeaders() {
    Map<String, String> shown = new LinkedHashMap<>();
    headers.forEach(
        (name, value) ->
            shown.put(
                name,
                SECRET_HEADER.matcher(name.toLowerCase(Locale.ROOT)).matches()
                    ? Keys.mask(value)
                    : value));
    return shown;
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
        + (model == null ? "" : ", model=" + model)
        + (headers.isEmpty() ? "" : ", headers=" + shownHeaders())
        + (scheme == KeyScheme.BEARER ? ", key as bearer token" : "")
        + (embedded ? ", embedded" : "")
        + "]";
  }
}
