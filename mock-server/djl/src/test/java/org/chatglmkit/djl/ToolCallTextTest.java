package org.chatglmkit.djl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import org.chatglmkit.mockserver.core.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** ChatGLM3's call text is read as literals only, never run. */
class ToolCallTextTest {

  private static JsonNode json(String text) throws Exception {
    return Json.MAPPER.readTree(text);
  }

  @Test
  void readsEveryPythonLiteralAsJson() throws Exception {
    JsonNode arguments =
        ToolCallText.parse(
            "tool_call(city='Paris', n=3, t=-1.5e2, ok=True, no=False, none=None,"
                + " tags=['a', \"b\"], pair=(1, 2), deep={'k': {'v': [1, {'w': 'x'}]}},"
                + " quote='it\\'s', cn='天气', esc='a\\nb\\u00e9')");
    assertThat(arguments)
        .isEqualTo(
            json(
                """
                {"city": "Paris", "n": 3, "t": -150.0, "ok": true, "no": false, "none": null,
                 "tags": ["a", "b"], "pair": [1, 2], "deep": {"k": {"v": [1, {"w": "x"}]}},
                 "quote": "it's", "cn": "天气", "esc": "a\\nbé"}"""));
  }

  @Test
  void readsACallWithoutArgumentsAndWithTrailingCommas() throws Exception {
    assertThat(ToolCallText.parse("tool_call()")).isEmpty();
    assertThat(ToolCallText.parse(" tool_call( a = [1, 2,], ) \n").path("a").size()).isEqualTo(2);
  }

  @Test
  void writesWhatItReadsBack() throws Exception {
    JsonNode arguments =
        json(
            """
            {"city": "Paris", "days": 3, "unit": null, "flags": [true, false],
             "note": "it's \\"quoted\\"", "nested": {"a": 1.5}}""");
    String text = ToolCallText.write(arguments);
    assertThat(text).startsWith("tool_call(city='Paris', days=3, unit=None, flags=[True, False]");
    assertThat(ToolCallText.parse(text)).isEqualTo(arguments);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "tool_call(cmd=__import__('os').system('touch /tmp/chatglm-pwned'))",
        "tool_call(path=os.path)",
        "tool_call(f=lambda: 1)",
        "tool_call(x=open('/etc/passwd').read())",
        "tool_call(**{'a': 1})",
        "tool_call(a=1) + tool_call(b=2)",
        "tool_call(a=1); import os",
        "tool_call(a=1 if True else 2)",
        "tool_call(a=[i for i in range(9)])",
        "tool_call(a=f'{x}')",
        "tool_call(a=1+2)",
        "tool_call(a={1: 2})",
        "tool_call(a=1, a=2)",
        "print('hi')",
        "tool_call(a='no end)",
        "tool_call(a=1",
        "",
      })
  void refusesAnythingButLiterals(String hostile) {
    assertThatThrownBy(() -> ToolCallText.parse(hostile))
        .isInstanceOf(ToolCallText.NotACall.class)
        .hasMessageContaining("at character");
    assertThat(new java.io.File("/tmp/chatglm-pwned")).doesNotExist();
  }

  @Test
  void refusesHugeAndDeeplyNestedLiteralsQuickly() {
    long started = System.nanoTime();
    String deep = "tool_call(a=" + "[".repeat(10_000) + "]".repeat(10_000) + ")";
    assertThatThrownBy(() -> ToolCallText.parse(deep))
        .isInstanceOf(ToolCallText.NotACall.class)
        .hasMessageContaining("nested deeper than 32");
    String huge = "tool_call(a='" + "x".repeat(1_000_000) + "')";
    assertThatThrownBy(() -> ToolCallText.parse(huge))
        .isInstanceOf(ToolCallText.NotACall.class)
        .hasMessageContaining("over 65536");
    String longNumber = "tool_call(a=" + "9".repeat(5_000) + ")";
    assertThatThrownBy(() -> ToolCallText.parse(longNumber))
        .isInstanceOf(ToolCallText.NotACall.class)
        .hasMessageContaining("digits");
    // Bounded work: a generous wall-clock margin for a loaded 2-core machine.
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
  }
}
