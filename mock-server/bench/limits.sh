#!/usr/bin/env bash
# What per-key limits cost: unstreamed completions/s of the reference server with limits on every
# request (requests, tokens and streams per key, so high that none is ever refused; one key, so
# every request takes the same key's lock) against the same server without limits, in the same
# run. Target: at least 0.9.
# Usage: limits.sh [connections=32] [seconds=10] [rounds=3]
NAME=limits A_LABEL="without limits" B_LABEL="with limits" \
  B_ARGS="--rpm 1000000000 --tpm 1000000000000 --max-streams 1000000" \
  CHECK_HEADER=x-ratelimit-remaining-requests TARGET=0.9 \
  exec "$(dirname "$0")/ab.sh" "$@"
