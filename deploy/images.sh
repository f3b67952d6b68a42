#!/usr/bin/env bash
# Builds the four images with Jib (profile images) and runs them without a container engine: each
# image's layers are unpacked into a directory and its entrypoint run there with chroot (as root).
# Checks: every command answers --help; the reference-server image serves, two load-command
# injectors (the load image's own entrypoint, --injectors 2) drive it, and the load image's merge
# makes one summary whose counts are the sums and whose percentiles lie within the injectors'.
# Without a registry the base is deploy/base-image.sh's, made from this machine's JDK.
# Usage: deploy/images.sh [base=tar://target/images/base-image.tar, built when missing]
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=target/images
mkdir -p "$OUT"
BASE=${1:-}
if [ -z "$BASE" ]; then
  [ -f "$OUT/base-image.tar" ] || deploy/base-image.sh "$OUT/base-image.tar"
  BASE="tar://$PWD/$OUT/base-image.tar"
fi
START=$(date +%s)
mvn -B -q -Pimages package -DskipTests -Dspotless.check.skip=true -Dimages.base="$BASE"
echo "images built in $(( $(date +%s) - START )) s:"
for f in contract-tests/target/*-image.tar mock-server/target/*-image.tar \
  mock-server/djl/target/*-image.tar load-tests/target/*-image.tar; do
  printf '  %-52s %5d MB\n' "$f" $(( $(stat -c %s "$f") / 1000000 ))
done

ROOTS=()
cleanup() {
  [ -n "${SERVER_PID:-}" ] && kill "$SERVER_PID" 2>/dev/null || true
  for r in "${ROOTS[@]:-}"; do [ -n "$r" ] && umount "$r/proc" 2>/dev/null || true; done
}
trap cleanup EXIT

# unpack IMAGE_TAR DIR: the image's layers, in order, into DIR/root; its entrypoint in DIR/entrypoint
unpack() {
  local tarball=$1 dir=$2
  umount "$dir/root/proc" 2>/dev/null || true
  rm -rf "$dir" && mkdir -p "$dir/layers" "$dir/root"
  tar --warning=no-unknown-keyword -xf "$tarball" -C "$dir/layers"
  python3 - "$dir" <<'PY'
import json, os, subprocess, sys
d = sys.argv[1]
manifest = json.load(open(os.path.join(d, "layers", "manifest.json")))[0]
for layer in manifest["Layers"]:
    subprocess.run(["tar", "--warning=no-unknown-keyword", "-xf", os.path.join(d, "layers", layer), "-C", os.path.join(d, "root")], check=True)
config = json.load(open(os.path.join(d, "layers", manifest["Config"])))["config"]
open(os.path.join(d, "entrypoint"), "w").write(" ".join(config["Entrypoint"]))
PY
  mkdir -p "$dir/root/proc" "$dir/root/work" "$dir/root/dev"
  mount -t proc proc "$dir/root/proc"
  [ -e "$dir/root/dev/null" ] || mknod -m 666 "$dir/root/dev/null" c 1 3
  [ -e "$dir/root/dev/urandom" ] || mknod -m 666 "$dir/root/dev/urandom" c 1 9
  ROOTS+=("$dir/root")
}

# run DIR ARGS...: the image's entrypoint with ARGS (its "java" is the image's /opt/java/bin/java;
# the image has no shell, so paths given to it are absolute)
run() {
  local dir=$1; shift
  local entry
  read -r -a entry <"$dir/entrypoint" || true  # no newline at the end
  entry[0]=/opt/java/bin/java
  chroot "$dir/root" "${entry[@]}" "$@"
}

declare -A IMAGES=(
  [conformance]=contract-tests/target/chatglm-conformance-image.tar
  [server]=mock-server/target/chatglm-mock-server-image.tar
  [djl]=mock-server/djl/target/chatglm-djl-server-image.tar
  [load]=load-tests/target/chatglm-load-image.tar
)
for name in conformance server djl load; do
  unpack "${IMAGES[$name]}" "$OUT/$name"
  if run "$OUT/$name" --help >"$OUT/$name.help" 2>&1; then
    echo "  $name image: --help exits 0: $(grep -m1 -i usage "$OUT/$name.help" | cut -c1-60)"
  else
    echo "  $name image: --help FAILED"; cat "$OUT/$name.help"; exit 1
  fi
done

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
run "$OUT/server" --port "$PORT" >"$OUT/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 150); do curl -s -o /dev/null "http://127.0.0.1:$PORT/v1/models" && break; sleep 0.2; done

PIDS=()
for i in 0 1; do
  run "$OUT/load" --target "http://127.0.0.1:$PORT" --api-key chatglm-dev-key --load-profile rate \
    --rate 16 --duration 5s --injectors 2 --injector-index "$i" --report-dir "/work/injector-$i" \
    >"$OUT/injector-$i.log" 2>&1 &
  PIDS+=($!)
done
for p in "${PIDS[@]}"; do wait "$p" || { echo "an injector failed"; cat "$OUT"/injector-*.log; exit 1; }; done
SUMMARIES=$(cd "$OUT/load/root" && ls work/injector-*/*/summary.json | sed 's|^|/|')
# The merge is the load image's own Merge class.
# shellcheck disable=SC2086
chroot "$OUT/load/root" /opt/java/bin/java -cp @/app/jib-classpath-file org.chatglmkit.load.Merge \
  /work/merged $SUMMARIES >"$OUT/merge.log" 2>&1
# shellcheck disable=SC2086
python3 - "$OUT/load/root" $SUMMARIES <<'PY'
import json, sys
root, paths = sys.argv[1], sys.argv[2:]
parts = [json.load(open(root + p)) for p in paths]
merged = json.load(open(root + "/work/merged/summary.json"))
assert merged["completed"] == sum(p["completed"] for p in parts), "merged count is not the sum"
for figure in ("median_ttft_ms", "p99_ttft_ms", "median_itl_ms", "p99_e2el_ms"):
    values = [p[figure] for p in parts]
    assert min(values) - 0.01 <= merged[figure] <= max(values) + 0.01, figure
print(f"  two injectors from the load image: {[p['completed'] for p in parts]} streams, merged "
      f"{merged['completed']}; median TTFT {[p['median_ttft_ms'] for p in parts]} -> "
      f"{merged['median_ttft_ms']} ms, p99 {[p['p99_ttft_ms'] for p in parts]} -> {merged['p99_ttft_ms']} ms")
PY
echo "images: OK"
