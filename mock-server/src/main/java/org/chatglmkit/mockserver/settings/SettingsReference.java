package org.chatglmkit.mockserver.settings;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The settings reference ({@code docs/settings.md}), generated from the commands' own options: for
 * each option its property, environment variable, default and meaning. Each module's test checks
 * its commands' sections against the code ({@link #check}); {@code -Dchatglm.docs.write=true}
 * rewrites them instead. Every option that is not help must name its setting.
 */
public final class SettingsReference {
  /** Where the reference lives, from the repository root. */
  public static final String FILE = "docs/settings.md";

  /** The property that makes {@link #check} rewrite a section instead of comparing it. */
  public static final String WRITE = "chatglm.docs.write";

  private SettingsReference() {}

  /** The section of {@code command} (a picocli command object), as Markdown. */
  public static String section(Object command) {
    CommandLine line = new CommandLine(command);
    String name = line.getCommandName();
    StringBuilder out = new StringBuilder();
    out.append(begin(name)).append('\n');
    out.append("| option | property | environment variable | default | what it does |\n");
    out.append("| --- | --- | --- | --- | --- |\n");
    for (OptionSpec option : line.getCommandSpec().options()) {
      if (option.hidden() || option.usageHelp() || option.versionHelp()) {
        continue;
      }
      String property = CommandLines.property(option);
      out.append("| `")
          .append(
              option.negatable()
                  ? "--[no-]" + option.longestName().substring(2)
                  : option.longestName())
          .append(option.typeInfo().isBoolean() ? "" : " " + option.paramLabel())
          .append("` | ")
          .append(property == null ? "" : "`" + property + "`")
          .append(" | ")
          .append(
              property == null || property.contains("{")
                  ? ""
                  : "`" + Settings.environmentName(property) + "`")
          .append(" | ")
          .append(defaultOf(option).map(value -> "`" + value + "`").orElse(""))
          .append(" | ")
          .append(String.join(" ", option.renderedDescription()).replace("|", "\\|"))
          .append(" |\n");
    }
    out.append(end(name)).append('\n');
    return out.toString();
  }

  private static Optional<String> defaultOf(OptionSpec option) {
    if (option.defaultValue() != null) {
      return Optional.of(option.defaultValue());
    }
    Object initial = option.initialValue();
    if (initial == null
        || (initial instanceof Collection<?> values && values.isEmpty())
        || (initial instanceof Map<?, ?> map && map.isEmpty())
        || "".equals(initial)) {
      return Optional.empty();
    }
    if (initial instanceof Boolean flag) {
      return Optional.of(flag ? "on" : "off");
    }
    return Optional.of(String.valueOf(initial));
  }

  /**
   * Checks (or, with {@code -Dchatglm.docs.write=true}, rewrites) the section of {@code command} in
   * the reference found above the working directory.
   *
   * @return empty when the file is current, else what is wrong
   */
  public static Optional<String> check(Object command) {
    Path file = locate();
    CommandLine line = new CommandLine(command);
    String name = line.getCommandName();
    List<String> bare =
        line.getCommandSpec().options().stream()
            .filter(option -> !option.hidden() && !option.usageHelp() && !option.versionHelp())
            .filter(option -> CommandLines.property(option) == null)
            .map(OptionSpec::longestName)
            .toList();
    if (!bare.isEmpty()) {
      return Optional.of(name + ": options without a setting (descriptionKey): " + bare);
    }
    String wanted = section(command);
    try {
      String text = Files.readString(file, StandardCharsets.UTF_8);
      int from = text.indexOf(begin(name));
      int to = text.indexOf(end(name));
      if (from < 0 || to < from) {
        return Optional.of(FILE + " has no section for " + name);
      }
      String current = text.substring(from, to + end(name).length() + 1);
      if (current.equals(wanted)) {
        return Optional.empty();
      }
      if (Boolean.getBoolean(WRITE)) {
        Files.writeString(file, text.replace(current, wanted), StandardCharsets.UTF_8);
        return Optional.empty();
      }
      return Optional.of(
          FILE
              + " is out of date for "
              + name
              + ": regenerate it with -D"
              + WRITE
              + "=true (mvn test -Dchatglm.docs.write=true)");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Path locate() {
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null && !Files.exists(dir.resolve(FILE))) {
      dir = dir.getParent();
    }
    if (dir == null) {
      throw new IllegalStateException(FILE + " not found above " + Path.of("").toAbsolutePath());
    }
    return dir.resolve(FILE);
  }

  private static String begin(String name) {
    return "<!-- generated from the options of " + name + " -->";
  }

  private static String end(String name) {
    return "<!-- end of " + name + " -->";
  }
}
