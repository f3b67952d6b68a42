package org.chatglmkit.conformance.run;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectPackage;

import com.fasterxml.jackson.databind.JsonNode;
import io.qameta.allure.Allure;
import io.qameta.allure.AllureLifecycle;
import io.qameta.allure.FileSystemResultsWriter;
import io.qameta.allure.junitplatform.AllureJunitPlatform;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.chatglmkit.conformance.checks.ConformanceExtension;
import org.chatglmkit.conformance.checks.RuleDisplayNames;
import org.chatglmkit.conformance.checks.RunContext;
import org.chatglmkit.conformance.http.Secrets;
import org.chatglmkit.mockserver.client.Target;
import org.chatglmkit.mockserver.core.Json;
import org.chatglmkit.mockserver.settings.Settings;
import org.chatglmkit.schemas.Rule;
import org.chatglmkit.schemas.RuleCatalogue;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.core.LauncherConfig;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.reporting.legacy.xml.LegacyXmlReportGeneratingListener;

/**
 * Runs every check against one target with the JUnit launcher and reads the results as the rule
 * catalogue: JUnit XML under {@code junit/}, Allure results under {@code allure-results/}, and
 * {@code summary.json}, all in the report directory.
 *
 * <pre>{@code
 * RunReport report = ConformanceRun.run(Map.of("chatglm.target.url", url), Path.of("reports/conformance"));
 * System.exit(report.failed() > 0 ? 1 : 0);
 * }</pre>
 */
public final class ConformanceRun {
  /** The package holding the checks; every class in it is run. */
  public static final String CHECKS_PACKAGE = "org.chatglmkit.conformance.checks";

  private ConformanceRun() {}

  /** The summary of an earlier run to compare with: only rules that passed there break a build. */
  public static final String PREVIOUS_SUMMARY = "chatglm.baseline-summary";

  /**
   * Runs the suite.
   *
   * @param parameters target settings and tunables by property name (see {@code TargetSettings} and
   *     {@code RunContext}); anything absent falls back to system properties, then environment
   *     variables
   * @param reportDir where the reports are written (created if needed)
   * @throws IllegalArgumentException for settings that make no sense (one line, for the user)
   */
  public static RunReport run(Map<String, String> parameters, Path reportDir) {
    Settings settings = Settings.of(parameters);
    Map<String, String> previous =
        settings.text(PREVIOUS_SUMMARY).map(ConformanceRun::previousStatuses).orElse(null);
    Instant started = Instant.now();
    try (RunContext context = RunContext.open(settings)) {
      Optional<String> unanswered = context.baseline().unanswered();
      if (unanswered.isPresent()) {
        List<RuleResult> results = new ArrayList<>();
        for (Rule rule : RuleCatalogue.get().all()) {
          results.add(
              new RuleResult(
                  rule, Outcome.Status.SKIP, "not judged: the target gave no answer", List.of()));
        }
        RunReport report =
            new RunReport(
                context.target(),
                started,
                Duration.between(started, Instant.now()),
                results,
                reportDir,
                context.baseline(),
                unanswered.get(),
                previous,
                null);
        clean(reportDir.resolve("allure-results"));
        clean(reportDir.resolve("junit"));
        report.writeSummary();
        return report;
      }
      return run(context, reportDir, started, previous);
    }
  }

  /** Reads rule statuses from an earlier run's {@code summary.json}. */
  static Map<String, String> previousStatuses(String path) {
    try {
      JsonNode summary = Json.MAPPER.readTree(Path.of(path).toFile());
      Map<String, String> statuses = new LinkedHashMap<>();
      for (JsonNode rule : summary.path("rules")) {
        statuses.put(rule.path("id").asText(), rule.path("status").asText());
      }
      if (statuses.isEmpty()) {
        throw new IllegalArgumentException("--baseline " + path + " lists no rules");
      }
      return statuses;
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "--baseline: cannot read " + path + " (" + e.getMessage() + ")");
    }
  }

  /** Runs the checks against a run that is open and whose baseline got an answer. */
  private static RunReport run(
      RunContext context, Path reportDir, Instant started, Map<String, String> previous) {
    Target target = context.target();
    Path allureResults = reportDir.resolve("allure-results");
    Path junitDir = reportDir.resolve("junit");
    clean(allureResults);
    clean(junitDir);
    AllureLifecycle lifecycle = new AllureLifecycle(new FileSystemResultsWriter(allureResults));
    Allure.setLifecycle(lifecycle);
    RuleListener rules = new RuleListener();
    StringWriter junitLog = new StringWriter();
    Launcher launcher =
        LauncherFactory.create(
            LauncherConfig.builder()
                .enableTestExecutionListenerAutoRegistration(false)
                .enablePostDiscoveryFilterAutoRegistration(false)
                .addTestExecutionListeners(
                    rules,
                    new AllureJunitPlatform(lifecycle),
                    new LegacyXmlReportGeneratingListener(junitDir, new PrintWriter(junitLog)))
                .build());
    // The checks find every setting through the registered run; nothing else needs passing.
    Map<String, String> configuration = new LinkedHashMap<>();
    configuration.put(ConformanceExtension.RUN_ID, context.register());
    configuration.put(
        "junit.jupiter.displayname.generator.default", RuleDisplayNames.class.getName());
    configuration.put(
        "junit.jupiter.testclass.order.default",
        "org.junit.jupiter.api.ClassOrderer$OrderAnnotation");
    LauncherDiscoveryRequest request =
        LauncherDiscoveryRequestBuilder.request()
            .selectors(selectPackage(CHECKS_PACKAGE))
            .configurationParameters(configuration)
            .build();
    launcher.execute(request);
    Duration took = Duration.between(started, Instant.now());
    Secrets secrets = context.client().secrets();
    maskFiles(junitDir, secrets);
    maskFiles(allureResults, secrets);
    List<RuleResult> results = new ArrayList<>();
    Map<String, List<Outcome>> outcomes = rules.outcomes();
    for (Rule rule : RuleCatalogue.get().all()) {
      results.add(RuleResult.of(rule, outcomes.getOrDefault(rule.id(), List.of())));
    }
    boolean cutShort =
        results.stream()
            .flatMap(result -> result.outcomes().stream())
            .anyMatch(
                outcome ->
                    outcome.message() != null
                        && outcome.message().startsWith(ConformanceExtension.NOT_JUDGED));
    String aborted =
        cutShort
            ? "the run's --max-time of "
                + context.maxTime().toSeconds()
                + " s ran out before every rule was judged"
            : null;
    RunReport report =
        new RunReport(
            target,
            started,
            took,
            results,
            reportDir,
            context.baseline(),
            aborted,
            previous,
            context.fuzzReport().orElse(null));
    report.writeSummary();
    return report;
  }

  /**
   * Masks keys in every report file. The checks already mask what they write; this also covers what
   * the reporters add on their own (JUnit XML lists every system property, for one).
   */
  private static void maskFiles(Path dir, Secrets secrets) {
    try (Stream<Path> files = Files.list(dir)) {
      for (Path file : files.toList()) {
        String name = file.getFileName().toString();
        if (name.endsWith(".xml") || name.endsWith(".json") || name.endsWith(".txt")) {
          String text = Files.readString(file, StandardCharsets.UTF_8);
          String masked = secrets.mask(text);
          if (!masked.equals(text)) {
            Files.writeString(file, masked, StandardCharsets.UTF_8);
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot mask keys in " + dir, e);
    }
  }

  private static void clean(Path dir) {
    try {
      Files.createDirectories(dir);
      try (Stream<Path> files = Files.list(dir)) {
        for (Path file : files.toList()) {
          if (Files.isRegularFile(file)) {
            Files.delete(file);
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare " + dir, e);
    }
  }
}
