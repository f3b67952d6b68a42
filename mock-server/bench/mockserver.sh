#!/usr/bin/env bash
# Side by side with MockServer 7.6 (mockserver-netty 7.6.0 from Maven Central, fetched into
# mock-server/target/bench-lib on first use; it is no dependency of the build): the same paced
# streams (TTFT 200 ms, 20 ms between tokens, 50 tokens: MockServer's httpLlmResponse with
# streamingPhysics, the reference server's --ttft/--itl/--reply-tokens) at 500, 1,000 and 2,000
# concurrent streams, measured by the same client (sse-client.c, one epoll thread, connections kept
# across its warm-up rounds) in one run, one server at a time; then unstreamed completions/s of
# each with wrk (no pacing on either). Prints each server's p99 TTFT and inter-token latency above
# the configured values, and the req/s ratio; writes JSON.
# Usage: [RAMP=2000] [WARMUPS=3] mockserver.sh [levels="500 1000 2000"] [wrk-seconds=10]
source "$(dirname "$0")/common.sh"
LEVELS=${1:-"500 1000 2000"}
WRK_SECONDS=${2:-10}
TTFT=200
ITL=20
TOKENS=50
RAMP=${RAMP:-2000}
WARMUPS=${WARMUPS:-3}
need_wrk
CLIENT_BIN=$(native_bin sse-client)
LIB="$ROOT/mock-server/target/bench-lib"
MS_JAR="$LIB/mockserver-netty-7.6.0-jar-with-dependencies.jar"
if [ ! -f "$MS_JAR" ]; then
  echo "fetching mockserver-netty 7.6.0 from Maven Central" >&2
  mvn -B -q dependency:copy -Dartifact=org.mock-server:mockserver-netty:7.6.0:jar:jar-with-dependencies \
    -DoutputDirectory="$LIB" >&2
fi
PRIORITIES="-XX:ThreadPriorityPolicy=1"
for p in 6 7 8 9 10; do PRIORITIES+=" -XX:JavaPriority${p}_To_OSPriority=0"; done
JAVA_OPTS="-Xmx1g -XX:+UseZGC -XX:+AlwaysPreTouch"

# 50 words, one token each. MockServer sends a first chunk with the role and empty content at its
# delay, then a chunk per token; the reference server's first chunk carries the role and the first
# token.
TEXT=$(python3 -c 'print(" ".join(["word"] * 50))')

# mockserver_expectation PORT paced|unpaced: the chat completion; paced, its first byte after 200 ms
# (the action's delay: MockServer 7.6 refuses streamingPhysics.timeToFirstToken in JSON, its schema
# reference to "delay" does not resolve) and 50 tokens a second
mockserver_expectation() {
  local delay="" physics=""
  if [ "$2" = paced ]; then
    delay="\"delay\": {\"timeUnit\": \"MILLISECONDS\", \"value\": $TTFT},"
    physics=", \"streaming\": true, \"streamingPhysics\": {\"tokensPerSecond\": $((1000 / ITL))}"
  fi
  curl -s -o /dev/null -X PUT "http://127.0.0.1:$1/mockserver/reset"
  local code
  code=$(curl -s -o "$OUT/mockserver-expectation.log" -w '%{http_code}' -X PUT "http://127.0.0.1:$1/mockserver/expectation" -d "{
    \"httpRequest\": {\"method\": \"POST\", \"path\": \"/v1/chat/completions\"},
    \"httpLlmResponse\": {\"provider\": \"OPENAI\", \"model\": \"chatglm3-6b\", $delay
      \"completion\": {\"text\": \"$TEXT\", \"stopReason\": \"stop\"$physics}},
    \"times\": {\"unlimited\": true}}")
  [ "$code" = 201 ] || { echo "MockServer refused the expectation ($code): $(head -c 300 "$OUT/mockserver-expectation.log")" >&2; exit 1; }
}

start_mockserver() {
  MS_PORT=$(free_port)
  # run from its own folder: MockServer writes its certificate authority (mockserver-ca.pem) there
  (cd "$LIB" && exec java $JAVA_OPTS -jar "$MS_JAR" -serverPort "$MS_PORT" -logLevel WARN) >"$OUT/mockserver-server.log" 2>&1 &
  MS_PID=$!; PIDS+=($MS_PID)
  wait_for "http://127.0.0.1:$MS_PORT/mockserver/status"
}

start_reference() {
  REF_PORT=$(free_port)
  java $JAVA_OPTS $PRIORITIES -jar "$JAR" --port "$REF_PORT" --no-request-journal "$@" >"$OUT/mockserver-reference.log" 2>&1 &
  REF_PID=$!; PIDS+=($REF_PID)
  wait_for "http://127.0.0.1:$REF_PORT/v1/models"
}

stop() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

# streams NAME PORT PID N -> one JSON line (the client's figures)
streams() {
  echo "  $1: $4 streams ($WARMUPS warm-up rounds, ${RAMP} ms ramp)" >&2
  "$CLIENT_BIN" 127.0.0.1 "$2" "$KEY" "$4" "$RAMP" "$WARMUPS" "$3" || echo '{}'
}

ROWS=()
for n in $LEVELS; do
  echo "== $n concurrent streams =="
  start_mockserver
  mockserver_expectation "$MS_PORT" paced
  ROWS+=("stream|mockserver|$n|$(streams MockServer "$MS_PORT" "$MS_PID" "$n")")
  stop "$MS_PID"
  start_reference --ttft "${TTFT}ms" --itl "${ITL}ms" --reply-tokens "$TOKENS"
  ROWS+=("stream|reference|$n|$(streams reference "$REF_PORT" "$REF_PID" "$n")")
  stop "$REF_PID"
done

echo "== unstreamed completions/s (wrk -t2 -c32, ${WRK_SECONDS} s, after a 10 s warm-up each) =="
LUA=$(wrk_script '{"messages":[{"role":"user","content":"benchmark"}]}')
wrk_run() { wrk_result "$1" "$2" "$LUA"; }
start_mockserver
mockserver_expectation "$MS_PORT" unpaced
wrk_run "$MS_PORT" 10 >/dev/null
ROWS+=("plain|mockserver|0|$(wrk_run "$MS_PORT" "$WRK_SECONDS")")
stop "$MS_PID"
start_reference --ttft 0 --itl 0 --reply-tokens "$TOKENS"
wrk_run "$REF_PORT" 10 >/dev/null
ROWS+=("plain|reference|0|$(wrk_run "$REF_PORT" "$WRK_SECONDS")")
stop "$REF_PID"

python3 - "$OUT/mockserver-$STAMP.json" "$TTFT" "$ITL" "$TOKENS" "${ROWS[@]}" <<'PY'
import json, sys
out, ttft, itl, tokens = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
result = {"benchmark": "mockserver-side-by-side", "mockserver": "mockserver-netty 7.6.0",
          "configured_ttft_ms": ttft, "configured_itl_ms": itl, "tokens": tokens, "streams": {}, "unstreamed": {}}
for row in sys.argv[5:]:
    kind, server, n, data = row.split("|", 3)
    if kind == "stream":
        r = json.loads(data) if data.strip().startswith("{") else {}
        entry = {"completed": r.get("completed"), "content_events": r.get("content_events"),
                 "expected_content_events": int(n) * tokens}
        if "ttft_ms" in r:
            entry["ttft_p99_over_configured_ms"] = round(r["ttft_ms"]["p99"] - ttft, 1)
            entry["itl_p99_over_configured_ms"] = round(r["itl_ms"]["p99"] - itl, 1)
            entry["server_cpu_cores"] = r.get("server_cpu_cores")
        result["streams"].setdefault(n, {})[server] = entry
    else:
        rps, p50, p90, p99, status, socket = data.split()
        result["unstreamed"][server] = {"requests_per_s": float(rps), "p99_ms": float(p99),
                                        "errors": int(float(status)) + int(float(socket))}
u = result["unstreamed"]
if "mockserver" in u and "reference" in u and u["mockserver"]["requests_per_s"] > 0:
    result["unstreamed"]["ratio_reference_over_mockserver"] = round(u["reference"]["requests_per_s"] / u["mockserver"]["requests_per_s"], 2)
json.dump(result, open(out, "w"), indent=2)
print(f"{'streams':>8} {'server':<11}{'TTFT p99 over':>14}{'ITL p99 over':>14}{'completed':>11}{'events':>16}{'server cores':>14}")
for n, servers in result["streams"].items():
    for server, e in servers.items():
        t = e.get("ttft_p99_over_configured_ms"); i = e.get("itl_p99_over_configured_ms")
        print(f"{n:>8} {server:<11}{(f'+{t} ms' if t is not None else 'n/a'):>14}{(f'+{i} ms' if i is not None else 'n/a'):>14}"
              f"{str(e['completed']):>11}{str(e['content_events']) + '/' + str(e['expected_content_events']):>16}{str(e.get('server_cpu_cores')):>14}")
for server in ("mockserver", "reference"):
    if server in u:
        print(f"unstreamed {server:<11}{u[server]['requests_per_s']:>10.0f} req/s  p99 {u[server]['p99_ms']:.2f} ms  errors {u[server]['errors']}")
if "ratio_reference_over_mockserver" in u:
    print(f"unstreamed ratio reference/MockServer {u['ratio_reference_over_mockserver']}")
print(f"written: {out}")
PY
