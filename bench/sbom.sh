#!/usr/bin/env bash
# bench/sbom.sh - how long does `douane sbom` take on a ~500 MB multi-layer
# gzip image, against simply decompressing its layers (gzip -dc > /dev/null)
# in the same run; then a second, cached, run; and peak RSS of each.
#
# The image is built once (reused afterwards) from real files of this
# machine: its dpkg database and copyright files, /usr/lib/python3,
# /usr/bin, /usr/lib/gcc and part of /usr/share, as an OCI layout with
# five gzip layers.
#
# Usage: bench/sbom.sh [DOUANE_BIN]   (env BENCH_DIR, default /tmp/douane-bench)
set -eu
cd "$(dirname "$0")/.."
bin=${1:-${DOUANE_BIN:-build-core/src/cli/douane}}
dir=${BENCH_DIR:-/tmp/douane-bench}
oci=$dir/oci
[ -x "$bin" ] || { echo "bench: no douane binary at $bin (build it first)" >&2; exit 2; }

if [ ! -f "$oci/index.json" ]; then
  echo "bench: building the image in $oci (once)" >&2
  rm -rf "$dir" && mkdir -p "$oci/blobs/sha256" "$dir/layers"
  i=0
  for spec in "var/lib/dpkg usr/share/doc usr/lib/os-release etc/os-release" \
              "usr/bin" "usr/lib/gcc usr/lib/python3" "usr/share/locale usr/share/man usr/share/i18n" \
              "usr/share/icons usr/share/fonts usr/share/zoneinfo usr/share/perl"; do
    i=$((i + 1))
    # shellcheck disable=SC2086
    tar -C / --ignore-failed-read -cf - $spec 2>/dev/null | gzip -1 > "$dir/layers/$i.tar.gz" || true
  done
  /usr/bin/python3 - "$oci" "$dir/layers" <<'PY'
import hashlib, json, os, shutil, subprocess, sys
oci, lay = sys.argv[1], sys.argv[2]
def put(path_or_bytes):
    if isinstance(path_or_bytes, bytes):
        data = path_or_bytes; d = hashlib.sha256(data).hexdigest()
        open(os.path.join(oci, "blobs/sha256", d), "wb").write(data); return "sha256:" + d, len(data)
    h = hashlib.sha256()
    with open(path_or_bytes, "rb") as f:
        for c in iter(lambda: f.read(1 << 20), b""): h.update(c)
    d = h.hexdigest(); shutil.move(path_or_bytes, os.path.join(oci, "blobs/sha256", d))
    return "sha256:" + d, os.path.getsize(os.path.join(oci, "blobs/sha256", d))
layers = []
for n in sorted(os.listdir(lay), key=lambda s: int(s.split(".")[0])):
    d, s = put(os.path.join(lay, n))
    layers.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": d, "size": s})
cfg = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": []}}).encode()
cd, cs = put(cfg)
m = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cs},
                "layers": layers}).encode()
md, ms = put(m)
json.dump({"imageLayoutVersion": "1.0.0"}, open(os.path.join(oci, "oci-layout"), "w"))
json.dump({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
           "digest": md, "size": ms, "annotations": {"org.opencontainers.image.ref.name": "bench"}}]},
          open(os.path.join(oci, "index.json"), "w"))
PY
fi

layers=$(/usr/bin/python3 -c "
import json,sys
oci=sys.argv[1]; idx=json.load(open(oci+'/index.json'))
m=json.load(open(oci+'/blobs/sha256/'+idx['manifests'][0]['digest'][7:]))
print(' '.join(oci+'/blobs/sha256/'+l['digest'][7:] for l in m['layers']))" "$oci")
# shellcheck disable=SC2086
comp=$(du -cb $layers | tail -1 | cut -f1)
cache=$(mktemp -d)
trap 'rm -rf "$cache"' EXIT
sync

now() { date +%s.%N; }
# warm the page cache so both sides read from memory
# shellcheck disable=SC2086
cat $layers > /dev/null
# shellcheck disable=SC2086
for l in $layers; do gzip -dc "$l"; done | wc -c > "$cache/raw"     # size only, not timed
t0=$(now)
# shellcheck disable=SC2086
for l in $layers; do gzip -dc "$l" > /dev/null; done
t1=$(now)
/usr/bin/time -v -o "$cache/t1" "$bin" sbom "oci:$oci:bench" -q -f json --cache "$cache/c" > "$cache/r1.json"
t2=$(now)
/usr/bin/time -v -o "$cache/t2" "$bin" sbom "oci:$oci:bench" -q -f json --cache "$cache/c" > "$cache/r2.json"
t3=$(now)
rss() { awk -F': ' '/Maximum resident/ {print $2}' "$1"; }
cpu() { awk -F': ' '/User time|System time/ {s += $2} END {print s}' "$1"; }
/usr/bin/python3 - "$t0" "$t1" "$t2" "$t3" "$comp" "$(cat "$cache/raw")" "$(rss "$cache/t1")" "$(rss "$cache/t2")" \
   "$cache/r1.json" "$cache/r2.json" "$(cpu "$cache/t1")" "$(cpu "$cache/t2")" "$(cat /proc/loadavg)" <<'PY'
import json, sys
t0, t1, t2, t3 = map(float, sys.argv[1:5]); comp, raw = int(sys.argv[5]), int(sys.argv[6])
rss1, rss2 = int(sys.argv[7]), int(sys.argv[8])
r1, r2 = json.load(open(sys.argv[9])), json.load(open(sys.argv[10]))
cpu1, cpu2 = float(sys.argv[11]), float(sys.argv[12])
g, d, c = t1 - t0, t2 - t1, t3 - t2
print(f"image: {len(r1['layers'])} gzip layers, {comp/1e6:.0f} MB compressed, {raw/1e6:.0f} MB uncompressed; "
      f"{len(r1['packages'])} packages found")
print(f"gzip -dc layers > /dev/null : {g:7.3f} s")
print(f"douane sbom (cold, no cache): {d:7.3f} s   ratio {d/g:.2f}x  (limit 1.3x)  peak RSS {rss1/1024:.1f} MiB")
print(f"douane sbom (cached layers) : {c*1000:7.1f} ms  (limit 50 ms)          peak RSS {rss2/1024:.1f} MiB")
print(f"CPU time (user+sys): cold {cpu1:.2f} s, cached {cpu2*1000:.0f} ms (10 ms resolution); "
      f"load average at the end: {sys.argv[13].split()[0]}")
print("same report both runs:", r1 == r2)
PY
