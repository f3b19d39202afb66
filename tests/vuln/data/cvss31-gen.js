// Reference CVSS v3.1 base scores from ae-cvss-calculator 1.0.13 (npm) for every
// base-metric combination: the test vectors of tests/vuln/feeds.c.
const m = require('ae-cvss-calculator');
const V = { AV: 'NALP', AC: 'LH', PR: 'NLH', UI: 'NR', S: 'UC', C: 'HLN', I: 'HLN', A: 'HLN' };
const keys = Object.keys(V);
const out = [];
(function rec(i, parts) {
  if (i === keys.length) {
    const vec = 'CVSS:3.1/' + parts.join('/');
    const s = new m.Cvss3P1(vec).calculateScores().base;
    out.push(vec + '\t' + s.toFixed(1));
    return;
  }
  for (const c of V[keys[i]]) rec(i + 1, parts.concat(keys[i] + ':' + c));
})(0, []);
process.stdout.write('# vector\tbase score (ae-cvss-calculator 1.0.13)\n' + out.join('\n') + '\n');
