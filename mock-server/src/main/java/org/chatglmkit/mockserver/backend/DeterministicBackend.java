package org.chatglmkit.mockserver.backend;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ThreadLocalRandom;
import org.chatglmkit.mockserver.core.ChatBackend;
import org.chatglmkit.mockserver.core.ChatMessage;
import org.chatglmkit.mockserver.core.ChatRequest;
import org.chatglmkit.mockserver.core.TokenSink;

/**
 * Answers without a model: the same conversation at temperature 0 always gets the same answer,
 * English or Chinese after the last user message. Higher temperatures vary the answer (a request
 * {@code seed} makes that reproducible). {@code max_tokens} cuts with {@code length}.
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
    List<String> tokens = answerTokens(request);
    int limit = request.maxTokens() == null ? Integer.MAX_VALUE : request.maxTokens();
    String finish = tokens.size() > limit ? "length" : "stop";
    List<String> sent = tokens.size() > limit ? tokens.subList(0, limit) : tokens;
    sent.forEach(sink::onToken);
    sink.onFinish(finish, promptTokens(request), sent.size());
    return () -> {};
  }

  /** Prompt tokens: the tokens of every message's content plus one per message. */
  static int promptTokens(ChatRequest request) {
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
