#!/usr/bin/env bash
# The DJL server on a ChatGLM3-6B-shaped checkpoint (28 layers, hidden 4096, 32 heads of 128, 2 KV
# groups, ffn 13696, vocabulary padded to 65024, seq_length 8192, bf16 in 7 shards with
# model.safetensors.index.json; about 12.5 GB on disk, generated into DIR once and reused), started
# with --weights int8 and then fp16, and streamed to over HTTP: load time, peak RSS, prefill and
# decode tokens/s (1 stream, 4 batched), and the memory-bandwidth bound (a Java probe and, with a C
# compiler, bench/read-probe.c; the faster is the bound). Writes
# reports/bench/djl-full-size-<timestamp>.json.
#
# Usage: mock-server/djl/bench/full-size.sh DIR [decode-tokens]
#          the full size: minutes, about 13 GB of disk
#        mock-server/djl/bench/full-size.sh --small DIR [decode-tokens]
#          about 100M parameters, fp32 beside int8 and fp16; writes djl-small-<timestamp>.json
set -euo pipefail
PRESET=full
KINDS=int8,fp16
NAME=djl-full-size
# The per-token profile loads each model in this process, on the Java heap (fp16: 12.5 GB).
HEAP=14g
if [[ "${1:-}" == "--small" ]]; then
  PRESET=small
  KINDS=fp32,int8,fp16
  NAME=djl-small
  HEAP=2g
  shift
fi
if [[ $# -lt 1 ]]; then
  echo "usage: full-size.sh [--small] DIR [decode-tokens]" >&2
  exit 2
fi
DIR=$(realpath -m "$1")
cd "$(dirname "$0")/../../.."
# Built by the README's first command; built here (with the modules it needs) when it was not.
if [[ ! -f mock-server/djl/target/classpath.txt || ! -d mock-server/djl/target/test-classes ]]; then
  mvn -B -q package -DskipTests -Dspotless.check.skip=true -pl mock-server/djl -am
fi
mkdir -p reports/bench
OUT="reports/bench/$NAME-$(date -u +%Y%m%dT%H%M%SZ).json"
CP="mock-server/djl/target/test-classes:mock-server/djl/target/classes:$(cat mock-server/djl/target/classpath.txt)"
# The read bound is also measured without the JVM, by read-probe.c, where a C compiler is found
# (Debian: apt-get install gcc); without one, by the Java probe alone, and the run says so.
PROBE=()
if command -v cc >/dev/null; then
  cc -O2 -march=native -pthread -o mock-server/djl/target/read-probe mock-server/djl/bench/read-probe.c
  PROBE=(-Dchatglmkit.readProbe=mock-server/djl/target/read-probe)
fi
java --add-modules jdk.incubator.vector -Xmx$HEAP "${PROBE[@]}" -cp "$CP" org.chatglmkit.djl.bench.ServerBenchmark "$DIR" "$PRESET" "$KINDS" "$OUT" ${2:+"$2"}
