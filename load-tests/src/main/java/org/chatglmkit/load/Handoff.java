package org.chatglmkit.load;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Where the command leaves a run's plan for the simulation that Gatling builds by reflection, and
 * where the simulation leaves the run's report for the command: one entry each per run, keyed by
 * the scenario's name, taken once. A simulation that finds no plan (the Maven path) resolves its
 * own from the system properties.
 */
public final class Handoff {
  private static final Map<String, LoadPlan> PLANS = new ConcurrentHashMap<>();
  private static final Map<String, Report> REPORTS = new ConcurrentHashMap<>();

  private Handoff() {}

  /** Leaves {@code plan} for the next run of its scenario. */
  public static void offer(LoadPlan plan) {
    REPORTS.remove(plan.scenario());
    PLANS.put(plan.scenario(), plan);
  }

  /**
   * Closes the plan left for {@code scenario} if no simulation took it (Gatling failed before
   * building one), so its tokenizer does not stay open.
   */
  public static void withdraw(String scenario) {
    LoadPlan left = PLANS.remove(scenario);
    if (left != null) {
      left.close();
    }
  }

  /** The plan left for {@code scenario}, taken. */
  static Optional<LoadPlan> take(String scenario) {
    return Optional.ofNullable(PLANS.remove(scenario));
  }

  /** Leaves the report of a finished run of {@code scenario}. */
  static void finished(String scenario, Report report) {
    REPORTS.put(scenario, report);
  }

  /** The report of the run of {@code scenario}, taken; empty when it did not finish. */
  public static Optional<Report> report(String scenario) {
    return Optional.ofNullable(REPORTS.remove(scenario));
  }
}
