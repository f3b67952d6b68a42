package org.chatglmkit.conformance.http;

/**
 * How a request carries its key.
 *
 * @param header the header name, or {@code null} for no key at all
 * @param value the header value
 */
public record Auth(String header, String value) {

  public static Auth apiKey(String key) {
    return new Auth("API-KEY", key);
  }

  public static Auth bearer(String key) {
    return new Auth("Authorization", "Bearer " + key);
  }

  public static Auth none() {
    return new Auth(null, null);
  }

  public boolean present() {
    return header != null;
  }
}
