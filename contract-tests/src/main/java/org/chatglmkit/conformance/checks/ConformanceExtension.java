package org.chatglmkit.conformance.checks;

import io.qameta.allure.Allure;
import java.util.List;
import org.chatglmkit.conformance.http.ChatGlmClient;
import org.chatglmkit.mockserver.target.Target;
import org.chatglmkit.schemas.Profile;
import org.chatglmkit.schemas.Rule;
import org.chatglmkit.schemas.RuleCatalogue;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

/**
 * Wires the checks to the run: resolves {@link ChatGlmClient} and {@link Target} parameters (one
 * per run, the embedded server started on first use), skips a check whose rules are all outside the
 * target's profile, labels each Allure result with its rule ids, and masks keys in every failure.
 */
public final class ConformanceExtension
    implements ParameterResolver,
        ExecutionCondition,
        BeforeEachCallback,
        TestExecutionExceptionHandler {
  private static final ExtensionContext.Namespace NAMESPACE =
      ExtensionContext.Namespace.create(ConformanceExtension.class);

  static RunContext run(ExtensionContext context) {
    return context
        .getRoot()
        .getStore(NAMESPACE)
        .getOrComputeIfAbsent(
            RunContext.class,
            key -> RunContext.open(name -> context.getConfigurationParameter(name).orElse(null)),
            RunContext.class);
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    Class<?> type = parameter.getParameter().getType();
    return type == ChatGlmClient.class || type == Target.class || type == RunContext.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    RunContext run = run(context);
    Class<?> type = parameter.getParameter().getType();
    if (type == ChatGlmClient.class) {
      return run.client();
    }
    return type == Target.class ? run.target() : run;
  }

  @Override
  public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
    if (context.getTestMethod().isEmpty()) {
      return ConditionEvaluationResult.enabled("a container");
    }
    Profile profile = run(context).target().profile();
    List<Rule> rules = rules(context);
    if (!rules.isEmpty() && rules.stream().noneMatch(rule -> profile.includes(rule.profile()))) {
      return ConditionEvaluationResult.disabled(
          "rule of the "
              + rules.get(0).profile().id()
              + " profile; target held to "
              + profile.id());
    }
    return ConditionEvaluationResult.enabled("rule applies to " + profile.id());
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    context.publishReportEntry(
        "rules", String.join(", ", rules(context).stream().map(Rule::id).toList()));
    for (Rule rule : rules(context)) {
      Allure.label("rule", rule.id());
      Allure.label("story", rule.id() + ": " + rule.statement());
      Allure.label("feature", rule.area());
    }
  }

  @Override
  public void handleTestExecutionException(ExtensionContext context, Throwable failure)
      throws Throwable {
    String message = run(context).client().secrets().mask(failure.getMessage());
    if (message == null || message.equals(failure.getMessage())) {
      throw failure;
    }
    Throwable masked =
        failure instanceof TestAbortedException
            ? new TestAbortedException(message)
            : new AssertionFailedError(message);
    masked.setStackTrace(failure.getStackTrace());
    throw masked;
  }

  private static List<Rule> rules(ExtensionContext context) {
    RuleCatalogue catalogue = RuleCatalogue.get();
    return context.getTags().stream().sorted().map(catalogue::rule).toList();
  }
}
