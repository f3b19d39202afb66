#!/usr/bin/node
// ref_semver.js - answer lines with Debian's node-semver (7.3.5).
//   ref_semver.js cmp    : "a<TAB>b"         -> "a<TAB>b<TAB>-1|0|1|invalid"
//   ref_semver.js range  : "range<TAB>ver"   -> "range<TAB>ver<TAB>1|0|invalid"
// compare() throws on an invalid version; for ranges, new Range() throwing
// or an invalid version is "invalid" (satisfies() would answer false).
const semver = require('semver')  // NODE_PATH=/usr/share/nodejs (gen.sh sets it);
const mode = process.argv[2];
const lines = require('fs').readFileSync(0, 'utf8').split('\n');
const out = [];
for (const l of lines) {
  const i = l.indexOf('\t');
  if (i < 0) continue;
  const a = l.slice(0, i), b = l.slice(i + 1);
  let res;
  try {
    if (mode === 'range') {
      const r = new semver.Range(a);
      const v = new semver.SemVer(b);
      res = r.test(v) ? '1' : '0';
    } else {
      res = String(semver.compare(a, b));
    }
  } catch (e) {
    res = 'invalid';
  }
  out.push(`${a}\t${b}\t${res}`);
}
process.stdout.write(out.join('\n') + '\n');
