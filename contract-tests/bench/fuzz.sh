#!/usr/bin/env bash
# Fuzzing's speed and reach: cases per second against the reference server (paced and unpaced),
# with the same client's plain request rate as the same-run baseline; then, for every planted bug
# of PlantedBugsIT, the cases until it is found over SEEDS seeds (median). Prints a table, writes
# reports/bench/fuzz-<stamp>.json. Everything runs on 127.0.0.1.
#
#   contract-tests/bench/fuzz.sh [CASES] [SEEDS]
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
GATE="$ROOT/contract-tests/target/chatglm-conformance.jar"
TESTS="$ROOT/contract-tests/target/test-classes"
[ -f "$GATE" ] && [ -d "$TESTS" ] ||
  { echo "build first: mvn -B -q package -DskipTests" >&2; exit 2; }
mkdir -p "$ROOT/reports/bench"
java -cp "$TESTS:$GATE" org.chatglmkit.conformance.broken.FuzzBench "${1:-1000}" "${2:-10}" "$ROOT/reports/bench"
