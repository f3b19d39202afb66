#!/usr/bin/env bash
# bench/sensor_rules.sh - rules throughput: generate a recorded event file of
# N events (default 1,000,000; realistic mix from 300 processes, host and a
# container) and replay it through Falco's stable rules + douane's rules.
#
# Measured in process CPU time (getrusage), not wall clock, so a busy shared
# machine does not distort it:
#   baseline = replay with an empty rules file (JSON decoding + table updates)
#   full     = replay with the rules (decoding + tables + evaluation + alerts)
#   eval     = full - baseline  -> events/s per core of the evaluation loop
# Usage: bench/sensor_rules.sh [N]   (BUILD_DIR=build-rules-rel, a release build)
set -eu
cd "$(dirname "$0")/.."
n=${1:-1000000}
build=${BUILD_DIR:-build-rules-rel}
if [ ! -f "$build/build.ninja" ]; then
  meson setup "$build" --buildtype=release >/dev/null
fi
ninja -C "$build" src/cli/douane >/dev/null
data=${BENCH_DATA:-/tmp/douane-sensor-bench-$n.jsonl}
[ -f "$data" ] || python3 bench/sensor_rules_gen.py "$n" "$data"
empty=$(mktemp); trap 'rm -f "$empty"' EXIT
echo "- required_engine_version: 0.57.0" >"$empty"
echo "events file: $data ($(wc -l <"$data") lines, $(du -h "$data" | cut -f1))"
cpu() { "$build/src/cli/douane" sensor "$@" --replay "$data" --stats -o /dev/null 2>&1 | tee /dev/stderr | sed -n 's/^cpu: \([0-9.]*\) s.*/\1/p'; }
best_base= best_full=
for run in 1 2 3; do
  b=$(cpu --rules "$empty" 2>/dev/null)
  f=$(cpu --rules ../shared/rules/falco_rules.yaml --rules rules/douane_rules.yaml 2>/dev/null)
  echo "run $run: baseline (decode+tables) ${b}s, full ${f}s"
  best_base=$(python3 -c "print(min(x for x in [$b, ${best_base:-1e9}]))")
  best_full=$(python3 -c "print(min(x for x in [$f, ${best_full:-1e9}]))")
done
"$build/src/cli/douane" sensor --rules ../shared/rules/falco_rules.yaml --rules rules/douane_rules.yaml \
  --replay "$data" --stats -o /dev/null 2>&1 | grep '^replay:'
python3 - "$n" "$best_base" "$best_full" <<'PY'
import sys
n, b, f = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
e = max(f - b, 1e-9)
print(f"decode+tables: {n/b:,.0f} events/s per core ({b:.2f} s CPU)")
print(f"rules evaluation (+alerts): {n/e:,.0f} events/s per core ({e:.2f} s CPU)")
print(f"end to end replay: {n/f:,.0f} events/s per core")
PY
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), single-threaded loop"
