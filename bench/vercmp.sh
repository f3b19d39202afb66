#!/usr/bin/env bash
# bench/vercmp.sh - comparisons per second per ecosystem over the reference
# vectors (tests/data/vercmp), with a release build of lib_vercmp, plus the
# end-to-end throughput of "douane vercmp --batch" (one process, stdin).
#   bench/vercmp.sh            (build dir: build-vc-bench, BENCH_BUILD_DIR to change)
set -euo pipefail
cd "$(dirname "$0")/.."
b=${BENCH_BUILD_DIR:-build-vc-bench}
[ -f "$b/build.ninja" ] || meson setup "$b" --buildtype=release >/dev/null
ninja -C "$b" src/vuln/vercmp/libvercmp.a src/util/libutil.a src/cli/douane >/dev/null
cc -O2 -std=c17 -D_GNU_SOURCE -Isrc -I"$b" bench/vercmp_bench.c \
   "$b/src/vuln/vercmp/libvercmp.a" "$b/src/util/libutil.a" -lcrypto -lpthread -o "$b/vercmp_bench"
echo "== library (one thread, $(nproc) cores on this machine)"
"$b/vercmp_bench" tests/data/vercmp
echo "== douane vercmp --batch (process start + I/O included)"
for e in dpkg pep440 maven; do
  f=tests/data/vercmp/$e.tsv
  in=$(mktemp)
  for i in 1 2 3 4 5 6 7 8 9 10; do cut -f1,2 "$f"; done >"$in"
  lines=$(wc -l <"$in")
  t0=$(date +%s.%N)
  "$b/src/cli/douane" vercmp --batch "$e" <"$in" >/dev/null || true
  t1=$(date +%s.%N)
  awk -v n="$lines" -v a="$t0" -v b="$t1" -v e="$e" 'BEGIN { printf "%-8s %8d lines %12.0f lines/s\n", e, n, n / (b - a) }'
  rm -f "$in"
done
