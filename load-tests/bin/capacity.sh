#!/usr/bin/env bash
# Capacity search: steps the offered rate up and reports the highest step at which the SLOs held
# (table printed at the end; summary.json "capacity" and report.html under reports/load/).
# Usage: load-tests/bin/capacity.sh [simulation=StreamingChatSimulation] [start=2] [step=2] [steps=6] [step_s=15] [-Dmore=...]
# SLOs: -Dchatglm.slo.ttft-ms=500 -Dchatglm.slo.tpot-ms=50 -Dchatglm.slo.e2e-ms=5000 (any subset);
# target: -Dchatglm.target.url=... -Dchatglm.target.api-key=... (none: the embedded reference server).
set -euo pipefail
cd "$(dirname "$0")/../.."
SIM=${1:-StreamingChatSimulation}; START=${2:-2}; STEP=${3:-2}; STEPS=${4:-6}; STEP_S=${5:-15}
shift $(( $# < 5 ? $# : 5 ))
exec mvn -B -q -pl load-tests -am verify -DskipTests -Dspotless.check.skip=true \
  -Dload.simulations="org.chatglmkit.load.simulations.$SIM" \
  -Dchatglm.load.profile=steps -Dchatglm.load.rate="$START" -Dchatglm.load.step-rate="$STEP" \
  -Dchatglm.load.steps="$STEPS" -Dchatglm.load.duration-s="$STEP_S" \
  -Dchatglm.assert.error-rate=1 -Dchatglm.assert.p99-ttft-ms=1000000000 "$@"
