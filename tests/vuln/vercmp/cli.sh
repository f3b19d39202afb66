#!/usr/bin/env bash
# cli.sh DOUANE - "douane vercmp": single comparisons, --batch, --range,
# exit codes (0 ok, 2 usage, 4 invalid input). Speaks TAP.
set -u
bin=$1
n=0 fail=0
t() {   # t NAME WANT_EXIT WANT_STDOUT CMD...   (stdin from $IN if set)
  local name=$1 want_rc=$2 want_out=$3; shift 3
  n=$((n + 1))
  local out rc
  out=$(printf '%b' "${IN:-}" | "$@" 2>/tmp/vercmp-cli-err.$$); rc=$?
  if [ "$rc" = "$want_rc" ] && [ "$out" = "$(printf '%b' "$want_out")" ]; then
    echo "ok $n - $name"
  else
    echo "not ok $n - $name"
    echo "# exit $rc (want $want_rc), stdout:"; printf '%s\n' "$out" | sed 's/^/#   /'
    sed 's/^/#   stderr: /' /tmp/vercmp-cli-err.$$
    fail=$((fail + 1))
  fi
}
echo "1..18"
t "dpkg tilde"        0 "-1" "$bin" vercmp dpkg 1.0~rc1 1.0
t "dpkg backport"     0 "1"  "$bin" vercmp dpkg 2.36-9+deb12u4 2.36-9+deb12u3
t "equal"             0 "0"  "$bin" vercmp pep440 1.0 1.0.0
t "go pseudo"         0 "-1" "$bin" vercmp go v0.0.0-20191109021931-daa7c04131f5 v0.0.1
t "invalid exits 4"   4 ""   "$bin" vercmp semver 1.2 1.2.3
t "unknown eco"       2 ""   "$bin" vercmp npm 1.2.3 1.2.3
t "missing operand"   2 ""   "$bin" vercmp dpkg 1.0
t "bad option"        2 ""   "$bin" vercmp --nope dpkg 1 2
t "help"              0 "$("$bin" vercmp --help)" "$bin" vercmp -h
IN='1.0\t2.0\n2.0\t1.0\n1.0\t1.0\n' \
t "batch"             0 "-1\n1\n0" "$bin" vercmp --batch maven
IN='1.0\t2.0\nnotab\n1.0\t\n3\t2\n' \
t "batch bad lines"   4 "-1\nerror: line 2 has no TAB between the two versions\nerror: dpkg: empty version\n1" "$bin" vercmp --batch dpkg
IN='1.0\0x\t2.0\n1\t2\n' \
t "batch NUL byte"    4 "error: line 1 contains a NUL byte\n-1" "$bin" vercmp --batch dpkg
IN="$(head -c 3000 /dev/zero | tr '\0' 1)\t1\n1\t1\n" \
t "batch long line"   4 "error: line 1 longer than 576 bytes\n0" "$bin" vercmp --batch gem
IN='' \
t "batch empty"       0 "" "$bin" vercmp --batch rpm
t "batch extra arg"   2 ""   "$bin" vercmp --batch rpm 1 2
t "range yes"         0 "1"  "$bin" vercmp --range '>=1.2.3 <2 || ^3' 1.9.0
t "range no"          0 "0"  "$bin" vercmp --range '^1.2.3' 1.3.0-rc.1
t "range invalid"     4 ""   "$bin" vercmp --range '>=' 1.0.0
rm -f /tmp/vercmp-cli-err.$$
[ $fail = 0 ]
