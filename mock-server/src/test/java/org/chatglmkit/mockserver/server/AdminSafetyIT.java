package org.chatglmkit.mockserver.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import org.chatglmkit.mockserver.ServerOptions;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The admin API and the request journal are safe: no key is ever journaled in full, the admin API
 * wants a token when the server listens beyond loopback, and it can be switched off.
 */
class AdminSafetyIT {
  private static final String BEARER_KEY = "bearer-key-abcdefghijkl";

  @Test
  void journalsRequestsWithTheirKeysMasked() throws Exception {
    ServerConfig config =
        ServerConfig.builder().port(0).apiKey(Http.KEY).apiKey(BEARER_KEY).build();
    try (ReferenceServer server = ReferenceServer.start(config)) {
      Http http = new Http(server.baseUrl());
      String body =
          "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"max_tokens\": 2}";
      assertThat(http.post(body).statusCode()).isEqualTo(200);
      assertThat(
              http.send(http.chat(body).header("Authorization", "Bearer " + BEARER_KEY))
                  .statusCode())
          .isEqualTo(200);
      HttpResponse<String> journal = http.get("/__admin/requests");
      assertThat(journal.statusCode()).isEqualTo(200);
      assertThat(journal.body())
          .contains("/v1/chat/completions")
          .doesNotContain(Http.KEY)
          .doesNotContain(BEARER_KEY)
          .contains("…6789")
          .contains("Bearer …ijkl");
      List<ServeEvent> events = server.wireMock().getAllServeEvents();
      assertThat(events).hasSizeGreaterThanOrEqualTo(2);
      for (ServeEvent event : events) {
        assertThat(event.getRequest().toString()).doesNotContain(Http.KEY, BEARER_KEY);
      }
    }
  }

  @Test
  void wantsATokenForTheAdminApiBeyondLoopback() throws Exception {
    ServerOptions options = new ServerOptions();
    new CommandLine(options).parseArgs("--host", "0.0.0.0", "--port", "0");
    ServerConfig config = options.toBuilder(ServerConfig.DEFAULT_LATENCY).build();
    assertThat(config.loopbackOnly()).isFalse();
    assertThat(config.adminToken()).as("generated").isNotBlank();
    try (ReferenceServer server = ReferenceServer.start(config)) {
      String admin = "http://127.0.0.1:" + server.port() + "/__admin/requests";
      assertThat(adminGet(admin, null).statusCode()).isEqualTo(401);
      assertThat(adminGet(admin, "not-the-token").statusCode()).isEqualTo(401);
      assertThat(adminGet(admin, config.adminToken()).statusCode()).isEqualTo(200);
      // The API itself is unaffected.
      assertThat(
              new Http("http://127.0.0.1:" + server.port())
                  .send(
                      new Http("http://127.0.0.1:" + server.port())
                          .chat("{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}")
                          .header("API-KEY", ServerConfig.DEVELOPMENT_KEY))
                  .statusCode())
          .isEqualTo(200);
    }
  }

  @Test
  void servesNoAdminApiWhenSwitchedOffAndNeedsNoTokenOnLoopback() throws Exception {
    ServerOptions options = new ServerOptions();
    new CommandLine(options).parseArgs("--port", "0");
    assertThat(options.toBuilder(ServerConfig.DEFAULT_LATENCY).build().adminToken()).isNull();

    ServerOptions off = new ServerOptions();
    new CommandLine(off).parseArgs("--port", "0", "--no-admin", "--host", "0.0.0.0");
    ServerConfig config = off.toBuilder(ServerConfig.DEFAULT_LATENCY).build();
    assertThat(config.admin()).isFalse();
    try (ReferenceServer server = ReferenceServer.start(config)) {
      HttpResponse<String> answer =
          adminGet("http://127.0.0.1:" + server.port() + "/__admin/mappings", null);
      assertThat(answer.statusCode()).isEqualTo(404);
      assertThat(answer.body()).contains("not_found_error");
    }
  }

  private static HttpResponse<String> adminGet(String url, String token) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).GET();
    if (token != null) {
      request.header("Authorization", "Token " + token);
    }
    return Http.CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }
}
