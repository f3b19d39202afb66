#!/usr/bin/env bash
# bench/auth.sh - registry token verifications per second through auth_check(),
# cold (a new token each time: one ES256 signature check) vs cached (the same
# token: a hash lookup). Builds build-bench (release) if needed.
#   usage: bench/auth.sh [N]     (N tokens for the cold run; default 20000)
set -eu
cd "$(dirname "$0")/.."
b=${BUILD_DIR:-build-bench}
[ -f "$b/build.ninja" ] || meson setup "$b" --buildtype=release >/dev/null
ninja -C "$b" tests/auth/bench_auth >/dev/null
"$b/tests/auth/bench_auth" "${1:-20000}"
