package org.chatglmkit.conformance.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.chatglmkit.conformance.checks.RunContext;
import org.chatglmkit.conformance.run.ConformanceRun;
import org.chatglmkit.conformance.run.RunReport;
import org.chatglmkit.mockserver.target.Reachability;
import org.chatglmkit.mockserver.target.TargetSettings;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The conformance gate as a command: checks a target rule by rule and exits 0 (every applicable
 * rule passes), 1 (a rule fails) or 2 (usage error, or the target cannot be reached).
 */
@Command(
    name = "chatglm-conformance",
    mixinStandardHelpOptions = true,
    version = "chatglm-conformance 0.1.0",
    description = {
      "Checks a ChatGLM chat-completions server against the documented API, rule by rule.",
      "Without --target (or CHATGLM_TARGET_URL) it starts the embedded reference server and checks"
          + " that.",
      "Exit codes: 0 every applicable rule passes, 1 a rule fails, 2 usage error or unreachable"
          + " target."
    })
public final class ConformanceCli implements Callable<Integer> {
  static final int USAGE = 2;

  @Option(
      names = "--target",
      paramLabel = "URL",
      description = "Server root, e.g. http://127.0.0.1:8000 (env CHATGLM_TARGET_URL).")
  String target;

  @Option(
      names = "--api-key",
      paramLabel = "KEY",
      description = "A key the target accepts (env CHATGLM_API_KEY).")
  String apiKey;

  @Option(
      names = "--forbidden-key",
      paramLabel = "KEY",
      description =
          "A key the target refuses with 403; without it that rule is skipped (env"
              + " CHATGLM_FORBIDDEN_KEY).")
  String forbiddenKey;

  @Option(
      names = "--profile",
      paramLabel = "PROFILE",
      description = "documented or openai (env CHATGLM_PROFILE; default openai).")
  String profile;

  @Option(
      names = "--report-dir",
      paramLabel = "DIR",
      defaultValue = "reports/conformance",
      description =
          "Where JUnit XML, Allure results and summary.json go (default: ${DEFAULT-VALUE}).")
  Path reportDir;

  @Option(
      names = "--timeout-s",
      paramLabel = "SECONDS",
      description = "Longest wait for one answer or stream (default 60).")
  Integer timeoutSeconds;

  @Option(
      names = "--min-stream-spread-ms",
      paramLabel = "MS",
      description =
          "How long before a stream's end its first content event must arrive (default 10).")
  Integer minStreamSpreadMillis;

  public static void main(String[] args) {
    // The embedded server's Jetty and WireMock talk at start-up; the table is what matters here.
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "error");
    CommandLine command = new CommandLine(new ConformanceCli());
    System.exit(command.execute(args));
  }

  @Override
  public Integer call() {
    Map<String, String> parameters = new LinkedHashMap<>();
    put(parameters, TargetSettings.URL, target);
    put(parameters, TargetSettings.API_KEY, apiKey);
    put(parameters, TargetSettings.FORBIDDEN_KEY, forbiddenKey);
    put(parameters, TargetSettings.PROFILE, profile);
    put(parameters, RunContext.TIMEOUT_SECONDS, timeoutSeconds);
    put(parameters, RunContext.MIN_STREAM_SPREAD_MS, minStreamSpreadMillis);
    TargetSettings settings;
    try {
      settings = TargetSettings.resolve(parameters::get);
    } catch (IllegalArgumentException e) {
      return usage(e.getMessage());
    }
    if (!settings.embedded()) {
      Optional<String> problem = Reachability.problem(settings.url());
      if (problem.isPresent()) {
        return usage(problem.get());
      }
      if (settings.apiKey() == null) {
        return usage("no API key: give --api-key or set CHATGLM_API_KEY");
      }
    }
    System.out.println(
        "ChatGLM conformance: "
            + (settings.embedded() ? "embedded reference server" : settings.url())
            + ", profile "
            + settings.profile().id());
    RunReport report = ConformanceRun.run(parameters, reportDir);
    System.out.println("Target: " + report.target());
    report.print(System.out);
    return report.exitCode();
  }

  private static void put(Map<String, String> parameters, String name, Object value) {
    if (value != null) {
      parameters.put(name, value.toString());
    }
  }

  private static int usage(String message) {
    System.err.println("chatglm-conformance: " + message);
    return USAGE;
  }
}
