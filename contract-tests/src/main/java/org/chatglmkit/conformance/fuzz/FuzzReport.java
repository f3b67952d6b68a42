package org.chatglmkit.conformance.fuzz;

import java.util.List;
import java.util.Map;

/**
 * What a fuzzing campaign did and found.
 *
 * @param settings what was asked for
 * @param generated how many requests were generated
 * @param sent how many were sent and judged
 * @param valid how many of those were valid
 * @param streamed how many valid ones asked for a stream
 * @param invalid how many broke one rule
 * @param notJudged how many answers said nothing about the request (413, 429 or 529 after the
 *     client's retries, or cut by the run's own time limit)
 * @param judged per fuzzing rule, how many exchanges it judged
 * @param failed per fuzzing rule, how many exchanges broke it
 * @param findings the distinct ways rules were broken, each with its minimal request
 * @param seconds how long the campaign took, shrinking included
 * @param stopped why the campaign ended before sending every request, or {@code null}
 */
public record FuzzReport(
    FuzzSettings settings,
    int generated,
    int sent,
    int valid,
    int streamed,
    int invalid,
    int notJudged,
    Map<String, Integer> judged,
    Map<String, Integer> failed,
    List<Finding> findings,
    double seconds,
    String stopped) {

  public FuzzReport {
    judged = Map.copyOf(judged);
    failed = Map.copyOf(failed);
    findings = List.copyOf(findings);
  }

  public double casesPerSecond() {
    return seconds <= 0 ? 0 : sent / seconds;
  }

  public List<Finding> findings(String rule) {
    return findings.stream().filter(finding -> finding.rule().equals(rule)).toList();
  }

  /** One line: cases, findings, speed, seed. */
  public String summaryLine() {
    return String.format(
        java.util.Locale.ROOT,
        "Fuzzing: %d of %d cases sent (%d valid, %d streamed, %d broken) in %.1f s, %.1f cases/s,"
            + " seed %d: %d finding%s%s%s",
        sent,
        settings.cases(),
        valid,
        streamed,
        invalid,
        seconds,
        casesPerSecond(),
        settings.seed(),
        findings.size(),
        findings.size() == 1 ? "" : "s",
        notJudged == 0 ? "" : "; " + notJudged + " not judged (413, 429, 529 or the time limit)",
        stopped == null ? "" : " (" + stopped + ")");
  }
}
