package org.chatglmkit.mockserver.settings;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * How every command of the toolkit reads its options, so that the gate, the load command and the
 * servers speak one vocabulary:
 *
 * <ul>
 *   <li>Each option names its setting in {@code descriptionKey} (a system property such as {@code
 *       chatglm.timeout}); an option not given takes the property, then the environment variable
 *       ({@code CHATGLM_TIMEOUT}, see {@link Settings#environmentName}), then its default: the rule
 *       of {@link Settings}.
 *   <li>Times are written one way everywhere: {@code 500ms}, {@code 90s}, {@code 2m}, {@code 1h},
 *       or plain seconds.
 *   <li>An old spelling keeps working and says once, in one line, what it is now called.
 * </ul>
 *
 * <pre>{@code
 * @Option(names = "--timeout", descriptionKey = "chatglm.timeout", defaultValue = "60s")
 * Duration timeout;
 * ...
 * int exit = CommandLines.create(new MyCommand()).execute(args);
 * }</pre>
 */
public final class CommandLines {
  private static final Set<String> NOTICED = ConcurrentHashMap.newKeySet();

  private CommandLines() {}

  /** A picocli command line for {@code command}, with the toolkit's settings and durations. */
  public static CommandLine create(Object command) {
    return create(command, Settings.system());
  }

  /** The same, with {@code settings} standing for properties and environment (tests). */
  public static CommandLine create(Object command, Settings settings) {
    CommandLine line = new CommandLine(command);
    line.registerConverter(Duration.class, new Durations.Converter());
    line.setDefaultValueProvider(argument -> fromSettings(argument, settings));
    line.setParameterExceptionHandler(CommandLines::usageError);
    line.getHelpSectionMap()
        .put(CommandLine.Model.UsageMessageSpec.SECTION_KEY_OPTION_LIST_HEADING, help -> "");
    line.getHelpSectionMap()
        .put(
            CommandLine.Model.UsageMessageSpec.SECTION_KEY_OPTION_LIST,
            CommandLines::groupedOptions);
    return line;
  }

  /**
   * One line for a usage error, naming where a bad value came from when it was not on the command
   * line (a property or an environment variable), then where the options are listed; exit 2.
   */
  private static int usageError(CommandLine.ParameterException error, String[] args) {
    String message = error.getMessage();
    String property = property(error.getArgSpec());
    if (property != null
        && !property.contains("{")
        && error.getArgSpec() instanceof OptionSpec option
        && java.util.Arrays.stream(args)
            .noneMatch(arg -> java.util.Arrays.stream(option.names()).anyMatch(arg::startsWith))) {
      message +=
          " (the value comes from -D"
              + property
              + " or "
              + Settings.environmentName(property)
              + ")";
    }
    CommandLine line = error.getCommandLine();
    line.getErr().println(line.getCommandName() + ": " + message);
    line.getErr().println("Run " + line.getCommandName() + " --help for the options.");
    return 2;
  }

  /** The groups {@code --help} shows options in, the same in every command, in this order. */
  static final List<String> GROUPS =
      List.of(
          "Target",
          "Run",
          "Workload",
          "Objectives and thresholds",
          "Fuzzing",
          "Server",
          "Limits",
          "Faults",
          "Serving",
          "Record and replay",
          "Model",
          "Embedded server",
          "Reports",
          "Help");

  /** The group of an option, by the setting it stands for. */
  static String group(OptionSpec option) {
    String property = property(option);
    if (property == null) {
      return "Help";
    }
    if (property.startsWith("chatglm.target.") || property.equals("chatglm.api-profile")) {
      return "Target";
    }
    if (property.startsWith("chatglm.embedded.") || property.startsWith("chatglm.load.embedded")) {
      return "Embedded server";
    }
    if (property.endsWith("report-dir") || property.equals("chatglm.load.progress")) {
      return "Reports";
    }
    if (property.startsWith("chatglm.fuzz")) {
      return "Fuzzing";
    }
    if (property.startsWith("chatglm.slo")
        || property.startsWith("chatglm.assert")
        || property.equals("chatglm.load.validate")) {
      return "Objectives and thresholds";
    }
    if (property.startsWith("chatglm.server.limits.")) {
      return "Limits";
    }
    if (property.startsWith("chatglm.server.record.")) {
      return "Record and replay";
    }
    if (property.startsWith("chatglm.server.serving.")) {
      return "Serving";
    }
    if (property.startsWith("chatglm.server.fault")
        || property.equals("chatglm.server.retry-after")
        || property.equals("chatglm.server.stall")) {
      return "Faults";
    }
    if (property.startsWith("chatglm.server.")) {
      return "Server";
    }
    if (property.startsWith("chatglm.djl.")) {
      return "Model";
    }
    if (WORKLOAD.contains(property)) {
      return "Workload";
    }
    return "Run";
  }

  private static final Set<String> WORKLOAD =
      Set.of(
          "chatglm.load.scenario",
          "chatglm.load.dataset",
          "chatglm.load.turns",
          "chatglm.load.tools",
          "chatglm.load.max-tool-rounds",
          "chatglm.load.tool-result",
          "chatglm.load.input-tokens",
          "chatglm.load.output-tokens",
          "chatglm.load.trace",
          "chatglm.load.speed",
          "chatglm.load.tokenizer",
          "chatglm.load.max-tokens",
          "chatglm.load.temperature",
          "chatglm.load.seed");

  private static String groupedOptions(CommandLine.Help help) {
    StringBuilder out = new StringBuilder();
    for (String group : GROUPS) {
      CommandLine.Help.Layout layout = help.createDefaultLayout();
      boolean any = false;
      for (OptionSpec option : help.commandSpec().options()) {
        if (!option.hidden() && group(option).equals(group)) {
          layout.addOption(option, help.parameterLabelRenderer());
          any = true;
        }
      }
      if (any) {
        out.append(String.format("%n%s:%n", group)).append(layout);
      }
    }
    return out.toString();
  }

  /**
   * The values {@code spec}'s options hold after parsing, by the settings they stand for: times as
   * milliseconds ({@code 1500ms}), repeated values one per line; options spread over several
   * properties ({@code chatglm.slo.{...}}) and options without a value are left to the command.
   */
  public static Map<String, String> given(CommandSpec spec) {
    Map<String, String> settings = new LinkedHashMap<>();
    for (OptionSpec option : spec.options()) {
      String property = property(option);
      Object value = option.getValue();
      if (property == null || property.contains("{") || value == null) {
        continue;
      }
      String text =
          value instanceof Duration time
              ? time.toMillis() + "ms"
              : value instanceof Collection<?> values
                  ? values.stream().map(String::valueOf).collect(Collectors.joining("\n"))
                  : String.valueOf(value);
      if (!text.isEmpty()) {
        settings.put(property, text);
      }
    }
    return settings;
  }

  /** The setting an option stands for, or {@code null} when it has none. */
  public static String property(ArgSpec argument) {
    if (!(argument instanceof OptionSpec option) || option.usageHelp() || option.versionHelp()) {
      return null;
    }
    String key = option.descriptionKey();
    return key == null || key.isBlank() ? null : key;
  }

  private static String fromSettings(ArgSpec argument, Settings settings) {
    String property = property(argument);
    if (property == null || property.contains("{")) {
      return null; // no setting, or one spread over several properties (read by the command)
    }
    return settings.text(property).orElse(null);
  }

  /**
   * Says once per run that {@code old} is now {@code now}, on standard error. Old spellings stay
   * working; the notice is all that changes.
   */
  public static void renamed(String old, String now) {
    renamed(old, now, System.err);
  }

  static void renamed(String old, String now, PrintStream out) {
    if (NOTICED.add(old)) {
      out.println("note: " + old + " is now " + now + " (the old spelling still works)");
    }
  }
}
