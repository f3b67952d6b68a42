package org.chatglmkit.conformance.run;

/**
 * How one check ended.
 *
 * @param check the check's name, {@code Class.method}
 * @param status its status
 * @param message for a failure or a skip, the first line of why; otherwise {@code null}
 */
public record Outcome(String check, Status status, String message) {

  /** A rule's or a check's result. */
  public enum Status {
    /** A check observed what it checks, and it held. */
    PASS,
    /** A check observed a violation (or the target made the rule unobservable). */
    FAIL,
    /** Not judged, for the reason given (outside the profile, nothing to observe). */
    SKIP,
    /** Not judged because the baseline exchange failed: the root cause is the failure. */
    BLOCKED,
    /** Failing or blocked, but waived by the user with a reason: does not fail the run. */
    WAIVED
  }
}
