#!/usr/bin/python3
"""ref_apk.py - a reference for Alpine version order, written in Python from
the semantics of apk-tools' src/version.c (2.14 / 3.x): apk-tools itself is
not packaged for Debian, so the apk vectors come from this reimplementation,
not from the apk binary. It is written independently of douane's C code
(regular expressions and tuples here, a token state machine there).

Grammar: digit{.digit}...{letter}{_suf{#}}...{~hash}{-r#}
"""
import re, sys

SUFFIX = {"alpha": 1, "beta": 2, "pre": 3, "rc": 4, "cvs": 6, "svn": 7, "git": 8, "hg": 9, "p": 10}
NONE = 5
# token kinds in apk's order; a longer version wins unless its next token is a pre-release suffix
INITIAL, DIGIT, LETTER, SUF, SUFNO, HASH, REV, END = range(8)

TOKEN = re.compile(r"\.(\d+)|(\d+)|([a-z])|_([a-z]*)|~([0-9a-f]+)|-r(\d+)")


def tokens(v):
    """List of (kind, value) or None when invalid."""
    m = re.match(r"\d+", v)
    if not m:
        return None
    out = [(INITIAL, m.group(0))]
    pos = m.end()
    prev = INITIAL
    while pos < len(v):
        m = TOKEN.match(v, pos)
        if not m:
            return None
        dot, dig, let, suf, hsh, rev = m.groups()
        if dot is not None:
            if prev > DIGIT:
                return None
            kind, val = DIGIT, dot
        elif dig is not None:
            if prev == SUF:
                kind = SUFNO
            else:
                return None          # digits only follow '.', the start, or a suffix
            val = dig
        elif let is not None:
            if prev > DIGIT:
                return None
            kind, val = LETTER, let
        elif suf is not None:
            if prev > SUFNO or suf not in SUFFIX:
                return None
            kind, val = SUF, SUFFIX[suf]
        elif hsh is not None:
            if prev >= HASH:
                return None
            kind, val = HASH, hsh
        else:
            if prev >= REV:
                return None
            kind, val = REV, rev
        out.append((kind, val))
        prev = kind
        pos = m.end()
    return out


def tok_cmp(kind, a, b):
    if kind == DIGIT and (a[0] == "0" or b[0] == "0"):
        return (a > b) - (a < b)
    if kind in (INITIAL, DIGIT, SUFNO, REV):
        return (int(a) > int(b)) - (int(a) < int(b))
    return (a > b) - (a < b)


def compare(a, b):
    ta, tb = tokens(a), tokens(b)
    if ta is None or tb is None:
        return None
    ta.append((END, None))
    tb.append((END, None))
    i = 0
    while ta[i][0] == tb[i][0] and ta[i][0] != END:
        c = tok_cmp(ta[i][0], ta[i][1], tb[i][1])
        if c:
            return c
        i += 1
    ka, va = ta[i]
    kb, vb = tb[i]
    if ka == kb:
        return 0
    if ka == SUF and va < NONE:
        return -1
    if kb == SUF and vb < NONE:
        return 1
    return -1 if ka > kb else 1


if __name__ == "__main__":
    for l in sys.stdin:
        if "\t" not in l:
            continue
        a, b = l.rstrip("\n").split("\t")
        c = compare(a, b)
        print(f"{a}\t{b}\t{'invalid' if c is None else c}")
