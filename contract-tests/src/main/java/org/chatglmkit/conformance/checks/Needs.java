package org.chatglmkit.conformance.checks;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * What a check (or every check of a class) needs from the target before it can judge anything: a
 * successful answer to the baseline exchange. When the baseline did not get it, the check is
 * reported as blocked by that root cause, not as a failure of its own.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
public @interface Needs {
  Part[] value();

  /** The parts of the baseline exchange. */
  enum Part {
    /** A 200 answer to the simplest valid request, unstreamed. */
    COMPLETION,
    /** A 200 stream that ends, for the same request with {@code stream: true}. */
    STREAM
  }
}
