#!/usr/bin/env bash
# Streaming: N concurrent streams (started over RAMP ms) against the reference server with a
# latency profile; measures each event's arrival. Prints TTFT and inter-token percentiles against
# the configured values, and the machine's floor for the same events; writes JSON.
#
# The measuring client (CLIENT):
#   c    (default) sse-client.c: one thread, one epoll loop, no allocation per event. On a shared
#        2-core machine the client's CPU is CPU the server does not get; this one takes about half
#        of what the Java socket client takes per event, so its figures are the nearest this
#        machine gets to a client on a second machine.
#   nio  StreamingBenchmark's raw-socket client, in Java; adds the client's own CPU and run-queue
#        waits by thread, TTFT from the request written, and CONNECTIONS=new (a new connection per
#        stream, so the measured round also accepts and closes N connections).
#   jdk  the JDK's HTTP client (its own per-event work shows up in the figures).
# The C and nio clients keep their connections (CONNECTIONS=keep-alive, as a pooling HTTP client
# does): the warm-up rounds open them, the measured round measures streams.
# Each round ends at a 120 s deadline whatever the server does; a stream that is refused (not a
# 200), reset or closed ends where it got to. A round in which no stream completes ends the run with
# exit 1 and a message (the C client names the first refusal), rather than after every warm-up's
# deadline.
#
# The floor: after the server stops, floor.c writes and reads the same events on the same
# schedule with nothing but write(), epoll and read() on pre-opened loopback connections. From the
# same minutes on the same cores, it is what no server and client could beat here: the baseline
# that tells the stack's cost from the machine's state at the time.
#
# Both JVMs use ZGC by default (SERVER_JAVA_OPTS / CLIENT_JAVA_OPTS override): with a stop-the-world
# collector, a young pause of 7-20 ms in the measured second delays every token due during it, and
# those tokens are the p99 (parallel collector: TTFT p99 +10 to +31 ms; G1: +29 ms). They also touch
# their heap at start (AlwaysPreTouch): otherwise the server takes a page fault on fresh heap memory
# as it builds a stream's frames (a fifth of its request threads' time at 2,000 streams, by perf).
# The server runs with -XX:ThreadPriorityPolicy=1, so that its Jetty threads (which read requests
# and start streams) run below its pacer (which writes tokens when due): see the README. Java
# priorities above normal are mapped to nice 0, so that a run as root (which may raise a thread's
# priority) measures what an unprivileged user gets. Its heap is 1 GB (SERVER_HEAP): a larger one
# costs more CPU here, not less (2 GB: the server took 0.90-1.01 cores against 0.64-0.72, four
# pairs of runs); at about 1.2 KB of garbage per event, a collection comes about every 15 s.
# CLIENT_NICE=10 runs the client at a lower priority. SERVER_ARGS adds options to the server's
# command line (e.g. --container-threads 12).
# Usage: [CLIENT=c|nio|jdk] [CONNECTIONS=keep-alive|new] [CLIENT_NICE=n] [SERVER_HEAP=1g]
#        [SERVER_ARGS=...] streaming.sh [streams=500] [ttft_ms=200] [itl_ms=20] [tokens=50]
#        [ramp_ms=1000] [warmups=8]
source "$(dirname "$0")/common.sh"
STREAMS=${1:-500}
TTFT=${2:-200}
ITL=${3:-20}
TOKENS=${4:-50}
RAMP=${5:-1000}
WARMUPS=${6:-8}
CLIENT=${CLIENT:-c}
FLOOR_BIN=$(native_bin floor)
[ "$CLIENT" = c ] && CLIENT_BIN=$(native_bin sse-client)

PORT=$(free_port)
PRIORITIES="-XX:ThreadPriorityPolicy=1"
for p in 6 7 8 9 10; do PRIORITIES+=" -XX:JavaPriority${p}_To_OSPriority=0"; done
java -Xmx"${SERVER_HEAP:-1g}" ${SERVER_JAVA_OPTS:--XX:+UseZGC -XX:+AlwaysPreTouch $PRIORITIES} -jar "$JAR" --port "$PORT" --no-request-journal --ttft "${TTFT}ms" --itl "${ITL}ms" \
  --reply-tokens "$TOKENS" ${SERVER_ARGS:-} >"$OUT/streaming-server.log" 2>&1 &
SERVER_PID=$!
PIDS+=($SERVER_PID)
wait_for "http://127.0.0.1:$PORT/v1/models"

echo "measuring: $STREAMS streams, ttft=${TTFT}ms itl=${ITL}ms, $TOKENS tokens each, client $CLIENT (after $WARMUPS warm-up rounds)"
if [ "$CLIENT" = c ]; then
  RESULT=$(nice -n "${CLIENT_NICE:-0}" "$CLIENT_BIN" 127.0.0.1 "$PORT" "$KEY" "$STREAMS" "$RAMP" "$WARMUPS" "$SERVER_PID") || true
else
  RESULT=$(nice -n "${CLIENT_NICE:-0}" java -Xmx1g ${CLIENT_JAVA_OPTS:--XX:+UseZGC -XX:+AlwaysPreTouch} -cp "$BENCH_CP" org.chatglmkit.mockserver.bench.StreamingBenchmark \
    "http://127.0.0.1:$PORT" "$KEY" "$STREAMS" "$RAMP" "$WARMUPS" "$CLIENT" "$SERVER_PID" "${CONNECTIONS:-keep-alive}") || true
fi
if [ -z "$RESULT" ]; then
  echo "the client measured nothing (its message is above); the server's log: $OUT/streaming-server.log" >&2
  exit 1
fi
# The server prints, as it stops, how late it wrote its events against their due time (over its
# life, and over its last busy spell: the measured round).
kill "$SERVER_PID" && wait "$SERVER_PID" 2>/dev/null || true
SERVER_PACING=$(grep -h '^stopped; ' "$OUT/streaming-server.log" | sed 's/^stopped; //' || true)
FLOOR=$("$FLOOR_BIN" "$STREAMS" "$TTFT" "$ITL" "$TOKENS" "$RAMP") || true

python3 - "$OUT/streaming-$STAMP.json" "$TTFT" "$ITL" "$TOKENS" "$RESULT" "$SERVER_PACING" "$FLOOR" <<'PY'
import json, sys
out, ttft, itl, tokens, raw = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
r = json.loads(raw)
r["server_pacing"] = sys.argv[6]
floor = json.loads(sys.argv[7])
for side in (r, floor):
    side["ttft_p99_over_configured_ms"] = round(side["ttft_ms"]["p99"] - ttft, 2)
    side["itl_p99_over_configured_ms"] = round(side["itl_ms"]["p99"] - itl, 2)
r.update({"benchmark": "streaming", "configured_ttft_ms": ttft, "configured_itl_ms": itl, "tokens_per_stream": tokens,
          "expected_content_events": r["streams"] * tokens, "floor": floor})
json.dump(r, open(out, "w"), indent=2)

print(f"client {r['client']}, streams {r['streams']}, completed with [DONE] {r['completed']}, content events {r['content_events']}/{r['expected_content_events']}, wall {r['wall_s']} s")
print(f"{'':<6}{'p50':>9}{'p90':>9}{'p99':>9}{'max':>9}  configured")
for name, conf in (("ttft", ttft), ("itl", itl)):
    x = r[name + "_ms"]
    print(f"{name:<6}{x['p50']:>9.2f}{x['p90']:>9.2f}{x['p99']:>9.2f}{x['max']:>9.2f}  {conf:.0f} ms")
# what only some clients measure
x = r.get("ttft_after_request_ms")
if x and x["p99"] == x["p99"]:  # not NaN
    print(f"ttft, from the request written (the connect excluded) p50 {x['p50']:.2f}  p90 {x['p90']:.2f}  p99 {x['p99']:.2f}  max {x['max']:.2f} ms")
for name in ("client_start_lag", "connect", "headers"):
    x = r.get(name + "_ms")
    if x:
        print(f"{name:<17}p50 {x['p50']:.2f}  p90 {x['p90']:.2f}  p99 {x['p99']:.2f}  max {x['max']:.2f} ms")
kernel = f" ({r['client_kernel_cores']:.2f} in the kernel)" if "client_kernel_cores" in r else ""
print(f"CPU over the measured round (cores of 2): client {r['client_cpu_cores']:.2f}{kernel}, "
      f"server {r['server_cpu_cores']:.2f} ({r['server_kernel_cores']:.2f} in the kernel; by thread: "
      + ", ".join(f"{k} {v:.2f}" for k, v in r['server_thread_cores'].items()) + ")")
waits = lambda d: ", ".join(f"{k} {v:.0f}" for k, v in d.items() if v >= 1) or "none"
client_waits = f"client {waits(r['client_waited_for_a_core_ms'])}; " if "client_waited_for_a_core_ms" in r else ""
print(f"runnable but waiting for a core over the measured round (ms, summed over threads): "
      f"{client_waits}server {waits(r['server_waited_for_a_core_ms'])}")
print(f"server: {r['server_pacing']}")
print(f"floor (floor.c, the same events on the same schedule, just after): {floor['arrived']}/{floor['events']} events, "
      f"ttft p99 +{floor['ttft_p99_over_configured_ms']} ms, itl p99 +{floor['itl_p99_over_configured_ms']} ms; "
      f"CPU per event: writer {floor['writer_us_per_event']:.1f} us, reader {floor['reader_us_per_event']:.1f} us")
per_event = lambda cores: cores * r["wall_s"] / max(1, r["content_events"]) * 1e6
print(f"CPU per event over the measured round: server {per_event(r['server_cpu_cores']):.1f} us "
      f"({per_event(r['server_cpu_cores']) / floor['writer_us_per_event']:.1f}x the floor's writer), "
      f"client {per_event(r['client_cpu_cores']):.1f} us ({per_event(r['client_cpu_cores']) / floor['reader_us_per_event']:.1f}x its reader)")
print(f"p99 above configured: ttft +{r['ttft_p99_over_configured_ms']} ms, itl +{r['itl_p99_over_configured_ms']} ms "
      f"(target: within 10 ms); the floor: +{floor['ttft_p99_over_configured_ms']} and +{floor['itl_p99_over_configured_ms']} ms")
print(f"written: {out}")
PY
