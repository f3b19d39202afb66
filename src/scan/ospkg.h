/*
 * ospkg.h - parsers for the operating system's own records, each over a
 * bounded in-memory buffer (the layer walker reads a matched file into at
 * most OSPKG_MAX_FILE bytes): os-release and its classic fallbacks, the
 * dpkg status database (status and the distroless status.d/ files), dpkg
 * info/NAME.list ownership lists, DEP-5 copyright files and apk's installed
 * database.
 *
 * Parsers never trust the input: a malformed paragraph is skipped, the
 * rest still parsed, and the first problem is returned as a negative
 * dou_err with a message naming the line. Packages appended before an
 * error are kept.
 */
#ifndef DOUANE_SCAN_OSPKG_H
#define DOUANE_SCAN_OSPKG_H

#include <stddef.h>

#include "scan/pkg.h"

#define OSPKG_MAX_FILE (64u << 20)      /* a status file larger than this is hostile */
#define OSPKG_MAX_PKGS 200000           /* per database file */
#define OSPKG_MAX_FIELD 4096            /* value length kept for name/version/... */

struct os_release {
        char *id;               /* "debian", "alpine", ... lower case */
        char *version_id;       /* "12", "3.19.1" */
        char *version_codename; /* "bookworm" */
        char *pretty_name;
        char *name;
};

/* os-release(5): KEY=VALUE lines, shell-style quoting. */
int os_release_parse(const char *buf, size_t len, struct os_release *ret);
void os_release_clear(struct os_release *r);

enum os_fallback {
        OS_FB_DEBIAN_VERSION = 1,       /* etc/debian_version: "12.5" or "bookworm/sid" */
        OS_FB_ALPINE_RELEASE,           /* etc/alpine-release: "3.19.1" */
        OS_FB_REDHAT_RELEASE,           /* etc/redhat-release: "Fedora release 39 (...)" */
        OS_FB_LSB_RELEASE,              /* etc/lsb-release: DISTRIB_ID=... */
};

int os_fallback_parse(enum os_fallback kind, const char *buf, size_t len, struct os_release *ret);

/*
 * dpkg status format. Each installed package becomes a PKG_DEB with
 * layer/path set from the arguments. status_d: the distroless status.d
 * files, which have no Status field (a present one is still checked).
 */
int dpkg_status_parse(const char *buf, size_t len, const char *layer, const char *path,
                      int status_d, struct pkg_list *out);

/* apk-tools' lib/apk/db/installed. owned (may be NULL) is called for each owned file. */
typedef int (*ospkg_owned_fn)(void *ctx, const char *owner, const char *path);
int apk_installed_parse(const char *buf, size_t len, const char *layer, const char *path,
                        struct pkg_list *out, ospkg_owned_fn owned, void *owned_ctx);

/*
 * dpkg info/NAME.list: one absolute path per line. owned() receives each
 * path without its leading '/'.
 */
int dpkg_list_parse(const char *buf, size_t len, const char *owner,
                    ospkg_owned_fn owned, void *ctx);

/*
 * DEP-5 (machine-readable debian/copyright) to an SPDX license expression:
 * the licences of all Files paragraphs, deduplicated, joined with AND.
 * Short names are mapped to SPDX ids (GPL-2+ -> GPL-2.0-or-later); unknown
 * ones become LicenseRef-<name>. *ret = NULL (and 0) when nothing is
 * declared. Caller frees *ret.
 */
int dep5_license(const char *buf, size_t len, char **ret);

/* One DEP-5 short name (e.g. "GPL-2+", "Expat") to an SPDX id, or NULL. */
const char *dep5_spdx_id(const char *name, size_t len);

#endif
