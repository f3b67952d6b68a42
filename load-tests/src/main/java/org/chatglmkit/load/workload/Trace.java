package org.chatglmkit.load.workload;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.ToIntFunction;
import org.chatglmkit.mockserver.core.Json;

/**
 * A recorded arrival trace, replayed at a speed factor: one JSON object per line with when the
 * request came and its input and output lengths in tokens. Two public shapes are read as they are:
 *
 * <ul>
 *   <li>Mooncake: {@code {"timestamp": 27482, "input_length": 6955, "output_length": 52, ...}}, the
 *       timestamp in milliseconds;
 *   <li>BurstGPT rows as JSON: {@code {"Timestamp": 5.0, "Request tokens": 472, "Response tokens":
 *       18, ...}}, the timestamp in seconds.
 * </ul>
 *
 * Arrivals are relative to the first line; at {@code --speed 2} the trace plays twice as fast.
 *
 * @param offsetsSeconds when each request is due, from the start
 * @param conversations what each request sends (same order)
 */
public record Trace(double[] offsetsSeconds, List<Conversation> conversations) {

  /**
   * Reads a trace.
   *
   * @throws DatasetException naming the file and line of the first line that cannot be read, or of
   *     a timestamp that goes back in time
   */
  public static Trace load(Path path, double speed, long seed, ToIntFunction<String> counter) {
    if (!(speed > 0)) {
      throw new IllegalArgumentException("--speed must be above 0, not " + speed);
    }
    List<Double> at = new ArrayList<>();
    List<Conversation> conversations = new ArrayList<>();
    Random random = new Random(seed);
    try (BufferedReader reader = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
      String line;
      int number = 0;
      double first = Double.NaN;
      double previous = Double.NEGATIVE_INFINITY;
      while ((line = reader.readLine()) != null) {
        number++;
        if (line.isBlank()) {
          continue;
        }
        String where = path + ":" + number;
        JsonNode entry;
        try {
          entry = Json.MAPPER.readTree(line);
        } catch (IOException e) {
          throw new DatasetException(where + ": not JSON");
        }
        double seconds = seconds(entry, where);
        if (seconds < previous) {
          throw new DatasetException(where + ": the timestamp goes back in time");
        }
        previous = seconds;
        first = Double.isNaN(first) ? seconds : first;
        int input = length(entry, where, "input_length", "Request tokens");
        int output = length(entry, where, "output_length", "Response tokens");
        at.add((seconds - first) / speed);
        conversations.add(
            new Conversation(
                Json.MAPPER.createArrayNode(),
                List.of(Synthetic.turn(input, output, random, counter))));
      }
    } catch (IOException e) {
      throw new DatasetException(path + ": cannot be read: " + e.getMessage());
    }
    if (conversations.isEmpty()) {
      throw new DatasetException(path + ": the trace is empty");
    }
    return new Trace(at.stream().mapToDouble(Double::doubleValue).toArray(), conversations);
  }

  private static double seconds(JsonNode entry, String where) {
    if (entry.path("timestamp").isNumber()) {
      return entry.get("timestamp").asDouble() / 1000;
    }
    if (entry.path("Timestamp").isNumber()) {
      return entry.get("Timestamp").asDouble();
    }
    throw new DatasetException(
        where + ": no \"timestamp\" (milliseconds) or \"Timestamp\" (seconds) number");
  }

  private static int length(JsonNode entry, String where, String name, String alias) {
    JsonNode value = entry.has(name) ? entry.get(name) : entry.path(alias);
    if (!value.canConvertToInt() || value.asInt() < 0) {
      throw new DatasetException(
          where + ": \"" + name + "\" (or \"" + alias + "\") is not a token count");
    }
    return Math.max(1, value.asInt());
  }
}
