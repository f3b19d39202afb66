/*
 * lang_int.h - internals shared by the lang parsers: parser ids, bounded
 * readers over a scan_file, and the per-format entry points that take a
 * buffer (pointer + length) so unit tests and fuzz targets can drive them
 * without a layer.
 *
 * Every entry point appends to a pkg_list and returns 0 or a negative
 * dou_err with a message; packages appended before an error are kept.
 */
#ifndef DOUANE_SCAN_LANG_LANG_INT_H
#define DOUANE_SCAN_LANG_LANG_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scan/lang/lang.h"

enum lang_id {
        LANG_NONE = 0,
        LANG_PY_META,           /* *.dist-info/METADATA, *.egg-info/PKG-INFO, *.egg-info file */
        LANG_NPM_PACKAGE,       /* node_modules/[@scope/]name/package.json */
        LANG_NPM_LOCK,          /* package-lock.json outside node_modules */
        LANG_GO_BINARY,         /* executable regular file, maybe a Go ELF */
        LANG_JAVA_ARCHIVE,      /* .jar .war .ear */
        LANG_RPM_SQLITE,        /* rpmdb.sqlite */
        LANG_RPM_BDB,           /* Berkeley DB hash Packages */
        LANG_RPM_NDB,           /* NDB Packages.db */
        LANG_ID_COUNT
};

/* Bounds on what a single file may make us hold or produce. */
#define LANG_MAX_TEXT (16u << 20)       /* package.json, METADATA header block */
#define LANG_MAX_LOCK (64u << 20)       /* package-lock.json */
#define LANG_MAX_PKGS 200000u           /* packages from one file */
#define LANG_MAX_FIELD 4096u            /* a name, version or licence */
#define LANG_GO_MIN_SIZE 4096u          /* smaller executables are not Go */

/*
 * Read the whole file into a NUL-terminated heap buffer of at most max
 * bytes (DOU_ETOOBIG beyond). *ret_buf is the caller's to free.
 */
int lang__read_all(const struct scan_file *f, size_t max, char **ret_buf, size_t *ret_len);

/* Read until EOF or max bytes; *ret_more tells whether data remains. */
int lang__read_head(const struct scan_file *f, size_t max, char **ret_buf, size_t *ret_len,
                    bool *ret_more);

/* Fill in path and layer from f and append; DOU_ETOOBIG past LANG_MAX_PKGS. */
int lang__emit(struct pkg_list *out, const struct scan_file *f, struct scan_pkg *p);

/* strndup() that refuses > LANG_MAX_FIELD and control bytes; NULL if bad. */
char *lang__field_dup(const char *s, size_t n);

/* True if s is plausible as an SPDX expression (charset and length only). */
bool lang__spdx_plausible(const char *s);

/* Map a free-form licence name ("Apache 2.0", "MIT License") to an SPDX id, or NULL. */
const char *lang__license_to_spdx(const char *s, size_t n);

/* Format parsers over a buffer. f supplies path/layer for the packages. */
int lang__python_parse(const char *buf, size_t len, bool truncated, const struct scan_file *f,
                       struct pkg_list *out);
int lang__npm_package_parse(const char *buf, size_t len, const struct scan_file *f,
                            struct pkg_list *out);
int lang__npm_lock_parse(const char *buf, size_t len, const struct scan_file *f,
                         struct pkg_list *out);
int lang__go_parse(const struct scan_file *f, struct pkg_list *out);
int lang__go_modinfo_parse(const char *goversion, const char *mod, size_t len,
                           const struct scan_file *f, struct pkg_list *out);
int lang__java_parse(const struct scan_file *f, struct pkg_list *out);
int lang__rpm_header_parse(const uint8_t *blob, size_t len, const struct scan_file *f,
                           struct pkg_list *out);
int lang__rpm_sqlite_parse(const struct scan_file *f, struct pkg_list *out);
int lang__rpm_sqlite_parse_buf(uint8_t *buf, size_t len, const struct scan_file *f,
                               struct pkg_list *out);
int lang__rpm_bdb_parse_buf(const uint8_t *buf, size_t len, const struct scan_file *f,
                            struct pkg_list *out);
int lang__rpm_ndb_parse_buf(const uint8_t *buf, size_t len, const struct scan_file *f,
                            struct pkg_list *out);

#endif
