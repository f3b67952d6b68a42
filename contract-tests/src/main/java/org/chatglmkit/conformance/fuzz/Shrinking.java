package org.chatglmkit.conformance.fuzz;

import io.kotest.property.PropertyTesting;
import io.kotest.property.Sample;
import io.kotest.property.ShrinkingMode;
import io.kotest.property.internal.ShrinkKt;
import io.kotest.property.internal.ShrinkResult;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import kotlin.Unit;
import kotlin.coroutines.EmptyCoroutineContext;
import kotlinx.coroutines.BuildersKt;

/**
 * Shrinks a failing generated value with Kotest's own shrinking: it walks the sample's tree of
 * simpler values and keeps the simplest that still fails.
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

  /** Thrown at Kotest's shrinker to say "this candidate fails too". */
  private static final class StillFails extends RuntimeException {
    StillFails() {
      super("still fails", null, false, false);
    }
  }

  /**
   * Shrinks {@code failing}, trying at most {@code bound} candidates.
   *
   * @param fails whether a candidate fails the same way as the original
   */
  @SuppressWarnings("unchecked")
  static <A> Result<A> shrink(Sample<A> failing, Predicate<A> fails, int bound) {
    AtomicInteger tried = new AtomicInteger();
    // Kotest prints every shrink step to stdout by default; the report says what matters.
    PropertyTesting.INSTANCE.setShouldPrintShrinkSteps(false);
    try {
      ShrinkResult<A> result =
          (ShrinkResult<A>)
              BuildersKt.runBlocking(
                  EmptyCoroutineContext.INSTANCE,
                  (scope, continuation) ->
                      ShrinkKt.doShrinking(
                          failing.getShrinks(),
                          new ShrinkingMode.Bounded(bound),
                          (candidate, step) -> {
                            tried.incrementAndGet();
                            if (fails.test((A) candidate)) {
                              throw new StillFails();
                            }
                            return Unit.INSTANCE;
                          },
                          continuation));
      return new Result<>(result.getShrink(), tried.get());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Result<>(failing.getValue(), tried.get());
    }
  }
}
