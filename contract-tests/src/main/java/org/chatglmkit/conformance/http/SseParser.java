package org.chatglmkit.conformance.http;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A push parser for {@code text/event-stream} (the WHATWG rules): lines end in {@code \n}, {@code
 * \r\n} or {@code \r}; lines starting with {@code :} are comments; a blank line ends an event.
 * Bytes are fed as they arrive, so every event keeps the time its last byte was read.
 *
 * <pre>{@code
 * SseParser parser = new SseParser();
 * parser.feed(bytes, 0, n, System.nanoTime());
 * List<SseEvent> events = parser.events();
 * }</pre>
 */
public final class SseParser {
  private final List<SseEvent> events = new ArrayList<>();
  private final ByteArrayOutputStream line = new ByteArrayOutputStream();
  private final StringBuilder data = new StringBuilder();
  private boolean hasData;
  private String eventName;
  private boolean lastWasCarriageReturn;
  private int comments;

  /** Feeds {@code length} bytes read at {@code nanos}. */
  public void feed(byte[] bytes, int offset, int length, long nanos) {
    for (int i = offset; i < offset + length; i++) {
      byte b = bytes[i];
      if (b == '\n' && lastWasCarriageReturn) {
        lastWasCarriageReturn = false;
        continue;
      }
      lastWasCarriageReturn = b == '\r';
      if (b == '\n' || b == '\r') {
        endLine(nanos);
      } else {
        line.write(b);
      }
    }
  }

  private void endLine(long nanos) {
    String text = line.toString(StandardCharsets.UTF_8);
    line.reset();
    if (text.isEmpty()) {
      if (hasData) {
        events.add(new SseEvent(data.toString(), eventName, nanos));
      }
      data.setLength(0);
      hasData = false;
      eventName = null;
      return;
    }
    if (text.startsWith(":")) {
      comments++;
      return;
    }
    int colon = text.indexOf(':');
    String field = colon < 0 ? text : text.substring(0, colon);
    String value = colon < 0 ? "" : text.substring(colon + 1);
    if (value.startsWith(" ")) {
      value = value.substring(1);
    }
    if (field.equals("data")) {
      if (hasData) {
        data.append('\n');
      }
      data.append(value);
      hasData = true;
    } else if (field.equals("event")) {
      eventName = value;
    }
  }

  /** The complete events so far. */
  public List<SseEvent> events() {
    return List.copyOf(events);
  }

  /** Comment lines seen (keep-alives such as {@code : ping}). */
  public int comments() {
    return comments;
  }

  /**
   * Whether bytes of an unfinished event are left over (a stream cut in the middle of an event).
   */
  public boolean hasPartialEvent() {
    return hasData || line.size() > 0;
  }
}
