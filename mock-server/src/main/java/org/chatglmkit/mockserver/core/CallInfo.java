package org.chatglmkit.mockserver.core;

import java.util.concurrent.ThreadLocalRandom;

/** The identity of one answer: {@code id}, {@code model}, {@code created}. */
public record CallInfo(String id, String model, long created) {

  public static CallInfo next(String model) {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    String id =
        "chatcmpl-"
            + Long.toHexString(random.nextLong() | Long.MIN_VALUE)
            + Long.toHexString(random.nextLong() | Long.MIN_VALUE);
    return new CallInfo(id, model, System.currentTimeMillis() / 1000);
  }
}
