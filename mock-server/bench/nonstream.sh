#!/usr/bin/env bash
# Non-streamed completions: the reference server against a plain WireMock static stub that serves
# the same body, with wrk at a fixed concurrency, alternating rounds. Prints the throughput ratio
# with the request journal on (the reference server's default, and stock WireMock's) and off, and
# writes one JSON with both.
# Usage: [JOURNAL=on|off|both] nonstream.sh [connections=32] [seconds=10] [rounds=3]
# With the journal on, both journals are cleared (DELETE /__admin/requests) before every run: stock
# WireMock keeps every request, and within a minute of this load its 1 GB heap fills and it slows
# to a crawl, which would measure its garbage collector rather than its serving. The reference
# server keeps at most its last 10,000 requests either way.
source "$(dirname "$0")/common.sh"
CONNECTIONS=${1:-32}
SECONDS_PER_RUN=${2:-10}
ROUNDS=${3:-3}
MODES=${JOURNAL:-both}
[ "$MODES" = both ] && MODES="off on"
need_wrk

REQUEST='{"messages":[{"role":"user","content":"Say this message is from apigpt.cloud!"}],"temperature":0}'
LUA=$(wrk_script "$REQUEST")

# run PORT SECONDS JOURNAL -> prints "rps p50 p90 p99 status_errors socket_errors"
run() {
  [ "$3" = on ] && curl -s -o /dev/null -X DELETE "http://127.0.0.1:$1/__admin/requests"
  wrk_result "$1" "$2" "$LUA" "$CONNECTIONS"
}

ARGS=()
for mode in $MODES; do
  echo "== request journal $mode on both servers =="
  REF_PORT=$(free_port)
  REF_JOURNAL=$([ "$mode" = on ] || echo --no-request-journal)
  java -Xmx1g -jar "$JAR" --port "$REF_PORT" $REF_JOURNAL --ttft 0 --itl 0 >"$OUT/nonstream-ref.log" 2>&1 &
  REF_PID=$!; PIDS+=($REF_PID)
  wait_for "http://127.0.0.1:$REF_PORT/v1/models"
  BODY_FILE=$(mktemp)
  curl -s "http://127.0.0.1:$REF_PORT/v1/chat/completions" -H "API-KEY: $KEY" \
    -H 'Content-Type: application/json' -d "$REQUEST" >"$BODY_FILE"
  STUB_PORT=$(free_port)
  STUB_JOURNAL=$([ "$mode" = on ] && echo journal || true)
  java -Xmx1g -cp "$BENCH_CP" org.chatglmkit.mockserver.bench.StaticStubServer "$STUB_PORT" "$BODY_FILE" $STUB_JOURNAL \
    >"$OUT/nonstream-stub.log" 2>&1 &
  STUB_PID=$!; PIDS+=($STUB_PID)
  wait_for "http://127.0.0.1:$STUB_PORT/"

  echo "warm-up (2 x 10 s each, so both JITs settle)"
  for _ in 1 2; do run "$REF_PORT" 10 "$mode" >/dev/null; run "$STUB_PORT" 10 "$mode" >/dev/null; done
  for round in $(seq 1 "$ROUNDS"); do
    r=$(run "$REF_PORT" "$SECONDS_PER_RUN" "$mode"); s=$(run "$STUB_PORT" "$SECONDS_PER_RUN" "$mode")
    echo "round $round: reference [$r]  static stub [$s]  (rps p50 p90 p99 ms, status errors, socket errors)"
    ARGS+=("$mode|$r|$s")
  done
  kill "$REF_PID" "$STUB_PID" 2>/dev/null || true
  wait "$REF_PID" "$STUB_PID" 2>/dev/null || true
done

python3 - "$OUT/nonstream-$STAMP.json" "$CONNECTIONS" "$SECONDS_PER_RUN" "${ARGS[@]}" <<'PY'
import json, statistics, sys
out, conns, secs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rows = {}
for arg in sys.argv[4:]:
    mode, r, s = arg.split("|")
    rows.setdefault(mode, []).append((list(map(float, r.split())), list(map(float, s.split()))))
def summary(rs):
    return {"requests_per_s": statistics.median(r[0] for r in rs),
            "p50_ms": statistics.median(r[1] for r in rs), "p90_ms": statistics.median(r[2] for r in rs),
            "p99_ms": statistics.median(r[3] for r in rs),
            "status_errors": int(sum(r[4] for r in rs)), "socket_errors": int(sum(r[5] for r in rs)),
            "rounds": [r[0] for r in rs]}
targets = {"on": 0.8, "off": 1.0}
result = {"benchmark": "nonstream", "tool": "wrk -t2", "connections": conns, "seconds_per_round": secs}
for mode, pairs in rows.items():
    ref, stub = [p[0] for p in pairs], [p[1] for p in pairs]
    entry = {"reference": summary(ref), "static_stub": summary(stub)}
    entry["throughput_ratio"] = round(entry["reference"]["requests_per_s"] / entry["static_stub"]["requests_per_s"], 3)
    entry["per_round_ratios"] = [round(a[0] / b[0], 3) for a, b in zip(ref, stub)]
    entry["target"] = targets[mode]
    result["journal_" + mode] = entry
json.dump(result, open(out, "w"), indent=2)
print(f"\n{'journal':<9}{'server':<14}{'req/s':>10}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}{'errors':>8}")
for mode in rows:
    e = result["journal_" + mode]
    for name, x in (("reference", e["reference"]), ("static stub", e["static_stub"])):
        print(f"{mode:<9}{name:<14}{x['requests_per_s']:>10.0f}{x['p50_ms']:>9.2f}{x['p90_ms']:>9.2f}{x['p99_ms']:>9.2f}{x['status_errors'] + x['socket_errors']:>8}")
for mode in rows:
    e = result["journal_" + mode]
    print(f"journal {mode}: throughput ratio reference/static stub {e['throughput_ratio']} (per round {e['per_round_ratios']}; target >= {e['target']})")
print(f"written: {out}")
PY
