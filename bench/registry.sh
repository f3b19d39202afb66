#!/usr/bin/env bash
# bench/registry.sh - douane's registry side by side with Debian's
# docker-registry (CNCF distribution 2.8.2) and nginx serving the same bytes
# as static files, in one run, on loopback only, stopping by itself.
#
# Measures (wrk 4.1 for GETs; it cannot time HEAD, so HEAD is not measured):
#   manifest GET by tag, 64 connections, DURATION s        (req/s)
#   1 MiB blob GET, 16 connections                          (req/s, MB/s)
#   100 MiB blob GET, 4 connections                         (MB/s)
#   monolithic 100 MiB push (POST + PUT, curl -T), best of PUSHES   (MB/s)
#     + the server's peak RSS during the pushes (VmHWM, reset first)
#   10 concurrent clients pushing the same image            (s, errors)
#   openssl speed -evp sha256 (16 KiB blocks): the hashing bound
# and prints one table: each figure per server, douane/docker-registry and
# douane/nginx ratios.  Not part of tests/run.
#
#   _catalog with CATALOG_REPOS repositories (created by blob mounts): page
#     latency (n=100&last=...) and one unpaginated GET; douane only unless
#     CATALOG_REGISTRY=1 (docker-registry walks its filesystem: slow to fill)
# Env: DOUANE_BIN (default: builds build-bench with --buildtype=release),
#      DURATION (10), PUSHES (3), THREADS (nproc), CATALOG_REPOS (100000),
#      KEEP=1 keeps the temp dir.  CATALOG_REPOS=0 skips the catalog part
#      (100k repositories take minutes to create through the API).
set -u
cd "$(dirname "$0")/.."
root=$PWD
DURATION=${DURATION:-10}
PUSHES=${PUSHES:-3}
CATALOG_REPOS=${CATALOG_REPOS:-100000}
THREADS=${THREADS:-$(nproc)}
tmp=$(mktemp -d /tmp/douane-bench.XXXXXX)
chmod 755 "$tmp"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  sleep 0.5
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
  [ "${KEEP:-0}" = 1 ] && echo "kept $tmp" || rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

need() { command -v "$1" >/dev/null || { echo "bench: $1 missing (apt-get install $2)" >&2; exit 2; }; }
need wrk wrk; need docker-registry docker-registry; need nginx nginx-light; need curl curl; need openssl openssl

free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
wait_up() { for _ in $(seq 200); do curl -fs -o /dev/null "$1/v2/" && return 0; sleep 0.05; done; echo "bench: $1 not up" >&2; return 1; }
res() { echo "$1=$2" >>"$tmp/results"; }

# ---------------------------------------------------------------- douane
douane=${DOUANE_BIN:-}
if [ -z "$douane" ]; then
  if [ ! -f build-bench/build.ninja ]; then meson setup build-bench --buildtype=release -Db_ndebug=true >/dev/null || true; fi
  ninja -C build-bench >"$tmp/build.log" 2>&1 || echo "bench: release build failed (see build-bench)" >&2
  douane=$root/build-bench/src/cli/douane
fi
have_douane=0
if [ -x "$douane" ] && "$douane" serve --help >/dev/null 2>&1; then have_douane=1; fi

servers=(registry nginx)
[ $have_douane = 1 ] && servers=(douane registry nginx)

echo "# generating test image (1 MiB + 100 MiB layers) in $tmp" >&2
python3 bench/registry_load.py image "$tmp/img" >"$tmp/img.keys"
. "$tmp/img.keys"   # small= big= manifest=

# ---------------------------------------------------------------- start servers
p_reg=$(free_port)
mkdir -p "$tmp/reg"
cat >"$tmp/reg.yml" <<EOF
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $tmp/reg
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$p_reg
EOF
docker-registry serve "$tmp/reg.yml" >"$tmp/reg.log" 2>&1 &
pids+=($!); pid_registry=$!
url_registry=http://127.0.0.1:$p_reg

p_ngx=$(free_port)
mkdir -p "$tmp/www" "$tmp/ngx"
python3 bench/registry_load.py static "$tmp/img" "$tmp/www" bench
cat >"$tmp/nginx.conf" <<EOF
worker_processes $THREADS;
pid $tmp/ngx/nginx.pid;
error_log $tmp/ngx/error.log;
daemon off;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on; tcp_nopush on; tcp_nodelay on;
  keepalive_requests 1000000;
  client_body_temp_path $tmp/ngx/cb; proxy_temp_path $tmp/ngx/px;
  fastcgi_temp_path $tmp/ngx/fc; uwsgi_temp_path $tmp/ngx/uw; scgi_temp_path $tmp/ngx/sc;
  types { }
  server {
    listen 127.0.0.1:$p_ngx;
    root $tmp/www;
    location = /v2/ { default_type application/json; return 200 "{}"; }
    location /v2/bench/manifests/ { default_type application/vnd.oci.image.manifest.v1+json; }
    location /v2/bench/blobs/ { default_type application/octet-stream; }
  }
}
EOF
nginx -c "$tmp/nginx.conf" >"$tmp/ngx.log" 2>&1 &
pids+=($!)
url_nginx=http://127.0.0.1:$p_ngx

if [ $have_douane = 1 ]; then
  p_dou=$(free_port)
  "$douane" serve --listen 127.0.0.1:$p_dou --data "$tmp/douane" >"$tmp/douane.log" 2>&1 &
  pids+=($!); pid_douane=$!
  url_douane=http://127.0.0.1:$p_dou
fi
for s in "${servers[@]}"; do v=url_$s; wait_up "${!v}" || exit 1; done

for s in "${servers[@]}"; do
  [ $s = nginx ] && continue
  v=url_$s
  python3 bench/registry_load.py push "${!v}" bench "$tmp/img" || { echo "bench: push to $s failed" >&2; exit 1; }
done
# sanity: every server returns the same bytes
for s in "${servers[@]}"; do
  v=url_$s
  got=$(curl -fs -H "Accept: application/vnd.oci.image.manifest.v1+json" "${!v}/v2/bench/manifests/latest" | sha256sum | cut -d' ' -f1)
  [ "sha256:$got" = "$manifest" ] || { echo "bench: $s serves a different manifest" >&2; exit 1; }
done

# ---------------------------------------------------------------- wrk
wrk_run() {  # server conns path -> "req/s MB/s non2xx"
  local v=url_$1 out
  out=$(wrk -t"$THREADS" -c"$2" -d"${DURATION}s" --latency \
        -H "Accept: application/vnd.oci.image.manifest.v1+json" "${!v}$3" 2>&1)
  echo "$out" >>"$tmp/wrk.log"
  echo "$out" | python3 -c '
import re,sys
t=sys.stdin.read()
rps=re.search(r"Requests/sec:\s*([\d.]+)",t); tr=re.search(r"Transfer/sec:\s*([\d.]+)(\w+)",t)
err=re.search(r"Non-2xx or 3xx responses:\s*(\d+)",t)
mult={"B":1,"KB":1024,"MB":1024**2,"GB":1024**3}
mbs=float(tr.group(1))*mult.get(tr.group(2),1)/1e6 if tr else 0
print(f"{float(rps.group(1)) if rps else 0:.0f} {mbs:.0f} {err.group(1) if err else 0}")'
}
for s in "${servers[@]}"; do
  echo "# wrk against $s" >&2
  read -r rps mbs bad < <(wrk_run $s 64 /v2/bench/manifests/latest); res "manifest_rps_$s" "$rps"; res "manifest_bad_$s" "$bad"
  read -r rps mbs bad < <(wrk_run $s 16 "/v2/bench/blobs/$small"); res "blob1m_rps_$s" "$rps"; res "blob1m_MBps_$s" "$mbs"; res "blob1m_bad_$s" "$bad"
  read -r rps mbs bad < <(wrk_run $s 4 "/v2/bench/blobs/$big"); res "blob100m_MBps_$s" "$mbs"; res "blob100m_bad_$s" "$bad"
done

# ---------------------------------------------------------------- pushes
for s in "${servers[@]}"; do
  [ $s = nginx ] && continue
  echo "# pushes against $s" >&2
  v=url_$s; p=pid_$s
  TMPDIR=$tmp python3 bench/registry_load.py push100 "${!v}" push100 "${!p}" "$PUSHES" | while IFS== read -r k val; do res "${k}_$s" "$val"; done
  python3 bench/registry_load.py image "$tmp/img10" >"$tmp/img10.keys"
  python3 bench/registry_load.py concurrent "${!v}" conc "$tmp/img10" 10 | while IFS== read -r k val; do res "${k}_$s" "$val"; done
  # stored copies of the concurrently pushed 100 MiB layer, whatever the store layout
  want=$(sed -n 's/^big=sha256://p' "$tmp/img10.keys")
  dir=$tmp/reg; [ $s = douane ] && dir=$tmp/douane
  res "copies_100m_$s" "$(find "$dir" -type f -size 102400k -exec sha256sum {} + | grep -c "^$want ")"
  rm -rf "$tmp/img10"
done

# _catalog with many repositories (douane; docker-registry too with CATALOG_REGISTRY=1)
for s in "${servers[@]}"; do
  [ $s = nginx ] && continue
  [ $s = registry ] && [ "${CATALOG_REGISTRY:-0}" != 1 ] && continue
  [ "$CATALOG_REPOS" -gt 0 ] || continue
  echo "# filling $CATALOG_REPOS repositories in $s" >&2
  v=url_$s
  python3 bench/registry_load.py catalog "${!v}" "$CATALOG_REPOS" 8 | while IFS== read -r k val; do res "${k}_$s" "$val"; done
done

sha_kBps=$(openssl speed -evp sha256 -seconds 2 2>/dev/null | awk '/^sha256/ {v=$NF} END {sub("k","",v); print v}')
res sha256_MBps "$(python3 -c "print(round(float('${sha_kBps:-0}')*1000/1e6))")"

# ---------------------------------------------------------------- table
python3 - "$tmp/results" "$have_douane" <<'PY'
import sys
r = {}
for line in open(sys.argv[1]):
    k, _, v = line.strip().partition("=")
    r[k] = v
has_d = sys.argv[2] == "1"
def f(k):
    try: return float(r[k])
    except (KeyError, ValueError): return None
rows = [("manifest GET tag, 64c (req/s)", "manifest_rps"),
        ("blob GET 1 MiB, 16c (req/s)", "blob1m_rps"),
        ("blob GET 1 MiB, 16c (MB/s)", "blob1m_MBps"),
        ("blob GET 100 MiB, 4c (MB/s)", "blob100m_MBps"),
        ("push 100 MiB monolithic (MB/s)", "push_MBps"),
        ("peak RSS during push (MiB)", "peak_rss_kB"),
        ("10 concurrent pushes (s)", "concurrent_seconds"),
        ("10 concurrent pushes: errors", "concurrent_errors"),
        ("stored copies of a 100 MiB blob", "copies_100m"),
        ("catalog: repositories", "catalog_repos"),
        ("catalog: repo creations (mount)/s", "catalog_fill_per_s"),
        ("catalog page n=100 p50 (ms)", "catalog_page_ms_p50"),
        ("catalog page n=100 max (ms)", "catalog_page_ms_max"),
        ("catalog full GET (ms)", "catalog_full_ms"),
        ("catalog full GET: entries", "catalog_full_count")]
def cell(v, k):
    if v is None: return "-"
    if k == "peak_rss_kB": return f"{v/1024:.0f}"
    return f"{v:.2f}" if k == "concurrent_seconds" or "_ms" in k else f"{v:.0f}"
hdr = f"{'figure':34} {'douane':>9} {'registry':>9} {'nginx':>9} {'d/reg':>7} {'d/nginx':>7}"
print(hdr); print("-" * len(hdr))
for label, k in rows:
    d, g, n = f(f"{k}_douane"), f(f"{k}_registry"), f(f"{k}_nginx")
    ratio = lambda a, b: f"{a/b:.2f}" if a is not None and b else "-"
    print(f"{label:34} {cell(d,k):>9} {cell(g,k):>9} {cell(n,k):>9} {ratio(d,g):>7} {ratio(d,n):>7}")
import os
print(f"\nload average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (figures are noisy when loaded)")
print(f"openssl sha256 (16 KiB blocks): {r.get('sha256_MBps','?')} MB/s  (hashing bound for pushes)")
bad = {k: v for k, v in r.items() if "_bad_" in k and v not in ("0", "")}
if bad: print("non-2xx responses during wrk runs:", bad)
if not has_d: print("douane: not measured (binary has no 'serve' yet)")
PY
