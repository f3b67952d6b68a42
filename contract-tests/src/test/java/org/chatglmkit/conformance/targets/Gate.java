package org.chatglmkit.conformance.targets;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.chatglmkit.conformance.checks.RunContext;
import org.chatglmkit.conformance.run.ConformanceRun;
import org.chatglmkit.conformance.run.Outcome;
import org.chatglmkit.conformance.run.RuleResult;
import org.chatglmkit.conformance.run.RunReport;
import org.chatglmkit.mockserver.client.TargetSettings;
import org.chatglmkit.schemas.Rule;
import org.chatglmkit.schemas.RuleCatalogue;

/** Runs the gate against a target in tests and reads its outcome as sets of rule ids. */
public final class Gate {
  private Gate() {}

  /**
   * Runs the gate.
   *
   * @param url the target
   * @param reports where the reports go
   * @param settings more settings, as name and value pairs
   */
  public static RunReport run(String url, Path reports, String... settings) {
    Map<String, String> parameters = new LinkedHashMap<>();
    parameters.put(TargetSettings.URL, url);
    parameters.put(TargetSettings.API_KEY, "sk-test-0123456789abcdef");
    parameters.put(TargetSettings.FORBIDDEN_KEY, "");
    parameters.put(TargetSettings.PROFILE, "openai");
    parameters.put(RunContext.TIMEOUT, "3");
    for (int i = 0; i + 1 < settings.length; i += 2) {
      parameters.put(settings[i], settings[i + 1]);
    }
    return ConformanceRun.run(parameters, reports);
  }

  /** The rule ids of each status. */
  public static Map<Outcome.Status, Set<String>> outcome(RunReport report) {
    Map<Outcome.Status, Set<String>> byStatus = new EnumMap<>(Outcome.Status.class);
    for (Outcome.Status status : Outcome.Status.values()) {
      byStatus.put(status, new TreeSet<>());
    }
    for (RuleResult rule : report.rules()) {
      byStatus.get(rule.status()).add(rule.rule().id());
    }
    return byStatus;
  }

  /** The fuzzing rules (the catalogue's fuzzing area): skipped in a run without --fuzz N. */
  public static final Set<String> FUZZING =
      RuleCatalogue.get().all().stream()
          .filter(rule -> rule.area().equals("fuzzing"))
          .map(Rule::id)
          .collect(java.util.stream.Collectors.toUnmodifiableSet());

  /** The rules of section 8 that are skipped for a target that never calls a tool. */
  public static final Set<String> TOOLS =
      RuleCatalogue.get().all().stream()
          .filter(rule -> rule.area().equals("tools") && rule.profile().id().equals("openai"))
          .map(Rule::id)
          .collect(java.util.stream.Collectors.toUnmodifiableSet());

  /** {@code ids} and the fuzzing rules. */
  public static Set<String> withFuzzing(String... ids) {
    Set<String> all = new TreeSet<>(Arrays.asList(ids));
    all.addAll(FUZZING);
    return all;
  }

  public static Set<String> ids(String... ids) {
    return new TreeSet<>(Arrays.asList(ids));
  }

  /** The rule's detail (why it failed, was blocked or skipped). */
  public static String detail(RunReport report, String id) {
    return report.rules().stream()
        .filter(rule -> rule.rule().id().equals(id))
        .findFirst()
        .map(RuleResult::detail)
        .orElseThrow();
  }

  /** Every rule that is not a pass, with why: for assertion messages. */
  public static String explain(RunReport report) {
    StringBuilder text = new StringBuilder();
    report.rootCause().ifPresent(cause -> text.append("ROOT CAUSE ").append(cause).append('\n'));
    for (RuleResult rule : report.rules()) {
      if (rule.status() != Outcome.Status.PASS) {
        text.append(rule.rule().id())
            .append(' ')
            .append(rule.status())
            .append(": ")
            .append(rule.detail())
            .append('\n');
      }
    }
    return text.toString();
  }
}
