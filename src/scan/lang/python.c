/*
 * python.c - core metadata of installed Python distributions
 * (*.dist-info/METADATA, *.egg-info/PKG-INFO and egg-info files).
 *
 * The format is RFC 822 headers then an optional body (the long
 * description). Only the header block is read: it ends at the first empty
 * line. Lines are bounded by the caller's buffer; a field longer than
 * LANG_MAX_FIELD is ignored rather than truncated, so we never report a
 * half name. Licence precedence: License-Expression (PEP 639, already
 * SPDX), then a License field that names a known licence, then the
 * "License ::" trove classifiers (joined with OR when several).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "scan/lang/lang_int.h"
#include "util/err.h"

#define PY_MAX_CLASSIFIER_LICENSES 8
#define PY_LICENSE_MAX 512

static const struct {
        const char *trove, *spdx;
} trove_licenses[] = {
        { "MIT License", "MIT" },
        { "Apache Software License", "Apache-2.0" },
        { "ISC License (ISCL)", "ISC" },
        { "Mozilla Public License 2.0 (MPL 2.0)", "MPL-2.0" },
        { "Python Software Foundation License", "PSF-2.0" },
        { "GNU General Public License v2 (GPLv2)", "GPL-2.0-only" },
        { "GNU General Public License v2 or later (GPLv2+)", "GPL-2.0-or-later" },
        { "GNU General Public License v3 (GPLv3)", "GPL-3.0-only" },
        { "GNU General Public License v3 or later (GPLv3+)", "GPL-3.0-or-later" },
        { "GNU Lesser General Public License v2 (LGPLv2)", "LGPL-2.0-only" },
        { "GNU Lesser General Public License v2 or later (LGPLv2+)", "LGPL-2.0-or-later" },
        { "GNU Lesser General Public License v3 (LGPLv3)", "LGPL-3.0-only" },
        { "GNU Lesser General Public License v3 or later (LGPLv3+)", "LGPL-3.0-or-later" },
        { "GNU Affero General Public License v3", "AGPL-3.0-only" },
        { "GNU Affero General Public License v3 or later (AGPLv3+)", "AGPL-3.0-or-later" },
        { "The Unlicense (Unlicense)", "Unlicense" },
        { "zlib/libpng License", "Zlib" },
        { "Eclipse Public License 2.0 (EPL-2.0)", "EPL-2.0" },
        { "Boost Software License 1.0 (BSL-1.0)", "BSL-1.0" },
        { "Universal Permissive License (UPL)", "UPL-1.0" },
        { "Zope Public License", "ZPL-2.1" },
};

struct py_meta {
        char *name, *version, *license, *license_expr;
        const char *trove[PY_MAX_CLASSIFIER_LICENSES];
        size_t ntrove;
};

static const char *trove_to_spdx(const char *v, size_t n)
{
        static const char prefix[] = "License :: OSI Approved :: ";
        static const char prefix2[] = "License :: ";
        if (n > sizeof(prefix) - 1 && memcmp(v, prefix, sizeof(prefix) - 1) == 0)
                v += sizeof(prefix) - 1, n -= sizeof(prefix) - 1;
        else if (n > sizeof(prefix2) - 1 && memcmp(v, prefix2, sizeof(prefix2) - 1) == 0)
                v += sizeof(prefix2) - 1, n -= sizeof(prefix2) - 1;
        else
                return NULL;
        while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\r'))
                n--;
        for (size_t i = 0; i < sizeof(trove_licenses) / sizeof(trove_licenses[0]); i++)
                if (strlen(trove_licenses[i].trove) == n && memcmp(trove_licenses[i].trove, v, n) == 0)
                        return trove_licenses[i].spdx;
        return NULL;
}

static void add_trove(struct py_meta *m, const char *spdx)
{
        for (size_t i = 0; i < m->ntrove; i++)
                if (strcmp(m->trove[i], spdx) == 0)
                        return;
        if (m->ntrove < PY_MAX_CLASSIFIER_LICENSES)
                m->trove[m->ntrove++] = spdx;
}

/* One "Key: value" header line (continuations already dropped). */
static void take_field(struct py_meta *m, const char *line, size_t n)
{
        const char *colon = memchr(line, ':', n);
        if (!colon)
                return;
        size_t kn = (size_t)(colon - line);
        const char *v = colon + 1;
        size_t vn = n - kn - 1;
        while (vn > 0 && (*v == ' ' || *v == '\t'))
                v++, vn--;
        char **slot = NULL;
        if (kn == 4 && strncasecmp(line, "Name", 4) == 0)
                slot = &m->name;
        else if (kn == 7 && strncasecmp(line, "Version", 7) == 0)
                slot = &m->version;
        else if (kn == 7 && strncasecmp(line, "License", 7) == 0)
                slot = &m->license;
        else if (kn == 18 && strncasecmp(line, "License-Expression", 18) == 0)
                slot = &m->license_expr;
        else if (kn == 10 && strncasecmp(line, "Classifier", 10) == 0) {
                const char *spdx = trove_to_spdx(v, vn);
                if (spdx)
                        add_trove(m, spdx);
                return;
        }
        if (slot && !*slot)     /* first occurrence wins */
                *slot = lang__field_dup(v, vn);
}

static char *choose_license(const struct py_meta *m)
{
        if (m->license_expr && lang__spdx_plausible(m->license_expr))
                return strdup(m->license_expr);
        if (m->license) {
                const char *s = lang__license_to_spdx(m->license, strlen(m->license));
                if (s)
                        return strdup(s);
        }
        if (m->ntrove == 0)
                return NULL;
        char buf[PY_LICENSE_MAX];
        size_t off = 0;
        for (size_t i = 0; i < m->ntrove; i++) {
                size_t k = strlen(m->trove[i]);
                if (off + k + 5 >= sizeof(buf))
                        break;
                if (i) {
                        memcpy(buf + off, " OR ", 4);
                        off += 4;
                }
                memcpy(buf + off, m->trove[i], k);
                off += k;
        }
        buf[off] = '\0';
        return strdup(buf);
}

int lang__python_parse(const char *buf, size_t len, bool truncated, const struct scan_file *f,
                       struct pkg_list *out)
{
        struct py_meta m = { 0 };
        size_t pos = 0;
        bool ended = false;
        int r;

        while (pos < len) {
                const char *line = buf + pos;
                const char *nl = memchr(line, '\n', len - pos);
                size_t n = nl ? (size_t)(nl - line) : len - pos;
                pos += n + (nl ? 1 : 0);
                if (n > 0 && line[n - 1] == '\r')
                        n--;
                if (n == 0) {
                        ended = true;
                        break;
                }
                if (line[0] == ' ' || line[0] == '\t')
                        continue;       /* continuation of a multi-line field */
                take_field(&m, line, n);
        }
        if (!m.name || !m.version) {
                r = dou_err_set(DOU_EINVAL, "%s: no valid Name and Version in metadata%s", f->path,
                                !ended && truncated ? " (header block too large)" : "");
        } else {
                char *lic = choose_license(&m);
                struct scan_pkg p = {
                        .type = PKG_PYPI, .name = m.name, .version = m.version, .license = lic,
                };
                r = lang__emit(out, f, &p);
                free(lic);
        }
        free(m.name);
        free(m.version);
        free(m.license);
        free(m.license_expr);
        return r;
}
