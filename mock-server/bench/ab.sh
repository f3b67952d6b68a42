#!/usr/bin/env bash
# Two reference servers side by side, unstreamed: A and B differ by their jar (A_JAR, B_JAR; default
# this build's) or their options (A_ARGS, B_ARGS), and nothing else; wrk at a fixed concurrency,
# alternating rounds in the same run. Prints B's throughput over A's and writes JSON named NAME.
# limits.sh and versus.sh are this with their A and B.
# Usage: NAME=x A_LABEL=a B_LABEL=b [A_JAR=..] [B_JAR=..] [A_ARGS=..] [B_ARGS=..] [CHECK_HEADER=..]
#        [TARGET=0.9] ab.sh [connections=32] [seconds=10] [rounds=3]
source "$(dirname "$0")/common.sh"
: "${NAME:?}" "${A_LABEL:?}" "${B_LABEL:?}"
CONNECTIONS=${1:-32}
SECONDS_PER_RUN=${2:-10}
ROUNDS=${3:-3}
need_wrk

REQUEST='{"messages":[{"role":"user","content":"Say this message is from apigpt.cloud!"}],"temperature":0}'
LUA=$(wrk_script "$REQUEST")
run() { wrk_result "$1" "$2" "$LUA" "$CONNECTIONS"; }

start() {
  local port=$1 jar=$2; shift 2
  java -Xmx1g -jar "$jar" --port "$port" --no-request-journal --ttft 0 --itl 0 "$@" >"$OUT/$NAME-$port.log" 2>&1 &
  PIDS+=($!)
  wait_for "http://127.0.0.1:$port/v1/models"
}

# shellcheck disable=SC2086
A_PORT=$(free_port); start "$A_PORT" "${A_JAR:-$JAR}" ${A_ARGS:-}
# shellcheck disable=SC2086
B_PORT=$(free_port); start "$B_PORT" "${B_JAR:-$JAR}" ${B_ARGS:-}
if [ -n "${CHECK_HEADER:-}" ]; then
  # what B is to measure really runs: its answers carry the header
  curl -s -D - -o /dev/null "http://127.0.0.1:$B_PORT/v1/chat/completions" -H "API-KEY: $KEY" \
    -H 'Content-Type: application/json' -d "$REQUEST" | grep -qi "^$CHECK_HEADER" ||
    { echo "$B_LABEL sent no $CHECK_HEADER header" >&2; exit 1; }
fi

echo "warm-up (2 x 10 s each, so both JITs settle)"
for _ in 1 2; do run "$A_PORT" 10 >/dev/null; run "$B_PORT" 10 >/dev/null; done
ARGS=()
for round in $(seq 1 "$ROUNDS"); do
  a=$(run "$A_PORT" "$SECONDS_PER_RUN"); b=$(run "$B_PORT" "$SECONDS_PER_RUN")
  echo "round $round: $A_LABEL [$a]  $B_LABEL [$b]  (rps p50 p90 p99 ms, status errors, socket errors)"
  ARGS+=("$a|$b")
done

python3 - "$OUT/$NAME-$STAMP.json" "$CONNECTIONS" "$SECONDS_PER_RUN" "$NAME" "$A_LABEL" "$B_LABEL" "${TARGET:-0.9}" "${ARGS[@]}" <<'PY'
import json, statistics, sys
out, conns, secs, name, a_label, b_label, target = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6], float(sys.argv[7])
a_rows, b_rows = [], []
for arg in sys.argv[8:]:
    a, b = arg.split("|")
    a_rows.append(list(map(float, a.split()))); b_rows.append(list(map(float, b.split())))
def summary(rs):
    return {"requests_per_s": statistics.median(r[0] for r in rs), "p99_ms": statistics.median(r[3] for r in rs),
            "errors": int(sum(r[4] + r[5] for r in rs)), "rounds": [r[0] for r in rs]}
result = {"benchmark": name, "tool": "wrk -t2", "connections": conns, "seconds_per_round": secs,
          "a": dict(summary(a_rows), label=a_label), "b": dict(summary(b_rows), label=b_label)}
result["throughput_ratio"] = round(result["b"]["requests_per_s"] / result["a"]["requests_per_s"], 3)
result["per_round_ratios"] = [round(b[0] / a[0], 3) for a, b in zip(a_rows, b_rows)]
result["target"] = target
json.dump(result, open(out, "w"), indent=2)
for side in ("a", "b"):
    x = result[side]
    print(f"{x['label']:<28}{x['requests_per_s']:>10.0f} req/s  p99 {x['p99_ms']:.2f} ms  errors {x['errors']}")
print(f"throughput ratio {b_label} / {a_label}: {result['throughput_ratio']} (per round {result['per_round_ratios']}; target >= {target})")
print(f"written: {out}")
PY
