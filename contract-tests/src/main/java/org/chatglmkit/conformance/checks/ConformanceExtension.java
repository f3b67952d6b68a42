package org.chatglmkit.conformance.checks;

import java.lang.reflect.Method;
import java.util.List;
import java.util.Optional;
import org.chatglmkit.conformance.http.ChatGlmClient;
import org.chatglmkit.mockserver.client.Target;
import org.chatglmkit.mockserver.settings.Settings;
import org.chatglmkit.schemas.Profile;
import org.chatglmkit.schemas.Rule;
import org.chatglmkit.schemas.RuleCatalogue;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.InvocationInterceptor;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.ReflectiveInvocationContext;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

/**
 * Wires the checks to the run: resolves {@link ChatGlmClient}, {@link Target} and {@link
 * RunContext} parameters; skips a check whose rules are all outside the target's profile; reports a
 * check whose {@link Needs} the baseline did not meet as blocked by its cause; skips a check that
 * returned without judging anything; labels each Allure result with its rule ids; turns the failure
 * of a waived rule into a waiver; and masks keys in every message.
 */
public final class ConformanceExtension
    implements ParameterResolver,
        ExecutionCondition,
        BeforeEachCallback,
        InvocationInterceptor,
        TestExecutionExceptionHandler {
  /** The configuration parameter naming the {@link RunContext} a launcher run registered. */
  public static final String RUN_ID = "chatglm.run-id";

  /** How the reason of a check blocked by the baseline starts. */
  public static final String BLOCKED = "blocked: ";

  /** How the reason of a check of a waived rule starts. */
  public static final String WAIVED = "waived: ";

  /** How the reason of a check the run's time limit stopped starts. */
  public static final String NOT_JUDGED = "not judged: ";

  private static final ExtensionContext.Namespace NAMESPACE =
      ExtensionContext.Namespace.create(ConformanceExtension.class);

  static RunContext run(ExtensionContext context) {
    Optional<RunContext> registered =
        RunContext.registered(context.getConfigurationParameter(RUN_ID).orElse(null));
    if (registered.isPresent()) {
      return registered.get();
    }
    // Launched by another runner (an IDE, Surefire): open a run of its own, closed with the root.
    return context
        .getRoot()
        .getStore(NAMESPACE)
        .getOrComputeIfAbsent(
            OwnRun.class,
            key ->
                new OwnRun(
                    RunContext.open(
                        Settings.of(name -> context.getConfigurationParameter(name).orElse(null)))),
            OwnRun.class)
        .run();
  }

  private record OwnRun(RunContext run) implements ExtensionContext.Store.CloseableResource {
    @Override
    public void close() {
      run.close();
    }
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
    RunContext run = run(context);
    Profile profile = run.target().profile();
    List<Rule> rules = rules(context);
    if (!rules.isEmpty() && rules.stream().noneMatch(rule -> profile.includes(rule.profile()))) {
      return ConditionEvaluationResult.disabled(
          "rule of the "
              + rules.get(0).profile().id()
              + " profile; target held to "
              + profile.id());
    }
    if (run.outOfTime()) {
      return ConditionEvaluationResult.disabled(
          NOT_JUDGED + "the run's --max-time of " + run.maxTime().toSeconds() + " s ran out");
    }
    if (context.getTestClass().filter(FuzzChecks.class::equals).isPresent() && !run.fuzzEnabled()) {
      return ConditionEvaluationResult.disabled(FuzzChecks.NOT_ASKED);
    }
    Optional<Needs> needs = needs(context);
    for (Needs.Part part : needs.map(Needs::value).orElse(new Needs.Part[0])) {
      Optional<String> cause = run.baseline().cause(part);
      if (cause.isPresent()) {
        String blocked = BLOCKED + cause.get();
        return ConditionEvaluationResult.disabled(
            waiver(run, rules)
                .map(reason -> WAIVED + reason + " (" + blocked + ")")
                .orElse(blocked));
      }
    }
    return ConditionEvaluationResult.enabled("rule applies to " + profile.id());
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    context.publishReportEntry(
        "rules", String.join(", ", rules(context).stream().map(Rule::id).toList()));
    // The Allure labels (feature, story, rule) come from the tags: see RuleLabels.
  }

  @Override
  public void interceptTestMethod(
      Invocation<Void> invocation,
      ReflectiveInvocationContext<Method> invocationContext,
      ExtensionContext context)
      throws Throwable {
    Observations.start();
    invocation.proceed();
    if (Observations.count() == 0) {
      throw new TestAbortedException("the check observed nothing it could judge");
    }
  }

  @Override
  public void handleTestExecutionException(ExtensionContext context, Throwable failure)
      throws Throwable {
    RunContext run = run(context);
    String message = run.client().secrets().mask(failure.getMessage());
    Optional<String> waived = waiver(run, rules(context));
    if (waived.isPresent() && !(failure instanceof TestAbortedException)) {
      TestAbortedException waiver =
          new TestAbortedException(WAIVED + waived.get() + " (would fail: " + message + ")");
      waiver.setStackTrace(new StackTraceElement[0]);
      throw waiver;
    }
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

  private static Optional<String> waiver(RunContext run, List<Rule> rules) {
    return rules.stream()
        .map(rule -> run.waivers().get(rule.id()))
        .filter(reason -> reason != null)
        .findFirst();
  }

  private static Optional<Needs> needs(ExtensionContext context) {
    Optional<Needs> onMethod =
        context.getTestMethod().map(method -> method.getAnnotation(Needs.class));
    if (onMethod.isPresent()) {
      return onMethod;
    }
    return context.getTestClass().map(type -> type.getAnnotation(Needs.class));
  }

  private static List<Rule> rules(ExtensionContext context) {
    RuleCatalogue catalogue = RuleCatalogue.get();
    return context.getTags().stream().sorted().map(catalogue::rule).toList();
  }
}
