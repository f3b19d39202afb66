/*
 * pkg.h - the package data model shared by every package-database parser,
 * the SBOM writers and (through the index report) the vulnerability matcher.
 *
 * A parser appends packages to a pkg_list; the list owns every string.
 * Strings handed to pkg_list_add() are copied, so parsers may pass
 * pointers into their own scratch buffers.
 */
#ifndef DOUANE_SCAN_PKG_H
#define DOUANE_SCAN_PKG_H

#include <stddef.h>

/* purl types (https://github.com/package-url/purl-spec) */
enum pkg_type {
        PKG_DEB, PKG_APK, PKG_RPM,                      /* OS packages */
        PKG_PYPI, PKG_NPM, PKG_GOLANG, PKG_MAVEN,       /* language packages */
        PKG_GEM, PKG_CARGO,
        PKG_TYPE_COUNT
};

struct scan_pkg {
        enum pkg_type type;
        const char *name;               /* binary package / module name */
        const char *version;
        const char *arch;               /* NULL when not applicable */
        const char *namespace_;         /* maven groupId, npm scope ("@x"); else NULL */
        const char *source_name;        /* OS source package (dpkg Source:, apk origin, rpm SRPM) */
        const char *source_version;     /* NULL = same as version */
        const char *license;            /* SPDX expression when known, else NULL */
        const char *layer;              /* digest of the layer it was found in */
        const char *path;               /* path of the file that declared it, no leading '/' */
        const char *owner;              /* OS package owning that file, NULL if none */
};

struct pkg_list {
        struct scan_pkg *items;
        size_t len, cap;
};

/* Copy p (and all its strings) to the end of l. 0 or DOU_ENOMEM. */
int pkg_list_add(struct pkg_list *l, const struct scan_pkg *p);
void pkg_list_clear(struct pkg_list *l);

/* "deb", "apk", "rpm", "pypi", "npm", "golang", "maven", "gem", "cargo" */
const char *pkg_type_name(enum pkg_type t);

#endif
