#!/usr/bin/env bash
# Tool calls on the reference server: unstreamed requests that offer three tools (the question
# names one, so every answer is a call with arguments generated from its schema and checked
# against it) against the same requests without tools, with wrk at a fixed concurrency on one
# server, alternating rounds; then the cost of one call's arguments alone (ArgumentsBenchmark).
# Prints the throughput ratio and writes one JSON.
# Usage: tools.sh [connections=32] [seconds=10] [rounds=3]
source "$(dirname "$0")/common.sh"
CONNECTIONS=${1:-32}
SECONDS_PER_RUN=${2:-10}
ROUNDS=${3:-3}
need_wrk

QUESTION='"messages":[{"role":"user","content":"Use get_weather: is it warm in Paris?"}],"temperature":0'
TOOLS='[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"},"unit":{"type":"string","enum":["celsius","fahrenheit"]},"days":{"type":"integer","minimum":1,"maximum":7},"details":{"type":"object","properties":{"wind":{"type":"boolean"},"hours":{"type":"array","items":{"type":"integer","minimum":0,"maximum":23},"maxItems":4}}}},"required":["city","unit"]}}},{"type":"function","function":{"name":"get_time","parameters":{"type":"object","properties":{"timezone":{"type":"string"}},"required":["timezone"]}}},{"type":"function","function":{"name":"lookup_order","parameters":{"type":"object","properties":{"order_id":{"type":"string","minLength":3}},"required":["order_id"]}}}]'
WITH=$(wrk_script "{$QUESTION,\"tools\":$TOOLS}")
WITHOUT=$(wrk_script "{$QUESTION}")

PORT=$(free_port)
java -Xmx1g -jar "$JAR" --port "$PORT" --ttft 0 --itl 0 >"$OUT/tools-ref.log" 2>&1 &
PIDS+=($!)
wait_for "http://127.0.0.1:$PORT/v1/models"
ANSWER=$(curl -s "http://127.0.0.1:$PORT/v1/chat/completions" -H "API-KEY: $KEY" \
  -H 'Content-Type: application/json' -d "{$QUESTION,\"tools\":$TOOLS}")
echo "$ANSWER" | grep -q '"tool_calls"' || { echo "the tools request got no call: $ANSWER" >&2; exit 1; }

# run SCRIPT SECONDS -> "rps p50 p99 status_errors socket_errors"
run() { wrk_result "$PORT" "$2" "$1" "$CONNECTIONS" | awk '{print $1, $2, $4, $5, $6}'; }
echo "warm-up (2 x 10 s each)"
for _ in 1 2; do run "$WITH" 10 >/dev/null; run "$WITHOUT" 10 >/dev/null; done
ARGS=()
for round in $(seq 1 "$ROUNDS"); do
  w=$(run "$WITH" "$SECONDS_PER_RUN"); n=$(run "$WITHOUT" "$SECONDS_PER_RUN")
  echo "round $round: 3 tools [$w]  no tools [$n]  (rps p50 p99 ms, status errors, socket errors)"
  ARGS+=("$w|$n")
done
kill "${PIDS[@]}" 2>/dev/null || true

ARGUMENTS=$(java -cp "$BENCH_CP" org.chatglmkit.mockserver.bench.ArgumentsBenchmark)
echo "$ARGUMENTS" | grep -v '^ARGS'
MICROS=$(echo "$ARGUMENTS" | awk '/^ARGS/ {print $2 "=" $3}' | paste -sd, -)

python3 - "$OUT/tools-$STAMP.json" "$CONNECTIONS" "$SECONDS_PER_RUN" "$MICROS" "${ARGS[@]}" <<'PY'
import json, statistics, sys
out, conns, secs, micros = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
pairs = [tuple(list(map(float, half.split())) for half in arg.split("|")) for arg in sys.argv[5:]]
def summary(rows):
    return {"requests_per_s": statistics.median(r[0] for r in rows),
            "p50_ms": statistics.median(r[1] for r in rows), "p99_ms": statistics.median(r[2] for r in rows),
            "errors": int(sum(r[3] + r[4] for r in rows)), "rounds": [r[0] for r in rows]}
with_tools, without = summary([p[0] for p in pairs]), summary([p[1] for p in pairs])
result = {"benchmark": "tools", "tool": "wrk -t2", "connections": conns, "seconds_per_round": secs,
          "three_tools": with_tools, "no_tools": without,
          "throughput_ratio": round(with_tools["requests_per_s"] / without["requests_per_s"], 3),
          "per_round_ratios": [round(a[0] / b[0], 3) for a, b in pairs],
          "arguments_micros_per_call": {k: float(v) for k, v in (kv.split("=") for kv in micros.split(",") if kv)}}
json.dump(result, open(out, "w"), indent=2)
print(f"\n3 tools: {with_tools['requests_per_s']:.0f} req/s, no tools: {without['requests_per_s']:.0f} req/s;"
      f" ratio {result['throughput_ratio']} (per round {result['per_round_ratios']})")
print(f"one call's arguments, generated and validated: {result['arguments_micros_per_call']} µs")
print(f"written: {out}")
PY
