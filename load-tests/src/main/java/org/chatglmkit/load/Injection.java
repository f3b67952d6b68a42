package org.chatglmkit.load;

import static io.gatling.javaapi.core.CoreDsl.constantConcurrentUsers;
import static io.gatling.javaapi.core.CoreDsl.constantUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.incrementUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.rampUsersPerSec;

import io.gatling.javaapi.core.PopulationBuilder;
import io.gatling.javaapi.core.ScenarioBuilder;

/**
 * The load profiles, chosen with {@code -Dchatglm.load.profile}: each virtual user sends one
 * request.
 *
 * <ul>
 *   <li>{@code smoke}: {@code rate}/s for {@code duration-s} (default 4/s for 5 s)
 *   <li>{@code rate}: open model, {@code rate}/s with randomized (Poisson-like) arrivals
 *   <li>{@code ramp}: open model, from {@code rate}/s to {@code ramp-to}/s over {@code duration-s}
 *   <li>{@code steps}: open model, {@code steps} levels from {@code rate}/s, each {@code step-rate}
 *       higher and {@code duration-s} long (the capacity search)
 *   <li>{@code concurrency}: closed model, {@code users} requests in flight at all times
 *   <li>{@code soak}: like {@code rate}, for {@code duration-s} (default 600 s)
 * </ul>
 */
public final class Injection {
  private Injection() {}

  public static PopulationBuilder of(ScenarioBuilder scenario, LoadConfig config) {
    return switch (config.profile()) {
      case "smoke" ->
          scenario.injectOpen(constantUsersPerSec(config.rate()).during(config.duration()));
      case "rate", "soak" ->
          scenario.injectOpen(
              constantUsersPerSec(config.rate()).during(config.duration()).randomized());
      case "ramp" ->
          scenario.injectOpen(
              rampUsersPerSec(config.rate())
                  .to(config.rampTo())
                  .during(config.duration())
                  .randomized());
      case "steps" ->
          scenario.injectOpen(
              incrementUsersPerSec(config.stepRate())
                  .times(config.steps())
                  .eachLevelLasting(config.duration())
                  .startingFrom(config.rate()));
      case "concurrency" ->
          scenario.injectClosed(constantConcurrentUsers(config.users()).during(config.duration()));
      default ->
          throw new IllegalArgumentException(
              "unknown load profile '"
                  + config.profile()
                  + "' (smoke, rate, ramp, steps, concurrency, soak)");
    };
  }
}
