package org.chatglmkit.mockserver.core;

import java.util.UUID;

/** The identity of one answer: {@code id}, {@code model}, {@code created}. */
public record CallInfo(String id, String model, long created) {

  public static CallInfo next(String model) {
    String id = "chatcmpl-" + UUID.randomUUID().toString().replace("-", "").substring(0, 24);
    return new CallInfo(id, model, System.currentTimeMillis() / 1000);
  }
}
