#!/usr/bin/env bash
# Non-streamed completions: the reference server against a plain WireMock static stub that serves
# the same body, with wrk at a fixed concurrency, alternating rounds. Prints the ratio; writes JSON.
# Usage: [JOURNAL=on] nonstream.sh [connections=32] [seconds=10] [rounds=3]
# JOURNAL=on runs both with their request journal on (the reference server's default, and stock
# WireMock's); by default both run with it off.
source "$(dirname "$0")/common.sh"
CONNECTIONS=${1:-32}
SECONDS_PER_RUN=${2:-10}
ROUNDS=${3:-3}
need_wrk

REF_PORT=$(free_port)
JOURNAL=${JOURNAL:-off}
REF_JOURNAL=$([ "$JOURNAL" = on ] || echo --no-request-journal)
STUB_JOURNAL=$([ "$JOURNAL" = on ] && echo journal || true)
java -Xmx1g -jar "$JAR" --port "$REF_PORT" $REF_JOURNAL --ttft-ms 0 --itl-ms 0 >"$OUT/nonstream-ref.log" 2>&1 &
PIDS+=($!)
wait_for "http://127.0.0.1:$REF_PORT/v1/models"

REQUEST='{"messages":[{"role":"user","content":"Say this message is from apigpt.cloud!"}],"temperature":0}'
BODY_FILE=$(mktemp)
curl -s "http://127.0.0.1:$REF_PORT/v1/chat/completions" -H "API-KEY: $KEY" \
  -H 'Content-Type: application/json' -d "$REQUEST" >"$BODY_FILE"

STUB_PORT=$(free_port)
java -Xmx1g -cp "$BENCH_CP" org.chatglmkit.mockserver.bench.StaticStubServer "$STUB_PORT" "$BODY_FILE" $STUB_JOURNAL \
  >"$OUT/nonstream-stub.log" 2>&1 &
PIDS+=($!)
wait_for "http://127.0.0.1:$STUB_PORT/"

LUA=$(mktemp --suffix=.lua)
cat >"$LUA" <<LUA
wrk.method = "POST"
wrk.body = '$REQUEST'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["API-KEY"] = "$KEY"
done = function(summary, latency, requests)
  io.write(string.format("RESULT %.1f %.3f %.3f %.3f %d %d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
LUA

run() { # run NAME PORT SECONDS -> prints "rps p50 p90 p99 status_errors socket_errors"
  wrk -t2 -c"$CONNECTIONS" -d"${3}s" -s "$LUA" "http://127.0.0.1:$2/v1/chat/completions" | awk '/^RESULT/ {print $2, $3, $4, $5, $6, $7}'
}

echo "warm-up (2 x 10 s each, so both JITs settle)"
for _ in 1 2; do run ref "$REF_PORT" 10 >/dev/null; run stub "$STUB_PORT" 10 >/dev/null; done

ref_results=(); stub_results=()
for round in $(seq 1 "$ROUNDS"); do
  r=$(run ref "$REF_PORT" "$SECONDS_PER_RUN"); s=$(run stub "$STUB_PORT" "$SECONDS_PER_RUN")
  echo "round $round: reference [$r]  static stub [$s]  (rps p50 p90 p99 ms, status errors, socket errors)"
  ref_results+=("$r"); stub_results+=("$s")
done

JOURNAL="$JOURNAL" python3 - "$OUT/nonstream-$STAMP.json" "$CONNECTIONS" "$SECONDS_PER_RUN" "${#ref_results[@]}" "${ref_results[@]}" "${stub_results[@]}" <<'PY'
import json, os, statistics, sys
out, conns, secs, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rows = [list(map(float, r.split())) for r in sys.argv[5:]]
ref, stub = rows[:n], rows[n:]
def summary(rs):
    return {"requests_per_s": statistics.median(r[0] for r in rs),
            "p50_ms": statistics.median(r[1] for r in rs), "p90_ms": statistics.median(r[2] for r in rs),
            "p99_ms": statistics.median(r[3] for r in rs),
            "status_errors": int(sum(r[4] for r in rs)), "socket_errors": int(sum(r[5] for r in rs)),
            "rounds": [r[0] for r in rs]}
result = {"benchmark": "nonstream", "tool": "wrk -t2", "connections": conns, "seconds_per_round": secs,
          "request_journal": os.environ.get("JOURNAL", "off"),
          "reference": summary(ref), "static_stub": summary(stub)}
result["throughput_ratio"] = round(result["reference"]["requests_per_s"] / result["static_stub"]["requests_per_s"], 3)
result["per_round_ratios"] = [round(a[0] / b[0], 3) for a, b in zip(ref, stub)]
json.dump(result, open(out, "w"), indent=2)
r, s = result["reference"], result["static_stub"]
print(f"\n{'server':<14}{'req/s':>10}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}{'errors':>8}")
for name, x in (("reference", r), ("static stub", s)):
    print(f"{name:<14}{x['requests_per_s']:>10.0f}{x['p50_ms']:>9.2f}{x['p90_ms']:>9.2f}{x['p99_ms']:>9.2f}{x['status_errors'] + x['socket_errors']:>8}")
print(f"request journal: {result['request_journal']}, on both servers")
print(f"throughput ratio reference/static stub: {result['throughput_ratio']} (per round {result['per_round_ratios']}; target >= 0.8)")
print(f"written: {out}")
PY
