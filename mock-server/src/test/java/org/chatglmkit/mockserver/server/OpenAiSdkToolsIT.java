package org.chatglmkit.mockserver.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.helpers.ChatCompletionAccumulator;
import com.openai.models.FunctionDefinition;
import com.openai.models.FunctionParameters;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionFunctionTool;
import com.openai.models.chat.completions.ChatCompletionMessage;
import com.openai.models.chat.completions.ChatCompletionMessageFunctionToolCall;
import com.openai.models.chat.completions.ChatCompletionToolMessageParam;
import java.util.List;
import java.util.Map;
import org.chatglmkit.mockserver.core.LatencyProfile;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * OpenAI's Java SDK runs its tool loop against the reference server: the question names a tool, the
 * server calls it, the client answers the call with the tool's result (sending the assistant's turn
 * back as the SDK writes it, content null), and the server answers in text that quotes the result;
 * unstreamed, and streamed through the SDK's own accumulator. This is also the worked example of
 * docs/reference-server.md, "Tool calls".
 */
class OpenAiSdkToolsIT {
  static ReferenceServer server;
  static OpenAIClient client;

  @BeforeAll
  static void start() {
    server =
        ReferenceServer.start(
            ServerConfig.builder()
                .port(0)
                .apiKey(Http.KEY)
                .latency(new LatencyProfile(5, 1, 0))
                .requestJournal(false)
                .build());
    client =
        OpenAIOkHttpClient.builder()
            .baseUrl(server.baseUrl() + "/v1")
            .apiKey(Http.KEY)
            .maxRetries(0)
            .build();
  }

  @AfterAll
  static void stop() {
    client.close();
    server.close();
  }

  private static final ChatCompletionFunctionTool WEATHER =
      ChatCompletionFunctionTool.builder()
          .function(
              FunctionDefinition.builder()
                  .name("get_weather")
                  .description("The weather in a city")
                  .parameters(
                      FunctionParameters.builder()
                          .putAdditionalProperty("type", JsonValue.from("object"))
                          .putAdditionalProperty(
                              "properties",
                              JsonValue.from(
                                  Map.of(
                                      "city", Map.of("type", "string"),
                                      "unit", Map.of("enum", List.of("celsius", "fahrenheit")))))
                          .putAdditionalProperty(
                              "required", JsonValue.from(List.of("city", "unit")))
                          .build())
                  .build())
          .build();

  private static ChatCompletionCreateParams.Builder question() {
    return ChatCompletionCreateParams.builder()
        .model("chatglm3-6b")
        .temperature(0)
        .addUserMessage("Please use get_weather: is it warm in Paris?")
        .addTool(WEATHER);
  }

  @Test
  void runsATwoTurnToolLoopUnstreamed() {
    ChatCompletion first = client.chat().completions().create(question().build());
    ChatCompletionMessage call = first.choices().get(0).message();
    assertThat(first.choices().get(0).finishReason().asString()).isEqualTo("tool_calls");
    ChatCompletionMessageFunctionToolCall weather =
        call.toolCalls().orElseThrow().get(0).asFunction();
    assertThat(weather.function().name()).isEqualTo("get_weather");
    @SuppressWarnings("unchecked")
    Map<String, Object> arguments = weather.function().arguments(Map.class);
    assertThat(arguments).containsKeys("city", "unit");

    ChatCompletion last =
        client
            .chat()
            .completions()
            .create(
                question()
                    .addMessage(call)
                    .addMessage(
                        ChatCompletionToolMessageParam.builder()
                            .toolCallId(weather.id())
                            .content("{\"temperature\": 21}")
                            .build())
                    .build());
    assertThat(last.choices().get(0).finishReason().asString()).isEqualTo("stop");
    assertThat(last.choices().get(0).message().content().orElseThrow())
        .contains("get_weather")
        .contains("21");
  }

  @Test
  void runsTheSameLoopStreamedThroughTheSdksAccumulator() {
    ChatCompletionAccumulator accumulator = ChatCompletionAccumulator.create();
    try (StreamResponse<ChatCompletionChunk> stream =
        client.chat().completions().createStreaming(question().build())) {
      stream.stream().forEach(accumulator::accumulate);
    }
    ChatCompletion streamed = accumulator.chatCompletion();
    ChatCompletion whole = client.chat().completions().create(question().build());
    ChatCompletionMessageFunctionToolCall call =
        streamed.choices().get(0).message().toolCalls().orElseThrow().get(0).asFunction();
    ChatCompletionMessageFunctionToolCall same =
        whole.choices().get(0).message().toolCalls().orElseThrow().get(0).asFunction();
    assertThat(call.function().name()).isEqualTo(same.function().name());
    assertThat(call.function().arguments()).isEqualTo(same.function().arguments());
    assertThat(streamed.choices().get(0).finishReason().asString()).isEqualTo("tool_calls");

    ChatCompletionAccumulator answer = ChatCompletionAccumulator.create();
    try (StreamResponse<ChatCompletionChunk> stream =
        client
            .chat()
            .completions()
            .createStreaming(
                question()
                    .addMessage(streamed.choices().get(0).message())
                    .addMessage(
                        ChatCompletionToolMessageParam.builder()
                            .toolCallId(call.id())
                            .content("{\"temperature\": 21}")
                            .build())
                    .build())) {
      stream.stream().forEach(answer::accumulate);
    }
    assertThat(answer.chatCompletion().choices().get(0).message().content().orElseThrow())
        .contains("21");
  }
}
