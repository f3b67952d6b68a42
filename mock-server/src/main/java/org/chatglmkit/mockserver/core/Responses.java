package org.chatglmkit.mockserver.core;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;

/** Renders answers: the completion JSON, stream chunks and server-sent-event frames. */
public final class Responses {
  /** The frame that ends every successful stream. */
  public static final String DONE_FRAME = "data: [DONE]\n\n";

  public static final String JSON = "application/json";
  public static final String EVENT_STREAM = "text/event-stream";

  private Responses() {}

  /** The {@code chat.completion} body of an unstreamed text answer (openai profile). */
  public static String completion(CallInfo call, Completion completion) {
    return completion(call, completion, false, null);
  }

  /**
   * The {@code chat.completion} body of an unstreamed answer (openai profile): its text, or its
   * calls as {@code tool_calls} (content {@code null}), or as one {@code function_call} when the
   * request offered the older {@code functions}.
   *
   * @param broken a {@link FaultKind#breaksCalls() call-breaking fault} to play on the calls, or
   *     {@code null}
   */
  public static String completion(
      CallInfo call, Completion completion, boolean legacy, FaultKind broken) {
    ObjectNode body = Json.MAPPER.createObjectNode();
    body.put("id", call.id());
    body.put("object", "chat.completion");
    body.put("created", call.created());
    body.put("model", call.model());
    ObjectNode choice = body.putArray("choices").addObject();
    choice.put("index", 0);
    ObjectNode message = choice.putObject("message");
    message.put("role", "assistant");
    if (completion.toolCalls().isEmpty()) {
      message.put("content", completion.content());
    } else {
      message.putNull("content");
      if (legacy) {
        ToolCall first = completion.toolCalls().get(0);
        BrokenCalls.function(message.putObject("function_call"), first, broken);
      } else {
        var calls = message.putArray("tool_calls");
        for (ToolCall made : completion.toolCalls()) {
          ObjectNode one = calls.addObject();
          BrokenCalls.id(one, made.id(), broken);
          one.put("type", "function");
          BrokenCalls.function(one.putObject("function"), made, broken);
        }
      }
    }
    choice.put("finish_reason", completion.finishReason());
    usage(body, completion.promptTokens(), completion.completionTokens());
    return body.toString();
  }

  /**
   * One stream chunk as an SSE frame.
   *
   * @param content the token text, or {@code null} for the final chunk
   * @param first whether this chunk opens the answer (its delta carries the role)
   * @param finishReason {@code null} until the final chunk
   * @param usage {@code int[]{prompt, completion}} on the final chunk when asked for, else null
   */
  public static String chunkFrame(
      CallInfo call, String content, boolean first, String finishReason, int[] usage) {
    ObjectNode body = Json.MAPPER.createObjectNode();
    body.put("id", call.id());
    body.put("object", "chat.completion.chunk");
    body.put("created", call.created());
    body.put("model", call.model());
    ObjectNode choice = body.putArray("choices").addObject();
    choice.put("index", 0);
    ObjectNode delta = choice.putObject("delta");
    if (first) {
      delta.put("role", "assistant");
    }
    if (content != null) {
      delta.put("content", content);
    }
    choice.put("finish_reason", finishReason);
    if (usage != null) {
      usage(body, usage[0], usage[1]);
    }
    return "data: " + body + "\n\n";
  }

  /**
   * A chunk that starts a call: its index, id, type and function name, with empty arguments (as
   * OpenAI's API streams them); the older {@code function_call} when {@code legacy}.
   */
  public static String callStartFrame(
      CallInfo call,
      boolean first,
      int index,
      String id,
      String name,
      boolean legacy,
      FaultKind broken) {
    ObjectNode body = chunk(call);
    ObjectNode delta = delta(body, first);
    if (legacy) {
      delta.putObject("function_call").put("name", name).put("arguments", "");
    } else {
      ObjectNode one = delta.putArray("tool_calls").addObject();
      one.put("index", index);
      BrokenCalls.id(one, id, broken);
      one.put("type", "function");
      one.putObject("function").put("name", name).put("arguments", "");
    }
    return "data: " + body + "\n\n";
  }

  /** A chunk that carries the next piece of call {@code index}'s arguments. */
  public static String callArgumentsFrame(
      CallInfo call, int index, String piece, boolean legacy, FaultKind broken) {
    ObjectNode body = chunk(call);
    ObjectNode delta = delta(body, false);
    ObjectNode function;
    if (legacy) {
      function = delta.putObject("function_call");
    } else {
      ObjectNode one = delta.putArray("tool_calls").addObject();
      one.put("index", index);
      function = one.putObject("function");
    }
    BrokenCalls.argumentsPiece(function, piece, broken);
    return "data: " + body + "\n\n";
  }

  private static ObjectNode chunk(CallInfo call) {
    ObjectNode body = Json.MAPPER.createObjectNode();
    body.put("id", call.id());
    body.put("object", "chat.completion.chunk");
    body.put("created", call.created());
    body.put("model", call.model());
    return body;
  }

  /** The delta of the chunk's one choice, with the role on an answer's first chunk. */
  private static ObjectNode delta(ObjectNode chunk, boolean first) {
    ObjectNode choice = chunk.putArray("choices").addObject();
    choice.put("index", 0);
    ObjectNode delta = choice.putObject("delta");
    if (first) {
      delta.put("role", "assistant");
    }
    choice.putNull("finish_reason");
    return delta;
  }

  /**
   * The start of every content chunk of one answer, up to its delta's fields, in UTF-8: computed
   * once per stream, so that each token's frame is a few array copies rather than a JSON tree.
   */
  public static byte[] chunkPrefix(CallInfo call) {
    StringBuilder prefix = new StringBuilder("data: {\"id\":");
    appendQuoted(prefix, call.id());
    prefix.append(",\"object\":\"chat.completion.chunk\",\"created\":").append(call.created());
    prefix.append(",\"model\":");
    appendQuoted(prefix, call.model());
    return utf8(prefix.append(",\"choices\":[{\"index\":0,\"delta\":{").toString());
  }

  private static final byte[] FIRST_CONTENT = utf8("\"role\":\"assistant\",\"content\":\"");
  private static final byte[] CONTENT = utf8("\"content\":\"");
  private static final byte[] CONTENT_END = utf8("\"},\"finish_reason\":null}]}\n\n");

  /**
   * One content chunk as an SSE frame in UTF-8, the same text as {@link #chunkFrame} gives for it.
   * Built straight into one array of its size: a stream's frames are made as it starts, thousands
   * at a time, and each intermediate copy is garbage the collector must find while streams run.
   *
   * @param prefix the answer's {@link #chunkPrefix}
   * @param first whether this chunk opens the answer (its delta carries the role)
   */
  public static byte[] contentFrame(byte[] prefix, String content, boolean first) {
    byte[] head = first ? FIRST_CONTENT : CONTENT;
    byte[] text = JsonStringEncoder.getInstance().quoteAsUTF8(content);
    byte[] frame = new byte[prefix.length + head.length + text.length + CONTENT_END.length];
    int at = 0;
    for (byte[] part : new byte[][] {prefix, head, text, CONTENT_END}) {
      System.arraycopy(part, 0, frame, at, part.length);
      at += part.length;
    }
    return frame;
  }

  /** {@code text} in UTF-8. */
  public static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  private static void appendQuoted(StringBuilder out, String text) {
    out.append('"');
    JsonStringEncoder.getInstance().quoteAsString(text, out);
    out.append('"');
  }

  /** An error inside a stream that has already answered 200. */
  public static String errorFrame(ApiError error) {
    return "data: " + error.toJson() + "\n\n";
  }

  private static void usage(ObjectNode body, int prompt, int completion) {
    ObjectNode usage = body.putObject("usage");
    usage.put("prompt_tokens", prompt);
    usage.put("completion_tokens", completion);
    usage.put("total_tokens", prompt + completion);
  }
}
