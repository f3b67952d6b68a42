#!/usr/bin/env bash
# Timing fidelity of the load command, against an independent client on the same server.
# The reference server (TTFT 200 ms, 20 ms per token, 50 tokens per answer) runs in a JVM of its own.
# The load command keeps about N streams in flight (arrivals evenly spaced at N per 1.18 s, the
# length of one stream) after a 5 s warm-up. The independent client is mock-server's
# StreamingBenchmark: raw sockets on one selector thread.
#   MODE=together (default): both start at once; the independent client opens 300 more streams over
#     15 s, twice, and measures the second round, while the load command (warm-up 10 s, then SECONDS,
#     at least 25) measures the steady state around it: both observe the same server under the same load at the same time,
#     so their difference is the load command's own measuring error. (Each JVM's start-up, which
#     starves everything on two cores for a second, falls in both warm-ups.)
#   MODE=apart: the independent client alone first (N streams over 1 s), then the load command alone;
#     the difference then also holds what the load command's own CPU costs the server on this machine.
# Prints both TTFT and ITL distributions and the differences (target: p99 TTFT within 10 ms, median
# within 3 ms) and the command's CPU time; writes reports/bench/load-fidelity-<stamp>.json.
# SERVER_CPUS=0 CLIENT_CPUS=1 pins the server and the clients to cores (taskset); LOAD_ARGS adds
# options to the command, LOAD_JAVA_OPTS replaces its JVM options (-XX:+UseZGC).
# Usage: [MODE=together|apart] load-tests/bench/fidelity.sh [streams=100] [seconds=20]
source "$(dirname "$0")/../../mock-server/bench/common.sh"
STREAMS=${1:-100}
SECONDS_=${2:-20}
MODE=${MODE:-together}
LOAD_JAR="$ROOT/load-tests/target/chatglm-load.jar"
[ -f "$LOAD_JAR" ] || { echo "build first: mvn -B -q package -DskipTests" >&2; exit 2; }

PORT=$(free_port)
${SERVER_CPUS:+taskset -c $SERVER_CPUS} java -Xmx1g -XX:+UseZGC -jar "$JAR" --port "$PORT" \
  --no-request-journal --ttft 200ms --itl 20ms --reply-tokens 50 >"$OUT/fidelity-server.log" 2>&1 &
PIDS+=($!)
wait_for "http://127.0.0.1:$PORT/v1/models"

independent() { # streams ramp-ms warm-up-rounds
  ${CLIENT_CPUS:+taskset -c $CLIENT_CPUS} java -Xmx1g -XX:+UseZGC -cp "$BENCH_CP" \
    org.chatglmkit.mockserver.bench.StreamingBenchmark "http://127.0.0.1:$PORT" "$KEY" "$1" "$2" "$3" nio
}

RATE=$(python3 -c "print(round($STREAMS / 1.18, 2))")
RUN_DIR="$OUT/fidelity-load-$STAMP"
load_command() { # seconds
  /usr/bin/time -f "%U %S" -o "$OUT/fidelity-cpu.txt" \
    ${CLIENT_CPUS:+taskset -c $CLIENT_CPUS} java ${LOAD_JAVA_OPTS:--XX:+UseZGC} -jar "$LOAD_JAR" \
    --target "http://127.0.0.1:$PORT" --api-key "$KEY" --load-profile rate --rate "$RATE" \
    --burstiness 1000 --duration "${1}s" --warmup "${2:-5}s" --max-tokens 50 --progress 0 ${LOAD_ARGS:-} \
    --report-dir "$RUN_DIR" >"$OUT/fidelity-load.log" 2>&1 || true
}

if [ "$MODE" = apart ]; then
  echo "independent client alone: $STREAMS streams over 1 s"
  CLIENT=$(independent "$STREAMS" 1000 2)
  echo "load command alone: $RATE streams/s (about $STREAMS in flight) for ${SECONDS_}s after a 5s warm-up"
  load_command "$SECONDS_"
else
  SECONDS_=$(( SECONDS_ < 25 ? 25 : SECONDS_ ))
  echo "load command: $RATE streams/s (about $STREAMS in flight) for ${SECONDS_}s after a 10s warm-up;"
  echo "independent client at the same time: 300 streams over 15 s, a warm-up round, then measured"
  load_command "$SECONDS_" 10 &
  LOAD_PID=$!
  CLIENT=$(independent 300 15000 1)
  wait "$LOAD_PID"
fi
SUMMARY=$(find "$RUN_DIR" -name summary.json | head -1)
[ -n "$SUMMARY" ] || { echo "the load command wrote no summary; see $OUT/fidelity-load.log" >&2; exit 1; }

python3 - "$OUT/load-fidelity-$STAMP.json" "$CLIENT" "$SUMMARY" "$OUT/fidelity-cpu.txt" "$MODE" "$STREAMS" <<'PY'
import json, sys
out, client, summary, cpu, mode = sys.argv[1], json.loads(sys.argv[2]), json.load(open(sys.argv[3])), sys.argv[4], sys.argv[5]
in_flight = int(sys.argv[6])
user, system = (float(x) for x in open(cpu).read().split()[:2])
load = {"ttft_ms": {"p50": summary["median_ttft_ms"], "p99": summary["p99_ttft_ms"]},
        "itl_ms": {"p50": summary["median_itl_ms"], "p99": summary["p99_itl_ms"]}}
r = {"benchmark": "load-timing-fidelity", "mode": mode, "load_streams_in_flight": in_flight,
     "configured_ttft_ms": 200, "configured_itl_ms": 20,
     "independent_client": {k: client[k] for k in ("client", "streams", "ttft_ms", "itl_ms", "completed")},
     "load_command": dict(load, completed=summary["completed"], failed=summary["failed"],
                          schedule=summary.get("schedule"), cpu_seconds=round(user + system, 1),
                          summary=sys.argv[3])}
for m in ("ttft", "itl"):
    for p in ("p50", "p99"):
        r[f"{m}_{p}_difference_ms"] = round(load[m + "_ms"][p] - client[m + "_ms"][p], 2)
json.dump(r, open(out, "w"), indent=2)
print(f"mode {mode}")
print(f"{'':<22}{'TTFT p50':>10}{'TTFT p99':>10}{'ITL p50':>10}{'ITL p99':>10}")
print(f"{'independent client':<22}{client['ttft_ms']['p50']:>10.2f}{client['ttft_ms']['p99']:>10.2f}{client['itl_ms']['p50']:>10.2f}{client['itl_ms']['p99']:>10.2f}")
print(f"{'load command':<22}{load['ttft_ms']['p50']:>10.2f}{load['ttft_ms']['p99']:>10.2f}{load['itl_ms']['p50']:>10.2f}{load['itl_ms']['p99']:>10.2f}")
print(f"{'difference':<22}{r['ttft_p50_difference_ms']:>+10.2f}{r['ttft_p99_difference_ms']:>+10.2f}{r['itl_p50_difference_ms']:>+10.2f}{r['itl_p99_difference_ms']:>+10.2f}")
s = summary.get("schedule", {})
print(f"load command: {summary['completed']} streams completed, {summary['failed']} failed, CPU {user + system:.1f} s;"
      f" schedule lag p99 {s.get('lag_p99_ms')} ms")
print(f"targets: p99 TTFT within 10 ms, median within 3 ms; written: {out}")
PY
