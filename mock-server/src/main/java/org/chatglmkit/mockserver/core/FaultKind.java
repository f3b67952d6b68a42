package org.chatglmkit.mockserver.core;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** A fault the reference server can inject, named as in the {@code X-ChatGLM-Fault} header. */
public enum FaultKind {
  /** 429 with Retry-After. */
  RATE_LIMIT("429"),
  /** 529 with Retry-After. */
  OVERLOADED("529"),
  /** 500 api_error. */
  INTERNAL("500"),
  /** The connection is reset (TCP RST) instead of answering. */
  RESET("reset"),
  /** A stream sends half its tokens, then one error event, then ends. */
  STREAM_ERROR("stream-error"),
  /** A stream sends half its tokens, then nothing until the stall limit, then ends. */
  STALL("stall"),
  /** One event of a stream is JSON cut short; the stream goes on. */
  MALFORMED_CHUNK("malformed-chunk"),
  /** A stream ends after some events without {@code [DONE]}: the response ends cleanly. */
  CUT("cut"),
  /** A stream ends after some events without {@code [DONE]}: the connection is reset. */
  CUT_RESET("cut-reset"),
  /** One event of a stream is sent twice. */
  DUPLICATE_EVENT("duplicate-event"),
  /** The response headers are held back (the first byte comes late). */
  HOLD_HEADERS("hold-headers"),
  /** A flood of keep-alive comments before each event. */
  KEEPALIVE_FLOOD("keepalive-flood"),
  /** A stream has no final chunk (no finish_reason, no usage) before {@code [DONE]}. */
  NO_FINAL_CHUNK("no-final-chunk"),
  /** An answer's calls carry arguments that are no JSON (the first brace doubled). */
  TOOL_ARGS_NOT_JSON("tool-args-not-json"),
  /** An answer's calls carry arguments as a JSON object instead of a string. */
  TOOL_ARGS_OBJECT("tool-args-object"),
  /** An answer's calls carry no id. */
  TOOL_CALL_NO_ID("tool-call-no-id");

  /** The request header that asks for a fault on this one request. */
  public static final String HEADER = "X-ChatGLM-Fault";

  private final String id;

  FaultKind(String id) {
    this.id = id;
  }

  public String id() {
    return id;
  }

  /**
   * Whether this fault breaks an answer's calls instead of the answer: it changes nothing in an
   * answer without calls.
   */
  public boolean breaksCalls() {
    return this == TOOL_ARGS_NOT_JSON || this == TOOL_ARGS_OBJECT || this == TOOL_CALL_NO_ID;
  }

  /**
   * Whether this fault changes how a stream's events come, not whether an answer comes: it plays in
   * a stream only (an unstreamed answer is whole or not at all), except {@link #HOLD_HEADERS},
   * which delays an unstreamed answer too.
   */
  public boolean shapesStream() {
    return switch (this) {
      case STREAM_ERROR,
          STALL,
          MALFORMED_CHUNK,
          CUT,
          CUT_RESET,
          DUPLICATE_EVENT,
          HOLD_HEADERS,
          KEEPALIVE_FLOOD,
          NO_FINAL_CHUNK ->
          true;
      default -> false;
    };
  }

  /** Parses a fault name such as {@code 429} or {@code stream-error}. */
  public static FaultKind parse(String text) {
    String wanted = text.trim().toLowerCase(Locale.ROOT);
    for (FaultKind kind : values()) {
      if (kind.id.equals(wanted)) {
        return kind;
      }
    }
    throw new IllegalArgumentException(
        "unknown fault '" + text + "' (expected one of " + names() + ")");
  }

  /** Every fault name, comma-separated. */
  public static String names() {
    return Arrays.stream(values()).map(FaultKind::id).collect(Collectors.joining(", "));
  }
}
