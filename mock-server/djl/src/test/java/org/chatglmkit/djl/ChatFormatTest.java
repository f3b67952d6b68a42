package org.chatglmkit.djl;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.sentencepiece.SpProcessor;
import ai.djl.sentencepiece.SpTokenizer;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.chatglmkit.mockserver.core.ChatMessage;
import org.chatglmkit.mockserver.core.ChatRequest;
import org.chatglmkit.mockserver.core.RequestParser;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ChatFormatTest {
  static SpTokenizer tokenizer;
  static SpProcessor processor;
  static final int VOCAB = 1000;
  static final int EOS = 2;

  @BeforeAll
  static void load() throws Exception {
    try (InputStream in = ChatFormatTest.class.getResourceAsStream("/tokenizer/tokenizer.model")) {
      tokenizer = new SpTokenizer(in);
    }
    processor = tokenizer.getProcessor();
  }

  @AfterAll
  static void close() {
    tokenizer.close();
  }

  private static int[] encode(String text) {
    return processor.encode(text);
  }

  private static int[] concat(int[]... parts) {
    return Arrays.stream(parts).flatMapToInt(Arrays::stream).toArray();
  }

  /*
   * The expected prompts are written from the published sources, not from ChatFormat:
   * - ChatGLM3, THUDM/chatglm3-6b tokenization_chatglm.py: get_prefix_tokens() is [gMASK] sop;
   *   build_single_message(role, metadata, message) is [<|role|>] + encode(f"{metadata}\n") +
   *   encode(message); build_chat_input ends with <|assistant|>.
   * - ChatGLM2, THUDM/ChatGLM2-6B openai_api.py: query = messages[-1].content; a first system
   *   message is popped and put in front of the query (query = system.content + query); the rest
   *   pair up as [user, assistant] history when their count is even. The tokenizer's build_prompt
   *   (the same text as evaluation/evaluate_ceval.py) writes
   *   "[Round {}]\n\n问：{}\n\n答：{}\n\n" per exchange and "[Round {}]\n\n问：{}\n\n答：" for the
   *   query, with full-width colons (U+FF1A).
   */
  static final String ROUND = "[Round %d]\n\n\u95ee\uff1a%s\n\n\u7b54\uff1a%s\n\n";
  static final String QUERY = "[Round %d]\n\n\u95ee\uff1a%s\n\n\u7b54\uff1a";

  @Test
  void buildsTheChatGlm3PromptAsThePublishedTokenizer() {
    ChatFormat format = new ChatFormat(ChatFormat.Version.CHATGLM3, processor, VOCAB, EOS);
    List<ChatMessage> conversation =
        List.of(
            new ChatMessage("system", "Be brief.", null),
            new ChatMessage("user", "你好", null),
            new ChatMessage("assistant", "Hello", null),
            new ChatMessage("user", "again", null));
    int gmask = VOCAB + 1;
    int sop = VOCAB + 3;
    int system = VOCAB + 5;
    int user = VOCAB + 6;
    int assistant = VOCAB + 7;
    int[] expected =
        concat(
            new int[] {gmask, sop},
            new int[] {system},
            encode("\n"),
            encode("Be brief."),
            new int[] {user},
            encode("\n"),
            encode("你好"),
            new int[] {assistant},
            encode("\n"),
            encode("Hello"),
            new int[] {user},
            encode("\n"),
            encode("again"),
            new int[] {assistant});
    assertThat(format.prompt(conversation)).containsExactly(expected);
    // The two encodings differ with this tokenizer (as with the published one, whose every encode
    // starts a new piece), so the test tells them apart.
    assertThat(encode("\nBe brief.")).isNotEqualTo(concat(encode("\n"), encode("Be brief.")));
    assertThat(format.stopTokens()).containsExactlyInAnyOrder(EOS, user, VOCAB + 8);
    assertThat(format.idsNeeded()).isEqualTo(VOCAB + 9);
  }

  @Test
  void buildsTheChatGlm2PromptAsThePublishedServerAndTokenizer() {
    ChatFormat format = new ChatFormat(ChatFormat.Version.CHATGLM2, processor, VOCAB, EOS);
    List<ChatMessage> conversation =
        List.of(
            new ChatMessage("system", "Be brief. ", null),
            new ChatMessage("user", "Hi", null),
            new ChatMessage("assistant", "Hello", null),
            new ChatMessage("user", "再见", null));
    String text = String.format(ROUND, 1, "Hi", "Hello") + String.format(QUERY, 2, "Be brief. 再见");
    assertThat(format.prompt(conversation))
        .containsExactly(concat(new int[] {VOCAB + 1, VOCAB + 3}, encode(text)));
    assertThat(format.stopTokens()).containsExactly(EOS);
    // An odd number of earlier messages gives no history, as the published server does.
    assertThat(
            ChatFormat.glm2Text(
                List.of(
                    new ChatMessage("assistant", "stray", null),
                    new ChatMessage("user", "Q", null))))
        .isEqualTo(String.format(QUERY, 1, "Q"));
  }

  /*
   * Tools, from THUDM/ChatGLM3 openai_api_demo/utils.py (process_chatglm_messages) and the
   * tokenizer's build_chat_input: with tools, a first system message "Answer the following
   * questions as best as you can. You have access to the following tools:" carries them and the
   * conversation's own first system message is dropped; build_chat_input appends "\n" +
   * json.dumps(tools, indent=4, ensure_ascii=False) to that system content; a function's result
   * is an observation turn; an assistant call turn has the function's name as its metadata and the
   * call's text as its content.
   */
  @Test
  void buildsTheChatGlm3ToolPromptAsThePublishedDemo() throws Exception {
    ChatFormat format = new ChatFormat(ChatFormat.Version.CHATGLM3, processor, VOCAB, EOS);
    String tools =
        """
        [{"name": "get_weather", "description": "天气", "parameters": {"type": "object",
          "properties": {"city": {"type": "string"}}, "required": ["city"]}}]""";
    ChatRequest request =
        new RequestParser()
            .parse(
                ("{\"messages\": [{\"role\": \"system\", \"content\": \"Be brief.\"},"
                        + " {\"role\": \"user\", \"content\": \"Weather in Paris?\"},"
                        + " {\"role\": \"assistant\", \"content\": null, \"function_call\":"
                        + " {\"name\": \"get_weather\", \"arguments\": \"{\\\"city\\\": \\\"Paris\\\"}\"}},"
                        + " {\"role\": \"function\", \"name\": \"get_weather\", \"content\": \"21 C\"}],"
                        + " \"functions\": "
                        + tools
                        + "}")
                    .getBytes(StandardCharsets.UTF_8),
                "application/json");
    // json.dumps(tools, indent=4, ensure_ascii=False), as Python writes it
    String dumped =
        "[\n"
            + "    {\n"
            + "        \"name\": \"get_weather\",\n"
            + "        \"description\": \"天气\",\n"
            + "        \"parameters\": {\n"
            + "            \"type\": \"object\",\n"
            + "            \"properties\": {\n"
            + "                \"city\": {\n"
            + "                    \"type\": \"string\"\n"
            + "                }\n"
            + "            },\n"
            + "            \"required\": [\n"
            + "                \"city\"\n"
            + "            ]\n"
            + "        }\n"
            + "    }\n"
            + "]";
    int gmask = VOCAB + 1;
    int sop = VOCAB + 3;
    int system = VOCAB + 5;
    int user = VOCAB + 6;
    int assistant = VOCAB + 7;
    int observation = VOCAB + 8;
    int[] expected =
        concat(
            new int[] {gmask, sop, system},
            encode("\n"),
            encode(
                "Answer the following questions as best as you can. You have access to the"
                    + " following tools:\n"
                    + dumped),
            new int[] {user},
            encode("\n"),
            encode("Weather in Paris?"),
            new int[] {assistant},
            encode("get_weather\n"),
            encode("```python\ntool_call(city='Paris')\n```"),
            new int[] {observation},
            encode("\n"),
            encode("21 C"),
            new int[] {assistant});
    assertThat(format.prompt(request.conversation(), request.tools())).containsExactly(expected);
    assertThat(format.stopTokens()).contains(observation);
  }
}
