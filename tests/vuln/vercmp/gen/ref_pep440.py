#!/usr/bin/python3
"""ref_pep440.py - answer "a<TAB>b" lines with Debian's python3-packaging
(packaging.version.Version, 23.0)."""
import sys
from packaging.version import Version, InvalidVersion

for l in sys.stdin:
    if "\t" not in l:
        continue
    a, b = l.rstrip("\n").split("\t")
    try:
        va, vb = Version(a), Version(b)
        res = "-1" if va < vb else ("1" if va > vb else "0")
    except InvalidVersion:
        res = "invalid"
    print(f"{a}\t{b}\t{res}")
