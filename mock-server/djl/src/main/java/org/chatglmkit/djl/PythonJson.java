package org.chatglmkit.djl;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.Iterator;
import java.util.Map;

/**
 * JSON text as Python's {@code json.dumps(value, indent=4, ensure_ascii=False)} writes it, which is
 * how the published ChatGLM3 code puts the tools into the system prompt: four spaces a level,
 * {@code ": "} after a key, one item a line, characters beyond ASCII as they are.
 */
final class PythonJson {
  private PythonJson() {}

  static String dumps(JsonNode value) {
    StringBuilder out = new StringBuilder();
    write(value, 0, out);
    return out.toString();
  }

  private static void write(JsonNode value, int level, StringBuilder out) {
    if (value.isObject() && !value.isEmpty()) {
      out.append('{');
      Iterator<Map.Entry<String, JsonNode>> fields = value.fields();
      while (fields.hasNext()) {
        Map.Entry<String, JsonNode> field = fields.next();
        newline(level + 1, out);
        quoted(field.getKey(), out);
        out.append(": ");
        write(field.getValue(), level + 1, out);
        out.append(fields.hasNext() ? "," : "");
      }
      newline(level, out);
      out.append('}');
    } else if (value.isArray() && !value.isEmpty()) {
      out.append('[');
      for (int i = 0; i < value.size(); i++) {
        newline(level + 1, out);
        write(value.get(i), level + 1, out);
        out.append(i + 1 < value.size() ? "," : "");
      }
      newline(level, out);
      out.append(']');
    } else if (value.isTextual()) {
      quoted(value.asText(), out);
    } else if (value.isBoolean()) {
      out.append(value.asBoolean() ? "true" : "false");
    } else {
      out.append(value.isObject() ? "{}" : value.isArray() ? "[]" : value.toString());
    }
  }

  private static void newline(int level, StringBuilder out) {
    out.append('\n').append("    ".repeat(level));
  }

  private static void quoted(String text, StringBuilder out) {
    out.append('"');
    JsonStringEncoder.getInstance().quoteAsString(text, out);
    out.append('"');
  }
}
