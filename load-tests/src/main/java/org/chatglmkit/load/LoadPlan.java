package org.chatglmkit.load;

import java.nio.file.Path;
import org.chatglmkit.mockserver.client.TargetSettings;
import org.chatglmkit.mockserver.core.FaultPolicy;
import org.chatglmkit.mockserver.settings.Settings;

/**
 * Everything one load run needs, resolved once by the one settings rule (an option, then the system
 * property, then the environment variable, then the default), with its workload read and drawn and
 * its tokenizer open, so that a bad setting or a bad dataset line stops the run before any load is
 * sent. The command builds it from its options; the Maven path from the system properties; the
 * simulation gets it through {@link Handoff}. Closing it closes the tokenizer.
 *
 * <pre>{@code
 * LoadPlan plan = LoadPlan.resolve(Settings.of(Map.of("chatglm.load.rate", "8")), "StreamingChatSimulation", true);
 * }</pre>
 *
 * @param scenario the simulation's simple name: {@code StreamingChatSimulation} or {@code
 *     ChatCompletionSimulation}
 * @param config the load settings
 * @param target where the load goes (no URL: the embedded reference server)
 * @param embeddedFaults faults the embedded server injects ({@code chatglm.load.embedded-faults})
 * @param reportDir where the run's directory is made
 * @param commandDecides whether the command, not the simulation, turns breaches into the exit code
 * @param workload the conversations and the arrival schedule
 * @param tokenizer the client-side tokenizer, or {@code null}
 */
public record LoadPlan(
    String scenario,
    LoadConfig config,
    TargetSettings target,
    FaultPolicy embeddedFaults,
    Path reportDir,
    boolean commandDecides,
    Workload workload,
    ClientTokenizer tokenizer)
    implements AutoCloseable {

  public static final String REPORT_DIR = LoadConfig.PREFIX + "report-dir";
  public static final String EMBEDDED_FAULTS = LoadConfig.PREFIX + "embedded-faults";
  public static final String EMBEDDED_STALL_MS = LoadConfig.PREFIX + "embedded-stall-ms";

  /**
   * Resolves {@code settings} into a plan for {@code scenario}.
   *
   * @throws IllegalArgumentException for a setting that makes no sense or a dataset that cannot be
   *     read, naming it
   */
  public static LoadPlan resolve(Settings settings, String scenario, boolean commandDecides) {
    LoadConfig config = LoadConfig.from(settings);
    TargetSettings target = TargetSettings.resolve(settings);
    FaultPolicy faults =
        new FaultPolicy(
            FaultPolicy.parseRates(settings.text(EMBEDDED_FAULTS, "")),
            1,
            settings.whole(EMBEDDED_STALL_MS, 5_000));
    Path reportDir = Path.of(settings.text(REPORT_DIR, "reports/load"));
    ClientTokenizer tokenizer = ClientTokenizer.open(config.tokenizer());
    try {
      return new LoadPlan(
          scenario,
          config,
          target,
          faults,
          reportDir,
          commandDecides,
          Workload.of(config, tokenizer),
          tokenizer);
    } catch (RuntimeException e) {
      if (tokenizer != null) {
        tokenizer.close();
      }
      throw e;
    }
  }

  @Override
  public void close() {
    if (tokenizer != null) {
      tokenizer.close();
    }
  }
}
