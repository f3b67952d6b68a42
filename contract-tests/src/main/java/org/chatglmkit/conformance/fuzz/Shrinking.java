package org.chatglmkit.conformance.fuzz;

import io.kotest.property.RTree;
import io.kotest.property.Sample;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Shrinks a failing generated value over Kotest's tree of simpler values (the sample's public
 * {@link RTree}): from the failing value it steps to the first simpler candidate that still fails,
 * and again from there, until no simpler candidate fails or the bound is reached. This is the walk
 * Kotest's own shrinker takes, written over its public types only.
 */
final class Shrinking {
  private Shrinking() {}

  /**
   * The simplest value found that still fails, and how many candidates were tried.
   *
   * @param value the simplest failing value (the original when nothing simpler failed)
   * @param tried how many candidates were sent
   */
  record Result<A>(A value, int tried) {}

  /**
   * Shrinks {@code failing}, trying at most {@code bound} candidates.
   *
   * @param fails whether a candidate fails the same way as the original
   */
  static <A> Result<A> shrink(Sample<A> failing, Predicate<A> fails, int bound) {
    RTree<A> at = failing.getShrinks();
    A simplest = failing.getValue();
    Set<A> seen = new HashSet<>();
    seen.add(simplest);
    int tried = 0;
    boolean stepped = true;
    while (stepped && tried < bound) {
      stepped = false;
      List<RTree<A>> children = at.getChildren().getValue();
      for (RTree<A> child : children) {
        if (tried >= bound || Thread.currentThread().isInterrupted()) {
          break;
        }
        A candidate = child.getValue().invoke();
        if (!seen.add(candidate)) {
          continue;
        }
        tried++;
        if (fails.test(candidate)) {
          simplest = candidate;
          at = child;
          stepped = true;
          break;
        }
      }
    }
    return new Result<>(simplest, tried);
  }
}
