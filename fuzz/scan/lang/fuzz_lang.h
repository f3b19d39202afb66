/* fuzz_lang.h - shared bits of the lang fuzz targets: a scan_file over the input. */
#ifndef DOUANE_FUZZ_SCAN_LANG_H
#define DOUANE_FUZZ_SCAN_LANG_H

#include <stdint.h>
#include <string.h>

#include "scan/lang/lang_int.h"

struct fuzz_reader {
        const uint8_t *p;
        size_t len, pos;
};

static inline ssize_t fuzz_read(void *ctx, void *buf, size_t n)
{
        struct fuzz_reader *r = ctx;
        size_t left = r->len - r->pos;
        if (n > left)
                n = left;
        if (n > 4099)
                n = 4099;       /* odd short reads, like a real layer stream */
        memcpy(buf, r->p + r->pos, n);
        r->pos += n;
        return (ssize_t)n;
}

static inline void fuzz_run(int id, const char *path, const uint8_t *d, size_t n)
{
        struct fuzz_reader r = { d, n, 0 };
        struct scan_file f = { path, n, 0100755, "sha256:fuzz", fuzz_read, &r };
        struct pkg_list l = { 0 };
        (void)lang_parse(id, &f, &l);
        pkg_list_clear(&l);
}

#endif
