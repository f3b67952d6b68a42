package org.chatglmkit.conformance.http;

/**
 * One server-sent event as it arrived.
 *
 * @param data the event's data lines, joined with {@code \n}
 * @param event the {@code event:} field, or {@code null}
 * @param arrivedNanos {@link System#nanoTime()} when the event's last byte was read
 */
public record SseEvent(String data, String event, long arrivedNanos) {

  public static final String DONE = "[DONE]";

  public boolean isDone() {
    return DONE.equals(data.strip());
  }
}
