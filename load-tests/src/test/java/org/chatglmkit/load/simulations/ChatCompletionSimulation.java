package org.chatglmkit.load.simulations;

import static io.gatling.javaapi.core.CoreDsl.StringBody;
import static io.gatling.javaapi.core.CoreDsl.bodyString;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.header;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;

import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;
import org.chatglmkit.load.Injection;
import org.chatglmkit.load.LoadRun;
import org.chatglmkit.load.Prompts;

/** Non-streamed chat: E2E latency, tokens from {@code usage}, every answer checked. */
public class ChatCompletionSimulation extends Simulation {
  private final LoadRun run = LoadRun.open("ChatCompletionSimulation");
  private final Prompts prompts = run.prompts(false);

  private final ScenarioBuilder chat =
      scenario("chat")
          .feed(prompts.feeder())
          .exec(session -> session.set("sent", System.nanoTime()))
          .exec(
              http("chat completion")
                  .post("/v1/chat/completions")
                  .body(StringBody("#{body}"))
                  .check(
                      status().saveAs("status"),
                      bodyString().saveAs("body"),
                      header("Retry-After").optional().saveAs("retryAfter"),
                      status().is(200)))
          .exec(
              session -> {
                run.answered(
                    session.getLong("sent"),
                    session.contains("status") ? session.getInt("status") : null,
                    session.getString("body"),
                    session.contains("retryAfter") ? session.getString("retryAfter") : null);
                return session;
              });

  {
    setUp(Injection.of(chat, run.config())).protocols(run.protocol());
  }

  @Override
  public void after() {
    run.finish().requirePassed();
  }
}
