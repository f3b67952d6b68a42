package org.chatglmkit.conformance.http;

import java.nio.charset.StandardCharsets;

/**
 * One plain request a check sends.
 *
 * @param method the HTTP method
 * @param path the path, starting with a slash
 * @param auth how the key is sent
 * @param contentType the request's Content-Type, or {@code null} for none
 * @param body the body, or {@code null} for none
 * @param mistake for a request that is a client's mistake on purpose, what is wrong with it; a 5xx
 *     answer to it fails ERR-NO-500-FOR-CLIENT-ERROR. {@code null} for a valid request.
 */
public record Call(
    String method, String path, Auth auth, String contentType, byte[] body, String mistake) {

  /** A valid chat request. */
  public static Call chat(String json, Auth auth) {
    return new Call(
        "POST",
        ChatGlmClient.CHAT_PATH,
        auth,
        "application/json",
        json.getBytes(StandardCharsets.UTF_8),
        null);
  }

  /** The same request, marked as a client's mistake. */
  public Call mistake(String what) {
    return new Call(method, path, auth, contentType, body, what);
  }

  public String describe() {
    return method + " " + path;
  }
}
