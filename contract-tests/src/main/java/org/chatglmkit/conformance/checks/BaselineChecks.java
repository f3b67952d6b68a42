package org.chatglmkit.conformance.checks;

import java.util.Locale;
import org.chatglmkit.conformance.http.StreamResult;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.opentest4j.TestAbortedException;

/**
 * The rules the baseline exchange itself judges: the simplest valid request answers 200, and
 * streamed it answers an event stream that ends in {@code [DONE]}. When these fail, the checks that
 * need their answers are blocked by them.
 */
@ConformanceCheck
@Order(0)
class BaselineChecks {

  @Test
  @Tag("TRANSPORT-CHAT-PATH")
  void answersTheSimplestValidRequestWith200(RunContext run) {
    Expect.status(run.baseline().unstreamed(), 200);
  }

  @Test
  @Tag("STREAM-CONTENT-TYPE")
  void answersTheSimplestStreamWithAnEventStream(RunContext run) {
    StreamResult stream = run.baseline().streamed();
    Expect.that(stream.status() == 200, "200 to stream: true", stream.brief());
    StreamingChecks.expectEventStream(stream);
  }

  @Test
  @Tag("STREAM-EVENT-FORMAT")
  void endsTheSimplestStreamWithDone(RunContext run) {
    StreamResult stream = run.baseline().streamed();
    if (stream.status() != 200) {
      // No stream to judge: STREAM-CONTENT-TYPE fails for it, and this rule is blocked by it.
      throw new TestAbortedException(
          ConformanceExtension.BLOCKED
              + run.baseline().cause(Needs.Part.STREAM).orElse(stream.brief()));
    }
    Expect.that(
        stream.ended(),
        "a 200 stream that ends",
        stream.brief().toLowerCase(Locale.ROOT).startsWith("no answer")
            ? stream.brief()
            : stream.brief()
                + StreamingChecks.cutNote(stream)
                + "; last events: "
                + StreamingChecks.lastEvents(stream));
    StreamingChecks.expectEventFormat(stream);
  }
}
