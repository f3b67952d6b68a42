#!/usr/bin/env bash
# Trains the tiny SentencePiece model the DJL backend's tests use, from corpus.txt (English and
# Chinese sentences written for this project). Byte fallback keeps any UTF-8 text encodable, as
# ChatGLM's tokenizer does. Needs Debian's `sentencepiece` package (spm_train); the result is
# committed as src/main/resources/tokenizer/tokenizer.model (the generator puts it in every test
# checkpoint), so builds do not need spm_train.
# Usage: mock-server/djl/tokenizer/train.sh [vocab_size=1000]
set -euo pipefail
cd "$(dirname "$0")"
command -v spm_train >/dev/null || { echo "train.sh: install Debian's sentencepiece package (apt-get install sentencepiece)" >&2; exit 2; }
OUT=../src/main/resources/tokenizer
mkdir -p "$OUT"
spm_train --input=corpus.txt --model_prefix="$OUT/tokenizer" --vocab_size="${1:-1000}" \
  --model_type=bpe --character_coverage=1.0 --byte_fallback=true --split_digits=true \
  --normalization_rule_name=identity \
  --pad_id=-1 --unk_id=0 --bos_id=1 --eos_id=2 --random_seed=42 --num_threads=1 \
  --minloglevel=1
rm -f "$OUT/tokenizer.vocab"
ls -l "$OUT/tokenizer.model"
