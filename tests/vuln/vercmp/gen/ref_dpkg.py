#!/usr/bin/python3
"""ref_dpkg.py - answer "a<TAB>b" lines with dpkg --compare-versions.

dpkg errors out on a bad version (exit 2) and only warns about characters
outside its grammar; douane refuses both, so either is recorded "invalid".
"""
import subprocess, sys
from concurrent.futures import ThreadPoolExecutor


def dpkg(a, op, b):
    r = subprocess.run(["dpkg", "--compare-versions", a, op, b], capture_output=True, text=True)
    bad = r.returncode > 1 or "invalid character" in r.stderr
    return r.returncode, bad


def answer(pair):
    a, b = pair
    rc, bad = dpkg(a, "lt", b)
    if bad:
        return "invalid"
    if rc == 0:
        return "-1"
    rc, bad = dpkg(a, "eq", b)
    return "0" if rc == 0 else "1"


pairs = [l.rstrip("\n").split("\t") for l in sys.stdin if "\t" in l]
with ThreadPoolExecutor(8) as ex:
    for (a, b), res in zip(pairs, ex.map(answer, pairs)):
        print(f"{a}\t{b}\t{res}")
