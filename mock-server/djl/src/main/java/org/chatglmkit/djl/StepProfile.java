package org.chatglmkit.djl;

import java.util.EnumMap;
import java.util.Map;

/**
 * Where a forward step's time goes, part by part, so that the next bottleneck is named by a run,
 * not guessed. Off unless a profile is given to {@link ChatGlmModel#profile}; then each part of
 * each step adds its wall time (the engine computes on the calling thread, so a part's time is its
 * work). Used by one thread at a time.
 */
public final class StepProfile {
  /** The parts of a step. */
  public enum Part {
    EMBEDDING_AND_NORMS("embedding, norms, residuals"),
    QKV("QKV projection and rotary"),
    ATTENTION("attention over the cache"),
    OUTPUT_PROJECTION("output projection"),
    MLP("MLP"),
    FINAL_NORM_AND_LM_HEAD("final norm and LM head"),
    SAMPLING("sampling");

    private final String label;

    Part(String label) {
      this.label = label;
    }

    public String label() {
      return label;
    }
  }

  private final long[] nanos = new long[Part.values().length];
  private long steps;

  /** Adds the time since {@code startNanos} to {@code part}; returns now, for the next part. */
  public long add(Part part, long startNanos) {
    long now = System.nanoTime();
    nanos[part.ordinal()] += now - startNanos;
    return now;
  }

  /** One more step measured. */
  public void step() {
    steps++;
  }

  public long steps() {
    return steps;
  }

  /** Milliseconds per step, by part. */
  public Map<Part, Double> millisPerStep() {
    Map<Part, Double> out = new EnumMap<>(Part.class);
    for (Part part : Part.values()) {
      out.put(part, steps == 0 ? 0 : nanos[part.ordinal()] / 1e6 / steps);
    }
    return out;
  }
}
