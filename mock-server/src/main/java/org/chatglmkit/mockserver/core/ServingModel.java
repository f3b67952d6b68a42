package org.chatglmkit.mockserver.core;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.PriorityQueue;
import java.util.TreeMap;
import java.util.function.LongSupplier;

/**
 * Latency that grows with load, as a serving stack's does: at most {@code maxRunning} sequences run
 * at once, the rest wait in a queue of at most {@code maxQueue} (beyond it: 529 with the time until
 * a place frees as {@code Retry-After}); a sequence's first token comes after its wait and its
 * prefill (time per prompt token), and its tokens follow at the inter-token latency of the batch it
 * runs in.
 *
 * <p>The model keeps time, not threads: each of the {@code maxRunning} slots knows when it is free,
 * a call takes the slot that frees first, and its whole schedule follows from that moment. The
 * batch a call runs in is the number of slots busy when it starts (itself included); a call keeps
 * that inter-token latency to its end.
 */
public final class ServingModel {

  /**
   * The model's figures.
   *
   * @param maxRunning sequences that run at once
   * @param maxQueue calls that may wait for a slot; more get 529
   * @param itlMillisByBatch inter-token latency (ms) by running batch; between and beyond the
   *     points it is interpolated linearly
   * @param prefillMillisByPromptTokens time to the first token (ms) by prompt length, the same way
   */
  public record Profile(
      int maxRunning,
      int maxQueue,
      NavigableMap<Integer, Double> itlMillisByBatch,
      NavigableMap<Integer, Double> prefillMillisByPromptTokens) {

    public Profile {
      if (maxRunning < 1) {
        throw new IllegalArgumentException("max_running must be 1 or more, got " + maxRunning);
      }
      if (maxQueue < 0) {
        throw new IllegalArgumentException("max_queue must be 0 or more, got " + maxQueue);
      }
      itlMillisByBatch = points("itl_ms_by_batch", itlMillisByBatch);
      prefillMillisByPromptTokens =
          points("prefill_ms_by_prompt_tokens", prefillMillisByPromptTokens);
    }

    private static NavigableMap<Integer, Double> points(String field, Map<Integer, Double> points) {
      if (points == null || points.isEmpty()) {
        throw new IllegalArgumentException(field + " needs at least one point");
      }
      for (Map.Entry<Integer, Double> point : points.entrySet()) {
        if (point.getKey() < 0 || point.getValue() == null || point.getValue() < 0) {
          throw new IllegalArgumentException(
              field + ": a point is 0 or more at 0 or more, got " + point);
        }
      }
      return java.util.Collections.unmodifiableNavigableMap(new TreeMap<>(points));
    }

    /**
     * A straight-line model: {@code itl} at batch 1 growing by {@code itlGrowth} per extra
     * sequence, and {@code prefillPerToken} per prompt token.
     */
    public static Profile linear(
        int maxRunning, int maxQueue, double itl, double itlGrowth, double prefillPerToken) {
      return new Profile(
          maxRunning,
          maxQueue,
          new TreeMap<>(Map.of(1, itl, 2, itl + itlGrowth)),
          new TreeMap<>(Map.of(0, 0.0, 1000, prefillPerToken * 1000)));
    }

    public double itlMillis(int batch) {
      return interpolate(itlMillisByBatch, batch);
    }

    public double prefillMillis(int promptTokens) {
      return interpolate(prefillMillisByPromptTokens, promptTokens);
    }

    /**
     * The model's own capacity: completed calls per second when every slot is busy with answers of
     * {@code tokens} tokens after prompts of {@code promptTokens}.
     */
    public double capacityPerSecond(int promptTokens, int tokens) {
      double e2e = prefillMillis(promptTokens) + Math.max(0, tokens - 1) * itlMillis(maxRunning);
      return maxRunning * 1000.0 / e2e;
    }

    static double interpolate(NavigableMap<Integer, Double> points, int x) {
      if (points.size() == 1) {
        return points.firstEntry().getValue();
      }
      Map.Entry<Integer, Double> below = points.floorEntry(x);
      Map.Entry<Integer, Double> above = points.ceilingEntry(x);
      if (below != null && above != null) {
        return below.getKey().equals(above.getKey()) ? below.getValue() : line(below, above, x);
      }
      // beyond the points: the line through the two nearest
      Map.Entry<Integer, Double> a;
      Map.Entry<Integer, Double> b;
      if (below == null) {
        a = points.firstEntry();
        b = points.higherEntry(a.getKey());
      } else {
        b = points.lastEntry();
        a = points.lowerEntry(b.getKey());
      }
      return Math.max(0, line(a, b, x));
    }

    private static double line(Map.Entry<Integer, Double> a, Map.Entry<Integer, Double> b, int x) {
      double slope = (b.getValue() - a.getValue()) / (b.getKey() - a.getKey());
      return a.getValue() + slope * (x - a.getKey());
    }

    /** The shape of a profile file, as the DJL benchmark writes it. */
    private record File(
        @JsonProperty("max_running") Integer maxRunning,
        @JsonProperty("max_queue") Integer maxQueue,
        @JsonProperty("itl_ms_by_batch") Map<Integer, Double> itl,
        @JsonProperty("prefill_ms_by_prompt_tokens") Map<Integer, Double> prefill,
        @JsonProperty("measured") Map<String, Object> measured) {}

    private static final ObjectMapper READER =
        new ObjectMapper().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /**
     * Reads a profile file; {@code maxRunning} and {@code maxQueue} apply where the file names
     * none.
     *
     * @throws IllegalArgumentException with one line naming the file, the line and the field
     */
    public static Profile read(Path path, int maxRunning, int maxQueue) {
      File file;
      try {
        file = READER.readValue(Files.readString(path), File.class);
      } catch (UnrecognizedPropertyException e) {
        throw new IllegalArgumentException(
            path
                + " line "
                + e.getLocation().getLineNr()
                + ", field "
                + e.getPropertyName()
                + ": unknown field (expected max_running, max_queue, itl_ms_by_batch,"
                + " prefill_ms_by_prompt_tokens, measured)");
      } catch (JsonProcessingException e) {
        String field =
            e instanceof com.fasterxml.jackson.databind.JsonMappingException mapping
                    && !mapping.getPath().isEmpty()
                ? ", field " + mapping.getPath().get(0).getFieldName()
                : "";
        String reason =
            e instanceof ValueInstantiationException && e.getCause() != null
                ? e.getCause().getMessage()
                : e.getOriginalMessage();
        throw new IllegalArgumentException(
            path + " line " + e.getLocation().getLineNr() + field + ": " + reason);
      } catch (IOException e) {
        throw new IllegalArgumentException(path + ": cannot read (" + e.getMessage() + ")");
      }
      try {
        return new Profile(
            file.maxRunning() != null ? file.maxRunning() : maxRunning,
            file.maxQueue() != null ? file.maxQueue() : maxQueue,
            file.itl() == null ? null : new TreeMap<>(file.itl()),
            file.prefill() == null ? null : new TreeMap<>(file.prefill()));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(path + ": " + e.getMessage());
      }
    }
  }

  /** The outcome of {@link #admit}: a running sequence's latency, or the 529 to send. */
  public sealed interface Admission {}

  /**
   * Admitted.
   *
   * @param latency the call's schedule, from its arrival: wait plus prefill, then its batch's
   *     inter-token latency
   * @param ticket settle it with the answer's real length
   */
  public record Running(LatencyProfile latency, Ticket ticket, int batch, long waitMillis)
      implements Admission {}

  /** The queue is full. */
  public record Full(ApiError error) implements Admission {}

  private final Profile profile;
  private final LongSupplier clock;
  private final long[] freeAt;
  private final int[] owner;
  private final PriorityQueue<Long> waiting = new PriorityQueue<>();
  private int next;

  public ServingModel(Profile profile) {
    this(profile, System::nanoTime);
  }

  public ServingModel(Profile profile, LongSupplier clock) {
    this.profile = profile;
    this.clock = clock;
    this.freeAt = new long[profile.maxRunning()];
    this.owner = new int[profile.maxRunning()];
  }

  public Profile profile() {
    return profile;
  }

  /**
   * Admits a call that arrived at {@code arrivedNanos}.
   *
   * @param promptTokens its prompt, for the prefill
   * @param reserveTokens the tokens to hold its slot for until its real length is known
   */
  public synchronized Admission admit(long arrivedNanos, int promptTokens, int reserveTokens) {
    long now = clock.getAsLong();
    while (!waiting.isEmpty() && waiting.peek() <= now) {
      waiting.poll();
    }
    int slot = 0;
    for (int i = 1; i < freeAt.length; i++) {
      if (freeAt[i] < freeAt[slot]) {
        slot = i;
      }
    }
    long start = Math.max(Math.max(arrivedNanos, now), freeAt[slot]);
    if (start > now && waiting.size() >= profile.maxQueue()) {
      long untilAPlace = waiting.isEmpty() ? start - now : waiting.peek() - now;
      int seconds = (int) Math.max(1, (untilAPlace + 999_999_999L) / 1_000_000_000L);
      return new Full(
          new ApiError(
              529,
              "overloaded_error",
              "the server is overloaded: "
                  + profile.maxRunning()
                  + " sequences running and "
                  + waiting.size()
                  + " waiting",
              null,
              seconds));
    }
    if (start > now) {
      waiting.add(start);
    }
    int batch = 1;
    for (int i = 0; i < freeAt.length; i++) {
      if (i != slot && freeAt[i] > start) {
        batch++;
      }
    }
    double itl = profile.itlMillis(batch);
    double ttft = (start - arrivedNanos) / 1e6 + profile.prefillMillis(promptTokens);
    LatencyProfile latency = new LatencyProfile(Math.round(ttft), Math.round(itl), 0);
    int id = ++next;
    owner[slot] = id;
    freeAt[slot] = arrivedNanos + latency.dueNanos(Math.max(0, reserveTokens - 1));
    return new Running(
        latency,
        new Slot(slot, id, arrivedNanos, latency),
        batch,
        (start - arrivedNanos) / 1_000_000);
  }

  /** Frees the slot when the answer's real end is known. */
  private synchronized void settle(int slot, int id, long endNanos) {
    if (owner[slot] == id) {
      freeAt[slot] = endNanos;
    }
  }

  /** Sequences running or waiting at this moment, for tests and the banner. */
  public synchronized List<Long> slotsFreeAt() {
    List<Long> slots = new ArrayList<>();
    for (long at : freeAt) {
      slots.add(at);
    }
    return slots;
  }

  private final class Slot implements Ticket {
    private final int slot;
    private final int id;
    private final long arrivedNanos;
    private final LatencyProfile latency;
    private boolean settled;

    Slot(int slot, int id, long arrivedNanos, LatencyProfile latency) {
      this.slot = slot;
      this.id = id;
      this.arrivedNanos = arrivedNanos;
      this.latency = latency;
    }

    @Override
    public void settle(int promptTokens, int completionTokens) {
      synchronized (this) {
        if (settled) {
          return;
        }
        settled = true;
      }
      ServingModel.this.settle(
          slot, id, arrivedNanos + latency.dueNanos(Math.max(0, completionTokens - 1)));
    }

    @Override
    public void endsAt(long nanos) {}

    @Override
    public void end() {}
  }
}
