package org.chatglmkit.load;

import static org.assertj.core.api.Assertions.assertThat;

import org.chatglmkit.schemas.Profile;
import org.chatglmkit.schemas.Shape;
import org.junit.jupiter.api.Test;

class ConformanceTest {
  private static final String GOOD =
      "{\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","
          + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"},\"finish_reason\":null}]}";
  private static final String BAD = "{\"object\":\"chat.completion.chunk\",\"choices\":[]}";

  @Test
  void documentsKeptDuringTheLoadAreAllCheckedWhenItEnds() {
    Metrics metrics = new Metrics(new LoadConfig.Slo(null, null, null));
    Conformance conformance = new Conformance(Profile.OPENAI, metrics, true, true);
    conformance.check(Shape.CHUNK, Conformance.parse(GOOD), GOOD);
    conformance.check(Shape.CHUNK, Conformance.parse(BAD), BAD);
    conformance.check(Shape.CHUNK, Conformance.parse(GOOD), GOOD);
    // Nothing is validated while the load runs...
    assertThat(metrics.checkedDocuments.sum()).isZero();
    conformance.drain();
    // ...and everything is, before the report.
    assertThat(metrics.checkedDocuments.sum()).isEqualTo(3);
    assertThat(Metrics.counts(metrics.violations)).containsKey("STREAM-CHUNK-IDS");
    assertThat(conformance.deferred()).isEqualTo(3);
  }
}
