#!/usr/bin/env bash
# A Java base image built from this machine's own JDK, for building the images without a registry:
# a runtime made with jlink, the shared libraries it links against, fonts for the report charts,
# written as a `docker save` tarball that Jib takes as -Dimages.base=tar://PATH.
# Usage: deploy/base-image.sh [out=target/base-image.tar]
set -euo pipefail
OUT=${1:-target/base-image.tar}
mkdir -p "$(dirname "$OUT")"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
ROOT="$WORK/rootfs"
JAVA_HOME_=${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")}

"$JAVA_HOME_/bin/jlink" --add-modules ALL-MODULE-PATH --strip-debug --no-header-files \
  --no-man-pages --compress=2 --output "$ROOT/opt/java" 2>/dev/null

# The libraries the runtime links against, with their loader, from this machine.
{ find "$ROOT/opt/java" -name '*.so' -o -path '*/bin/*' -type f; } | while read -r f; do
  ldd "$f" 2>/dev/null | grep -o '/[^ ]*' || true
done | sort -u | while read -r lib; do
  [ -e "$lib" ] || continue
  mkdir -p "$ROOT$(dirname "$lib")"
  cp -L "$lib" "$ROOT$lib"
done
for dir in /usr/share/fonts/truetype/dejavu /etc/fonts; do
  [ -d "$dir" ] && mkdir -p "$ROOT$dir" && cp -rL "$dir/." "$ROOT$dir/"
done
mkdir -p "$ROOT/tmp" "$ROOT/work" "$ROOT/etc"
chmod 1777 "$ROOT/tmp"
echo 'root:x:0:0:root:/root:/bin/sh' >"$ROOT/etc/passwd"

python3 - "$ROOT" "$OUT" <<'PY'
import hashlib, io, json, os, sys, tarfile
root, out = sys.argv[1], sys.argv[2]
layer = io.BytesIO()
with tarfile.open(fileobj=layer, mode="w") as tar:
    for base, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(dirs) + sorted(files):
            path = os.path.join(base, name)
            info = tar.gettarinfo(path, arcname=os.path.relpath(path, root))
            info.uid = info.gid = 0
            info.uname = info.gname = "root"
            info.mtime = 0
            if info.isfile():
                with open(path, "rb") as f:
                    tar.addfile(info, f)
            else:
                tar.addfile(info)
data = layer.getvalue()
diff = "sha256:" + hashlib.sha256(data).hexdigest()
config = {"architecture": "amd64", "os": "linux",
          "config": {"Env": ["PATH=/opt/java/bin:/usr/bin:/bin", "JAVA_HOME=/opt/java"]},
          "rootfs": {"type": "layers", "diff_ids": [diff]}, "history": [{"created_by": "deploy/base-image.sh"}]}
config_bytes = json.dumps(config).encode()
config_name = hashlib.sha256(config_bytes).hexdigest() + ".json"
manifest = json.dumps([{"Config": config_name, "RepoTags": ["chatglmkit/base:local"], "Layers": ["layer.tar"]}]).encode()
with tarfile.open(out, "w") as tar:
    for name, content in (("layer.tar", data), (config_name, config_bytes), ("manifest.json", manifest)):
        info = tarfile.TarInfo(name)
        info.size = len(content)
        tar.addfile(info, io.BytesIO(content))
print(f"{out}: {len(data) / 1e6:.0f} MB layer, {diff[:19]}")
PY
