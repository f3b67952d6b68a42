package org.chatglmkit.conformance.run;

import io.qameta.allure.listener.TestLifecycleListener;
import io.qameta.allure.model.Label;
import io.qameta.allure.model.TestResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.chatglmkit.schemas.Rule;
import org.chatglmkit.schemas.RuleCatalogue;

/**
 * Groups every check in the Allure report by the rules it checks: a feature per area of the
 * catalogue, a story per rule. Each check's JUnit tags name its rules; the labels are added as each
 * result is written, so that a check that did not run (skipped, blocked, outside the profile) sits
 * in its group too. Registered as an Allure lifecycle listener (a service).
 */
public final class RuleLabels implements TestLifecycleListener {
  @Override
  public void beforeTestWrite(TestResult result) {
    List<Label> labels = result.getLabels() == null ? new ArrayList<>() : result.getLabels();
    List<Label> added = new ArrayList<>();
    for (Label label : labels) {
      if (!"tag".equals(label.getName())) {
        continue;
      }
      Optional<Rule> rule = RuleCatalogue.get().find(label.getValue());
      if (rule.isEmpty()) {
        continue;
      }
      add(labels, added, "rule", rule.get().id());
      add(labels, added, "story", rule.get().id() + ": " + rule.get().statement());
      add(labels, added, "feature", rule.get().area());
    }
    if (!added.isEmpty()) {
      List<Label> all = new ArrayList<>(labels);
      all.addAll(added);
      result.setLabels(all);
    }
  }

  private static void add(List<Label> labels, List<Label> added, String name, String value) {
    Label label = new Label().setName(name).setValue(value);
    if (!labels.contains(label) && !added.contains(label)) {
      added.add(label);
    }
  }
}
