package org.chatglmkit.mockserver.settings;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The command lines that {@code README.md} and {@code docs/*.md} show in their code blocks, so that
 * tests can parse each with the command it runs and fail on an option, a jar or a script that does
 * not exist. Shell variables stand for {@code 1} (a number, a time in seconds, a name, a path), and
 * the synopsis marks {@code [optional]} and {@code a|b} read as the option and its first choice.
 *
 * <pre>{@code
 * for (DocumentedCommands.Line line : DocumentedCommands.running("chatglm-load.jar")) {
 *   CommandLines.create(new LoadCli()).parseArgs(line.arguments().toArray(String[]::new));
 * }
 * }</pre>
 */
public final class DocumentedCommands {
  /** The toolkit's jars, by the path the docs run them from. */
  public static final Map<String, String> JARS =
      Map.of(
          "chatglm-conformance.jar", "contract-tests/target/chatglm-conformance.jar",
          "chatglm-load.jar", "load-tests/target/chatglm-load.jar",
          "chatglm-mock-server.jar", "mock-server/target/chatglm-mock-server.jar",
          "chatglm-djl-server.jar", "mock-server/djl/target/chatglm-djl-server.jar");

  private static final Pattern FENCE = Pattern.compile("(?ms)^```[a-z]*\\n(.*?)^```");
  private static final Pattern VARIABLE = Pattern.compile("\\$\\{[^}]*}|\\$[A-Za-z_][A-Za-z_0-9]*");

  /** Scripts of the repository start with one of its folders (a user's own script does not). */
  private static final Pattern OWN_FOLDERS =
      Pattern.compile("(\\./)?(mock-server|load-tests|contract-tests|schemas|deploy)/");

  private static final Pattern TOKEN = Pattern.compile("'[^']*'|\"(?:[^\"\\\\]|\\\\.)*\"|\\S+");

  private DocumentedCommands() {}

  /**
   * One command line of the docs.
   *
   * @param file the page it is on, from the repository root
   * @param program the jar or script it runs, as written
   * @param arguments what follows the program
   */
  public record Line(String file, String program, List<String> arguments) {
    @Override
    public String toString() {
      return file + ": " + program + " " + String.join(" ", arguments);
    }
  }

  /**
   * What is wrong with the lines that run {@code jar}, each parsed (not run) by a fresh {@code
   * command}: an option that does not exist, a value that does not convert, an old spelling, or no
   * line at all.
   */
  public static List<String> problems(String jar, java.util.function.Supplier<Object> command) {
    List<Line> lines = running(jar);
    return lines.isEmpty()
        ? List.of("the docs show no line that runs " + jar)
        : problems(lines, command);
  }

  /** What is wrong with {@code lines}, each parsed by a fresh {@code command}. */
  static List<String> problems(List<Line> lines, java.util.function.Supplier<Object> command) {
    List<String> problems = new ArrayList<>();
    for (Line line : lines) {
      try {
        picocli.CommandLine.ParseResult parsed =
            CommandLines.create(command.get(), Settings.of(Map.of()).withEnvironment(Map.of()))
                .parseArgs(line.arguments().toArray(String[]::new));
        parsed.matchedOptions().stream()
            .filter(picocli.CommandLine.Model.OptionSpec::hidden)
            .forEach(old -> problems.add(line + ": an old spelling, " + old.longestName()));
      } catch (picocli.CommandLine.ParameterException e) {
        problems.add(line + ": " + e.getMessage());
      }
    }
    return problems;
  }

  /** Every line that runs {@code jar} (one of {@link #JARS}' names). */
  public static List<Line> running(String jar) {
    return all().stream().filter(line -> line.program().endsWith("/" + jar)).toList();
  }

  /** The jars and scripts the docs run that the repository does not have (or not there). */
  public static List<String> missingPrograms() {
    Path root = root();
    List<String> missing = new ArrayList<>();
    for (Line line : all()) {
      String program = line.program();
      if (program.endsWith(".jar")) {
        String name = program.substring(program.lastIndexOf('/') + 1);
        // A checkout in a folder of its own (a CI workflow's "gate/") still runs the same jar.
        if (JARS.get(name) == null || !program.endsWith(JARS.get(name))) {
          missing.add(line.file() + ": " + program);
        }
      } else if (!Files.isRegularFile(root.resolve(program))) {
        missing.add(line.file() + ": " + program);
      }
    }
    return missing;
  }

  /** Every command line of the docs that runs a jar or a script of the repository. */
  public static List<Line> all() {
    Path root = root();
    List<Line> lines = new ArrayList<>();
    for (Path page : pages(root)) {
      String text = read(page);
      String name = root.relativize(page).toString();
      Matcher block = FENCE.matcher(text);
      while (block.find()) {
        for (String command : block.group(1).replace("\\\n", " ").split("\n")) {
          for (String part : command.split(" && ")) {
            line(name, part).ifPresent(lines::add);
          }
        }
      }
    }
    return lines;
  }

  private static java.util.Optional<Line> line(String file, String command) {
    List<String> tokens = new ArrayList<>();
    Matcher token = TOKEN.matcher(VARIABLE.matcher(command).replaceAll("1"));
    while (token.find()) {
      String word = token.group();
      if (word.startsWith("#")) {
        break;
      }
      tokens.add(word);
    }
    int program = -1;
    for (int i = 0; i < tokens.size(); i++) {
      String word = tokens.get(i);
      if ((word.endsWith(".jar") && i > 0 && tokens.get(i - 1).equals("-jar"))
          || (word.endsWith(".sh") && OWN_FOLDERS.matcher(word).lookingAt())) {
        program = i;
        break;
      }
    }
    if (program < 0) {
      return java.util.Optional.empty();
    }
    List<String> arguments = new ArrayList<>();
    for (String word : tokens.subList(program + 1, tokens.size())) {
      if (word.startsWith(">") || word.startsWith("2>") || word.equals("&") || word.equals("|")) {
        break;
      }
      String bare = unquote(word.replace("[", "").replace("]", ""));
      if (bare.isEmpty() || bare.equals("...") || bare.equals("…")) {
        continue;
      }
      if (bare.startsWith("--") && bare.contains("|")) {
        bare = bare.substring(0, bare.indexOf('|'));
      } else if (bare.matches("[a-z0-9-]+(\\|[a-z0-9-]+)+")) {
        bare = bare.substring(0, bare.indexOf('|'));
      }
      arguments.add(bare);
    }
    return java.util.Optional.of(
        new Line(file, unquote(tokens.get(program)).replaceFirst("^\\./", ""), arguments));
  }

  private static String unquote(String word) {
    if (word.length() >= 2
        && (word.startsWith("'") && word.endsWith("'")
            || word.startsWith("\"") && word.endsWith("\""))) {
      return word.substring(1, word.length() - 1).replace("\\\"", "\"");
    }
    return word;
  }

  private static List<Path> pages(Path root) {
    List<Path> pages = new ArrayList<>();
    pages.add(root.resolve("README.md"));
    try (Stream<Path> docs = Files.list(root.resolve("docs"))) {
      docs.filter(path -> path.toString().endsWith(".md")).sorted().forEach(pages::add);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return pages;
  }

  private static String read(Path page) {
    try {
      return Files.readString(page, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The repository root: the nearest folder above the working directory that has {@code docs/}. */
  static Path root() {
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null && !Files.isDirectory(dir.resolve("docs"))) {
      dir = dir.getParent();
    }
    if (dir == null) {
      throw new IllegalStateException("no docs/ above " + Path.of("").toAbsolutePath());
    }
    return dir;
  }
}
