package org.chatglmkit.djl;

import ai.djl.sentencepiece.SpProcessor;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.IntFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns token ids back into text one token at a time, for streaming: it works on bytes (pieces such
 * as {@code <0xE4>} are single bytes of a character split by byte fallback) and only ever releases
 * whole UTF-8 characters, holding back the start of one until its last byte arrives. DJL's own
 * {@code decode} goes through JNI's modified UTF-8 and loses characters outside the BMP.
 *
 * <pre>{@code
 * Detokenizer text = new Detokenizer(processor);
 * for (int id : generated) {
 *   send(text.push(id)); // "" while a character is incomplete
 * }
 * send(text.flush());
 * }</pre>
 */
public final class Detokenizer {
  private static final Pattern BYTE_PIECE = Pattern.compile("<0x([0-9A-Fa-f]{2})>");

  private final IntFunction<String> pieces;
  private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
  private boolean started;

  public Detokenizer(SpProcessor processor) {
    this(processor::getToken);
  }

  /**
   * @param pieces the SentencePiece piece of each id (a table built once serves every stream)
   */
  public Detokenizer(IntFunction<String> pieces) {
    this.pieces = pieces;
  }

  /** Adds a token; returns the text it completed (possibly empty). */
  public String push(int id) {
    String piece = pieces.apply(id);
    Matcher hex = BYTE_PIECE.matcher(piece);
    if (hex.matches()) {
      pending.write(Integer.parseInt(hex.group(1), 16));
    } else {
      pending.writeBytes(piece.replace('\u2581', ' ').getBytes(StandardCharsets.UTF_8));
    }
    byte[] bytes = pending.toByteArray();
    int complete = completeLength(bytes);
    pending.reset();
    pending.write(bytes, complete, bytes.length - complete);
    return text(new String(bytes, 0, complete, StandardCharsets.UTF_8));
  }

  /** What is left at the end of a generation (an incomplete character becomes U+FFFD). */
  public String flush() {
    String rest = new String(pending.toByteArray(), StandardCharsets.UTF_8);
    pending.reset();
    return text(rest);
  }

  /** SentencePiece marks the start of the text with a space; the first one is not part of it. */
  private String text(String chunk) {
    if (!started && !chunk.isEmpty()) {
      started = true;
      return chunk.startsWith(" ") ? chunk.substring(1) : chunk;
    }
    return chunk;
  }

  /** The length of the longest prefix of {@code bytes} that ends on a character boundary. */
  static int completeLength(byte[] bytes) {
    int end = bytes.length;
    int start = Math.max(0, end - 3);
    for (int i = end - 1; i >= start; i--) {
      int b = bytes[i] & 0xFF;
      if ((b & 0xC0) == 0x80) {
        continue; // a continuation byte: look further back for the lead byte
      }
      int length = b < 0x80 ? 1 : b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
      return i + length <= end ? end : i;
    }
    return end;
  }
}
