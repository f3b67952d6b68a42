package org.chatglmkit.conformance.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectPackage;

import java.util.HashSet;
import java.util.Set;
import org.chatglmkit.schemas.Rule;
import org.chatglmkit.schemas.RuleCatalogue;
import org.junit.jupiter.api.Test;
import org.junit.platform.engine.TestTag;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.TestPlan;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/**
 * The checks and the catalogue speak of the same rules: every rule is checked, every tag is a rule.
 */
class CheckCatalogueTest {

  private static Set<String> tags() {
    TestPlan plan =
        LauncherFactory.create()
            .discover(
                LauncherDiscoveryRequestBuilder.request()
                    .selectors(selectPackage(ConformanceRun.CHECKS_PACKAGE))
                    .build());
    Set<String> tags = new HashSet<>();
    for (TestIdentifier root : plan.getRoots()) {
      for (TestIdentifier id : plan.getDescendants(root)) {
        if (id.isTest()) {
          assertThat(id.getTags()).as("rule tags of %s", id.getDisplayName()).isNotEmpty();
          id.getTags().stream().map(TestTag::getName).forEach(tags::add);
        }
      }
    }
    return tags;
  }

  @Test
  void everyRuleHasACheck() {
    Set<String> tags = tags();
    assertThat(RuleCatalogue.get().all())
        .extracting(Rule::id)
        .allSatisfy(id -> assertThat(tags).contains(id));
  }

  @Test
  void everyTagIsACatalogueRule() {
    Set<String> ids = new HashSet<>();
    RuleCatalogue.get().all().forEach(rule -> ids.add(rule.id()));
    assertThat(ids).containsAll(tags());
  }
}
