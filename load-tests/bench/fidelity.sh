#!/usr/bin/env bash
# Timing fidelity of the harness: streams against the embedded reference server set to
# TTFT 200 ms and inter-token 20 ms; prints the measured medians and their distance from the
# configured values, and writes reports/bench/load-fidelity-<timestamp>.json.
# Usage: load-tests/bench/fidelity.sh [rate=10] [seconds=30]
set -euo pipefail
cd "$(dirname "$0")/../.."
RATE=${1:-10}; SECONDS_=${2:-30}
mvn -B -q -pl load-tests -am verify -DskipTests -Dspotless.check.skip=true \
  -Dload.simulations=org.chatglmkit.load.simulations.StreamingChatSimulation \
  -Dchatglm.load.profile=rate -Dchatglm.load.rate="$RATE" -Dchatglm.load.duration-s="$SECONDS_" \
  -Dchatglm.assert.p99-ttft-ms=1000000 | grep -E '^(===|TTFT|ITL|TPOT|E2EL|completed|report)' || true
SUMMARY=$(ls -td reports/load/streamingchatsimulation-*/ | head -1)summary.json
mkdir -p reports/bench
python3 - "$SUMMARY" <<'PY'
import json, sys, time
s = json.load(open(sys.argv[1]))
r = {"benchmark": "load-harness-timing-fidelity", "configured_ttft_ms": 200, "configured_itl_ms": 20,
     "completed": s["completed"], "failed": s["failed"],
     "median_ttft_ms": s["median_ttft_ms"], "p99_ttft_ms": s["p99_ttft_ms"],
     "median_itl_ms": s["median_itl_ms"], "p99_itl_ms": s["p99_itl_ms"],
     "median_ttft_error_ms": round(s["median_ttft_ms"] - 200, 2),
     "median_itl_error_ms": round(s["median_itl_ms"] - 20, 2), "summary": sys.argv[1]}
out = "reports/bench/load-fidelity-%s.json" % time.strftime("%Y%m%d-%H%M%S")
json.dump(r, open(out, "w"), indent=2)
print(f"median TTFT {r['median_ttft_ms']} ms ({r['median_ttft_error_ms']:+} vs 200), "
      f"median ITL {r['median_itl_ms']} ms ({r['median_itl_error_ms']:+} vs 20); {out}")
PY
