/*
 * lang_test.h - helpers for the lang parser tests: a scan_file over a
 * memory buffer that hands out bytes in small chunks (so parsers meet
 * short reads at awkward boundaries), and test-data loading.
 */
#ifndef DOUANE_TESTS_SCAN_LANG_TEST_H
#define DOUANE_TESTS_SCAN_LANG_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "scan/lang/lang_int.h"
#include "util/err.h"

struct mem_reader {
        const unsigned char *p;
        size_t len, pos, chunk;
};

static inline ssize_t mem_read(void *ctx, void *buf, size_t n)
{
        struct mem_reader *m = ctx;
        size_t left = m->len - m->pos;
        if (n > left)
                n = left;
        if (m->chunk && n > m->chunk)
                n = m->chunk;
        memcpy(buf, m->p + m->pos, n);
        m->pos += n;
        return (ssize_t)n;
}

/* Read a whole test-data file (relative to tests/data/scan/lang). NULL if missing. */
static inline unsigned char *load_data(const char *rel, size_t *ret_len)
{
        char path[1024];
        snprintf(path, sizeof(path), "%s/scan/lang/%s", DOUANE_TEST_DATA, rel);
        FILE *fp = fopen(path, "rb");
        if (!fp)
                return NULL;
        fseek(fp, 0, SEEK_END);
        long n = ftell(fp);
        fseek(fp, 0, SEEK_SET);
        unsigned char *b = malloc((size_t)n + 1);
        if (b && fread(b, 1, (size_t)n, fp) != (size_t)n) {
                free(b);
                b = NULL;
        }
        fclose(fp);
        if (b) {
                b[n] = 0;
                *ret_len = (size_t)n;
        }
        return b;
}

/* Run lang_match + lang_parse on data as if found at image path ipath. */
static inline int run_lang(const char *ipath, unsigned mode, const void *data, size_t len,
                           size_t chunk, struct pkg_list *out)
{
        int id = lang_match(ipath, len, mode);
        if (id <= 0)
                return -1000;
        struct mem_reader m = { data, len, 0, chunk };
        struct scan_file f = { ipath, len, mode, "sha256:feed", mem_read, &m };
        return lang_parse(id, &f, out);
}

static inline const struct scan_pkg *find_pkg(const struct pkg_list *l, const char *name,
                                              const char *version)
{
        for (size_t i = 0; i < l->len; i++)
                if (strcmp(l->items[i].name, name) == 0 &&
                    (!version || (l->items[i].version && strcmp(l->items[i].version, version) == 0)))
                        return &l->items[i];
        return NULL;
}

#define REG_FILE (S_IFREG | 0644)
#define EXE_FILE (S_IFREG | 0755)

#endif
