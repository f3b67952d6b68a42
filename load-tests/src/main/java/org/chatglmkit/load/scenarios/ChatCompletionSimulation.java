package org.chatglmkit.load.scenarios;

import static io.gatling.javaapi.core.CoreDsl.StringBody;
import static io.gatling.javaapi.core.CoreDsl.bodyString;
import static io.gatling.javaapi.core.CoreDsl.exec;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.header;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;

import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;
import org.chatglmkit.load.Injection;
import org.chatglmkit.load.LoadRun;

/** Non-streamed chat: E2E latency, tokens from {@code usage}, every answer checked. */
public class ChatCompletionSimulation extends Simulation {
  private final LoadRun run = LoadRun.open("ChatCompletionSimulation");

  private final ScenarioBuilder chat =
      scenario("chat")
          .feed(run.feeder())
          .exec(run.sessions()::begin)
          .repeat(run.sessions()::turns, "turn")
          .on(
              exec(run.sessions()::startTurn)
                  .asLongAs(run.sessions()::roundDue)
                  .on(
                      exec(session -> session.set("request", run.sessions().body(session, false)))
                          .exec(session -> run.sessions().sending(session, false))
                          .exec(
                              http("chat completion")
                                  .post("/v1/chat/completions")
                                  .body(StringBody("#{request}"))
                                  .check(
                                      status().saveAs("status"),
                                      bodyString().saveAs("answer"),
                                      header("Retry-After").optional().saveAs("retryAfter"),
                                      status().is(200)))
                          .exec(run.sessions()::answered)
                          .exec(
                              session ->
                                  session.remove("status").remove("answer").remove("retryAfter"))
                          .exitHereIf(run.sessions()::broken)))
          .exec(run.sessions()::end);

  {
    setUp(Injection.of(chat, run)).protocols(run.protocol()).maxDuration(run.maxDuration());
  }

  @Override
  public void after() {
    run.finish();
  }
}
