package org.chatglmkit.mockserver.core;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Answers every request with one scripted text (a stub's {@code reply}), a word or a Han character
 * per token, cut by {@code max_tokens} as a model's answer is. The prompt is counted by the backend
 * it stands in for.
 */
final class ScriptedBackend implements ChatBackend {
  private static final Pattern TOKEN = Pattern.compile("\\s*\\p{IsHan}|\\s*[^\\s\\p{IsHan}]+|\\s+");

  private final ChatBackend model;
  private final List<String> tokens;

  ScriptedBackend(ChatBackend model, String reply) {
    this.model = model;
    this.tokens = tokens(reply);
  }

  static List<String> tokens(String text) {
    List<String> tokens = new ArrayList<>();
    Matcher matcher = TOKEN.matcher(text);
    while (matcher.find()) {
      tokens.add(matcher.group());
    }
    return tokens;
  }

  @Override
  public String modelName() {
    return model.modelName();
  }

  @Override
  public int estimatePromptTokens(ChatRequest request) {
    return model.estimatePromptTokens(request);
  }

  @Override
  public int promptTokens(ChatRequest request) {
    return model.promptTokens(request);
  }

  @Override
  public Generation generate(ChatRequest request, TokenSink sink) {
    int limit = request.maxTokens() == null ? Integer.MAX_VALUE : request.maxTokens();
    List<String> sent = tokens.size() > limit ? tokens.subList(0, limit) : tokens;
    sent.forEach(sink::onToken);
    sink.onFinish(
        tokens.size() > limit ? "length" : "stop", model.promptTokens(request), sent.size());
    return () -> {};
  }
}
