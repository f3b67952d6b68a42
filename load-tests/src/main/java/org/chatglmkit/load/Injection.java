package org.chatglmkit.load;

import static io.gatling.javaapi.core.CoreDsl.atOnceUsers;
import static io.gatling.javaapi.core.CoreDsl.constantConcurrentUsers;
import static io.gatling.javaapi.core.CoreDsl.nothingFor;

import io.gatling.javaapi.core.OpenInjectionStep;
import io.gatling.javaapi.core.PopulationBuilder;
import io.gatling.javaapi.core.ScenarioBuilder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * How users arrive, per load profile (each user plays one conversation, usually one request).
 *
 * <ul>
 *   <li>{@code smoke}: {@code rate}/s, evenly spaced, for the duration (default 4/s for 5 s)
 *   <li>{@code rate}, {@code soak}: open model, {@code rate}/s with gamma-distributed gaps of shape
 *       {@code burstiness} (1: Poisson)
 *   <li>{@code ramp}: open model, from {@code rate}/s to {@code ramp-to}/s over the duration
 *   <li>{@code steps} (or {@code sweep}): {@code steps} levels from {@code rate}/s, each {@code
 *       step-rate} higher and one duration long (the capacity search)
 *   <li>{@code concurrency}: closed model, {@code users} requests in flight at all times
 *   <li>a trace ({@code --trace}): the recorded arrivals, at {@code speed}
 * </ul>
 *
 * Open-model arrivals follow the run's precomputed schedule ({@link Arrivals}), handed to Gatling
 * as a list of pauses and single arrivals, so that the report can say how late each user started.
 */
public final class Injection {
  private Injection() {}

  public static PopulationBuilder of(ScenarioBuilder scenario, LoadRun run) {
    LoadConfig config = run.config();
    double[] schedule = run.schedule();
    if (schedule == null) {
      int users = (int) Math.max(1, Math.round(config.share(config.users())));
      return scenario.injectClosed(
          constantConcurrentUsers(users).during(config.warmup().plus(config.duration())));
    }
    return scenario.injectOpen(steps(schedule));
  }

  /** Pauses and arrivals for a schedule (seconds from the start, ascending). */
  static List<OpenInjectionStep> steps(double[] schedule) {
    List<OpenInjectionStep> steps = new ArrayList<>(schedule.length * 2);
    long previous = 0;
    int i = 0;
    while (i < schedule.length) {
      long at = Math.round(schedule[i] * 1e9);
      if (at > previous) {
        steps.add(nothingFor(Duration.ofNanos(at - previous)));
        previous = at;
      }
      int together = 1;
      while (i + together < schedule.length && Math.round(schedule[i + together] * 1e9) <= at) {
        together++;
      }
      steps.add(atOnceUsers(together));
      i += together;
    }
    if (steps.isEmpty()) {
      steps.add(nothingFor(Duration.ofMillis(1)));
    }
    return steps;
  }
}
