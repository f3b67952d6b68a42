package org.chatglmkit.mockserver.bench;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.common.Slf4jNotifier;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The benchmark baseline: plain WireMock (same Jetty 12 server, same thread count) with one static
 * stub that answers {@code POST /v1/chat/completions} with a fixed body.
 *
 * <p>{@code java -cp chatglm-mock-server.jar org.chatglmkit.mockserver.bench.StaticStubServer PORT
 * BODY_FILE [journal]}: with {@code journal}, WireMock's request journal is on (as stock WireMock
 * starts), otherwise off.
 */
public final class StaticStubServer {
  private StaticStubServer() {}

  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    String body = Files.readString(Path.of(args[1]));
    WireMockConfiguration options =
        options()
            .bindAddress("127.0.0.1")
            .port(port)
            .containerThreads(64)
            .asynchronousResponseEnabled(true)
            .asynchronousResponseThreads(4)
            .notifier(new Slf4jNotifier(false))
            .withRootDirectory(Files.createTempDirectory("static-stub").toString());
    if (args.length < 3 || !args[2].equals("journal")) {
      options.disableRequestJournal();
    }
    WireMockServer server = new WireMockServer(options);
    server.start();
    server.stubFor(
        post(urlPathEqualTo("/v1/chat/completions"))
            .willReturn(
                aResponse()
                    .withStatus(200)
                    .withHeader("Content-Type", "application/json")
                    .withBody(body)));
    System.out.println("static stub listening on http://127.0.0.1:" + server.port());
    Runtime.getRuntime().addShutdownHook(new Thread(server::stop));
    Thread.currentThread().join();
  }
}
