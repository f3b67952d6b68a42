package org.chatglmkit.mockserver.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import java.net.http.HttpResponse;
import java.util.List;
import org.chatglmkit.mockserver.core.FaultPolicy;
import org.chatglmkit.mockserver.core.LatencyProfile;
import org.chatglmkit.mockserver.core.RateLimits;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Per-key limits on a real server: OpenAI's headers on every answer, a 429 whose Retry-After is the
 * real wait, streams counted while open, and OpenAI's Java SDK retrying on its own when our
 * Retry-After says.
 */
class RateLimitIT {
  static final String SDK_KEY = "sdk-key-0123456789";
  static final String STREAM_KEY = "stream-key-0123456789";
  static final String TOKEN_KEY = "token-key-0123456789";
  static ReferenceServer server;
  static Http http;

  @BeforeAll
  static void start() {
    server =
        ReferenceServer.start(
            ServerConfig.builder()
                .port(0)
                .apiKey(Http.KEY)
                .apiKey(SDK_KEY)
                .apiKey(STREAM_KEY)
                .apiKey(TOKEN_KEY)
                .latency(new LatencyProfile(5, 1, 0))
                .faults(new FaultPolicy(java.util.Map.of(), 1, 2000))
                .requestJournal(true)
                .rateLimits(
                    new RateLimits(new RateLimits.Limit(4, null, null), java.util.Map.of())
                        .withKey(SDK_KEY, new RateLimits.Limit(12, null, null))
                        .withKey(STREAM_KEY, new RateLimits.Limit(1000, null, 1))
                        .withKey(TOKEN_KEY, new RateLimits.Limit(0, 600L, null)))
                .build());
    http = new Http(server.baseUrl());
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  private static HttpResponse<String> post(String key, String body) throws Exception {
    return http.send(http.chat(body).header("Authorization", "Bearer " + key));
  }

  @Test
  void everyAnswerSaysTheLimitsAndTheFifthRequestWaitsFifteenSeconds() throws Exception {
    String body = Http.body("hello", "");
    for (int i = 0; i < 4; i++) {
      HttpResponse<String> ok = http.post(body);
      assertThat(ok.statusCode()).isEqualTo(200);
      assertThat(ok.headers().firstValue("x-ratelimit-limit-requests")).hasValue("4");
      assertThat(ok.headers().firstValue("x-ratelimit-remaining-requests"))
          .hasValue(String.valueOf(3 - i));
      assertThat(ok.headers().firstValue("x-ratelimit-reset-requests")).isPresent();
    }
    HttpResponse<String> refused = http.post(body);
    assertThat(refused.statusCode()).isEqualTo(429);
    assertThat(refused.body()).contains("\"type\":\"rate_limit_error\"");
    // 4 per minute: one more every 15 s; the first of the four was sent a moment ago
    int retryAfter = Integer.parseInt(refused.headers().firstValue("Retry-After").orElseThrow());
    assertThat(retryAfter).isBetween(13, 15);
    assertThat(refused.headers().firstValue("x-ratelimit-remaining-requests")).hasValue("0");
    // the models list is not limited
    assertThat(http.get("/v1/models").statusCode()).isEqualTo(200);
  }

  @Test
  void aKeyHoldsOneStreamAtATimeAndRetryAfterSaysWhenItEnds() throws Exception {
    String stream = Http.body("hello", "\"stream\":true");
    // a stalled stream stays silent for the server's stall time (2 s here), then ends
    long start = System.nanoTime();
    HttpResponse<java.io.InputStream> first =
        Http.CLIENT.send(
            http.chat(stream)
                .header("Authorization", "Bearer " + STREAM_KEY)
                .header("X-ChatGLM-Fault", "stall")
                .build(),
            HttpResponse.BodyHandlers.ofInputStream());
    assertThat(first.statusCode()).isEqualTo(200);
    HttpResponse<String> second = post(STREAM_KEY, stream);
    assertThat(second.statusCode()).isEqualTo(429);
    assertThat(second.body()).contains("concurrent streams (1)");
    // the stalled stream ends 2 s (the stall) and 8 ms (its first 3 tokens) after it arrived: the
    // real wait, rounded up, is 3 s within those 8 ms, 2 s after them
    assertThat(second.headers().firstValue("Retry-After"))
        .hasValueSatisfying(value -> assertThat(value).isIn("2", "3"));
    // an unstreamed call is not a stream
    assertThat(post(STREAM_KEY, Http.body("hello", "")).statusCode()).isEqualTo(200);
    // when the stalled stream ends, the slot is free: about when Retry-After said
    try (java.io.InputStream body = first.body()) {
      body.readAllBytes();
    }
    double freeAfter = (System.nanoTime() - start) / 1e9;
    assertThat(post(STREAM_KEY, stream).statusCode()).isEqualTo(200);
    assertThat(freeAfter).isBetween(1.5, 3.0);
  }

  @Test
  void theAdminApiIsNeverLimitedNorFaulted() throws Exception {
    for (int i = 0; i < 10; i++) {
      HttpResponse<String> admin =
          http.send(
              java.net.http.HttpRequest.newBuilder(
                      java.net.URI.create(server.baseUrl() + "/__admin/mappings"))
                  .header("API-KEY", Http.KEY)
                  .header("X-ChatGLM-Fault", "500")
                  .GET());
      assertThat(admin.statusCode()).isEqualTo(200);
      assertThat(admin.headers().firstValue("x-ratelimit-limit-requests")).isEmpty();
    }
  }

  @Test
  void tokensAreSettledToTheRealCount() throws Exception {
    // each call reserves its prompt plus max_tokens 200, and uses far less
    String body = Http.body("hello", "\"max_tokens\":200");
    HttpResponse<String> first = post(TOKEN_KEY, body);
    assertThat(first.statusCode()).isEqualTo(200);
    var usage =
        com.fasterxml.jackson.databind.json.JsonMapper.builder()
            .build()
            .readTree(first.body())
            .path("usage");
    int prompt = usage.path("prompt_tokens").asInt();
    int used = usage.path("total_tokens").asInt();
    assertThat(used).isLessThan(prompt + 200);
    int before =
        Integer.parseInt(first.headers().firstValue("x-ratelimit-remaining-tokens").orElseThrow());
    // the first call's reservation (its prompt, estimated, plus max_tokens) was settled to its real
    // use; the second reserves as much as the first did
    HttpResponse<String> second = post(TOKEN_KEY, body);
    int after =
        Integer.parseInt(second.headers().firstValue("x-ratelimit-remaining-tokens").orElseThrow());
    // 600 per minute refill 10 per second between the calls
    assertThat(before - after).isBetween(used - 10, used);
    assertThat(600 - before).isGreaterThanOrEqualTo(200);
  }

  @Test
  void openAiSdkRetriesWhenOurRetryAfterSays() throws Exception {
    String body = Http.body("hello", "");
    for (int i = 0; i < 12; i++) {
      assertThat(post(SDK_KEY, body).statusCode()).isEqualTo(200);
    }
    int before = server.wireMock().getAllServeEvents().size();
    OpenAIClient client =
        OpenAIOkHttpClient.builder()
            .baseUrl(server.baseUrl() + "/v1")
            .apiKey(SDK_KEY)
            .maxRetries(2)
            .build();
    try {
      long start = System.nanoTime();
      ChatCompletion answer =
          client
              .chat()
              .completions()
              .create(
                  ChatCompletionCreateParams.builder()
                      .model("chatglm3-6b")
                      .addUserMessage("hello")
                      .build());
      double seconds = (System.nanoTime() - start) / 1e9;
      assertThat(answer.choices()).hasSize(1);
      // 12 per minute is one every 5 s: the server said Retry-After 5 (or less, the first refill
      // having begun); the SDK's own backoff without it would be under a second
      List<com.github.tomakehurst.wiremock.stubbing.ServeEvent> events =
          server.wireMock().getAllServeEvents();
      List<Integer> statuses =
          events.subList(0, events.size() - before).stream()
              .map(event -> event.getResponse().getStatus())
              .toList();
      // newest first: the retry's 200 after the 429
      assertThat(statuses).containsExactly(200, 429);
      int retryAfter =
          Integer.parseInt(
              events.get(1).getResponse().getHeaders().getHeader("Retry-After").firstValue());
      assertThat(retryAfter).isBetween(3, 5);
      assertThat(seconds).isBetween(retryAfter - 0.1, retryAfter + 2.0);
    } finally {
      client.close();
    }
  }
}
