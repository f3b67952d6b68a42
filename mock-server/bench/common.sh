# Shared by the benchmark scripts: paths, wrk install, server start and stop.
# shellcheck shell=bash
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
JAR="$ROOT/mock-server/target/chatglm-mock-server.jar"
OUT="$ROOT/reports/bench"
KEY=chatglm-dev-key
mkdir -p "$OUT"
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
PIDS=()
trap 'for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done' EXIT

# The benchmark programs live in the test classes, out of the server's jar.
BENCH_CP="$ROOT/mock-server/target/test-classes:$JAR"
[ -f "$JAR" ] && [ -d "$ROOT/mock-server/target/test-classes" ] ||
  { echo "build first: mvn -B -q package -DskipTests" >&2; exit 2; }

need_wrk() {
  command -v wrk >/dev/null && return
  echo "installing wrk from Debian" >&2
  apt-get update -qq >/dev/null && apt-get install -y -qq wrk >/dev/null
}

# native_bin NAME: the C program bench/NAME.c (the streaming floor and client), built if needed.
native_bin() {
  local bin="$ROOT/mock-server/target/bench-$1" source="$ROOT/mock-server/bench/$1.c"
  if [ ! -x "$bin" ] || [ "$source" -nt "$bin" ] || [ "$ROOT/mock-server/bench/bench.h" -nt "$bin" ]; then
    command -v gcc >/dev/null || {
      echo "installing gcc from Debian" >&2
      apt-get update -qq >/dev/null && apt-get install -y -qq gcc libc6-dev >/dev/null
    }
    gcc -O2 -Wall -o "$bin" "$source"
  fi
  echo "$bin"
}

# wait_for URL: polls until the server answers (any status), 30 s at most.
wait_for() {
  for _ in $(seq 1 150); do
    curl -s -o /dev/null "$1" && return 0
    sleep 0.2
  done
  echo "server at $1 did not start" >&2
  exit 2
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# wrk_script BODY: a wrk Lua script that posts BODY with the key and prints, at its end,
# "RESULT req/s p50 p90 p99 status-errors socket-errors" (latencies in ms).
wrk_script() {
  local file; file=$(mktemp --suffix=.lua)
  cat >"$file" <<LUA
wrk.method = "POST"
wrk.body = '$1'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["API-KEY"] = "$KEY"
done = function(summary, latency, requests)
  io.write(string.format("RESULT %.1f %.3f %.3f %.3f %d %d\\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
LUA
  echo "$file"
}

# wrk_result PORT SECONDS SCRIPT [CONNECTIONS=32]: "req/s p50 p90 p99 status-errors socket-errors"
wrk_result() {
  wrk -t2 -c"${4:-32}" -d"${2}s" -s "$3" "http://127.0.0.1:$1/v1/chat/completions" |
    awk '/^RESULT/ {print $2, $3, $4, $5, $6, $7}'
}
