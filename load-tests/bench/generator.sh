#!/usr/bin/env bash
# Load-generator capacity: the highest non-streamed request rate this suite drives from this
# machine against the reference server (no pacing), with and without per-response schema
# validation, in the same run. A step "holds" when 95% of its requests succeed within 50 ms.
# Writes reports/bench/load-generator-<timestamp>.json.
# Each run is a fresh JVM, so the first, low step warms it up; the server is warmed once before.
# Usage: load-tests/bench/generator.sh [start=500] [step=750] [steps=8] [step_s=8]
set -euo pipefail
cd "$(dirname "$0")/../.."
START=${1:-500}; STEP=${2:-750}; STEPS=${3:-8}; STEP_S=${4:-8}
PORT=18321
mvn -B -q package -DskipTests -Dspotless.check.skip=true
java -Xmx1g -jar mock-server/target/chatglm-mock-server.jar --port "$PORT" --no-request-journal \
  --ttft 0 --itl 0 >/tmp/generator-ref.log 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$PORT/v1/models" && break; sleep 0.2; done
echo "warming the server up (wrk, 10 s)"
command -v wrk >/dev/null || { sudo apt-get install -y wrk >/dev/null 2>&1 || apt-get install -y wrk >/dev/null; }
printf '%s' '{"messages":[{"role":"user","content":"warm up"}],"max_tokens":16}' >/tmp/generator-body.json
cat >/tmp/generator-post.lua <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["API-KEY"] = "chatglm-dev-key"
local f = io.open("/tmp/generator-body.json"); wrk.body = f:read("*a"); f:close()
LUA
wrk -t2 -c16 -d10s -s /tmp/generator-post.lua "http://127.0.0.1:$PORT/v1/chat/completions" >/dev/null
RUNS=()
for VALIDATE in true false; do
  mvn -B -q -pl load-tests -am verify -DskipTests -Dspotless.check.skip=true \
    -Dload.simulations=org.chatglmkit.load.simulations.ChatCompletionSimulation \
    -Dchatglm.target.url="http://127.0.0.1:$PORT" -Dchatglm.target.api-key=chatglm-dev-key \
    -Dchatglm.load.profile=steps -Dchatglm.load.rate="$START" -Dchatglm.load.step-rate="$STEP" \
    -Dchatglm.load.steps="$STEPS" -Dchatglm.load.duration-s="$STEP_S" -Dchatglm.load.max-tokens=16 \
    -Dchatglm.load.validate="$VALIDATE" -Dchatglm.slo.e2e-ms=50 \
    -Dchatglm.assert.error-rate=1 -Dchatglm.assert.p99-ttft-ms=1000000000 \
    | grep -E '^ *[0-9.]+ +[0-9]+ +[0-9]+ |^capacity' || true
  RUNS+=("$(ls -td reports/load/chatcompletionsimulation-*/ | head -1)summary.json")
done
mkdir -p reports/bench
python3 - "${RUNS[@]}" "$STEP_S" <<'PY'
import json, sys, time
on, off, step_s = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), float(sys.argv[3])
def best(s):
    steps = s["capacity"]["steps"]
    return {"max_rate_within_slo": s["capacity"]["max_rate_within_slo"],
            "steps": [{"offered": st["rate"], "achieved": round(st["completed"] / step_s, 1),
                       "failed": st["failed"], "good_share": st["goodShare"], "p99_e2e_ms": st["p99E2e"]} for st in steps]}
r = {"benchmark": "load-generator-capacity", "slo": "95% of requests ok within 50 ms",
     "with_validation": best(on), "without_validation": best(off),
     "checked_documents_with_validation": on["checked_documents"]}
a, b = r["with_validation"]["max_rate_within_slo"], r["without_validation"]["max_rate_within_slo"]
r["ratio_with_over_without"] = round(a / b, 3) if b else None
out = "reports/bench/load-generator-%s.json" % time.strftime("%Y%m%d-%H%M%S")
json.dump(r, open(out, "w"), indent=2)
print(f"highest rate within SLO: {a} req/s with validation, {b} req/s without; ratio {r['ratio_with_over_without']}; {out}")
PY
