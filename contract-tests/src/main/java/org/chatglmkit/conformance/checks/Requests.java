package org.chatglmkit.conformance.checks;

/** The request bodies the checks send. Temperature 0 keeps answers comparable. */
final class Requests {
  static final String PROMPT = "Describe yourself in a few sentences.";

  private Requests() {}

  static String chat(int maxTokens) {
    return """
        {"messages": [{"role": "user", "content": "%s"}], "temperature": 0, "max_tokens": %d}"""
        .formatted(PROMPT, maxTokens);
  }

  static String stream(int maxTokens) {
    return """
        {"messages": [{"role": "user", "content": "%s"}], "temperature": 0, "max_tokens": %d,\
         "stream": true}"""
        .formatted(PROMPT, maxTokens);
  }

  /** The smallest valid request. */
  static String minimal() {
    return """
        {"messages": [{"role": "user", "content": "hi"}], "max_tokens": 8}""";
  }

  /** The smallest valid request, streamed. */
  static String minimalStream() {
    return """
        {"messages": [{"role": "user", "content": "hi"}], "max_tokens": 8, "stream": true}""";
  }
}
