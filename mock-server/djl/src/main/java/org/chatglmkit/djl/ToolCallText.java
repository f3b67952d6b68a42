package org.chatglmkit.djl;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigInteger;
import java.util.Iterator;
import java.util.Map;

/**
 * The text of a ChatGLM3 tool call, {@code tool_call(city='Paris', days=3)}, read and written
 * without running it. The published demo hands this text to Python's {@code eval()}; here a small
 * parser accepts only the call and Python literals (strings, numbers, {@code True}, {@code False},
 * {@code None}, lists, tuples and dicts) and refuses anything else (names, attributes, calls,
 * operators, lambdas) with a {@link NotACall} that says where and why. Sizes and nesting are
 * bounded, so hostile model output costs little.
 *
 * <pre>{@code
 * ObjectNode arguments = ToolCallText.parse("tool_call(city='Paris', days=3)");
 * String text = ToolCallText.write(arguments); // tool_call(city='Paris', days=3)
 * }</pre>
 */
public final class ToolCallText {
  /** The longest call text read. */
  static final int MAX_CHARS = 64 * 1024;

  /** The deepest nesting of lists and dicts read. */
  static final int MAX_DEPTH = 32;

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final String CALL = "tool_call";

  /** Why a text is not a tool call of literals. */
  public static final class NotACall extends Exception {
    private static final long serialVersionUID = 1L;

    NotACall(String message) {
      super(message, null, false, false);
    }
  }

  private final String text;
  private int at;
  private int depth;

  private ToolCallText(String text) {
    this.text = text;
  }

  /**
   * The keyword arguments of {@code tool_call(...)} as a JSON object.
   *
   * @throws NotACall for anything but one call of {@code tool_call} with literal arguments
   */
  public static ObjectNode parse(String text) throws NotACall {
    if (text.length() > MAX_CHARS) {
      throw new NotACall("the call is " + text.length() + " characters, over " + MAX_CHARS);
    }
    return new ToolCallText(text).call();
  }

  private ObjectNode call() throws NotACall {
    space();
    if (!text.startsWith(CALL, at)) {
      throw refuse("expected " + CALL + "(");
    }
    at += CALL.length();
    space();
    expect('(');
    ObjectNode arguments = NODES.objectNode();
    space();
    while (!peek(')')) {
      String name = identifier();
      if (arguments.has(name)) {
        throw refuse("the argument " + name + " is given twice");
      }
      space();
      expect('=');
      arguments.set(name, literal());
      space();
      if (!peek(')')) {
        expect(',');
        space();
      }
    }
    expect(')');
    space();
    if (at != text.length()) {
      throw refuse("unexpected text after the call");
    }
    return arguments;
  }

  private JsonNode literal() throws NotACall {
    space();
    if (at >= text.length()) {
      throw refuse("expected a value");
    }
    char c = text.charAt(at);
    if (c == '\'' || c == '"') {
      return NODES.textNode(string());
    }
    if (c == '[' || c == '(') {
      return sequence(c == '[' ? ']' : ')');
    }
    if (c == '{') {
      return dict();
    }
    if (c == '-' || c == '+' || c == '.' || Character.isDigit(c)) {
      return number();
    }
    if (Character.isLetter(c) || c == '_') {
      int start = at;
      String word = identifier();
      switch (word) {
        case "True":
          return NODES.booleanNode(true);
        case "False":
          return NODES.booleanNode(false);
        case "None":
          return NODES.nullNode();
        default:
          at = start;
          throw refuse("'" + word + "' is a name, not a literal");
      }
    }
    throw refuse("'" + c + "' starts no literal");
  }

  private ArrayNode sequence(char close) throws NotACall {
    nest();
    at++;
    ArrayNode list = NODES.arrayNode();
    space();
    while (!peek(close)) {
      list.add(literal());
      space();
      if (!peek(close)) {
        expect(',');
        space();
      }
    }
    at++;
    depth--;
    return list;
  }

  private ObjectNode dict() throws NotACall {
    nest();
    at++;
    ObjectNode dict = NODES.objectNode();
    space();
    while (!peek('}')) {
      JsonNode key = literal();
      if (!key.isTextual()) {
        throw refuse("a dict key here must be a string, not " + key);
      }
      space();
      expect(':');
      dict.set(key.asText(), literal());
      space();
      if (!peek('}')) {
        expect(',');
        space();
      }
    }
    at++;
    depth--;
    return dict;
  }

  private void nest() throws NotACall {
    if (++depth > MAX_DEPTH) {
      throw refuse("nested deeper than " + MAX_DEPTH);
    }
  }

  private String string() throws NotACall {
    char quote = text.charAt(at++);
    StringBuilder out = new StringBuilder();
    while (at < text.length()) {
      char c = text.charAt(at++);
      if (c == quote) {
        return out.toString();
      }
      if (c == '\n') {
        throw refuse("a line break inside a string");
      }
      if (c != '\\') {
        out.append(c);
        continue;
      }
      if (at >= text.length()) {
        break;
      }
      char e = text.charAt(at++);
      switch (e) {
        case 'n' -> out.append('\n');
        case 't' -> out.append('\t');
        case 'r' -> out.append('\r');
        case '0' -> out.append('\0');
        case '\\', '\'', '"' -> out.append(e);
        case 'u' -> out.append((char) hex(4));
        case 'x' -> out.append((char) hex(2));
        default -> out.append('\\').append(e);
      }
    }
    throw refuse("a string that does not end");
  }

  private int hex(int digits) throws NotACall {
    if (at + digits > text.length()) {
      throw refuse("a short escape");
    }
    try {
      int value = Integer.parseInt(text.substring(at, at + digits), 16);
      at += digits;
      return value;
    } catch (NumberFormatException e) {
      throw refuse("a bad escape");
    }
  }

  private JsonNode number() throws NotACall {
    int start = at;
    if (text.charAt(at) == '-' || text.charAt(at) == '+') {
      at++;
    }
    while (at < text.length() && "0123456789._eE+-".indexOf(text.charAt(at)) >= 0) {
      char c = text.charAt(at);
      if ((c == '+' || c == '-') && "eE".indexOf(text.charAt(at - 1)) < 0) {
        break;
      }
      at++;
    }
    String digits = text.substring(start, at).replace("_", "");
    if (digits.length() > 64) {
      throw refuse("a number of " + digits.length() + " digits");
    }
    try {
      if (digits.matches("[+-]?\\d+")) {
        BigInteger whole = new BigInteger(digits);
        return whole.bitLength() < 32
            ? NODES.numberNode(whole.intValue())
            : whole.bitLength() < 64
                ? NODES.numberNode(whole.longValue())
                : NODES.numberNode(whole);
      }
      double real = Double.parseDouble(digits);
      if (Double.isInfinite(real)) {
        throw new NumberFormatException();
      }
      return NODES.numberNode(real); // a Python float
    } catch (NumberFormatException e) {
      at = start;
      throw refuse("'" + digits + "' is no number");
    }
  }

  private String identifier() throws NotACall {
    int start = at;
    while (at < text.length()
        && (Character.isLetterOrDigit(text.charAt(at)) || text.charAt(at) == '_')) {
      at++;
    }
    if (start == at || Character.isDigit(text.charAt(start))) {
      throw refuse("expected a name");
    }
    return text.substring(start, at);
  }

  private void space() {
    while (at < text.length() && Character.isWhitespace(text.charAt(at))) {
      at++;
    }
  }

  private boolean peek(char c) throws NotACall {
    if (at >= text.length()) {
      throw refuse("the text ends inside the call");
    }
    return text.charAt(at) == c;
  }

  private void expect(char c) throws NotACall {
    if (at >= text.length() || text.charAt(at) != c) {
      throw refuse("expected '" + c + "'");
    }
    at++;
  }

  private NotACall refuse(String why) {
    String near = text.substring(at, Math.min(text.length(), at + 24));
    return new NotACall(why + " at character " + at + (near.isEmpty() ? "" : " ('" + near + "')"));
  }

  /** {@code arguments} as a call text, values written as Python literals. */
  public static String write(JsonNode arguments) {
    StringBuilder out = new StringBuilder(CALL).append('(');
    Iterator<Map.Entry<String, JsonNode>> fields = arguments.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> field = fields.next();
      out.append(field.getKey()).append('=');
      python(field.getValue(), out);
      if (fields.hasNext()) {
        out.append(", ");
      }
    }
    return out.append(')').toString();
  }

  /** A JSON value as Python's {@code repr} writes it. */
  static void python(JsonNode value, StringBuilder out) {
    if (value.isTextual()) {
      String s = value.asText();
      char quote = s.indexOf('\'') >= 0 && s.indexOf('"') < 0 ? '"' : '\'';
      String escaped = new String(JsonStringEncoder.getInstance().quoteAsString(s));
      if (quote == '\'') {
        escaped = escaped.replace("\\\"", "\"").replace("'", "\\'");
      }
      out.append(quote).append(escaped).append(quote);
    } else if (value.isBoolean()) {
      out.append(value.asBoolean() ? "True" : "False");
    } else if (value.isNull()) {
      out.append("None");
    } else if (value.isArray()) {
      out.append('[');
      for (int i = 0; i < value.size(); i++) {
        out.append(i == 0 ? "" : ", ");
        python(value.get(i), out);
      }
      out.append(']');
    } else if (value.isObject()) {
      out.append('{');
      Iterator<Map.Entry<String, JsonNode>> fields = value.fields();
      while (fields.hasNext()) {
        Map.Entry<String, JsonNode> field = fields.next();
        python(NODES.textNode(field.getKey()), out);
        out.append(": ");
        python(field.getValue(), out);
        if (fields.hasNext()) {
          out.append(", ");
        }
      }
      out.append('}');
    } else {
      out.append(value.asText());
    }
  }
}
