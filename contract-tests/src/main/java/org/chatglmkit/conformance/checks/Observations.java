package org.chatglmkit.conformance.checks;

/**
 * Counts what the running check judged on real evidence. A check that returns without having judged
 * anything is skipped as "observed nothing", never passed: a rule passes only when a check saw what
 * it checks.
 */
final class Observations {
  private static final ThreadLocal<int[]> COUNT = ThreadLocal.withInitial(() -> new int[1]);

  private Observations() {}

  static void start() {
    COUNT.get()[0] = 0;
  }

  /** One judgement made on something the target sent. */
  static void saw() {
    COUNT.get()[0]++;
  }

  static int count() {
    return COUNT.get()[0];
  }
}
