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
    PASS,
    FAIL,
    SKIP
  }
}
