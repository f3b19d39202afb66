#!/usr/bin/python3
"""ranges.py - "range<TAB>version" pairs for the npm range vectors.

Ranges are built from every npm range form (comparators, hyphen ranges,
x-ranges, tilde, caret, ||) over a small grid of versions, plus odd
spacing and broken ranges; versions sit on and around each range's
boundaries, with and without pre-releases. Seeded: regeneration is stable.
"""
import random, sys

rng = random.Random(440)
BASE = ["0.0.0", "0.0.1", "0.0.3", "0.1.0", "0.2.3", "0.2.9", "1.0.0", "1.2.3", "1.2.4", "1.3.0",
        "1.9.9", "2.0.0", "2.3.4", "3.0.0", "10.2.0"]
PRE = ["-0", "-alpha", "-alpha.1", "-beta.2", "-rc.1", "-1"]
VERSIONS = sorted(set(BASE + [b + p for b in BASE for p in PRE] + ["v1.2.3", "1.2.3+build", "=1.2.3",
                                                                   "1.2", "01.2.3", "1.2.3-01"]))
PARTIAL = ["*", "x", "X", "1", "1.x", "1.2", "1.2.x", "1.2.*", "0", "0.x", "0.2", "0.0", "0.0.x",
           "2", "1.2.3", "0.2.3", "0.0.3", "1.2.3-beta.2", "0.0.3-alpha", "v1.2.3", "=1.2.3", "x.2.3",
           "1.x.3", "2.0.0-0", "1.2.3+build"]
OPS = ["", "=", "<", "<=", ">", ">=", "~", "~>", "^"]


def simple():
    op = rng.choice(OPS)
    sp = rng.choice(["", "", "", " "])
    return f"{op}{sp}{rng.choice(PARTIAL)}"


def rset():
    k = rng.choice([1, 1, 2, 2, 3])
    if rng.random() < 0.15:
        return f"{rng.choice(PARTIAL)} - {rng.choice(PARTIAL)}"
    return " ".join(simple() for _ in range(k))


def range_():
    n = rng.choice([1, 1, 1, 2, 3])
    return rng.choice([" || ", "||", " ||  "]).join(rset() for _ in range(n))


FIXED = ["^1.2.3", "^0.2.3", "^0.0.3", "^1.2.3-beta.2", "^0.0.3-beta", "^1.x", "^0.x", "^0.0.x", "^0.0",
         "~1.2.3", "~1.2", "~1", "~0.2.3", "~1.2.3-beta.2", "~> 1.2", "~>1.2.3", "1.2.3 - 2.3.4",
         "1.2 - 2.3.4", "1.2.3 - 2.3", "1.2.3 - 2", "* - 2", "1.x || >=2.5.0 || 5.0.0 - 7.2.3", "",
         "*", "x", ">=1.0.0 <2.0.0", ">= 1.0.0 < 2.0.0", "<1.0.0 || >=2.0.0", ">1.2.3-alpha.3",
         "* || 1.0.0-rc.1", ">*", "<*", ">=*", "<=*", ">=0.0.0", ">=1.2.3 <", "blah", "1.2.3 -",
         ">=1.2.3 <=1.2.3", "=1.2.3", "==1.2.3", "1.2.3 1.2.4", "<=1.2", ">1.2", "<1.2", ">=1.2",
         "^ 1.2.3", "~ 1.2.3", "< 1.2.3", ">  1.2.3", "1.2.3 - 2.3.4 || 3.x", "^1.2.3 || ^2.3.4",
         ">=1.2.3-alpha <1.2.3", "<1.2.3-rc", ">01.2.3", "^1.2.3-01", ">=99999999999999999999.0.0",
         "^9007199254740991.0.0", "~9007199254740991.1", "1.2.3.4", "v1.2.3 - v2.0.0", ">=v1.2.3",
         "1.2.3 -2.3.4", "1.2.3- 2.3.4", "||", "1.2.3 ||", "|| 1.2.3", ">1 <1", "<0.0.0-0",
         "^0.0.0", "~0.0.0", ">=1.0.0-0 <1.0.0", "1.2.x - 1.3.x"]


JUNK = ["<", ">", "=", "~", "^", "-", " ", "  ", "   ", "x", "*", "v", ".", "1", "0", "2.3", "|", "+b",
        "-rc.1", "||", " - "]


def wild():
    """Token soup: finds the corners of node's regular-expression pipeline."""
    return "".join(rng.choice(JUNK + PARTIAL + OPS) for _ in range(rng.randrange(1, 9)))


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 12000
    if len(sys.argv) > 2:
        rng.seed(int(sys.argv[2]))
    out = set()
    for r in FIXED:
        for v in VERSIONS:
            out.add((r, v))
    while len(out) < n * 3 // 4:
        out.add((range_(), rng.choice(VERSIONS)))
    while len(out) < n:
        out.add((wild(), rng.choice(VERSIONS)))
    for r, v in sorted(out):
        print(f"{r}\t{v}")


main()
