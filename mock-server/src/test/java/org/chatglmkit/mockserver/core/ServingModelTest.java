package org.chatglmkit.mockserver.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The serving model on a clock the test moves: who runs, who waits, who is turned away. */
class ServingModelTest {
  private static final long MS = 1_000_000;
  private final AtomicLong now = new AtomicLong(0);

  @Test
  void latencyGrowsWithTheBatchAndCallsWaitForASequence() {
    // 2 sequences, 1 waiting; 10 ms between tokens alone, 5 ms more per extra sequence; 1 ms of
    // prefill per prompt token
    ServingModel model = new ServingModel(ServingModel.Profile.linear(2, 1, 10, 5, 1), now::get);
    ServingModel.Running a = (ServingModel.Running) model.admit(0, 10, 5);
    assertThat(a.latency()).isEqualTo(new LatencyProfile(10, 10, 0));
    assertThat(a.batch()).isEqualTo(1);
    a.ticket().settle(10, 5); // its last token at 10 + 4 x 10 = 50 ms
    ServingModel.Running b = (ServingModel.Running) model.admit(0, 10, 5);
    assertThat(b.batch()).isEqualTo(2);
    assertThat(b.latency()).isEqualTo(new LatencyProfile(10, 15, 0));
    b.ticket().settle(10, 5); // ends at 10 + 4 x 15 = 70 ms
    // both run: the third waits for the first to end (50 ms), then runs beside the second
    ServingModel.Running c = (ServingModel.Running) model.admit(0, 10, 5);
    assertThat(c.waitMillis()).isEqualTo(50);
    assertThat(c.batch()).isEqualTo(2);
    assertThat(c.latency()).isEqualTo(new LatencyProfile(60, 15, 0));
    // the queue holds one: the fourth is turned away until a place frees
    ServingModel.Admission d = model.admit(0, 10, 5);
    assertThat(d).isInstanceOf(ServingModel.Full.class);
    ApiError error = ((ServingModel.Full) d).error();
    assertThat(error.status()).isEqualTo(529);
    assertThat(error.retryAfterSeconds()).isEqualTo(1);
    // once the third has started, its place in the queue is free again
    now.set(51 * MS);
    assertThat(model.admit(51 * MS, 10, 5)).isInstanceOf(ServingModel.Running.class);
  }

  @Test
  void aSettledAnswerFreesItsSequenceAtItsRealEnd() {
    ServingModel model = new ServingModel(ServingModel.Profile.linear(1, 4, 10, 0, 0), now::get);
    ServingModel.Running a = (ServingModel.Running) model.admit(0, 0, 100);
    // reserved for 100 tokens, the answer had 3: the next starts after 20 ms, not 990
    a.ticket().settle(0, 3);
    assertThat(((ServingModel.Running) model.admit(0, 0, 100)).waitMillis()).isEqualTo(20);
  }

  @Test
  void measuredPointsAreInterpolatedAndExtended() {
    ServingModel.Profile profile =
        new ServingModel.Profile(
            4,
            8,
            new TreeMap<>(Map.of(1, 40.0, 4, 70.0)),
            new TreeMap<>(Map.of(16, 20.0, 116, 120.0)));
    assertThat(profile.itlMillis(2)).isEqualTo(50.0);
    assertThat(profile.itlMillis(8)).isEqualTo(110.0);
    assertThat(profile.prefillMillis(66)).isEqualTo(70.0);
    assertThat(profile.prefillMillis(0)).isEqualTo(4.0);
    // 4 sequences of 11 tokens after 16-token prompts: 4 / (20 + 10 x 70 ms)
    assertThat(profile.capacityPerSecond(16, 11))
        .isCloseTo(4 / 0.72, org.assertj.core.data.Offset.offset(1e-9));
  }

  @Test
  void aProfileFileIsReadOrNamedWithItsLineAndField(@TempDir Path dir) throws Exception {
    Path good =
        Files.writeString(
            dir.resolve("good.json"),
            "{\"max_running\": 4,\n \"itl_ms_by_batch\": {\"1\": 40, \"4\": 70},\n"
                + " \"prefill_ms_by_prompt_tokens\": {\"128\": 300},\n"
                + " \"measured\": {\"by\": \"full-size.sh\"}}");
    ServingModel.Profile profile = ServingModel.Profile.read(good, 1, 16);
    assertThat(profile.maxRunning()).isEqualTo(4);
    assertThat(profile.maxQueue()).isEqualTo(16);
    assertThat(profile.prefillMillis(64)).isEqualTo(300.0);
    Path unknown =
        Files.writeString(
            dir.resolve("unknown.json"), "{\"max_running\": 4,\n \"itl_by_batch\": {}}");
    assertThatThrownBy(() -> ServingModel.Profile.read(unknown, 1, 16))
        .hasMessageStartingWith(unknown + " line 2, field itl_by_batch: unknown field");
    Path negative =
        Files.writeString(
            dir.resolve("negative.json"),
            "{\"itl_ms_by_batch\": {\"1\": -4},\n \"prefill_ms_by_prompt_tokens\": {\"1\": 1}}");
    assertThatThrownBy(() -> ServingModel.Profile.read(negative, 1, 16))
        .hasMessageContaining("itl_ms_by_batch: a point is 0 or more");
    Path broken = Files.writeString(dir.resolve("broken.json"), "{\"max_running\": \"x\"}");
    assertThatThrownBy(() -> ServingModel.Profile.read(broken, 1, 16))
        .hasMessageStartingWith(broken + " line 1, field max_running");
  }
}
