package org.chatglmkit.conformance.fuzz;

/** The catalogue rules that fuzzing judges, on every generated exchange. */
public final class FuzzRules {
  public static final String VALID_ACCEPTED = "FUZZ-VALID-ACCEPTED";
  public static final String INVALID_REJECTED = "FUZZ-INVALID-REJECTED";
  public static final String NO_5XX = "FUZZ-NO-5XX";
  public static final String NO_HANG = "FUZZ-NO-HANG";
  public static final String ANSWER_SHAPE = "FUZZ-ANSWER-SHAPE";

  private FuzzRules() {}
}
