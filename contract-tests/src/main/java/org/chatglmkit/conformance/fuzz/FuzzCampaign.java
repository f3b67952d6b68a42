package org.chatglmkit.conformance.fuzz;

import io.kotest.property.Arb;
import io.kotest.property.RandomSource;
import io.kotest.property.Sample;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import org.chatglmkit.conformance.fuzz.Verdict.Failure;
import org.chatglmkit.conformance.http.Call;
import org.chatglmkit.conformance.http.ChatGlmClient;
import org.chatglmkit.conformance.http.Exchange;
import org.chatglmkit.conformance.http.StreamResult;
import org.chatglmkit.schemas.Profile;

/**
 * Generates requests from the schemas, sends them with the run's client (its concurrency, timeouts
 * and record of errors), judges every answer, and shrinks the first request of each distinct way a
 * rule was broken to the simplest request that still breaks it.
 *
 * <pre>{@code
 * FuzzReport report = FuzzCampaign.run(client, FuzzSettings.of(settings), runDeadlineNanos);
 * report.findings().forEach(finding -> System.out.println(finding.curl()));
 * }</pre>
 */
public final class FuzzCampaign {
  /** The most distinct findings shrunk in one campaign; more are reported as found. */
  static final int MAX_SHRUNK = 12;

  /** The most candidates sent while shrinking one finding. */
  static final int SHRINK_BOUND = 400;

  /**
   * The most simpler candidates that may still hang while shrinking a hang: each costs one whole
   * timeout.
   */
  static final int MAX_HANGING_STEPS = 12;

  /** Sending stops at this share of --fuzz-time, so that shrinking has the rest. */
  private static final double SENDING_SHARE = 0.7;

  private final ChatGlmClient client;
  private final FuzzSettings settings;
  private final Profile profile;
  private final long sendUntil;
  private final long shrinkUntil;

  private FuzzCampaign(ChatGlmClient client, FuzzSettings settings, long runDeadlineNanos) {
    this.client = client;
    this.settings = settings;
    this.profile = client.target().profile();
    long start = System.nanoTime();
    long end = Math.min(start + settings.time().toNanos(), runDeadlineNanos);
    this.shrinkUntil = end;
    this.sendUntil = start + (long) ((end - start) * SENDING_SHARE);
  }

  /** Runs a campaign; it ends by {@code --fuzz-time} and the run's own deadline. */
  public static FuzzReport run(ChatGlmClient client, FuzzSettings settings, long runDeadlineNanos) {
    return new FuzzCampaign(client, settings, runDeadlineNanos).run();
  }

  private FuzzReport run() {
    long started = System.nanoTime();
    Arb<FuzzCase> cases = new Cases(profile, settings.maxPromptBytes(), settings.maxTokens()).any();
    RandomSource random = RandomSource.Companion.seeded(settings.seed());
    List<Sample<FuzzCase>> samples = new ArrayList<>();
    List<CompletableFuture<Verdict>> answers = new ArrayList<>();
    Semaphore window = new Semaphore(client.limits().concurrency());
    String stopped = null;
    for (int i = 0; i < settings.cases(); i++) {
      Sample<FuzzCase> sample = cases.sample(random);
      if (!acquire(window)) {
        stopped = "sending stopped at " + (int) (SENDING_SHARE * 100) + "% of --fuzz-time";
        break;
      }
      samples.add(sample);
      answers.add(judgeLater(sample.getValue()).whenComplete((verdict, error) -> window.release()));
    }
    List<Verdict> verdicts = answers.stream().map(CompletableFuture::join).toList();
    Map<String, Integer> judged = new LinkedHashMap<>();
    Map<String, Integer> failed = new LinkedHashMap<>();
    Map<String, Integer> firsts = new LinkedHashMap<>();
    Map<String, Integer> counts = new LinkedHashMap<>();
    int valid = 0;
    int streamed = 0;
    int invalid = 0;
    int notJudged = 0;
    List<Finding> findings;
    for (int i = 0; i < verdicts.size(); i++) {
      Verdict verdict = verdicts.get(i);
      FuzzCase fuzzCase = samples.get(i).getValue();
      valid += fuzzCase.valid() ? 1 : 0;
      streamed += fuzzCase.streamed() ? 1 : 0;
      invalid += fuzzCase.valid() ? 0 : 1;
      if (!verdict.judged()) {
        notJudged++;
        continue;
      }
      count(judged, FuzzRules.NO_5XX);
      count(judged, FuzzRules.NO_HANG);
      count(judged, fuzzCase.valid() ? FuzzRules.VALID_ACCEPTED : FuzzRules.INVALID_REJECTED);
      if (fuzzCase.valid() && verdict.status() == 200) {
        count(judged, FuzzRules.ANSWER_SHAPE);
      }
      for (Failure failure : verdict.failures()) {
        count(failed, failure.rule());
        String key = failure.rule() + "\n" + failure.kind();
        firsts.putIfAbsent(key, i);
        count(counts, key);
      }
    }
    // Findings shrink side by side (each candidate is one exchange on the client's pool), so that
    // one slow finding, a hang for one, does not hold up the others.
    List<CompletableFuture<Finding>> shrinking = new ArrayList<>();
    ExecutorService shrinkers =
        Executors.newFixedThreadPool(
            Math.max(1, Math.min(firsts.size(), client.limits().concurrency())),
            task -> {
              Thread thread = new Thread(task, "chatglm-fuzz-shrink");
              thread.setDaemon(true);
              return thread;
            });
    try {
      for (Map.Entry<String, Integer> first : firsts.entrySet()) {
        int index = first.getValue();
        Failure failure =
            verdicts.get(index).failures().stream()
                .filter(f -> first.getKey().equals(f.rule() + "\n" + f.kind()))
                .findFirst()
                .orElseThrow();
        boolean shrink = shrinking.size() < MAX_SHRUNK;
        int failing = counts.get(first.getKey());
        shrinking.add(
            CompletableFuture.supplyAsync(
                () ->
                    finding(
                        samples.get(index), verdicts.get(index), failure, index, failing, shrink),
                shrinkers));
      }
      findings = shrinking.stream().map(CompletableFuture::join).toList();
    } finally {
      shrinkers.shutdownNow();
    }
    double seconds = (System.nanoTime() - started) / 1e9;
    return new FuzzReport(
        settings,
        samples.size(),
        verdicts.size(),
        valid,
        streamed,
        invalid,
        notJudged,
        judged,
        failed,
        findings,
        seconds,
        stopped);
  }

  /** Waits for room in the window; false when sending time is over. */
  private boolean acquire(Semaphore window) {
    try {
      while (System.nanoTime() < sendUntil) {
        if (window.tryAcquire(50, java.util.concurrent.TimeUnit.MILLISECONDS)) {
          return true;
        }
      }
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private Finding finding(
      Sample<FuzzCase> sample,
      Verdict verdict,
      Failure failure,
      int index,
      int cases,
      boolean shrink) {
    FuzzCase minimal = sample.getValue();
    Verdict minimalVerdict = verdict;
    int steps = 0;
    boolean shrunk = false;
    if (shrink && System.nanoTime() < shrinkUntil) {
      Verdict[] last = {verdict};
      int[] hanging = {0};
      boolean hang = failure.rule().equals(FuzzRules.NO_HANG);
      Shrinking.Result<FuzzCase> result =
          Shrinking.shrink(
              sample,
              candidate -> {
                if (System.nanoTime() > shrinkUntil || hanging[0] >= MAX_HANGING_STEPS) {
                  return false;
                }
                Verdict again = judgeLater(candidate).join();
                if (again.failed(failure)) {
                  last[0] = again;
                  hanging[0] += hang ? 1 : 0;
                  return true;
                }
                return false;
              },
              SHRINK_BOUND);
      minimal = result.value();
      steps = result.tried();
      shrunk =
          steps < SHRINK_BOUND
              && System.nanoTime() <= shrinkUntil
              && hanging[0] < MAX_HANGING_STEPS;
      minimalVerdict = minimal == sample.getValue() ? verdict : last[0];
    }
    Failure shown =
        minimalVerdict.failures().stream()
            .filter(f -> f.rule().equals(failure.rule()) && f.kind().equals(failure.kind()))
            .findFirst()
            .orElse(failure);
    return new Finding(
        failure.rule(),
        failure.kind(),
        client.secrets().mask(shown.detail()),
        cases,
        index,
        minimal.request(),
        minimal.kind(),
        minimalVerdict.status(),
        client.secrets().mask(minimalVerdict.answer()),
        Curl.of(client.target(), client.auth(), minimal),
        steps,
        shrunk);
  }

  /** Sends one case on the client's pool and judges its answer. */
  private CompletableFuture<Verdict> judgeLater(FuzzCase fuzzCase) {
    if (fuzzCase.streamed()) {
      CompletableFuture<StreamResult> stream = client.streamLater(fuzzCase.json());
      return stream.thenApply(result -> Verdict.ofStream(fuzzCase, result, profile));
    }
    Call call = Call.chat(fuzzCase.json(), client.auth());
    if (!fuzzCase.valid()) {
      call = call.mistake("a generated request that " + fuzzCase.kind());
    }
    CompletableFuture<Exchange> answer = client.later(call);
    return answer.thenApply(exchange -> Verdict.of(fuzzCase, exchange, profile));
  }

  private static void count(Map<String, Integer> counts, String key) {
    counts.merge(key, 1, Integer::sum);
  }
}
