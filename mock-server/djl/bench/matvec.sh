#!/usr/bin/env bash
# How compact-weight products are computed, measured: one ChatGLM3-6B MLP matrix (13,696 × 4,096)
# times 1, 4 and 128 activation rows, in fp32 (PyTorch), with int8/fp16 blocks widened by PyTorch
# (several block sizes, row and column layouts), and with the Java kernels (scalar, Vector API),
# each against fp32 in the same run. Writes reports/bench/djl-matvec-<timestamp>.json.
# Usage: mock-server/djl/bench/matvec.sh
set -euo pipefail
cd "$(dirname "$0")/../../.."
# Built by the README's first command; built here (with the modules it needs) when it was not.
if [[ ! -f mock-server/djl/target/classpath.txt || ! -d mock-server/djl/target/test-classes ]]; then
  mvn -B -q package -DskipTests -Dspotless.check.skip=true -pl mock-server/djl -am
fi
mkdir -p reports/bench
OUT="reports/bench/djl-matvec-$(date -u +%Y%m%dT%H%M%SZ).json"
CP="mock-server/djl/target/test-classes:mock-server/djl/target/classes:$(cat mock-server/djl/target/classpath.txt)"
java --add-modules jdk.incubator.vector -Xmx3g -cp "$CP" org.chatglmkit.djl.MatVecBenchmark "$OUT" 2>&1 \
  | grep -v "^WARNING: Using incubator"
