#!/usr/bin/env bash
# Writes a small ChatGLM-layout checkpoint with seeded random weights: config.json, safetensors and
# the project's tokenizer.model (the vocabulary is its 1000 pieces plus the format's special tokens).
# Usage: mock-server/djl/bin/generate-test-model.sh DIR [layers hidden heads kv groups ffn]
#          [--seq-length N] [--padded-vocab N] [--shards N] [--dtype F32|F16|BF16] [--format chatglm3|chatglm2] [--seed S]
# Needs a build first: mvn -B -q package -DskipTests
set -euo pipefail
cd "$(dirname "$0")/../../.."
CP_FILE=mock-server/djl/target/classpath.txt
if [[ ! -f "$CP_FILE" ]]; then
  echo "generate-test-model.sh: build first: mvn -B -q package -DskipTests" >&2
  exit 2
fi
exec java -cp "mock-server/djl/target/classes:$(cat "$CP_FILE")" org.chatglmkit.djl.TestModelGenerator "$@"
