package org.chatglmkit.load.simulations;

import static io.gatling.javaapi.core.CoreDsl.StringBody;
import static io.gatling.javaapi.core.CoreDsl.bodyString;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.sse;

import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;
import org.chatglmkit.load.Injection;
import org.chatglmkit.load.LoadRun;
import org.chatglmkit.load.Prompts;

/**
 * Streamed chat ({@code stream: true}) over Gatling's SSE client: every event is timed and checked
 * as it arrives, for TTFT, inter-token latency, TPOT and E2E.
 */
public class StreamingChatSimulation extends Simulation {
  private final LoadRun run = LoadRun.open("StreamingChatSimulation");
  private final Prompts prompts = run.prompts(true);

  private final ScenarioBuilder chat =
      scenario("streamed chat")
          .feed(prompts.feeder())
          .exec(
              session -> {
                run.streamStarted(session.userId());
                return session;
              })
          .exec(
              sse("chat stream")
                  .post("/v1/chat/completions")
                  .body(StringBody("#{body}"))
                  .await(run.config().streamTimeout())
                  .on(
                      sse.checkMessage("every event until [DONE]")
                          .matching(
                              bodyString()
                                  .transformWithSession(
                                      (message, session) ->
                                          run.streamMessage(session.userId(), message))
                                  .is(true))))
          .exec(sse("close").close())
          .exec(
              session -> {
                run.streamFinished(session.userId(), session.isFailed());
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
