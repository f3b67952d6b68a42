package org.chatglmkit.mockserver.client;

/**
 * How a request carries the user's key: the documented {@code API-KEY} header, or a bearer token
 * ({@code Authorization: Bearer KEY}), which OpenAI-style servers and most gateways take instead. A
 * run finds the scheme its target takes once ({@link TargetClient#connect}) and sends every request
 * with it.
 */
public enum KeyScheme {
  API_KEY("API-KEY"),
  BEARER("Authorization");

  private final String header;

  KeyScheme(String header) {
    this.header = header;
  }

  /** The header the key goes in. */
  public String header() {
    return header;
  }

  /** The header's value for {@code key}. */
  public String value(String key) {
    return this == BEARER ? "Bearer " + key : key;
  }

  /** How reports name the scheme. */
  public String shown() {
    return this == BEARER ? "Authorization: Bearer" : "API-KEY";
  }
}
