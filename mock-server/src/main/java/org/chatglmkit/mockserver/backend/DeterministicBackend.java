package org.chatglmkit.mockserver.backend;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ThreadLocalRandom;
import org.chatglmkit.mockserver.core.ChatBackend;
import org.chatglmkit.mockserver.core.ChatMessage;
import org.chatglmkit.mockserver.core.ChatRequest;
import org.chatglmkit.mockserver.core.TokenSink;
import org.chatglmkit.mockserver.core.ToolCall;
import org.chatglmkit.mockserver.core.Tools;

/**
 * Answers without a model: the same conversation at temperature 0 always gets the same answer,
 * English or Chinese after the last user message. Higher temperatures vary the answer (a request
 * {@code seed} makes that reproducible). {@code max_tokens} cuts with {@code length}. When the
 * request offers functions, {@link ToolDecision} says which to call, and {@link ArgumentsGenerator}
 * makes their arguments from their schemas; a conversation that ends in a tool's result is answered
 * in text that quotes it.
 */
public final class DeterministicBackend implements ChatBackend {
  /** Tokens each message adds to the prompt count for its role marker. */
  static final int TOKENS_PER_MESSAGE = 1;

  private static final String[] ENGLISH = {
    " This answer comes from the ChatGLM reference server.",
    " It is deterministic at temperature 0, so tests can compare answers.",
    " Streaming sends the same text one token at a time.",
    " The latency profile decides when each token is sent.",
    " A max_tokens limit cuts the answer and reports length.",
    " Usage counts the prompt and the completion in tokens.",
    " Errors follow one JSON shape with a message and a type.",
    " Both API-KEY and Authorization headers carry the key.",
  };
  private static final String[] CHINESE = {
    "这是来自 ChatGLM 参考服务器的回答。",
    "温度为 0 时回答是确定的,便于测试比较。",
    "流式输出会逐个发送同样的文字。",
    "延迟配置决定每个词元的发送时间。",
    "max_tokens 会截断回答并返回 length。",
    "用量按词元统计提示和补全。",
  };

  private final String model;
  private final int replyTokens;

  /**
   * @param model the model name answers carry
   * @param replyTokens a fixed answer length in tokens (for benchmarks), or 0 for natural lengths
   */
  public DeterministicBackend(String model, int replyTokens) {
    this.model = model;
    this.replyTokens = replyTokens;
  }

  @Override
  public String modelName() {
    return model;
  }

  @Override
  public Generation generate(ChatRequest request, TokenSink sink) {
    List<Tools.Function> functions = ToolDecision.calls(request);
    if (!functions.isEmpty()) {
      try {
        call(request, functions, sink);
        return () -> {};
      } catch (IllegalArgumentException e) {
        // arguments that satisfy the schema could not be made: the answer says so in text
        text(request, cannotCall(functions, e.getMessage()), sink);
        return () -> {};
      }
    }
    text(request, answerTokens(request), sink);
    return () -> {};
  }

  /** Characters of a call's arguments that one streamed piece (one token) carries at most. */
  static final int ARGUMENT_PIECE_CHARS = 8;

  /**
   * Calls {@code functions}: each call is one token for its start and one per piece of its
   * arguments, so that {@code max_tokens} cuts a call as it cuts text.
   */
  private void call(ChatRequest request, List<Tools.Function> functions, TokenSink sink) {
    long seed = seedOf(request);
    List<String> arguments = new ArrayList<>();
    for (int i = 0; i < functions.size(); i++) {
      arguments.add(ArgumentsGenerator.generate(functions.get(i).parameters(), seed + i));
    }
    int limit = request.maxTokens() == null ? Integer.MAX_VALUE : request.maxTokens();
    int sent = 0;
    for (int i = 0; i < functions.size() && sent < limit; i++) {
      sink.onToolCall(i, callId(seed, i), functions.get(i).name());
      sent++;
      String text = arguments.get(i);
      for (int at = 0; at < text.length() && sent < limit; sent++) {
        int end = Math.min(text.length(), at + ARGUMENT_PIECE_CHARS);
        if (end < text.length() && Character.isHighSurrogate(text.charAt(end - 1))) {
          end++;
        }
        sink.onToolArguments(i, text.substring(at, end));
        at = end;
      }
    }
    int needed = 0;
    for (String text : arguments) {
      needed += 1 + (text.length() + ARGUMENT_PIECE_CHARS - 1) / ARGUMENT_PIECE_CHARS;
    }
    String finish = sent < needed ? "length" : request.tools().finishReason();
    sink.onFinish(finish, countPromptTokens(request), sent);
  }

  /** The id of call {@code index}: the same for the same request at temperature 0. */
  static String callId(long seed, int index) {
    long mixed = new Random(seed * 31 + index).nextLong();
    return "call_" + String.format("%016x", mixed);
  }

  private static List<String> cannotCall(List<Tools.Function> functions, String why) {
    return SimpleTokenizer.split(
        "I cannot call "
            + functions.get(0).name()
            + ": no arguments satisfy its parameters ("
            + why
            + ").");
  }

  private void text(ChatRequest request, List<String> tokens, TokenSink sink) {
    int limit = request.maxTokens() == null ? Integer.MAX_VALUE : request.maxTokens();
    String finish = tokens.size() > limit ? "length" : "stop";
    List<String> sent = tokens.size() > limit ? tokens.subList(0, limit) : tokens;
    sent.forEach(sink::onToken);
    sink.onFinish(finish, countPromptTokens(request), sent.size());
  }

  /** The exact count its answers report. */
  @Override
  public int promptTokens(ChatRequest request) {
    return countPromptTokens(request);
  }

  /** Prompt tokens: the tokens of every message's content plus one per message. */
  static int countPromptTokens(ChatRequest request) {
    int count = 0;
    for (ChatMessage message : request.conversation()) {
      count += TOKENS_PER_MESSAGE;
      if (message.content() != null) {
        count += SimpleTokenizer.count(message.content());
      }
    }
    return count;
  }

  private List<String> answerTokens(ChatRequest request) {
    List<ChatMessage> conversation = request.conversation();
    ChatMessage last = conversation.isEmpty() ? null : conversation.get(conversation.size() - 1);
    if (last != null && last.isResult()) {
      return resultTokens(request, last);
    }
    String question = lastUserContent(request);
    boolean chinese = question.codePoints().anyMatch(DeterministicBackend::isHan);
    Random random = new Random(seedOf(request));
    StringBuilder text = new StringBuilder(chinese ? "收到你的问题。" : "You said:");
    if (!chinese) {
      List<String> words = SimpleTokenizer.split(question.strip());
      text.append(words.isEmpty() ? " (nothing)" : " ");
      words.stream().limit(8).forEach(text::append);
      text.append(words.size() > 8 ? "…" : ".");
    }
    String[] corpus = chinese ? CHINESE : ENGLISH;
    int sentences = 2 + random.nextInt(3);
    for (int i = 0; i < sentences; i++) {
      text.append(corpus[random.nextInt(corpus.length)]);
    }
    List<String> tokens = new ArrayList<>(SimpleTokenizer.split(text.toString()));
    if (replyTokens > 0) {
      while (tokens.size() < replyTokens) {
        tokens.addAll(SimpleTokenizer.split(corpus[random.nextInt(corpus.length)]));
      }
      return tokens.subList(0, replyTokens);
    }
    return tokens;
  }

  /** The final answer to a tool's result: it quotes the result (its first 16 words). */
  private static List<String> resultTokens(ChatRequest request, ChatMessage result) {
    String name = result.name() != null ? result.name() : calledName(request, result.toolCallId());
    List<String> words =
        SimpleTokenizer.split(result.content() == null ? "" : result.content().strip());
    StringBuilder text = new StringBuilder("The result of ").append(name).append(":");
    text.append(words.isEmpty() ? " (nothing)" : " ");
    words.stream().limit(16).forEach(text::append);
    text.append(words.size() > 16 ? "…" : ".");
    return SimpleTokenizer.split(text.toString());
  }

  /** The name of the function that the call {@code id} called, or {@code the tool}. */
  private static String calledName(ChatRequest request, String id) {
    for (ChatMessage message : request.conversation()) {
      for (ToolCall call : message.toolCalls()) {
        if (call.id() != null && call.id().equals(id)) {
          return call.name();
        }
      }
    }
    return "the tool";
  }

  private static long seedOf(ChatRequest request) {
    long conversation = 1125899906842597L;
    for (ChatMessage message : request.conversation()) {
      conversation = 31 * conversation + (message.role() + ":" + message.content()).hashCode();
    }
    if (request.temperature() == 0) {
      return conversation;
    }
    return request.seed() != null
        ? conversation ^ request.seed()
        : ThreadLocalRandom.current().nextLong();
  }

  private static String lastUserContent(ChatRequest request) {
    List<ChatMessage> messages = request.messages();
    for (int i = messages.size() - 1; i >= 0; i--) {
      if (messages.get(i).content() != null && !"assistant".equals(messages.get(i).role())) {
        return messages.get(i).content();
      }
    }
    return "";
  }

  private static boolean isHan(int codePoint) {
    return Character.UnicodeScript.of(codePoint) == Character.UnicodeScript.HAN;
  }
}
