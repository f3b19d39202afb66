#!/usr/bin/env python3
"""Make a small fixture from a real Go binary: keep the ELF header (first
64 bytes) and the inline build info blob at its real offset, zero every
other byte, gzip the result. Usage: zero-except-buildinfo.py BIN OUT.gz"""
import gzip, sys

def uvarint(b, i):
    v = s = 0
    while True:
        c = b[i]; i += 1
        v |= (c & 0x7f) << s; s += 7
        if c < 0x80:
            return v, i

data = open(sys.argv[1], "rb").read()
magic = b"\xff Go buildinf:"
off = next(o for o in range(0, len(data), 16) if data[o:o + 14] == magic)
i = off + 32
for _ in range(2):
    n, i = uvarint(data, i)
    i += n
out = bytearray(len(data))
out[:64] = data[:64]
out[off:i] = data[off:i]
with gzip.GzipFile(sys.argv[2], "wb", mtime=0) as g:
    g.write(bytes(out))
