#!/usr/bin/env bash
# Gate wall time against a slow local target (2 s to the first token, 40 ms between tokens), at the
# default concurrency and, as the same-run baseline, one exchange at a time; then the time to the
# verdict against each misbehaving target with --timeout 5s. Prints a table, writes
# reports/bench/gate-time-<stamp>.json. Targets are on 127.0.0.1 only.
#
#   contract-tests/bench/gate-time.sh [TTFT_MS] [ITL_MS] [TIMEOUT_S]
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
source "$ROOT/mock-server/bench/common.sh"
TTFT=${1:-2000}
ITL=${2:-40}
TIMEOUT=${3:-5}
GATE="$ROOT/contract-tests/target/chatglm-conformance.jar"
[ -f "$GATE" ] || { echo "build first: mvn -B -q package -DskipTests" >&2; exit 2; }

# time_gate LABEL ARGS...: runs the gate, prints "seconds exit-code", keeps its stderr line.
time_gate() {
  local label=$1; shift
  local start end code
  start=$(date +%s.%N)
  set +e
  java -jar "$GATE" "$@" --report-dir "$OUT/gate-time-$label" >"$OUT/gate-time-$label.out" 2>"$OUT/gate-time-$label.err"
  code=$?
  set -e
  end=$(date +%s.%N)
  echo "$(echo "$end - $start" | bc -l) $code"
}

PORT=$(free_port)
java -jar "$JAR" --port "$PORT" --ttft "${TTFT}ms" --itl "${ITL}ms" --no-request-journal \
  --forbidden-key chatglm-dev-forbidden-key >/dev/null 2>&1 &
PIDS+=($!)
wait_for "http://127.0.0.1:$PORT/v1/models"
TARGET=(--target "http://127.0.0.1:$PORT" --api-key "$KEY" --forbidden-key chatglm-dev-forbidden-key)

read -r FAST FAST_CODE < <(time_gate slow-default "${TARGET[@]}")
read -r SERIAL SERIAL_CODE < <(time_gate slow-serial "${TARGET[@]}" --concurrency 1)
printf 'gate against a target with TTFT %s ms, ITL %s ms\n' "$TTFT" "$ITL"
printf '  %-22s %8.1f s  exit %s\n' "default concurrency" "$FAST" "$FAST_CODE" "concurrency 1" "$SERIAL" "$SERIAL_CODE"
RATIO=$(echo "$SERIAL / $FAST" | bc -l)
printf '  speed-up over one exchange at a time: %.2fx\n\n' "$RATIO"

# The misbehaving targets, from the test classes (the gate's jar carries their dependencies).
[ -d "$ROOT/contract-tests/target/test-classes" ] || { echo "build first: mvn -B -q package -DskipTests" >&2; exit 2; }
CP="$ROOT/contract-tests/target/test-classes:$GATE"
coproc TARGETS { exec java -cp "$CP" org.chatglmkit.conformance.targets.MisbehavingTargetsMain; }
PIDS+=("$TARGETS_PID")
ROWS=()
printf 'time to the verdict, --timeout %ss\n' "$TIMEOUT"
for _ in 1 2 3 4 5 6 7; do
  read -r NAME URL <&"${TARGETS[0]}"
  read -r SECONDS_TAKEN CODE < <(time_gate "$NAME" --target "$URL" --api-key sk-bench-0123456789 --timeout "$TIMEOUT")
  LINE=$(head -c 300 "$OUT/gate-time-$NAME.err" | tr '\n' ' ' | sed 's/"/\\"/g')
  printf '  %-18s %6.1f s  exit %s  %s\n' "$NAME" "$SECONDS_TAKEN" "$CODE" "$LINE"
  ROWS+=("{\"target\": \"$NAME\", \"seconds\": $SECONDS_TAKEN, \"exit\": $CODE, \"line\": \"$LINE\"}")
done

JSON="$OUT/gate-time-$STAMP.json"
{
  printf '{"ttft_ms": %s, "itl_ms": %s, "timeout_s": %s,\n' "$TTFT" "$ITL" "$TIMEOUT"
  printf ' "slow_target": {"default_concurrency_s": %s, "exit": %s, "concurrency_1_s": %s, "speedup": %s},\n' \
    "$FAST" "$FAST_CODE" "$SERIAL" "$RATIO"
  printf ' "misbehaving": [%s]}\n' "$(IFS=,; echo "${ROWS[*]}")"
} > "$JSON"
echo "wrote $JSON"
