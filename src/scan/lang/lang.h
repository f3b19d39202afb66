/*
 * lang.h - package-database parsers that the layer walker calls on files
 * it streams out of a layer: language ecosystems (Python, Node, Go
 * binaries, Java archives) and the rpm databases.
 *
 * The walker never extracts a layer: for each tar entry it asks
 * lang_match(); a matched file is handed to lang_parse() with a pull-style
 * reader over the entry's bytes, so a parser can stream (Go build info is
 * found by scanning for its magic; a jar is read by libarchive's streaming
 * zip reader fed from this reader, recursively for nested jars). A parser
 * that needs random access may buffer up to LANG_MAX_BUFFER bytes and must
 * fail cleanly above that.
 */
#ifndef DOUANE_SCAN_LANG_LANG_H
#define DOUANE_SCAN_LANG_LANG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "scan/pkg.h"

#define LANG_MAX_BUFFER (256u << 20)    /* whole-file buffering bound */
#define LANG_MAX_JAR_DEPTH 4            /* nested jar bound */

/* Returns bytes read (>0), 0 at end of file, or a negative dou_err. */
typedef ssize_t (*scan_read_fn)(void *ctx, void *buf, size_t n);

struct scan_file {
        const char *path;       /* inside the image, no leading '/', already normalised */
        uint64_t size;          /* from the tar header (may lie: trust the reader) */
        unsigned mode;          /* st_mode bits from the tar header */
        const char *layer;      /* layer digest, copied into each package's ->layer */
        scan_read_fn read;
        void *read_ctx;
};

/* Parser id (> 0) wanting this file, or 0. Cheap: called for every entry. */
int lang_match(const char *path, uint64_t size, unsigned mode);

/*
 * Parse one file, appending what it declares to out (path/layer set on
 * each package). Returns 0, or a negative dou_err with a message naming
 * what was wrong; packages appended before an error are kept.
 */
int lang_parse(int parser_id, const struct scan_file *f, struct pkg_list *out);

#endif
