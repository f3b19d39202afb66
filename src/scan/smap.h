/*
 * smap.h - a small string-keyed hash map (open addressing, later put
 * wins) for the merge and the report writers. Keys and values are
 * borrowed: the map owns only its arrays. Internal to src/scan.
 */
#ifndef DOUANE_SCAN_SMAP_H
#define DOUANE_SCAN_SMAP_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"

/* --- a small string-keyed hash map (open addressing) --- */
struct smap {
        const char **k;
        const void **v;
        size_t cap, n;
};

static inline uint64_t smap_hash(const char *s)
{
        uint64_t h = 1469598103934665603ull;

        for (; *s; s++)
                h = (h ^ (unsigned char)*s) * 1099511628211ull;
        return h;
}

static inline int smap_put(struct smap *m, const char *k, const void *v)
{
        size_t i;

        if ((m->n + 1) * 2 > m->cap) {
                struct smap n = { .cap = m->cap ? m->cap * 2 : 64 };

                n.k = calloc(n.cap, sizeof(*n.k));
                n.v = calloc(n.cap, sizeof(*n.v));
                if (!n.k || !n.v) {
                        free(n.k);
                        free(n.v);
                        return DOU_ENOMEM;
                }
                for (size_t j = 0; j < m->cap; j++)
                        if (m->k[j])
                                smap_put(&n, m->k[j], m->v[j]);
                free(m->k);
                free(m->v);
                *m = n;
        }
        for (i = smap_hash(k) & (m->cap - 1); m->k[i]; i = (i + 1) & (m->cap - 1))
                if (!strcmp(m->k[i], k)) {
                        m->v[i] = v;    /* later wins */
                        return 0;
                }
        m->k[i] = k;
        m->v[i] = v;
        m->n++;
        return 0;
}

static inline const void *smap_get(const struct smap *m, const char *k)
{
        if (!m->cap)
                return NULL;
        for (size_t i = smap_hash(k) & (m->cap - 1); m->k[i]; i = (i + 1) & (m->cap - 1))
                if (!strcmp(m->k[i], k))
                        return m->v[i];
        return NULL;
}

static inline void smap_free(struct smap *m)
{
        free(m->k);
        free(m->v);
        memset(m, 0, sizeof(*m));
}

#endif
