package org.chatglmkit.conformance.targets;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Starts every misbehaving target on a free loopback port, prints one {@code name URL} line each,
 * and serves until its standard input closes: what {@code contract-tests/bench/gate-time.sh} points
 * the gate at.
 */
public final class MisbehavingTargetsMain {
  private MisbehavingTargetsMain() {}

  public static void main(String[] args) throws Exception {
    Map<String, RawServer.Behaviour> targets = new LinkedHashMap<>();
    targets.put("never-answers", Misbehaviours.neverAnswers());
    targets.put("garbage-bytes", Misbehaviours.garbage());
    targets.put("closes-at-once", Misbehaviours.closesAtOnce());
    targets.put("endless-stream", Misbehaviours.endlessStream());
    targets.put("headers-dribbled", Misbehaviours.dribbledHeaders());
    targets.put("body-never-ends", Misbehaviours.bodyNeverEnds());
    targets.put("body-flood", Misbehaviours.floodsTheBody());
    Map<String, RawServer> running = new LinkedHashMap<>();
    for (Map.Entry<String, RawServer.Behaviour> target : targets.entrySet()) {
      running.put(target.getKey(), new RawServer(target.getValue()));
    }
    running.forEach((name, server) -> System.out.println(name + " " + server.baseUrl()));
    System.out.flush();
    while (System.in.read() >= 0) {
      // serve until the benchmark closes our input
    }
    running.values().forEach(RawServer::close);
  }
}
