package org.chatglmkit.conformance.run;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.chatglmkit.conformance.checks.Baseline;
import org.chatglmkit.conformance.checks.RunContext;
import org.chatglmkit.conformance.fuzz.Finding;
import org.chatglmkit.conformance.fuzz.FuzzReport;
import org.chatglmkit.mockserver.client.Target;
import org.chatglmkit.mockserver.core.Json;
import org.chatglmkit.mockserver.core.Keys;

/**
 * The result of a run, rule by rule: printed as a table, written as {@code summary.json}. When the
 * baseline exchange failed, both lead with its root cause; when the run could not judge at all (no
 * answer to the baseline, or the run's time limit), with why.
 *
 * @param target the target checked (its keys are never written)
 * @param started when the run began
 * @param took how long the run took
 * @param rules one result per catalogue rule, in catalogue order
 * @param reportDir where the reports were written
 * @param baseline the baseline exchange, or {@code null} when the run could not open
 * @param aborted why the run could not judge the target, or {@code null}
 * @param previous rule statuses of an earlier run to compare with ({@code --baseline}), or {@code
 *     null}: then only rules that passed there and fail now break the build
 * @param fuzz what fuzzing did and found, or {@code null} when it did not run
 */
public record RunReport(
    Target target,
    Instant started,
    Duration took,
    List<RuleResult> rules,
    Path reportDir,
    Baseline baseline,
    String aborted,
    Map<String, String> previous,
    FuzzReport fuzz) {
  private static final int STATEMENT_WIDTH = 64;

  public RunReport {
    rules = List.copyOf(rules);
    previous = previous == null ? null : Map.copyOf(previous);
  }

  public long count(Outcome.Status status) {
    return rules.stream().filter(rule -> rule.status() == status).count();
  }

  public long failed() {
    return count(Outcome.Status.FAIL);
  }

  /** The root cause that blocked rules, when the baseline failed. */
  public Optional<String> rootCause() {
    return baseline == null ? Optional.empty() : baseline.rootCause();
  }

  /** Whether {@code result} fails the build: failing now, and (with a comparison) passing then. */
  public boolean breaksBuild(RuleResult result) {
    if (!result.failing()) {
      return false;
    }
    return previous == null || "pass".equals(previous.get(result.rule().id()));
  }

  public List<RuleResult> breaking() {
    return rules.stream().filter(this::breaksBuild).toList();
  }

  /** 2 when the run could not judge the target, 1 when a rule breaks the build, 0 otherwise. */
  public int exitCode() {
    if (aborted != null) {
      return 2;
    }
    return breaking().isEmpty() ? 0 : 1;
  }

  public Path summaryFile() {
    return reportDir.resolve("summary.json");
  }

  void writeSummary() {
    ObjectNode root = Json.MAPPER.createObjectNode();
    root.put("verdict", aborted != null ? "aborted" : exitCode() == 0 ? "pass" : "fail");
    root.put("exit_code", exitCode());
    root.put("aborted", aborted);
    root.put("root_cause", rootCause().orElse(null));
    ObjectNode checked = root.putObject("target");
    checked.put("url", target.baseUrl());
    checked.put("embedded", target.embedded());
    checked.put("api_key", Keys.mask(target.apiKey()));
    checked.put("forbidden_key_given", target.forbidden().isPresent());
    checked.put("model", target.model());
    checked.put("model_source", baseline == null ? null : baseline.modelSource());
    ObjectNode headers = checked.putObject("headers");
    target.shownHeaders().forEach(headers::put);
    if (baseline != null) {
      ObjectNode base = root.putObject("baseline");
      base.put("unstreamed", baseline.unstreamed().brief());
      base.put("streamed", baseline.streamed() == null ? null : baseline.streamed().brief());
      if (baseline.models() != null) {
        base.put("models", baseline.models().brief());
      }
    }
    root.put("profile", target.profile().id());
    root.put("started", started.toString());
    root.put("duration_ms", took.toMillis());
    ObjectNode counts = root.putObject("counts");
    for (Outcome.Status status : Outcome.Status.values()) {
      counts.put(status.name().toLowerCase(Locale.ROOT), count(status));
    }
    root.put("passed", exitCode() == 0);
    root.put("tools", tools());
    root.put("compared_with_previous_run", previous != null);
    if (fuzz != null) {
      writeFuzz(root.putObject("fuzz"));
    }
    ArrayNode rows = root.putArray("rules");
    for (RuleResult result : rules) {
      ObjectNode row = rows.addObject();
      row.put("id", result.rule().id());
      row.put("statement", result.rule().statement());
      row.put("profile", result.rule().profile().id());
      row.put("section", result.rule().section());
      row.put("status", result.status().name().toLowerCase(Locale.ROOT));
      row.put("detail", result.detail());
      row.put("breaks_build", breaksBuild(result));
      if (previous != null) {
        row.put("previous_status", previous.get(result.rule().id()));
      }
      ArrayNode checks = row.putArray("checks");
      for (Outcome outcome : result.outcomes()) {
        ObjectNode check = checks.addObject();
        check.put("name", outcome.check());
        check.put("status", outcome.status().name().toLowerCase(Locale.ROOT));
        check.put("message", outcome.message());
      }
    }
    try {
      Files.createDirectories(reportDir);
      Json.MAPPER.writerWithDefaultPrettyPrinter().writeValue(summaryFile().toFile(), root);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + summaryFile(), e);
    }
  }

  /** {@code fuzz}: the campaign's figures and each finding with its minimal request. */
  private void writeFuzz(ObjectNode node) {
    node.put("seed", fuzz.settings().seed());
    node.put("seed_given", fuzz.settings().seedGiven());
    node.put("cases_asked", fuzz.settings().cases());
    node.put("cases_sent", fuzz.sent());
    node.put("valid", fuzz.valid());
    node.put("streamed", fuzz.streamed());
    node.put("broken", fuzz.invalid());
    node.put("not_judged", fuzz.notJudged());
    node.put("seconds", Math.round(fuzz.seconds() * 10) / 10.0);
    node.put("cases_per_second", Math.round(fuzz.casesPerSecond() * 10) / 10.0);
    node.put("max_prompt_bytes", fuzz.settings().maxPromptBytes());
    node.put("max_tokens", fuzz.settings().maxTokens());
    node.put("stopped", fuzz.stopped());
    ObjectNode judged = node.putObject("judged");
    fuzz.judged().forEach(judged::put);
    ArrayNode findings = node.putArray("findings");
    for (Finding finding : fuzz.findings()) {
      ObjectNode row = findings.addObject();
      row.put("rule", finding.rule());
      row.put("kind", finding.kind());
      row.put("detail", finding.detail());
      row.put("cases", finding.cases());
      row.put("first_case", finding.firstCase());
      row.put("request_kind", finding.requestKind());
      row.set("minimal_request", finding.minimal());
      row.put("status", finding.status());
      row.put("answer_excerpt", finding.answer());
      row.put("curl", finding.curl());
      row.put("shrink_steps", finding.shrinkSteps());
      row.put("shrunk", finding.shrunk());
      row.put("seed", fuzz.settings().seed());
    }
  }

  /**
   * The table: the root cause first (when there is one), then per rule its id, status, statement,
   * and for anything but a pass one line of why.
   */
  public void print(PrintStream out) {
    int idWidth = rules.stream().mapToInt(r -> r.rule().id().length()).max().orElse(10);
    String format = "%-" + idWidth + "s  %-7s  %s%n";
    String why = "%-" + idWidth + "s           %s%n";
    if (aborted != null) {
      out.printf(format, "RUN", "ABORTED", clip(aborted, 160));
    }
    rootCause()
        .ifPresent(
            cause -> {
              out.printf(format, "BASELINE", "FAIL", clip(cause, 160));
              out.printf(
                  why,
                  "",
                  "↳ blocked by it: "
                      + rules.stream()
                          .filter(r -> r.status() == Outcome.Status.BLOCKED)
                          .map(r -> r.rule().id())
                          .toList());
            });
    out.printf(format, "RULE", "", "STATEMENT");
    for (RuleResult result : rules) {
      String status = result.status().name();
      if (result.failing() && !breaksBuild(result)) {
        status = status + "*";
      }
      out.printf(format, result.rule().id(), status, clip(result.rule().statement()));
      if (result.status() != Outcome.Status.PASS && result.detail() != null) {
        String detail =
            result.status() == Outcome.Status.BLOCKED ? "the baseline failed" : result.detail();
        out.printf(why, "", "↳ " + clip(detail, 160));
      }
    }
    out.printf(
        Locale.ROOT,
        "%n%d rules: %d pass, %d fail, %d blocked, %d waived, %d skip (profile %s%s, %.1f s)."
            + " Reports: %s%n",
        rules.size(),
        count(Outcome.Status.PASS),
        count(Outcome.Status.FAIL),
        count(Outcome.Status.BLOCKED),
        count(Outcome.Status.WAIVED),
        count(Outcome.Status.SKIP),
        target.profile().id(),
        target.model() == null ? "" : ", model " + target.model(),
        took.toMillis() / 1000.0,
        reportDir);
    switch (tools()) {
      case "not called" ->
          out.println(
              "Tools: the target did not call tools; its tool rules are skipped (--require tools"
                  + " fails them).");
      case "called" -> out.println("Tools: the target calls tools; every tool rule is judged.");
      default -> {}
    }
    if (fuzz != null) {
      out.println(fuzz.summaryLine());
      for (Finding finding : fuzz.findings()) {
        out.printf(
            "%n%s  %s (%d of the cases; minimal %s, %d shrink steps):%n  %s%n",
            finding.rule(),
            finding.kind(),
            finding.cases(),
            finding.shrunk() ? "found" : "not reached: shrinking stopped by its bound or time",
            finding.shrinkSteps(),
            clip(finding.detail(), 200));
        // Not indented, so that it can be pasted into a shell as it stands.
        out.println(finding.curl());
      }
      if (!fuzz.findings().isEmpty()) {
        out.printf(
            "Replay: the same --fuzz %d --seed %d sends the same requests; each curl above reads"
                + " the key from $CHATGLM_API_KEY.%n",
            fuzz.settings().cases(), fuzz.settings().seed());
      }
    }
    if (previous != null) {
      long known = rules.stream().filter(r -> r.failing() && !breaksBuild(r)).count();
      out.printf(
          "Compared with an earlier run: %d new failures break the build; %d marked * failed"
              + " there too (or were not run).%n",
          breaking().size(), known);
    }
  }

  /**
   * What the run found of tool support: {@code called}, {@code not called} (the tool rules were
   * skipped, or failed under {@code --require tools}), or {@code not judged} (another profile, or
   * the baseline failed).
   */
  public String tools() {
    List<RuleResult> tools = rules.stream().filter(r -> r.rule().area().equals("tools")).toList();
    boolean notCalled =
        tools.stream()
            .anyMatch(r -> r.detail() != null && r.detail().contains(RunContext.NO_TOOL_CALLS));
    if (notCalled) {
      return "not called";
    }
    boolean judged =
        tools.stream()
            .anyMatch(
                r ->
                    r.rule().id().startsWith("TOOLS-")
                        && (r.status() == Outcome.Status.PASS
                            || r.status() == Outcome.Status.FAIL));
    return judged ? "called" : "not judged";
  }

  private static String clip(String text) {
    return clip(text, STATEMENT_WIDTH);
  }

  private static String clip(String text, int width) {
    return text.length() <= width ? text : text.substring(0, width - 1) + "…";
  }
}
