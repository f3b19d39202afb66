/*
 * layer.h - index one layer: stream its tar (gzip, zstd, xz or plain,
 * detected by magic) through libarchive, never extracting and never
 * holding more than one matched file (bounded) in memory, and record
 * everything the image-level merge needs, each fact keyed by the path
 * it came from so later layers can replace or delete it:
 *   - packages (OS databases and, through lang_parse(), language ones),
 *   - distribution release files, licences from usr/share/doc/X/copyright,
 *   - file ownership from dpkg info/X.list and apk F:/R: (kept only for
 *     paths a language parser would match, to keep results small),
 *   - symlinks and hard links near package databases (metadata only:
 *     they are resolved later inside the image's own tree, never on the
 *     host),
 *   - whiteouts and opaque directories,
 *   - every matched path ("seen"), so a later copy replaces earlier facts.
 * A hostile entry (.., over-long path, unreadable file) is skipped and
 * reported as "path: reason"; a broken stream or an exceeded bound stops
 * the layer with a fatal error, keeping what was indexed before it.
 */
#ifndef DOUANE_SCAN_LAYER_H
#define DOUANE_SCAN_LAYER_H

#include <stddef.h>
#include <stdint.h>

#include "scan/lang/lang.h"
#include "scan/ospkg.h"
#include "scan/pkg.h"

#define LAYER_DEFAULT_MAX_BYTES (32ull << 30)   /* expanded bytes per layer */
#define LAYER_DEFAULT_MAX_ENTRIES 2000000ull
#define LAYER_MAX_PATH 4096
#define LAYER_MAX_ERRORS 100                    /* per layer; more are counted */

struct layer_opts {
        uint64_t max_bytes;             /* 0 = default */
        uint64_t max_entries;           /* 0 = default */
};

struct strvec {
        char **v;
        size_t n, cap;
};

enum os_src_kind {      /* release file kinds, in order of preference */
        OS_SRC_OS_RELEASE = 0,
        OS_SRC_FALLBACK = 1,            /* + enum os_fallback */
};

struct layer_os {
        char *path;
        int kind;                       /* 0 os-release, else enum os_fallback */
        struct os_release rel;
};

struct layer_lic {
        char *path, *pkg, *expr;
};

struct layer_own {
        char *db_path;                  /* the .list / installed file that says so */
        char *owner, *path;
};

struct layer_link {
        char *path, *target;            /* target: normalised, relative to the image root */
        int hard;
};

struct layer_result {
        char *digest;
        struct pkg_list pkgs;
        struct layer_os *os;
        size_t n_os;
        struct layer_lic *lic;
        size_t n_lic;
        struct layer_own *own;
        size_t n_own, cap_own;
        struct layer_link *links;
        size_t n_links;
        struct strvec whiteouts, opaque, seen, errors;
        size_t errors_dropped;
        int fatal_code;                 /* 0, or the dou_err that stopped the layer */
        char *fatal;                    /* message of it */
        uint64_t entries, bytes;        /* tar entries, expanded bytes read */
        int unpadded_tail;              /* tar ended in the last entry's padding (layer.c); not cached */
};

/*
 * Index the tar stream read(ctx). digest names the layer (copied into
 * every fact). Always fills *ret (free with layer_result_clear); returns
 * 0, or the fatal dou_err also stored in ret->fatal_code (DOU_ENOMEM
 * leaves a partial result).
 */
int layer_scan(scan_read_fn read, void *ctx, const char *digest, const struct layer_opts *o,
               struct layer_result *ret);

void layer_result_clear(struct layer_result *r);

int strvec_push(struct strvec *v, const char *s);
void strvec_clear(struct strvec *v);

/*
 * Normalise a tar path into out (no leading '/' or "./", no "." or empty
 * components). DOU_EINVAL if it contains "..", is empty or too long.
 */
int layer_path_normalise(const char *in, char *out, size_t outn);

/* Kind of a canonical package-database/release path (see layer.c), or 0. */
int layer_canonical_kind(const char *path);

#endif
