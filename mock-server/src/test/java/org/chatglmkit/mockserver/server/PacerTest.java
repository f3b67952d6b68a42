package org.chatglmkit.mockserver.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The pacer runs each task once, never before it is due, and the tasks of one key in order of due
 * time (those given before any of them was due), then of submission.
 */
class PacerTest {

  record Ran(int index, long dueNanos, long ranNanos) {}

  @Test
  void runsEveryTaskNeverEarlyAndInOrderOfDueTimePerKey() throws Exception {
    int tasks = 500;
    List<Ran> ran = Collections.synchronizedList(new ArrayList<>());
    CountDownLatch all = new CountDownLatch(tasks);
    Object key = new Object();
    try (Pacer pacer = new Pacer(2, "test-pacer")) {
      long start = System.nanoTime();
      for (int i = 0; i < tasks; i++) {
        int index = i;
        // all given before the first is due, so that their order is known when they run
        long due =
            start
                + TimeUnit.MILLISECONDS.toNanos(200)
                + ThreadLocalRandom.current().nextLong(TimeUnit.MILLISECONDS.toNanos(60));
        pacer.at(
            key,
            due,
            () -> {
              ran.add(new Ran(index, due, System.nanoTime()));
              all.countDown();
            });
      }
      assertThat(all.await(10, TimeUnit.SECONDS)).isTrue();
    }
    assertThat(ran).hasSize(tasks);
    for (int i = 0; i < ran.size(); i++) {
      assertThat(ran.get(i).ranNanos()).isGreaterThanOrEqualTo(ran.get(i).dueNanos());
      if (i > 0) {
        assertThat(ran.get(i).dueNanos()).isGreaterThanOrEqualTo(ran.get(i - 1).dueNanos());
      }
    }
  }

  @Test
  void anIdleLaneWakesForNewWorkAndAFailingTaskStopsNothing() throws Exception {
    try (Pacer pacer = new Pacer(1, "test-pacer")) {
      Thread.sleep(250); // longer than an idle lane sleeps unwoken
      CountDownLatch ran = new CountDownLatch(1);
      pacer.after(
          this,
          0,
          () -> {
            throw new IllegalStateException("planted");
          });
      pacer.after(this, TimeUnit.MILLISECONDS.toNanos(5), ran::countDown);
      assertThat(ran.await(5, TimeUnit.SECONDS)).isTrue();
    }
  }

  @Test
  void aTaskCanArmTheNextFromItsOwnLaneAsAStreamDoes() throws Exception {
    int steps = 50;
    List<Long> lateness = Collections.synchronizedList(new ArrayList<>());
    CountDownLatch done = new CountDownLatch(1);
    try (Pacer pacer = new Pacer(2, "test-pacer")) {
      Object stream = new Object();
      Runnable[] step = new Runnable[1];
      long[] due = {System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(2)};
      step[0] =
          () -> {
            lateness.add(System.nanoTime() - due[0]);
            if (lateness.size() == steps) {
              done.countDown();
            } else {
              due[0] += TimeUnit.MILLISECONDS.toNanos(1);
              pacer.at(stream, due[0], step[0]);
            }
          };
      pacer.at(stream, due[0], step[0]);
      assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
    }
    assertThat(lateness).hasSize(steps).allSatisfy(late -> assertThat(late).isNotNegative());
  }

  @Test
  void tasksWithTheSameDueTimeRunInTheOrderGiven() throws Exception {
    List<Integer> order = Collections.synchronizedList(new ArrayList<>());
    CountDownLatch all = new CountDownLatch(100);
    try (Pacer pacer = new Pacer(2, "test-pacer")) {
      long due = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(20);
      for (int i = 0; i < 100; i++) {
        int index = i;
        pacer.at(
            "one stream",
            due,
            () -> {
              order.add(index);
              all.countDown();
            });
      }
      assertThat(all.await(5, TimeUnit.SECONDS)).isTrue();
    }
    for (int i = 0; i < 100; i++) {
      assertThat(order.get(i)).isEqualTo(i);
    }
  }
}
