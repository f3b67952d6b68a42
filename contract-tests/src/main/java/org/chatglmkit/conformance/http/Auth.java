package org.chatglmkit.conformance.http;

import org.chatglmkit.mockserver.client.KeyScheme;

/**
 * How a request carries its key.
 *
 * @param header the header name, or {@code null} for no key at all
 * @param value the header value
 */
public record Auth(String header, String value) {

  public static Auth apiKey(String key) {
    return of(KeyScheme.API_KEY, key);
  }

  public static Auth bearer(String key) {
    return of(KeyScheme.BEARER, key);
  }

  /** {@code key} sent by {@code scheme}. */
  public static Auth of(KeyScheme scheme, String key) {
    return new Auth(scheme.header(), scheme.value(key));
  }

  public static Auth none() {
    return new Auth(null, null);
  }

  public boolean present() {
    return header != null;
  }
}
