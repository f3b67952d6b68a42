package org.chatglmkit.mockserver.settings;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.chatglmkit.mockserver.Main;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

class CommandLinesTest {
  @Command(name = "example")
  static final class Example implements Runnable {
    @Override
    public void run() {}

    @Option(names = "--timeout", descriptionKey = "example.timeout", defaultValue = "60s")
    Duration timeout;

    @Option(names = "--name", descriptionKey = "example.name")
    String name;
  }

  private static Example parse(Map<String, String> environment, String... args) {
    Example example = new Example();
    CommandLines.create(example, Settings.system().withEnvironment(environment)).parseArgs(args);
    return example;
  }

  @Test
  void anOptionGivenWinsThenThePropertyThenTheEnvironmentThenTheDefault() {
    Map<String, String> environment =
        Map.of("EXAMPLE_TIMEOUT", "2m", "EXAMPLE_NAME", "from-environment");
    assertThat(parse(Map.of()).timeout).isEqualTo(Duration.ofSeconds(60));
    assertThat(parse(environment).timeout).isEqualTo(Duration.ofMinutes(2));
    assertThat(parse(environment).name).isEqualTo("from-environment");
    assertThat(parse(environment, "--timeout", "500ms").timeout).isEqualTo(Duration.ofMillis(500));
    System.setProperty("example.name", "from-property");
    try {
      assertThat(parse(environment).name).isEqualTo("from-property");
      assertThat(parse(environment, "--name", "given").name).isEqualTo("given");
    } finally {
      System.clearProperty("example.name");
    }
  }

  @Test
  void timesAreWrittenOneWay() {
    assertThat(parse(Map.of(), "--timeout", "90").timeout).isEqualTo(Duration.ofSeconds(90));
    assertThat(parse(Map.of(), "--timeout", "1.5s").timeout).isEqualTo(Duration.ofMillis(1500));
    assertThat(parse(Map.of(), "--timeout", "1h").timeout).isEqualTo(Duration.ofHours(1));
  }

  @Test
  void anOldSpellingWorksAndSaysOnceWhatItIsCalledNow() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    CommandLines.renamed("--old-example", "--example", out);
    CommandLines.renamed("--old-example", "--example", out);
    assertThat(bytes.toString(StandardCharsets.UTF_8))
        .isEqualTo("note: --old-example is now --example (the old spelling still works)\n");
  }

  @Test
  void aRenamedPropertyIsStillReadInItsOldUnit() {
    Settings settings =
        Settings.of(Map.of("chatglm.stream.min-spread-ms", "25", "chatglm.timeout-s", "7"));
    assertThat(settings.duration("chatglm.stream.min-spread", Duration.ZERO))
        .isEqualTo(Duration.ofMillis(25));
    assertThat(settings.duration("chatglm.timeout", Duration.ZERO))
        .isEqualTo(Duration.ofSeconds(7));
    assertThat(
            Settings.of(Map.of("chatglm.timeout", "2m", "chatglm.timeout-s", "7"))
                .duration("chatglm.timeout", Duration.ZERO))
        .isEqualTo(Duration.ofMinutes(2));
  }

  @Test
  void theReferenceIsCurrentAndEveryOptionHasASetting() {
    assertThat(SettingsReference.check(new Main())).isEmpty();
  }

  @Test
  void helpGroupsOptionsTheSameWayInEveryCommand() {
    String usage = CommandLines.create(new Main()).getUsageMessage();
    assertThat(usage).containsSubsequence("Server:", "Help:").doesNotContain("--ttft-ms");
    assertThat(usage.substring(usage.indexOf("Server:"))).contains("--ttft=TIME");
  }

  @Test
  void aBadValueFromTheEnvironmentIsNamedInOneLineWithExitTwo() {
    java.io.StringWriter err = new java.io.StringWriter();
    CommandLine line =
        CommandLines.create(
            new Example(), Settings.system().withEnvironment(Map.of("EXAMPLE_TIMEOUT", "soon")));
    line.setErr(new java.io.PrintWriter(err, true));
    assertThat(line.execute()).isEqualTo(2);
    assertThat(err.toString())
        .startsWith("example: Invalid value for option '--timeout'")
        .contains("'soon' is not a duration")
        .contains("(the value comes from -Dexample.timeout or EXAMPLE_TIMEOUT)")
        .contains("Run example --help for the options.")
        .doesNotContain("Usage:");
    java.io.StringWriter given = new java.io.StringWriter();
    CommandLine again =
        CommandLines.create(new Example(), Settings.system().withEnvironment(Map.of()));
    again.setErr(new java.io.PrintWriter(given, true));
    assertThat(again.execute("--timeout", "soon")).isEqualTo(2);
    assertThat(given.toString()).doesNotContain("the value comes from");
  }
}
