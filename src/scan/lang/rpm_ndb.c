/*
 * rpm_ndb.c - rpm's own "ndb" package database (Packages.db, SUSE's
 * default since rpm 4.16), read natively.
 *
 * Layout (all little-endian): a 32-byte header ("RpmP", version 0,
 * generation, slot page count, next package index); slot pages of 4096
 * bytes holding 16-byte slots ("Slot", pkgidx, blkoff, blkcnt; the first
 * two slot positions are the header); blobs at blkoff * 16, each a 16-byte
 * head ("BlbS", pkgidx, timestamp, length), the rpm header blob, and a
 * 12-byte tail (adler32, length, "BlbE"; the checksum is not verified:
 * a bad blob is caught by the header parser's own bounds). Every slot's block range must lie inside the file and
 * after the slot pages, and the blob must fit in its blocks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scan/lang/lang_int.h"
#include "util/err.h"

#define NDB_MAGIC 0x506d7052u           /* "RpmP" */
#define NDB_SLOT_MAGIC 0x746f6c53u      /* "Slot" */
#define NDB_BLOB_MAGIC 0x53626c42u      /* "BlbS" */
#define NDB_TAIL_MAGIC 0x45626c42u      /* "BlbE" */
#define NDB_PAGE 4096u
#define NDB_SLOT 16u
#define NDB_BLK 16u
#define NDB_HEAD 16u
#define NDB_TAIL 12u
#define NDB_MAX_SLOT_PAGES 4096u

static uint32_t le32(const uint8_t *p)
{
        return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int take_slot(const uint8_t *buf, size_t len, uint32_t slotpages, const uint8_t *s,
                     const struct scan_file *f, struct pkg_list *out)
{
        uint32_t pkgidx = le32(s + 4), blkoff = le32(s + 8), blkcnt = le32(s + 12);
        uint64_t start = (uint64_t)blkoff * NDB_BLK, size = (uint64_t)blkcnt * NDB_BLK;
        if (!pkgidx || blkoff < (uint64_t)slotpages * (NDB_PAGE / NDB_BLK) ||
            size < NDB_HEAD + NDB_TAIL || start + size > len)
                return dou_err_set(DOU_EINVAL, "%s: package %u has a bad slot", f->path, pkgidx);
        const uint8_t *b = buf + start;
        uint32_t blen = le32(b + 12);
        if (le32(b) != NDB_BLOB_MAGIC || le32(b + 4) != pkgidx ||
            (uint64_t)blen + NDB_HEAD + NDB_TAIL > size)
                return dou_err_set(DOU_EINVAL, "%s: package %u has a bad blob", f->path, pkgidx);
        const uint8_t *tail = b + size - NDB_TAIL;
        if (le32(tail + 4) != blen || le32(tail + 8) != NDB_TAIL_MAGIC)
                return dou_err_set(DOU_EINVAL, "%s: package %u has a bad blob tail", f->path, pkgidx);
        return lang__rpm_header_parse(b + NDB_HEAD, blen, f, out);
}

int lang__rpm_ndb_parse_buf(const uint8_t *buf, size_t len, const struct scan_file *f,
                            struct pkg_list *out)
{
        if (len < NDB_PAGE || le32(buf) != NDB_MAGIC)
                return dou_err_set(DOU_EINVAL, "%s: not an rpm ndb Packages.db", f->path);
        if (le32(buf + 4) != 0)
                return dou_err_set(DOU_EUNSUPPORTED, "%s: ndb version %u", f->path, le32(buf + 4));
        uint32_t slotpages = le32(buf + 12);
        if (slotpages == 0 || slotpages > NDB_MAX_SLOT_PAGES || (uint64_t)slotpages * NDB_PAGE > len)
                return dou_err_set(DOU_EINVAL, "%s: %u slot pages in a %zu-byte file", f->path,
                                   slotpages, len);
        int first_err = 0;
        size_t end = (size_t)slotpages * NDB_PAGE;
        for (size_t o = 2 * NDB_SLOT; o < end; o += NDB_SLOT) {
                const uint8_t *s = buf + o;
                if (le32(s) != NDB_SLOT_MAGIC) {
                        if (!first_err)
                                first_err = dou_err_set(DOU_EINVAL, "%s: bad slot magic at %zu",
                                                        f->path, o);
                        continue;
                }
                if (le32(s + 8) == 0)
                        continue;       /* free slot */
                int r = take_slot(buf, len, slotpages, s, f, out);
                if (r == DOU_ENOMEM || r == DOU_ETOOBIG)
                        return r;
                if (r < 0 && !first_err)
                        first_err = r;
        }
        return first_err;
}
