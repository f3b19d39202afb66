/*
 * lang.c - dispatch from a layer entry to the parser that understands it,
 * plus the bounded readers and small string helpers the parsers share.
 *
 * lang_match() runs for every tar entry of every layer, so it only looks
 * at the path's last components and the mode; the parsers do the content
 * checks (ELF magic, JSON shape) and return 0 packages quickly when the
 * file is not theirs.
 */
#include "scan/lang/lang_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "util/err.h"

static const char *base_of(const char *path, size_t *ret_dirlen)
{
        const char *s = strrchr(path, '/');
        *ret_dirlen = s ? (size_t)(s - path) : 0;
        return s ? s + 1 : path;
}

static bool ends_with(const char *s, size_t n, const char *suffix)
{
        size_t k = strlen(suffix);
        return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

static bool ends_with_ci(const char *s, size_t n, const char *suffix)
{
        size_t k = strlen(suffix);
        return n >= k && strncasecmp(s + n - k, suffix, k) == 0;
}

/* Last component of path[0..n), with its length. */
static const char *last_comp(const char *path, size_t n, size_t *ret_len, size_t *ret_dirlen)
{
        size_t i = n;
        while (i > 0 && path[i - 1] != '/')
                i--;
        *ret_len = n - i;
        *ret_dirlen = i ? i - 1 : 0;
        return path + i;
}

static bool in_python_tree(const char *path)
{
        return strstr(path, "site-packages/") || strstr(path, "dist-packages/");
}

static bool has_node_modules_comp(const char *path)
{
        return strncmp(path, "node_modules/", 13) == 0 || strstr(path, "/node_modules/");
}

/* node_modules/<name>/package.json or node_modules/@scope/<name>/package.json */
static bool is_module_manifest(const char *path, size_t dirlen)
{
        size_t n1, d1, n2, d2, n3, d3;
        const char *c1 = last_comp(path, dirlen, &n1, &d1);
        if (n1 == 0 || d1 == 0)
                return false;
        const char *c2 = last_comp(path, d1, &n2, &d2);
        if (n2 == 12 && memcmp(c2, "node_modules", 12) == 0)
                return c1[0] != '@' && c1[0] != '.';
        if (n2 < 2 || c2[0] != '@' || d1 == 0)
                return false;
        const char *c3 = last_comp(path, d2, &n3, &d3);
        return n3 == 12 && memcmp(c3, "node_modules", 12) == 0 && d2 > 0;
}

static bool is_rpmdb_dir(const char *path, size_t dirlen)
{
        return (dirlen == 11 && memcmp(path, "var/lib/rpm", 11) == 0) ||
               (dirlen == 22 && memcmp(path, "usr/lib/sysimage/rpm", 20) == 0) ||
               (dirlen == 20 && memcmp(path, "usr/lib/sysimage/rpm", 20) == 0);
}

int lang_match(const char *path, uint64_t size, unsigned mode)
{
        size_t dirlen, dn, dd;
        if (!path)
                return LANG_NONE;
        if ((mode & S_IFMT) != 0 && !S_ISREG(mode))
                return LANG_NONE;
        const char *base = base_of(path, &dirlen);
        size_t bn = strlen(base);
        const char *dir = last_comp(path, dirlen, &dn, &dd);

        if (strcmp(base, "METADATA") == 0 && ends_with(dir, dn, ".dist-info") && in_python_tree(path))
                return LANG_PY_META;
        if (strcmp(base, "PKG-INFO") == 0 && ends_with(dir, dn, ".egg-info") && in_python_tree(path))
                return LANG_PY_META;
        if (ends_with(base, bn, ".egg-info") && in_python_tree(path))
                return LANG_PY_META;
        if (strcmp(base, "package.json") == 0)
                return dirlen && is_module_manifest(path, dirlen) ? LANG_NPM_PACKAGE : LANG_NONE;
        if (strcmp(base, "package-lock.json") == 0)
                return has_node_modules_comp(path) ? LANG_NONE : LANG_NPM_LOCK;
        if (ends_with_ci(base, bn, ".jar") || ends_with_ci(base, bn, ".war") ||
            ends_with_ci(base, bn, ".ear"))
                return LANG_JAVA_ARCHIVE;
        if (is_rpmdb_dir(path, dirlen)) {
                if (strcmp(base, "rpmdb.sqlite") == 0)
                        return LANG_RPM_SQLITE;
                if (strcmp(base, "Packages") == 0)
                        return LANG_RPM_BDB;
                if (strcmp(base, "Packages.db") == 0)
                        return LANG_RPM_NDB;
        }
        if ((mode & 0111) && size >= LANG_GO_MIN_SIZE)
                return LANG_GO_BINARY;
        return LANG_NONE;
}

int lang_parse(int parser_id, const struct scan_file *f, struct pkg_list *out)
{
        char *buf = NULL;
        size_t len = 0;
        bool more = false;
        int r;

        if (!f || !f->read || !out)
                return dou_err_set(DOU_EINVAL, "lang_parse: missing file or output");
        switch (parser_id) {
        case LANG_PY_META:
                /* Only the header block matters; the long description may follow. */
                r = lang__read_head(f, LANG_MAX_TEXT, &buf, &len, &more);
                if (r == 0)
                        r = lang__python_parse(buf, len, more, f, out);
                break;
        case LANG_NPM_PACKAGE:
                r = lang__read_all(f, LANG_MAX_TEXT, &buf, &len);
                if (r == 0)
                        r = lang__npm_package_parse(buf, len, f, out);
                break;
        case LANG_NPM_LOCK:
                r = lang__read_all(f, LANG_MAX_LOCK, &buf, &len);
                if (r == 0)
                        r = lang__npm_lock_parse(buf, len, f, out);
                break;
        case LANG_GO_BINARY:
                return lang__go_parse(f, out);
        case LANG_JAVA_ARCHIVE:
                return lang__java_parse(f, out);
        case LANG_RPM_SQLITE:
                return lang__rpm_sqlite_parse(f, out);
        case LANG_RPM_BDB:
        case LANG_RPM_NDB:
                r = lang__read_all(f, LANG_MAX_BUFFER, &buf, &len);
                if (r == 0)
                        r = parser_id == LANG_RPM_BDB
                                ? lang__rpm_bdb_parse_buf((uint8_t *)buf, len, f, out)
                                : lang__rpm_ndb_parse_buf((uint8_t *)buf, len, f, out);
                break;
        default:
                return dou_err_set(DOU_EINVAL, "lang_parse: unknown parser id %d", parser_id);
        }
        free(buf);
        return r;
}

static int read_bounded(const struct scan_file *f, size_t max, bool fail_over, char **ret_buf,
                        size_t *ret_len, bool *ret_more)
{
        size_t cap = 0, len = 0;
        char *buf = NULL;
        bool more = false;

        for (;;) {
                if (len == max) {
                        /* Probe one byte to tell "exactly max" from "more". */
                        char c;
                        ssize_t p = f->read(f->read_ctx, &c, 1);
                        if (p < 0) {
                                free(buf);
                                return (int)p;
                        }
                        more = p > 0;
                        break;
                }
                if (cap - len < 2) {
                        size_t ncap = cap ? cap * 2 : 8192;
                        if (ncap > max + 1)
                                ncap = max + 1;
                        char *nb = realloc(buf, ncap);
                        if (!nb) {
                                free(buf);
                                return dou_err_set(DOU_ENOMEM, "%s: out of memory reading", f->path);
                        }
                        buf = nb;
                        cap = ncap;
                }
                size_t want = cap - len - 1;
                if (want > max - len)
                        want = max - len;
                ssize_t r = f->read(f->read_ctx, buf + len, want);
                if (r < 0) {
                        free(buf);
                        return (int)r;
                }
                if (r == 0)
                        break;
                len += (size_t)r > want ? want : (size_t)r;
        }
        if (more && fail_over) {
                free(buf);
                return dou_err_set(DOU_ETOOBIG, "%s: larger than %zu bytes", f->path, max);
        }
        if (!buf && !(buf = malloc(1)))
                return dou_err_set(DOU_ENOMEM, "%s: out of memory reading", f->path);
        buf[len] = '\0';
        *ret_buf = buf;
        *ret_len = len;
        if (ret_more)
                *ret_more = more;
        return 0;
}

int lang__read_all(const struct scan_file *f, size_t max, char **ret_buf, size_t *ret_len)
{
        return read_bounded(f, max, true, ret_buf, ret_len, NULL);
}

int lang__read_head(const struct scan_file *f, size_t max, char **ret_buf, size_t *ret_len,
                    bool *ret_more)
{
        return read_bounded(f, max, false, ret_buf, ret_len, ret_more);
}

int lang__emit(struct pkg_list *out, const struct scan_file *f, struct scan_pkg *p)
{
        if (out->len >= LANG_MAX_PKGS)
                return dou_err_set(DOU_ETOOBIG, "%s: more than %u packages", f->path,
                                   LANG_MAX_PKGS);
        p->path = f->path;
        p->layer = f->layer;
        int r = pkg_list_add(out, p);
        if (r < 0)
                return dou_err_set(r, "%s: cannot record package", f->path);
        return 0;
}

char *lang__field_dup(const char *s, size_t n)
{
        while (n > 0 && isspace((unsigned char)*s))
                s++, n--;
        while (n > 0 && isspace((unsigned char)s[n - 1]))
                n--;
        if (n == 0 || n > LANG_MAX_FIELD)
                return NULL;
        for (size_t i = 0; i < n; i++)
                if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
                        return NULL;
        return strndup(s, n);
}

static bool is_operator(const char *t, size_t n)
{
        return (n == 3 && memcmp(t, "AND", 3) == 0) || (n == 2 && memcmp(t, "OR", 2) == 0) ||
               (n == 4 && memcmp(t, "WITH", 4) == 0);
}

/*
 * SPDX expression shape: ids (letters, digits, . - + :) alternating with
 * AND / OR / WITH, balanced parentheses. Rejects prose such as
 * "SEE LICENSE IN LICENSE.md" (ids in a row) and "GPLv2+ and MIT".
 */
bool lang__spdx_plausible(const char *s)
{
        size_t n = s ? strlen(s) : 0;
        int depth = 0;
        bool want_id = true;
        if (n == 0 || n > 512 || strcmp(s, "UNLICENSED") == 0)
                return false;
        for (size_t i = 0; i < n;) {
                unsigned char c = (unsigned char)s[i];
                if (c == ' ') {
                        i++;
                } else if (c == '(') {
                        if (!want_id || ++depth > 16)
                                return false;
                        i++;
                } else if (c == ')') {
                        if (want_id || --depth < 0)
                                return false;
                        i++;
                } else {
                        size_t k = i;
                        while (k < n && (isalnum((unsigned char)s[k]) || s[k] == '-' || s[k] == '.' ||
                                         s[k] == '+' || s[k] == ':'))
                                k++;
                        if (k == i)
                                return false;
                        bool op = is_operator(s + i, k - i);
                        if (op == want_id)
                                return false;
                        want_id = op;
                        i = k;
                }
        }
        return depth == 0 && !want_id;
}

static const struct {
        const char *name, *spdx;
} license_names[] = {
        { "MIT", "MIT" }, { "MIT License", "MIT" }, { "MIT license", "MIT" },
        { "Expat", "MIT" }, { "Expat license", "MIT" },
        { "Apache-2.0", "Apache-2.0" }, { "Apache 2.0", "Apache-2.0" },
        { "Apache 2", "Apache-2.0" }, { "Apache License 2.0", "Apache-2.0" },
        { "Apache License, Version 2.0", "Apache-2.0" }, { "Apache Software License", "Apache-2.0" },
        { "Apache License Version 2.0", "Apache-2.0" }, { "ASL 2.0", "Apache-2.0" },
        { "Apache Software License 2.0", "Apache-2.0" }, { "Apache License (2.0)", "Apache-2.0" },
        { "BSD-2-Clause", "BSD-2-Clause" }, { "BSD-3-Clause", "BSD-3-Clause" },
        { "2-clause BSD", "BSD-2-Clause" }, { "3-clause BSD", "BSD-3-Clause" },
        { "BSD 3-Clause", "BSD-3-Clause" }, { "BSD 2-Clause", "BSD-2-Clause" },
        { "New BSD", "BSD-3-Clause" }, { "Modified BSD", "BSD-3-Clause" },
        { "ISC", "ISC" }, { "ISC License", "ISC" }, { "ISC license", "ISC" },
        { "MPL-2.0", "MPL-2.0" }, { "MPL 2.0", "MPL-2.0" },
        { "Mozilla Public License 2.0 (MPL 2.0)", "MPL-2.0" },
        { "LGPL-2.1", "LGPL-2.1-only" }, { "LGPLv2.1", "LGPL-2.1-only" },
        { "LGPLv2+", "LGPL-2.0-or-later" }, { "LGPLv3", "LGPL-3.0-only" },
        { "LGPLv3+", "LGPL-3.0-or-later" }, { "GPLv2", "GPL-2.0-only" },
        { "GPLv2+", "GPL-2.0-or-later" }, { "GPLv3", "GPL-3.0-only" }, { "GPLv3+", "GPL-3.0-or-later" },
        { "GPL-2.0", "GPL-2.0-only" }, { "GPL-3.0", "GPL-3.0-only" },
        { "PSF", "PSF-2.0" }, { "PSFL", "PSF-2.0" }, { "Python Software Foundation License", "PSF-2.0" },
        { "Unlicense", "Unlicense" }, { "The Unlicense (Unlicense)", "Unlicense" },
        { "0BSD", "0BSD" }, { "CC0-1.0", "CC0-1.0" }, { "Zlib", "Zlib" }, { "zlib", "Zlib" },
        { "EPL-1.0", "EPL-1.0" }, { "EPL-2.0", "EPL-2.0" }, { "Artistic-2.0", "Artistic-2.0" },
        { "BlueOak-1.0.0", "BlueOak-1.0.0" }, { "WTFPL", "WTFPL" }, { "Public Domain", NULL },
};

const char *lang__license_to_spdx(const char *s, size_t n)
{
        while (n > 0 && isspace((unsigned char)*s))
                s++, n--;
        while (n > 0 && isspace((unsigned char)s[n - 1]))
                n--;
        for (size_t i = 0; i < sizeof(license_names) / sizeof(license_names[0]); i++)
                if (strlen(license_names[i].name) == n &&
                    strncasecmp(license_names[i].name, s, n) == 0)
                        return license_names[i].spdx;
        return NULL;
}
