#!/usr/bin/python3
"""ref_rpm.py - answer "a<TAB>b" lines with librpm (python3-rpm, rpm 4.18).

rpm.ver(evr) parses [epoch:]version[-release] exactly as rpm does and
compares with rpmverCmp (rpmvercmp on epoch, version, and release when both
have one). rpm accepts an empty version or release; douane refuses those,
so such pairs are recorded "invalid".
"""
import sys
import rpm


def split(evr):
    """rpm's parseEVR: leading digits + ':' is the epoch, the last '-' after it ends the version."""
    i = 0
    while i < len(evr) and evr[i].isdigit():
        i += 1
    vstart = i + 1 if i < len(evr) and evr[i] == ":" else 0
    j = evr.rfind("-", i)
    if j >= 0:
        return evr[vstart:j], evr[j + 1:]
    return evr[vstart:], None


def answer(a, b):
    for x in (a, b):
        v, r = split(x)
        if v == "" or r == "":
            return "invalid"
    try:
        va, vb = rpm.ver(a), rpm.ver(b)
    except Exception:
        return "invalid"
    return "-1" if va < vb else ("1" if va > vb else "0")


for l in sys.stdin:
    if "\t" not in l:
        continue
    a, b = l.rstrip("\n").split("\t")
    print(f"{a}\t{b}\t{answer(a, b)}")
