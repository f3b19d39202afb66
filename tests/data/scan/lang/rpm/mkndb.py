#!/usr/bin/env python3
"""Hand-build an rpm NDB Packages.db holding the given header blobs, laid
out as rpm's lib/backend/ndb/rpmpkg.c writes it (Debian's rpm is built
without the ndb backend, so no real one can be produced here):
header "RpmP" v0 + one 4096-byte slot page, blobs from block 256 with
head "BlbS"/pkgidx/timestamp/len, padding, tail adler32/len/"BlbE".
Usage: mkndb.py OUT HEADER..."""
import struct, sys, zlib

PAGE, BLK = 4096, 16
blobs = [open(p, "rb").read() for p in sys.argv[2:]]
slots = bytearray()
data = bytearray()
blkoff = PAGE // BLK
for idx, b in enumerate(blobs, 1):
    blkcnt = (16 + len(b) + 12 + BLK - 1) // BLK
    head = struct.pack("<4sIII", b"BlbS", idx, 1700000000, len(b))
    pad = blkcnt * BLK - (16 + len(b) + 12)
    body = head + b + b"\0" * pad
    adl = zlib.adler32(body)
    data += body + struct.pack("<II4s", adl, len(b), b"BlbE")
    slots += struct.pack("<4sIII", b"Slot", idx, blkoff, blkcnt)
    blkoff += blkcnt
page = bytearray(struct.pack("<4sIIII", b"RpmP", 0, len(blobs) + 1, 1, len(blobs) + 1).ljust(32, b"\0"))
page += slots
while len(page) < PAGE:
    page += struct.pack("<4sIII", b"Slot", 0, 0, 0)
open(sys.argv[1], "wb").write(bytes(page) + bytes(data))
