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

  /** The {@code chat.completion} body of an unstreamed answer (openai profile). */
  public static String completion(CallInfo call, Completion completion) {
    ObjectNode body = Json.MAPPER.createObjectNode();
    body.put("id", call.id());
    body.put("object", "chat.completion");
    body.put("created", call.created());
    body.put("model", call.model());
    ObjectNode choice = body.putArray("choices").addObject();
    choice.put("index", 0);
    ObjectNode message = choice.putObject("message");
    message.put("role", "assistant");
    message.put("content", completion.content());
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
