#!/usr/bin/env bash
# bench/vuln.sh - vulnerability matching figures (issue 4): feed load time,
# 1,000-package match latency, re-matching N stored reports.
# Usage: bench/vuln.sh [N_REPORTS] (default 10000). Builds build-db-bench (release).
set -eu
cd "$(dirname "$0")/.."
b=build-db-bench
[ -f $b/build.ninja ] || meson setup $b --buildtype=release >/dev/null
ninja -C $b tests/vuln/bench_vuln >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
./$b/tests/vuln/bench_vuln ../shared/feeds tests/vuln/data "$work" "${1:-10000}"
