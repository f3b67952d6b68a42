#!/usr/bin/env bash
# Streaming: N concurrent streams (started over RAMP ms) against the reference server with a
# latency profile; measures each event's arrival. Prints TTFT and inter-token percentiles against
# the configured values; writes JSON.
# Both JVMs use ZGC by default (SERVER_JAVA_OPTS / CLIENT_JAVA_OPTS override): with a stop-the-world
# collector, a young pause of 7-20 ms in the measured second delays every token due during it, and
# those tokens are the p99 (parallel collector: TTFT p99 +10 to +31 ms; G1: +29 ms). They also touch
# their heap at start (AlwaysPreTouch): otherwise the server takes a page fault on fresh heap memory
# as it builds a stream's frames (a fifth of its request threads' time at 2,000 streams, by perf).
# The client is raw sockets on one selector thread (CLIENT=jdk: the JDK's HTTP client instead).
# CLIENT_NICE=10 runs the client at a lower priority, so that the server gets the CPU it asks for
# first: its own lateness then shows what it would do with the client on another machine.
# SERVER_ARGS adds options to the server's command line (e.g. --container-threads 12).
# Usage: [CLIENT=nio|jdk] [CLIENT_NICE=n] [SERVER_ARGS=...] streaming.sh [streams=500] [ttft_ms=200] [itl_ms=20] [tokens=50] [ramp_ms=1000] [warmups=8]
source "$(dirname "$0")/common.sh"
STREAMS=${1:-500}
TTFT=${2:-200}
ITL=${3:-20}
TOKENS=${4:-50}
RAMP=${5:-1000}
WARMUPS=${6:-8}

PORT=$(free_port)
java -Xmx1g ${SERVER_JAVA_OPTS:--XX:+UseZGC -XX:+AlwaysPreTouch} -jar "$JAR" --port "$PORT" --no-request-journal --ttft-ms "$TTFT" --itl-ms "$ITL" \
  --reply-tokens "$TOKENS" ${SERVER_ARGS:-} >"$OUT/streaming-server.log" 2>&1 &
SERVER_PID=$!
PIDS+=($SERVER_PID)
wait_for "http://127.0.0.1:$PORT/v1/models"

echo "measuring: $STREAMS streams, ttft=${TTFT}ms itl=${ITL}ms, $TOKENS tokens each (after $WARMUPS warm-up rounds in the same client JVM)"
RESULT=$(nice -n "${CLIENT_NICE:-0}" java -Xmx1g ${CLIENT_JAVA_OPTS:--XX:+UseZGC -XX:+AlwaysPreTouch} -cp "$BENCH_CP" org.chatglmkit.mockserver.bench.StreamingBenchmark \
  "http://127.0.0.1:$PORT" "$KEY" "$STREAMS" "$RAMP" "$WARMUPS" "${CLIENT:-nio}" "$SERVER_PID")
# The server prints, as it stops, how late it wrote its events against their due time (over its
# life, and over its last busy spell: the measured round).
kill "$SERVER_PID" && wait "$SERVER_PID" 2>/dev/null || true
SERVER_PACING=$(grep -h '^stopped; ' "$OUT/streaming-server.log" | sed 's/^stopped; //' || true)

python3 - "$OUT/streaming-$STAMP.json" "$TTFT" "$ITL" "$TOKENS" "$RESULT" "$SERVER_PACING" <<'PY'
import json, sys
out, ttft, itl, tokens, raw = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
r = json.loads(raw)
r["server_pacing"] = sys.argv[6]
r.update({"benchmark": "streaming", "configured_ttft_ms": ttft, "configured_itl_ms": itl, "tokens_per_stream": tokens,
          "expected_content_events": r["streams"] * tokens,
          "ttft_p99_over_configured_ms": round(r["ttft_ms"]["p99"] - ttft, 2),
          "ttft_after_request_p99_over_configured_ms": round(r["ttft_after_request_ms"]["p99"] - ttft, 2),
          "itl_p99_over_configured_ms": round(r["itl_ms"]["p99"] - itl, 2)})
json.dump(r, open(out, "w"), indent=2)
print(f"client {r['client']}, streams {r['streams']}, completed with [DONE] {r['completed']}, content events {r['content_events']}/{r['expected_content_events']}, wall {r['wall_s']} s")
print(f"{'':<6}{'p50':>9}{'p90':>9}{'p99':>9}{'max':>9}  configured")
for name, conf in (("ttft", ttft), ("itl", itl)):
    x = r[name + "_ms"]
    print(f"{name:<6}{x['p50']:>9.2f}{x['p90']:>9.2f}{x['p99']:>9.2f}{x['max']:>9.2f}  {conf:.0f} ms")
x = r["ttft_after_request_ms"]
if x["p99"] == x["p99"]:  # not NaN: the socket client
    print(f"{'ttft, from the request written (the connect excluded)':<6} p50 {x['p50']:.2f}  p90 {x['p90']:.2f}  p99 {x['p99']:.2f}  max {x['max']:.2f} ms")
for name in ("client_start_lag", "connect", "headers"):
    x = r[name + "_ms"]
    print(f"{name:<17}p50 {x['p50']:.2f}  p90 {x['p90']:.2f}  p99 {x['p99']:.2f}  max {x['max']:.2f} ms")
print(f"CPU over the measured round (cores of 2): client {r['client_cpu_cores']:.2f} ({r['client_kernel_cores']:.2f} in the kernel), "
      f"server {r['server_cpu_cores']:.2f} ({r['server_kernel_cores']:.2f} in the kernel; by thread: "
      + ", ".join(f"{k} {v:.2f}" for k, v in r['server_thread_cores'].items()) + ")")
waits = lambda d: ", ".join(f"{k} {v:.0f}" for k, v in d.items() if v >= 1) or "none"
print(f"runnable but waiting for a core over the measured round (ms, summed over threads): "
      f"client {waits(r['client_waited_for_a_core_ms'])}; server {waits(r['server_waited_for_a_core_ms'])}")
print(f"server: {r['server_pacing']}")
after = r["ttft_after_request_ms"]["p99"]
after = f" (from the request written: +{after - ttft:.2f} ms)" if after == after else ""
print(f"p99 above configured: ttft +{r['ttft_p99_over_configured_ms']} ms{after}, itl +{r['itl_p99_over_configured_ms']} ms (target: within 10 ms)")
print(f"written: {out}")
PY
