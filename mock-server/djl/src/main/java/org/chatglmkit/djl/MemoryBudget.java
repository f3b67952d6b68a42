package org.chatglmkit.djl;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How many sequences may decode at once without running out of memory: each running sequence may
 * grow a KV cache of one full context, {@code layers × KV groups × kv_channels × 2 (K and V) ×
 * seq_length × 4 bytes}, and the batch is bounded so that all of them fit the memory available
 * (what the operating system calls available, or the container's limit if lower, or what {@code
 * --memory-budget} says), less a margin. A request beyond the batch and its queue gets 529 with
 * {@code Retry-After}; waiting requests hold only their prompt's ids. The caches are Java arrays
 * ({@link KvCache}), so the Java heap's limit ({@code -Xmx}; a quarter of the machine's memory by
 * default) bounds the batch too.
 *
 * @param available the bytes available for KV caches (after the weights were loaded)
 * @param source where {@code available} came from
 * @param perSequence the bytes of one full context's KV cache
 * @param asked the batch asked for
 * @param heapRoom the bytes the Java heap may still take ({@code -Xmx} less what is used)
 */
public record MemoryBudget(
    long available, String source, long perSequence, int asked, long heapRoom) {

  /** A budget that the Java heap does not bound. */
  public MemoryBudget(long available, String source, long perSequence, int asked) {
    this(available, source, perSequence, asked, Long.MAX_VALUE);
  }

  /** The share of the available memory the KV caches may take; the rest is headroom. */
  public static final double USABLE = 0.8;

  /** The KV cache of one full context of a model, in bytes (fp32). */
  public static long perSequence(ChatGlmConfig shape) {
    return 4L * 2 * shape.layers() * shape.groups() * shape.kvChannels() * shape.seqLength();
  }

  /**
   * The budget of this machine (or of {@code budget}, when given, e.g. {@code 12g}).
   *
   * @throws IllegalArgumentException for a budget that does not parse
   */
  public static MemoryBudget of(ChatGlmConfig shape, int asked, String budget) {
    long perSequence = perSequence(shape);
    Runtime runtime = Runtime.getRuntime();
    long heapRoom = runtime.maxMemory() - (runtime.totalMemory() - runtime.freeMemory());
    if (budget != null) {
      return new MemoryBudget(bytes(budget), "--memory-budget", perSequence, asked, heapRoom);
    }
    OptionalLong meminfo = memAvailable(read(Path.of("/proc/meminfo")));
    OptionalLong cgroup = cgroupLimit(read(Path.of("/sys/fs/cgroup/memory.max")));
    if (cgroup.isPresent() && (meminfo.isEmpty() || cgroup.getAsLong() < meminfo.getAsLong())) {
      long used = runtime.totalMemory();
      return new MemoryBudget(
          Math.max(0, cgroup.getAsLong() - used),
          "the container's memory.max",
          perSequence,
          asked,
          heapRoom);
    }
    if (meminfo.isPresent()) {
      return new MemoryBudget(meminfo.getAsLong(), "MemAvailable", perSequence, asked, heapRoom);
    }
    // Nothing to read (not Linux): the Java heap's limit is all that is known.
    return new MemoryBudget(heapRoom, "the Java heap", perSequence, asked, heapRoom);
  }

  /** The batch that fits: at most the one asked for, at least 0 (nothing fits). */
  public int batch() {
    return (int) Math.min(asked, Math.min(fits(available), fits(heapRoom)));
  }

  /** Full contexts that fit in {@link #USABLE} of {@code bytes}. */
  private long fits(long bytes) {
    return Math.max(0, (long) Math.floor(bytes * USABLE / perSequence));
  }

  /** One line for the start-up banner. */
  public String describe() {
    return String.format(
        Locale.ROOT,
        "memory budget: %.1f MB available (%s), %.0f%% of it for KV caches of %.1f MB per full"
            + " context: batch %d%s",
        available / 1e6,
        source,
        USABLE * 100,
        perSequence / 1e6,
        batch(),
        (batch() < asked ? " (asked " + asked + ")" : "")
            + (fits(heapRoom) < Math.min(asked, fits(available))
                ? String.format(
                    Locale.ROOT,
                    "; the Java heap (%.1f MB free of -Xmx) holds the caches and bounds the batch",
                    heapRoom / 1e6)
                : ""));
  }

  /** {@code MemAvailable} of {@code /proc/meminfo}, in bytes. */
  static OptionalLong memAvailable(String meminfo) {
    Matcher matcher = Pattern.compile("(?m)^MemAvailable:\\s+(\\d+) kB").matcher(meminfo);
    return matcher.find()
        ? OptionalLong.of(Long.parseLong(matcher.group(1)) * 1024)
        : OptionalLong.empty();
  }

  /** A cgroup v2 {@code memory.max}: a number of bytes, or {@code max} for none. */
  static OptionalLong cgroupLimit(String memoryMax) {
    String text = memoryMax.strip();
    return text.matches("\\d+") ? OptionalLong.of(Long.parseLong(text)) : OptionalLong.empty();
  }

  /** {@code 512m}, {@code 12g}, {@code 1.5g} or a number of bytes. */
  static long bytes(String text) {
    Matcher matcher =
        Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([kmg]?)b?")
            .matcher(text.strip().toLowerCase(Locale.ROOT));
    if (!matcher.matches()) {
      throw new IllegalArgumentException(
          "--memory-budget: '" + text + "' is not an amount of memory (e.g. 512m, 12g)");
    }
    double value = Double.parseDouble(matcher.group(1));
    double unit =
        switch (matcher.group(2)) {
          case "k" -> 1 << 10;
          case "m" -> 1 << 20;
          case "g" -> 1L << 30;
          default -> 1;
        };
    return (long) (value * unit);
  }

  private static String read(Path path) {
    try {
      return Files.isReadable(path) ? Files.readString(path) : "";
    } catch (IOException e) {
      return "";
    }
  }
}
