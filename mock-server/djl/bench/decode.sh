#!/usr/bin/env bash
# DJL model speed on a generated ChatGLM-shaped model of about 100M parameters, fp32 and bf16 on
# disk: prefill tokens/s, decode tokens/s for 1 and 4 concurrent streams, peak memory, and the
# memory-bandwidth bound (weight bytes per token against a measured copy bandwidth).
# Writes reports/bench/djl-decode-<timestamp>.json.
# Usage: mock-server/djl/bench/decode.sh [prompt=128] [tokens=32] [streams=4]
set -euo pipefail
cd "$(dirname "$0")/../../.."
mvn -B -q package -DskipTests -Dspotless.check.skip=true
CP="mock-server/djl/target/test-classes:mock-server/djl/target/classes:$(cat mock-server/djl/target/classpath.txt)"
mkdir -p reports/bench
OUT="reports/bench/djl-decode-$(date -u +%Y%m%dT%H%M%SZ).json"
echo "[" >"$OUT"
SEP=""
for DTYPE in F32 BF16; do
  DIR="/tmp/chatglm-100m-$DTYPE"
  LINE=$(java -Xmx6g -Dai.djl.offline=true -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$CP" \
    org.chatglmkit.djl.bench.DecodeBenchmark "$DIR" "$DTYPE" "${1:-128}" "${2:-32}" "${3:-4}" | tail -1)
  echo "$LINE"
  printf '%s%s\n' "$SEP" "$LINE" >>"$OUT"
  SEP=","
done
echo "]" >>"$OUT"
echo "written: $OUT"
