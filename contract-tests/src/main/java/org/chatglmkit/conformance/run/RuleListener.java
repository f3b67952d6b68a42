package org.chatglmkit.conformance.run;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.chatglmkit.conformance.checks.ConformanceExtension;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.TestTag;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.TestPlan;
import org.opentest4j.TestAbortedException;

/**
 * Collects each check's outcome under the rule ids it is tagged with. A class that fails or is
 * skipped as a whole passes its fate to every check inside it.
 */
final class RuleListener implements TestExecutionListener {
  private final Map<String, List<Outcome>> byRule = new LinkedHashMap<>();
  private TestPlan plan;

  @Override
  public void testPlanExecutionStarted(TestPlan testPlan) {
    this.plan = testPlan;
  }

  @Override
  public void executionSkipped(TestIdentifier id, String reason) {
    record(id, skip(name(id), firstLine(reason)));
  }

  /** A skip, read by its reason: blocked by the baseline, waived, or plainly skipped. */
  private static Outcome skip(String check, String reason) {
    if (reason != null && reason.startsWith(ConformanceExtension.WAIVED)) {
      return new Outcome(check, Outcome.Status.WAIVED, reason);
    }
    if (reason != null && reason.startsWith(ConformanceExtension.BLOCKED)) {
      return new Outcome(
          check, Outcome.Status.BLOCKED, reason.substring(ConformanceExtension.BLOCKED.length()));
    }
    return new Outcome(check, Outcome.Status.SKIP, reason);
  }

  @Override
  public void executionFinished(TestIdentifier id, TestExecutionResult result) {
    Outcome.Status status =
        switch (result.getStatus()) {
          case SUCCESSFUL -> Outcome.Status.PASS;
          case ABORTED -> Outcome.Status.SKIP;
          case FAILED -> Outcome.Status.FAIL;
        };
    if (status == Outcome.Status.PASS && !id.isTest()) {
      return;
    }
    String message = result.getThrowable().map(RuleListener::describe).orElse(null);
    record(
        id,
        status == Outcome.Status.SKIP
            ? skip(name(id), message)
            : new Outcome(name(id), status, message));
  }

  private synchronized void record(TestIdentifier id, Outcome outcome) {
    if (id.isTest()) {
      for (TestTag tag : id.getTags()) {
        byRule.computeIfAbsent(tag.getName(), key -> new ArrayList<>()).add(outcome);
      }
      return;
    }
    if (plan != null) {
      for (TestIdentifier descendant : plan.getDescendants(id)) {
        if (descendant.isTest()) {
          record(descendant, new Outcome(name(descendant), outcome.status(), outcome.message()));
        }
      }
    }
  }

  synchronized Map<String, List<Outcome>> outcomes() {
    return byRule;
  }

  private static String name(TestIdentifier id) {
    Optional<MethodSource> method =
        id.getSource().filter(MethodSource.class::isInstance).map(MethodSource.class::cast);
    return method
        .map(m -> simpleName(m.getClassName()) + "." + m.getMethodName())
        .orElse(id.getDisplayName());
  }

  private static String simpleName(String className) {
    return className.substring(className.lastIndexOf('.') + 1);
  }

  private static String describe(Throwable failure) {
    String message = failure.getMessage();
    if (message == null || message.isBlank()) {
      return failure.getClass().getSimpleName();
    }
    if (failure instanceof TestAbortedException) {
      return firstLine(message.replaceFirst("^Assumption failed: ", ""));
    }
    boolean assertion = failure instanceof AssertionError;
    return (assertion ? "" : failure.getClass().getSimpleName() + ": ") + firstLine(message);
  }

  private static String firstLine(String text) {
    if (text == null) {
      return null;
    }
    String line = text.strip();
    int newline = line.indexOf('\n');
    return newline < 0 ? line : line.substring(0, newline).strip();
  }
}
