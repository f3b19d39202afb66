/*
 * copyright.c - licences from /usr/share/doc/PKG/copyright.
 *
 * Machine-readable (DEP-5) files: the first line of the License field of
 * the header and of every Files paragraph is a licence expression in
 * DEP-5 syntax ("GPL-2+ or Artistic, and MIT", "GPL-3+ with Autoconf
 * exception"); each is translated to SPDX and the distinct ones joined
 * with AND. Stand-alone License paragraphs only carry texts and are
 * ignored. For free-form files the only signal trusted is a reference to
 * /usr/share/common-licenses/NAME ("or later" when the text says "any
 * later version"). The result is always syntactically an SPDX
 * expression: unknown names become LicenseRef-<name>.
 */
#include "scan/deb822.h"
#include "scan/ospkg.h"
#include "util/err.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define EXPR_MAX 2048           /* longer expressions are cut at a term boundary */
#define MAX_TERMS 32

/* DEP-5 short names and common spellings that are not SPDX ids. */
static const struct { const char *dep5, *spdx; } aliases[] = {
        { "Expat", "MIT" }, { "Artistic", "Artistic-1.0-Perl" }, { "Artistic-1", "Artistic-1.0" },
        { "Artistic-2", "Artistic-2.0" }, { "BSD-2-clause", "BSD-2-Clause" },
        { "BSD-3-clause", "BSD-3-Clause" }, { "BSD-4-clause", "BSD-4-Clause" },
        { "Apache-2", "Apache-2.0" }, { "Apache-2.0", "Apache-2.0" }, { "Apache-1.1", "Apache-1.1" }, { "Apache", "Apache-2.0" },
        { "PSF-2", "PSF-2.0" }, { "Python", "Python-2.0" }, { "Zlib", "Zlib" },
        { "MPL-1.1", "MPL-1.1" }, { "MPL-2", "MPL-2.0" }, { "MPL-2.0", "MPL-2.0" },
        { "CC0", "CC0-1.0" }, { "CC0-1.0", "CC0-1.0" }, { "ISC", "ISC" }, { "MIT", "MIT" },
        { "X11", "X11" }, { "Boost-1.0", "BSL-1.0" }, { "BSL-1.0", "BSL-1.0" },
        { "OpenSSL", "OpenSSL" }, { "curl", "curl" }, { "Unicode-DFS-2016", "Unicode-DFS-2016" },
        { "libpng", "Libpng" }, { "libpng-2.0", "libpng-2.0" }, { "IJG", "IJG" }, { "FTL", "FTL" },
        { "bzip2-1.0.6", "bzip2-1.0.6" }, { "Sleepycat", "Sleepycat" }, { "OFL-1.1", "OFL-1.1" },
        { "CC-BY-3.0", "CC-BY-3.0" }, { "CC-BY-4.0", "CC-BY-4.0" }, { "CC-BY-SA-3.0", "CC-BY-SA-3.0" },
        { "CC-BY-SA-4.0", "CC-BY-SA-4.0" }, { "WTFPL", "WTFPL" }, { "Unlicense", "Unlicense" },
        { "0BSD", "0BSD" }, { "EPL-1.0", "EPL-1.0" }, { "EPL-2.0", "EPL-2.0" },
        { "CDDL-1.0", "CDDL-1.0" }, { "PostgreSQL", "PostgreSQL" }, { "TCL", "TCL" },
        { "Ruby", "Ruby" }, { "Vim", "Vim" }, { "Beerware", "Beerware" }, { "NTP", "NTP" },
        { "OLDAP-2.8", "OLDAP-2.8" }, { "OpenLDAP-2.8", "OLDAP-2.8" }, { "GPL", "GPL-1.0-or-later" }, { "LGPL", "LGPL-2.0-or-later" },
        { "MIT-0", "MIT-0" }, { "HPND", "HPND" }, { "Autoconf", "LicenseRef-Autoconf" },
        { "public-domain", "LicenseRef-public-domain" }, { "PD", "LicenseRef-public-domain" },
        { "permissive", "LicenseRef-permissive" }, { "FSFAP", "FSFAP" }, { "FSFUL", "FSFUL" },
        { "FSFULLR", "FSFULLR" }, { "GPL-2.0-with-classpath-exception", "GPL-2.0-only WITH Classpath-exception-2.0" },
};

static const struct { const char *name, *spdx; } exceptions[] = {
        { "Autoconf", "Autoconf-exception-generic" }, { "GCC", "GCC-exception-3.1" },
        { "GCC-3.1", "GCC-exception-3.1" }, { "Classpath", "Classpath-exception-2.0" },
        { "Font", "Font-exception-2.0" }, { "Bison", "Bison-exception-2.2" },
        { "Libtool", "Libtool-exception" }, { "OpenSSL", "openvpn-openssl-exception" },
        { "LLVM", "LLVM-exception" },
};

/* GPL-2, GPL-2.0+, LGPL-2.1+, AGPL-3, GFDL-1.3+, GPL-3.0-or-later ... */
static int family(const char *s, size_t n, char *out, size_t outn)
{
        static const char *const fams[] = { "LGPL", "AGPL", "GFDL", "GPL" };
        const char *fam = NULL, *v;
        size_t fl = 0, vl;
        int later = 0;

        for (size_t i = 0; i < sizeof(fams) / sizeof(fams[0]); i++) {
                fl = strlen(fams[i]);
                if (n > fl + 1 && !strncasecmp(s, fams[i], fl) && (s[fl] == '-' || s[fl] == 'v')) {
                        fam = fams[i];
                        break;
                }
        }
        if (!fam)
                return 0;
        v = s + fl + 1;
        vl = n - fl - 1;
        if (vl && v[vl - 1] == '+') {
                later = 1;
                vl--;
        } else if (vl > 9 && !strncasecmp(v + vl - 9, "-or-later", 9)) {
                later = 1;
                vl -= 9;
        } else if (vl > 5 && !strncasecmp(v + vl - 5, "-only", 5)) {
                vl -= 5;
        }
        if (vl == 1 && isdigit((unsigned char)v[0])) {
                snprintf(out, outn, "%s-%c.0-%s", fam, v[0], later ? "or-later" : "only");
                return 1;
        }
        if (vl == 3 && isdigit((unsigned char)v[0]) && v[1] == '.' && isdigit((unsigned char)v[2])) {
                snprintf(out, outn, "%s-%.3s-%s", fam, v, later ? "or-later" : "only");
                return 1;
        }
        return 0;
}

const char *dep5_spdx_id(const char *name, size_t len)
{
        static _Thread_local char buf[64];

        if (family(name, len, buf, sizeof(buf)))
                return buf;
        for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
                if (strlen(aliases[i].dep5) == len && !strncasecmp(aliases[i].dep5, name, len))
                        return aliases[i].spdx;
        /* already an SPDX id we know, in any case */
        for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
                if (strlen(aliases[i].spdx) == len && !strncasecmp(aliases[i].spdx, name, len) &&
                    !strchr(aliases[i].spdx, ' '))
                        return aliases[i].spdx;
        return NULL;
}

/* Append s[0..n) to out (bounded). 0 or -1 when full. */
static int put(char *out, size_t *o, const char *s, size_t n)
{
        if (*o + n + 1 > EXPR_MAX)
                return -1;
        memcpy(out + *o, s, n);
        *o += n;
        out[*o] = 0;
        return 0;
}

static int put_ref(char *out, size_t *o, const char *s, size_t n)
{
        char tmp[128];
        size_t t = 0;

        if (put(out, o, "LicenseRef-", 11) < 0)
                return -1;
        for (size_t i = 0; i < n && t < sizeof(tmp); i++)
                tmp[t++] = isalnum((unsigned char)s[i]) || s[i] == '.' || s[i] == '-' ? s[i] : '-';
        return put(out, o, tmp, t);
}

static int put_id(char *out, size_t *o, const char *s, size_t n)
{
        const char *id = dep5_spdx_id(s, n);

        if (id)
                return put(out, o, id, strlen(id));
        return put_ref(out, o, s, n);
}

/*
 * One DEP-5 License first line to SPDX. Tokens: names, "and", "or",
 * "with NAME exception", commas (which close a group: "A or B, and C").
 */
static int translate(const char *v, size_t n, char *out, size_t *o)
{
        size_t start = *o, i = 0;
        int need_op = 0, terms = 0;

        while (i < n) {
                size_t s, e;

                while (i < n && (v[i] == ' ' || v[i] == '\t'))
                        i++;
                if (i >= n)
                        break;
                if (v[i] == ',') {
                        /* "(everything so far)" then continue */
                        if (*o + 3 > EXPR_MAX)
                                return -1;
                        memmove(out + start + 1, out + start, *o - start);
                        out[start] = '(';
                        (*o)++;
                        if (put(out, o, ")", 1) < 0)
                                return -1;
                        i++;
                        continue;
                }
                s = i;
                while (i < n && v[i] != ' ' && v[i] != '\t' && v[i] != ',')
                        i++;
                e = i;
                if ((e - s == 3 && !strncasecmp(v + s, "and", 3)) || (e - s == 1 && v[s] == '&')) {
                        if (need_op && put(out, o, " AND ", 5) < 0)
                                return -1;
                        need_op = 0;
                } else if ((e - s == 2 && !strncasecmp(v + s, "or", 2)) || (e - s == 1 && v[s] == '|')) {
                        if (need_op && put(out, o, " OR ", 4) < 0)
                                return -1;
                        need_op = 0;
                } else if (e - s == 4 && !strncasecmp(v + s, "with", 4) && need_op) {
                        /* "with NAME exception" */
                        size_t ns, ne;
                        const char *ex = NULL;

                        while (i < n && v[i] == ' ')
                                i++;
                        ns = i;
                        while (i < n && v[i] != ' ' && v[i] != ',')
                                i++;
                        ne = i;
                        while (i < n && v[i] == ' ')
                                i++;
                        if (n - i >= 9 && !strncasecmp(v + i, "exception", 9))
                                i += 9;
                        for (size_t k = 0; k < sizeof(exceptions) / sizeof(exceptions[0]); k++)
                                if (strlen(exceptions[k].name) == ne - ns &&
                                    !strncasecmp(exceptions[k].name, v + ns, ne - ns))
                                        ex = exceptions[k].spdx;
                        if (ex) {
                                if (put(out, o, " WITH ", 6) < 0 || put(out, o, ex, strlen(ex)) < 0)
                                        return -1;
                        } else {
                                if (put(out, o, " AND ", 5) < 0 || put_ref(out, o, v + ns, ne - ns) < 0 ||
                                    put(out, o, "-exception", 10) < 0)
                                        return -1;
                        }
                } else {
                        if (need_op && put(out, o, " AND ", 5) < 0)
                                return -1;
                        if (++terms > MAX_TERMS || put_id(out, o, v + s, e - s) < 0)
                                return -1;
                        need_op = 1;
                }
        }
        return *o > start ? 0 : -1;
}

/* Append expr to the AND-list in acc unless already there. */
static int add_term(char *acc, size_t *an, const char *expr, size_t en)
{
        int compound = memchr(expr, ' ', en) != NULL;
        char wrapped[EXPR_MAX + 2];
        size_t wn = 0;

        if (compound) {
                wrapped[wn++] = '(';
                memcpy(wrapped + wn, expr, en);
                wn += en;
                wrapped[wn++] = ')';
        } else {
                memcpy(wrapped, expr, en);
                wn = en;
        }
        /* dedupe: exact term match in the " AND "-joined list */
        for (const char *p = acc; *p;) {
                const char *q = strstr(p, " AND ");
                size_t tl = q ? (size_t)(q - p) : strlen(p);

                if (tl == wn && !memcmp(p, wrapped, wn))
                        return 0;
                if (!q)
                        break;
                p = q + 5;
        }
        if (*an && put(acc, an, " AND ", 5) < 0)
                return -1;
        return put(acc, an, wrapped, wn);
}

static int free_form(const char *buf, size_t len, char *acc, size_t *an)
{
        static const char ref[] = "/usr/share/common-licenses/";
        const char *p = buf, *end = buf + len;
        int later = memmem(buf, len, "any later version", 17) != NULL;

        while ((p = memmem(p, (size_t)(end - p), ref, sizeof(ref) - 1))) {
                const char *s = p + sizeof(ref) - 1, *e = s;
                char name[80], term[EXPR_MAX];
                size_t tn = 0, nn;

                while (e < end && (isalnum((unsigned char)*e) || *e == '-' || *e == '.'))
                        e++;
                while (e > s && e[-1] == '.')
                        e--;            /* sentence full stop */
                p = e;
                nn = (size_t)(e - s);
                if (!nn || nn + 2 > sizeof(name))
                        continue;
                memcpy(name, s, nn);
                if (later && isdigit((unsigned char)name[nn - 1]) && dep5_spdx_id(name, nn) &&
                    strstr(dep5_spdx_id(name, nn), "-only"))
                        name[nn++] = '+';
                if (put_id(term, &tn, name, nn) < 0 || add_term(acc, an, term, tn) < 0)
                        break;
        }
        return 0;
}

int dep5_license(const char *buf, size_t len, char **ret)
{
        struct deb822 r = { .buf = buf, .len = len };
        struct deb822_para *p;
        char *acc;
        size_t an = 0;
        int first = 1, dep5 = 0;

        *ret = NULL;
        if (len > OSPKG_MAX_FILE)
                return dou_err_set(DOU_ETOOBIG, "copyright file larger than %u bytes", OSPKG_MAX_FILE);
        p = malloc(sizeof(*p));
        acc = malloc(EXPR_MAX + 1);
        if (!p || !acc) {
                free(p);
                free(acc);
                return DOU_ENOMEM;
        }
        acc[0] = 0;
        while (deb822_next(&r, p)) {
                size_t fl, ll, dummy;
                const char *lic;

                if (first) {
                        const char *fmt = deb822_get(p, "Format", &fl);

                        first = 0;
                        dep5 = fmt && (memmem(fmt, fl, "copyright-format", 16) ||
                                       memmem(fmt, fl, "dep5", 4) || memmem(fmt, fl, "DEP-5", 5));
                        if (!dep5)
                                break;
                } else if (!deb822_get(p, "Files", &dummy)) {
                        continue;       /* stand-alone License paragraph: text only */
                }
                lic = deb822_get(p, "License", &ll);
                if (lic && ll) {
                        char term[EXPR_MAX + 1];
                        size_t tn = 0;

                        term[0] = 0;
                        if (translate(lic, ll, term, &tn) == 0)
                                add_term(acc, &an, term, tn);
                }
        }
        free(p);
        if (!dep5)
                free_form(buf, len, acc, &an);
        if (an)
                *ret = acc;
        else
                free(acc);
        return 0;
}
