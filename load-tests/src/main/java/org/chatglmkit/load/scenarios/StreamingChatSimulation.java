package org.chatglmkit.load.scenarios;

import static io.gatling.javaapi.core.CoreDsl.StringBody;
import static io.gatling.javaapi.core.CoreDsl.bodyString;
import static io.gatling.javaapi.core.CoreDsl.exec;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.sse;

import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;
import org.chatglmkit.load.Injection;
import org.chatglmkit.load.LoadRun;

/**
 * Streamed chat ({@code stream: true}) over Gatling's SSE client: every event is timed as it
 * arrives, for TTFT, inter-token latency, TPOT and E2E, and checked against the schemas.
 */
public class StreamingChatSimulation extends Simulation {
  private final LoadRun run = LoadRun.open("StreamingChatSimulation");

  private final ScenarioBuilder chat =
      scenario("streamed chat")
          .feed(run.feeder())
          .exec(run.sessions()::begin)
          .repeat(run.sessions()::turns, "turn")
          .on(
              exec(run.sessions()::startTurn)
                  .asLongAs(run.sessions()::roundDue)
                  .on(
                      exec(session -> session.set("request", run.sessions().body(session, true)))
                          .exec(session -> run.sessions().sending(session, true))
                          .exec(
                              sse("chat stream")
                                  .post("/v1/chat/completions")
                                  .body(StringBody("#{request}"))
                                  .await(run.config().streamTimeout())
                                  .on(
                                      sse.checkMessage("every event until [DONE]")
                                          .matching(
                                              bodyString()
                                                  .transformWithSession(
                                                      (message, session) ->
                                                          run.sessions()
                                                              .streamMessage(
                                                                  session.userId(), message))
                                                  .is(true))))
                          .exec(sse("close").close())
                          .exec(run.sessions()::streamFinished)
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
