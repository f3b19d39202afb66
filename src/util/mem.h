/*
 * mem.h - ownership helpers.
 *
 * _dou_free_ frees a heap pointer when it goes out of scope; DOU_TAKE hands
 * ownership to the caller and leaves NULL behind so the cleanup does nothing.
 */
#ifndef DOUANE_UTIL_MEM_H
#define DOUANE_UTIL_MEM_H

#include <stdlib.h>

static inline void dou__freep(void *p)
{
        free(*(void **)p);
}

#define _dou_free_ __attribute__((cleanup(dou__freep)))

#define DOU_TAKE(p) ({ __typeof__(p) dou__t = (p); (p) = NULL; dou__t; })

#define DOU_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Overflow-checked multiplication for allocation sizes. */
static inline int dou_mul_overflow(size_t a, size_t b, size_t *ret)
{
        return __builtin_mul_overflow(a, b, ret);
}

#endif
