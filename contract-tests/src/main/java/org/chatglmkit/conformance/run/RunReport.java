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
import org.chatglmkit.mockserver.core.Json;
import org.chatglmkit.mockserver.core.Keys;
import org.chatglmkit.mockserver.target.Target;

/**
 * The result of a run, rule by rule: printed as a table, written as {@code summary.json}.
 *
 * @param target the target checked (its keys are never written)
 * @param started when the run began
 * @param took how long the checks ran
 * @param rules one result per catalogue rule, in catalogue order
 * @param reportDir where the reports were written
 */
public record RunReport(
    Target target, Instant started, Duration took, List<RuleResult> rules, Path reportDir) {
  private static final int STATEMENT_WIDTH = 64;

  public RunReport {
    rules = List.copyOf(rules);
  }

  public long count(Outcome.Status status) {
    return rules.stream().filter(rule -> rule.status() == status).count();
  }

  public long failed() {
    return count(Outcome.Status.FAIL);
  }

  /** 0 when no applicable rule failed, 1 otherwise. */
  public int exitCode() {
    return failed() == 0 ? 0 : 1;
  }

  public Path summaryFile() {
    return reportDir.resolve("summary.json");
  }

  void writeSummary() {
    ObjectNode root = Json.MAPPER.createObjectNode();
    ObjectNode checked = root.putObject("target");
    checked.put("url", target.baseUrl());
    checked.put("embedded", target.embedded());
    checked.put("api_key", Keys.mask(target.apiKey()));
    checked.put("forbidden_key_given", target.forbidden().isPresent());
    root.put("profile", target.profile().id());
    root.put("started", started.toString());
    root.put("duration_ms", took.toMillis());
    ObjectNode counts = root.putObject("counts");
    for (Outcome.Status status : Outcome.Status.values()) {
      counts.put(status.name().toLowerCase(Locale.ROOT), count(status));
    }
    root.put("passed", failed() == 0);
    ArrayNode rows = root.putArray("rules");
    for (RuleResult result : rules) {
      ObjectNode row = rows.addObject();
      row.put("id", result.rule().id());
      row.put("statement", result.rule().statement());
      row.put("profile", result.rule().profile().id());
      row.put("section", result.rule().section());
      row.put("status", result.status().name().toLowerCase(Locale.ROOT));
      row.put("detail", result.detail());
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

  /** The table: rule id, status, statement, and for a failure or a skip one line of why. */
  public void print(PrintStream out) {
    int idWidth = rules.stream().mapToInt(r -> r.rule().id().length()).max().orElse(10);
    String format = "%-" + idWidth + "s  %-4s  %s%n";
    out.printf(format, "RULE", "", "STATEMENT");
    for (RuleResult result : rules) {
      out.printf(
          format, result.rule().id(), result.status().name(), clip(result.rule().statement()));
      if (result.status() != Outcome.Status.PASS && result.detail() != null) {
        out.printf("%-" + idWidth + "s        %s%n", "", "↳ " + clip(result.detail(), 160));
      }
    }
    out.printf(
        Locale.ROOT,
        "%n%d rules: %d pass, %d fail, %d skip (profile %s, %.1f s). Reports: %s%n",
        rules.size(),
        count(Outcome.Status.PASS),
        count(Outcome.Status.FAIL),
        count(Outcome.Status.SKIP),
        target.profile().id(),
        took.toMillis() / 1000.0,
        reportDir);
  }

  private static String clip(String text) {
    return clip(text, STATEMENT_WIDTH);
  }

  private static String clip(String text, int width) {
    return text.length() <= width ? text : text.substring(0, width - 1) + "…";
  }
}
