package org.chatglmkit.mockserver.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Locale;
import org.chatglmkit.mockserver.backend.ArgumentsGenerator;
import org.chatglmkit.mockserver.core.Json;

/**
 * What one call's arguments cost the reference server: generating them from the function's
 * parameters schema and checking them against it (networknt), per call, for three schemas of the
 * usual kinds. Prints one line per schema and {@code ARGS <name> <microseconds>} lines for the
 * benchmark script.
 *
 * <p>Usage: {@code java -cp … ArgumentsBenchmark [calls=20000]}
 */
public final class ArgumentsBenchmark {
  static final String[][] SCHEMAS = {
    {
      "flat",
      "{\"type\": \"object\", \"properties\": {\"timezone\": {\"type\": \"string\"}},"
          + " \"required\": [\"timezone\"]}"
    },
    {
      "weather",
      "{\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\"},"
          + " \"unit\": {\"type\": \"string\", \"enum\": [\"celsius\", \"fahrenheit\"]},"
          + " \"days\": {\"type\": \"integer\", \"minimum\": 1, \"maximum\": 7},"
          + " \"details\": {\"type\": \"object\", \"properties\": {\"wind\": {\"type\": \"boolean\"},"
          + " \"hours\": {\"type\": \"array\", \"items\": {\"type\": \"integer\", \"minimum\": 0,"
          + " \"maximum\": 23}, \"maxItems\": 4}}}}, \"required\": [\"city\", \"unit\"]}"
    },
    {
      "order",
      "{\"type\": \"object\", \"$defs\": {\"item\": {\"type\": \"object\", \"properties\":"
          + " {\"sku\": {\"type\": \"string\", \"minLength\": 3}, \"qty\": {\"type\": \"integer\","
          + " \"minimum\": 1}}, \"required\": [\"sku\", \"qty\"]}}, \"properties\": {\"items\":"
          + " {\"type\": \"array\", \"items\": {\"$ref\": \"#/$defs/item\"}, \"minItems\": 1,"
          + " \"maxItems\": 5}, \"email\": {\"type\": \"string\", \"format\": \"email\"},"
          + " \"when\": {\"type\": \"string\", \"format\": \"date-time\"}}, \"required\": [\"items\"]}"
    }
  };

  private ArgumentsBenchmark() {}

  public static void main(String[] args) throws Exception {
    int calls = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
    for (String[] named : SCHEMAS) {
      JsonNode schema = Json.MAPPER.readTree(named[1]);
      long sink = 0;
      for (int i = 0; i < calls; i++) { // warm-up: the JIT, and the compiled schema cached
        sink += ArgumentsGenerator.generate(schema, i).length();
      }
      long start = System.nanoTime();
      for (int i = 0; i < calls; i++) {
        sink += ArgumentsGenerator.generate(schema, calls + i).length();
      }
      double micros = (System.nanoTime() - start) / 1e3 / calls;
      System.out.printf(
          Locale.ROOT,
          "%-8s %6.1f µs per call's arguments, generated and validated (%d calls, %d chars)%n",
          named[0],
          micros,
          calls,
          sink);
      System.out.printf(Locale.ROOT, "ARGS %s %.2f%n", named[0], micros);
    }
  }
}
