#!/usr/bin/env bash
# gen.sh - regenerate tests/data/vercmp/*.tsv from the reference tools.
#
#   tests/vuln/vercmp/gen/gen.sh [ECOSYSTEM...]     (default: all)
#
# Needs (Debian packages): dpkg, python3-rpm, python3-packaging, node-semver,
# maven (maven-artifact jar) + default-jdk-headless, golang-go +
# golang-golang-x-mod-dev, ruby. apk has no Debian package: its vectors come
# from ref_apk.py, a Python reimplementation of apk-tools' version.c.
# Pairs are drawn by pools.py (seeded) from real feed versions in
# ../shared/feeds, this machine's installed packages and synthetic traps.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${OUT:-$here/../../../data/vercmp}
N=${N:-6000}
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
py=/usr/bin/python3
export NODE_PATH=/usr/share/nodejs

gen() {
  local eco=$1; shift
  "$py" "$here/pools.py" "$eco" "$N" >"$tmp/$eco.pairs"
  "$@" <"$tmp/$eco.pairs" >"$tmp/$eco.tsv"
  [ "$(wc -l <"$tmp/$eco.pairs")" = "$(wc -l <"$tmp/$eco.tsv")" ] || { echo "$eco: line count mismatch" >&2; exit 1; }
  mv "$tmp/$eco.tsv" "$out/$eco.tsv"
  echo "$eco: $(wc -l <"$out/$eco.tsv") vectors"
}

maven_cmp() {
  local jar=/usr/share/maven/lib/maven-artifact-3.x.jar
  mkdir -p "$tmp/maven"
  javac -d "$tmp/maven" -cp "$jar" "$here/maven/MavenCmp.java"
  java -cp "$tmp/maven:$jar" MavenCmp
}

go_cmp() {
  mkdir -p "$tmp/go"
  (cd "$here/gocmp" && GOPATH=/usr/share/gocode GO111MODULE=off GOFLAGS= \
     go build -o "$tmp/go/gocmp" .)
  "$tmp/go/gocmp"
}

want=${*:-dpkg rpm apk semver pep440 maven go gem range}
for e in $want; do
  case $e in
    dpkg)   gen dpkg "$py" "$here/ref_dpkg.py" ;;
    rpm)    gen rpm "$py" "$here/ref_rpm.py" ;;
    apk)    gen apk "$py" "$here/ref_apk.py" ;;
    semver) gen semver node "$here/ref_semver.js" cmp ;;
    pep440) gen pep440 "$py" "$here/ref_pep440.py" ;;
    maven)  gen maven maven_cmp ;;
    go)     gen go go_cmp ;;
    gem)    gen gem ruby "$here/ref_gem.rb" ;;
    range)
      "$py" "$here/ranges.py" | node "$here/ref_semver.js" range >"$out/semver_range.tsv"
      echo "range: $(wc -l <"$out/semver_range.tsv") vectors" ;;
    *) echo "unknown ecosystem $e" >&2; exit 2 ;;
  esac
done
