#!/usr/bin/env bash
# Merges the summary.json of several injectors (histograms added, counters summed).
# Usage: load-tests/bin/merge.sh OUT_DIR RUN_DIR_OR_SUMMARY [...]
# Needs a build first: mvn -B -q package -DskipTests
set -euo pipefail
cd "$(dirname "$0")/../.."
CP_FILE=load-tests/target/classpath.txt
if [[ ! -f "$CP_FILE" ]]; then
  echo "merge.sh: build first: mvn -B -q package -DskipTests" >&2
  exit 2
fi
exec java -cp "load-tests/target/classes:$(cat "$CP_FILE")" org.chatglmkit.load.Merge "$@"
