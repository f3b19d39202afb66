/*
 * rpm_bdb.c - the Berkeley DB hash file rpm < 4.16 kept its headers in
 * (/var/lib/rpm/Packages), read natively.
 *
 * Page 0 is the hash metadata page (magic 0x061561, page size, byte order
 * told by which way the magic reads). Every hash page (type 2 or 13)
 * holds key/data item pairs; the data item of a package is either inline
 * (H_KEYDATA) or, nearly always, off-page (H_OFFPAGE: first overflow page
 * and total length), whose chain of overflow pages (type 7) we follow.
 * The whole file is in memory (the caller bounds it); every page number,
 * item offset and chain length is checked, and a chain may not visit more
 * pages than the file has, so cycles end.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scan/lang/lang_int.h"
#include "util/err.h"

#define BDB_HASH_MAGIC 0x061561u
#define BDB_PAGE_HDR 26u
enum { P_HASH_UNSORTED = 2, P_OVERFLOW = 7, P_HASHMETA = 8, P_HASH = 13 };
enum { H_KEYDATA = 1, H_OFFPAGE = 3 };

struct bdb {
        const uint8_t *buf;
        size_t len;
        uint32_t pagesize, npages;
        bool swap;
};

static uint32_t rd32(const struct bdb *db, const uint8_t *p)
{
        uint32_t v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
        return db->swap ? __builtin_bswap32(v) : v;
}

static uint16_t rd16(const struct bdb *db, const uint8_t *p)
{
        uint16_t v = (uint16_t)(p[0] | p[1] << 8);
        return db->swap ? (uint16_t)__builtin_bswap16(v) : v;
}

static const uint8_t *page(const struct bdb *db, uint32_t no)
{
        return no < db->npages ? db->buf + (size_t)no * db->pagesize : NULL;
}

/* Concatenate the overflow chain starting at pgno into a fresh buffer of tlen bytes. */
static int read_overflow(const struct bdb *db, uint32_t pgno, uint32_t tlen, uint8_t **ret)
{
        if (tlen == 0 || tlen > LANG_MAX_BUFFER || tlen > (uint64_t)db->npages * db->pagesize)
                return dou_err_set(DOU_EINVAL, "overflow item of %u bytes", tlen);
        uint8_t *out = malloc(tlen);
        if (!out)
                return DOU_ENOMEM;
        uint32_t have = 0;
        for (uint32_t steps = 0; have < tlen; steps++) {
                const uint8_t *p = page(db, pgno);
                if (!p || steps >= db->npages || p[25] != P_OVERFLOW) {
                        free(out);
                        return dou_err_set(DOU_EINVAL, "broken overflow chain at page %u", pgno);
                }
                uint32_t n = rd16(db, p + 22);  /* hf_offset: bytes used on an overflow page */
                if (n > db->pagesize - BDB_PAGE_HDR || n > tlen - have) {
                        free(out);
                        return dou_err_set(DOU_EINVAL, "overflow page %u claims %u bytes", pgno, n);
                }
                memcpy(out + have, p + BDB_PAGE_HDR, n);
                have += n;
                if (have < tlen && n == 0) {
                        free(out);
                        return dou_err_set(DOU_EINVAL, "empty overflow page %u", pgno);
                }
                pgno = rd32(db, p + 16);        /* next_pgno */
        }
        *ret = out;
        return 0;
}

/* One data item (index i on page p): emit the header it holds. */
static int take_item(const struct bdb *db, const uint8_t *p, uint32_t pgno, uint16_t nent,
                     uint16_t i, const struct scan_file *f, struct pkg_list *out)
{
        uint32_t off = rd16(db, p + BDB_PAGE_HDR + 2u * i);
        uint32_t end = i == 0 ? db->pagesize : rd16(db, p + BDB_PAGE_HDR + 2u * (i - 1));
        uint32_t idx_end = BDB_PAGE_HDR + 2u * nent;
        if (off < idx_end || off >= db->pagesize || end > db->pagesize || end <= off)
                return dou_err_set(DOU_EINVAL, "%s: page %u item %u out of bounds", f->path, pgno, i);
        const uint8_t *it = p + off;
        if (it[0] == H_KEYDATA)
                return lang__rpm_header_parse(it + 1, end - off - 1, f, out);
        if (it[0] != H_OFFPAGE)
                return 0;       /* duplicates are not used by rpm */
        if (end - off < 12)
                return dou_err_set(DOU_EINVAL, "%s: page %u short off-page item", f->path, pgno);
        uint8_t *blob = NULL;
        uint32_t tlen = rd32(db, it + 8);
        int r = read_overflow(db, rd32(db, it + 4), tlen, &blob);
        if (r < 0) {
                char why[256];
                snprintf(why, sizeof(why), "%s", dou_err_msg());
                return dou_err_set(r, "%s: page %u: %s", f->path, pgno, why);
        }
        r = lang__rpm_header_parse(blob, tlen, f, out);
        free(blob);
        return r;
}

int lang__rpm_bdb_parse_buf(const uint8_t *buf, size_t len, const struct scan_file *f,
                            struct pkg_list *out)
{
        struct bdb db = { .buf = buf, .len = len };
        if (len < 512)
                return dou_err_set(DOU_EINVAL, "%s: too small for a Berkeley DB file", f->path);
        if (rd32(&db, buf + 12) != BDB_HASH_MAGIC) {
                db.swap = true;
                if (rd32(&db, buf + 12) != BDB_HASH_MAGIC)
                        return dou_err_set(DOU_EINVAL, "%s: not a Berkeley DB hash file", f->path);
        }
        db.pagesize = rd32(&db, buf + 20);
        if (db.pagesize < 512 || db.pagesize > 65536 || (db.pagesize & (db.pagesize - 1)))
                return dou_err_set(DOU_EINVAL, "%s: bad page size %u", f->path, db.pagesize);
        if (buf[24] != 0)
                return dou_err_set(DOU_EUNSUPPORTED, "%s: encrypted Berkeley DB", f->path);
        if (buf[25] != P_HASHMETA)
                return dou_err_set(DOU_EINVAL, "%s: first page is not hash metadata", f->path);
        db.npages = (uint32_t)(len / db.pagesize);

        int first_err = 0;
        for (uint32_t pg = 1; pg < db.npages; pg++) {
                const uint8_t *p = page(&db, pg);
                if (p[25] != P_HASH && p[25] != P_HASH_UNSORTED)
                        continue;
                uint16_t nent = rd16(&db, p + 20);
                if (BDB_PAGE_HDR + 2u * nent > db.pagesize) {
                        if (!first_err)
                                first_err = dou_err_set(DOU_EINVAL, "%s: page %u has %u entries",
                                                        f->path, pg, nent);
                        continue;
                }
                for (uint16_t i = 1; i < nent; i += 2) {
                        int r = take_item(&db, p, pg, nent, i, f, out);
                        if (r == DOU_ENOMEM || r == DOU_ETOOBIG)
                                return r;
                        if (r < 0 && !first_err)
                                first_err = r;
                }
        }
        return first_err;
}
