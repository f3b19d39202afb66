/*
 * dpkg.c - the dpkg database: var/lib/dpkg/status, the distroless
 * status.d/ files (same format, one or more paragraphs each) and the
 * info/NAME.list file-ownership lists.
 *
 * A package counts as installed when its Status is "install ok installed"
 * or "hold ok installed" (a held package is installed too). A paragraph
 * with a malformed line, no Package/Version, or a value that is not a
 * single printable token is skipped and reported; the others are kept.
 */
#include "scan/deb822.h"
#include "scan/ospkg.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A printable token without blanks or control characters, bounded. */
static int token_ok(const char *v, size_t n)
{
        if (!v || !n || n > OSPKG_MAX_FIELD)
                return 0;
        for (size_t i = 0; i < n; i++)
                if ((unsigned char)v[i] <= 0x20 || v[i] == 0x7f)
                        return 0;
        return 1;
}

static int installed(const char *v, size_t n)
{
        static const char *const ok[] = { "install ok installed", "hold ok installed" };

        for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
                if (n == strlen(ok[i]) && !memcmp(v, ok[i], n))
                        return 1;
        return 0;
}

static char *dupn(const char *s, size_t n)
{
        return s ? strndup(s, n) : NULL;
}

/* "openssl (3.0.11-1~deb12u2)" -> name, version (version may stay NULL). */
static int split_source(const char *v, size_t n, char **name, char **ver)
{
        const char *sp = memchr(v, ' ', n);
        size_t nn = sp ? (size_t)(sp - v) : n;

        if (!token_ok(v, nn))
                return DOU_EINVAL;
        if (sp) {
                const char *o = sp, *e = v + n;

                while (o < e && *o == ' ')
                        o++;
                if (o >= e || *o != '(' || e[-1] != ')' || !token_ok(o + 1, (size_t)(e - o - 2)))
                        return DOU_EINVAL;
                if (!(*ver = dupn(o + 1, (size_t)(e - o - 2))))
                        return DOU_ENOMEM;
        }
        if (!(*name = dupn(v, nn))) {
                free(*ver);
                *ver = NULL;
                return DOU_ENOMEM;
        }
        return 0;
}

static int add_para(const struct deb822_para *p, const char *layer, const char *path,
                    int status_d, struct pkg_list *out)
{
        size_t nl, vl, al, sl, stl;
        const char *name = deb822_get(p, "Package", &nl), *ver = deb822_get(p, "Version", &vl);
        const char *arch = deb822_get(p, "Architecture", &al), *src = deb822_get(p, "Source", &sl);
        const char *st = deb822_get(p, "Status", &stl);
        char *n = NULL, *v = NULL, *a = NULL, *sn = NULL, *sv = NULL;
        int rc;

        if (p->bad_line)
                return dou_err_set(DOU_EINVAL, "line %zu: not a field", p->bad_line);
        if (!token_ok(name, nl))
                return dou_err_set(DOU_EINVAL, "line %zu: paragraph without a valid Package", p->first_line);
        if (st ? !installed(st, stl) : !status_d)
                return 0;               /* config-files, half-installed, ...: not in the image */
        if (!token_ok(ver, vl))
                return dou_err_set(DOU_EINVAL, "line %zu: package %.*s without a valid Version",
                                   p->first_line, (int)(nl > 64 ? 64 : nl), name);
        if (arch && !token_ok(arch, al))
                return dou_err_set(DOU_EINVAL, "line %zu: bad Architecture", p->first_line);
        if (src && (rc = split_source(src, sl, &sn, &sv)) < 0)
                return rc == DOU_ENOMEM ? rc : dou_err_set(rc, "line %zu: bad Source", p->first_line);
        n = dupn(name, nl);
        v = dupn(ver, vl);
        a = dupn(arch, al);
        if (!n || !v || (arch && !a)) {
                rc = DOU_ENOMEM;
        } else {
                struct scan_pkg pkg = {
                        .type = PKG_DEB, .name = n, .version = v, .arch = a,
                        .source_name = sn, .source_version = sv, .layer = layer, .path = path,
                };
                rc = pkg_list_add(out, &pkg);
        }
        free(n);
        free(v);
        free(a);
        free(sn);
        free(sv);
        return rc;
}

int dpkg_status_parse(const char *buf, size_t len, const char *layer, const char *path,
                      int status_d, struct pkg_list *out)
{
        struct deb822 r = { .buf = buf, .len = len };
        struct deb822_para *p;
        size_t count = 0;
        int first_err = 0;
        char msg[256] = "";

        if (len > OSPKG_MAX_FILE)
                return dou_err_set(DOU_ETOOBIG, "dpkg status larger than %u bytes", OSPKG_MAX_FILE);
        p = malloc(sizeof(*p));
        if (!p)
                return DOU_ENOMEM;
        while (deb822_next(&r, p)) {
                int rc;

                if (++count > OSPKG_MAX_PKGS) {
                        first_err = first_err ? first_err :
                                dou_err_set(DOU_ETOOBIG, "more than %u paragraphs", OSPKG_MAX_PKGS);
                        break;
                }
                rc = add_para(p, layer, path, status_d, out);
                if (rc == DOU_ENOMEM || rc == DOU_ETOOBIG) {
                        free(p);
                        return rc;
                }
                if (rc < 0 && !first_err) {
                        first_err = rc;
                        snprintf(msg, sizeof(msg), "%s", dou_err_msg());
                }
        }
        free(p);
        return first_err ? dou_err_set(first_err, "%s", msg) : 0;
}

int dpkg_list_parse(const char *buf, size_t len, const char *owner,
                    ospkg_owned_fn owned, void *ctx)
{
        size_t pos = 0;
        char *tmp;

        if (len > OSPKG_MAX_FILE)
                return dou_err_set(DOU_ETOOBIG, "dpkg list larger than %u bytes", OSPKG_MAX_FILE);
        tmp = malloc(OSPKG_MAX_FIELD + 1);
        if (!tmp)
                return DOU_ENOMEM;
        while (pos < len) {
                const char *l = buf + pos, *nl = memchr(l, '\n', len - pos);
                size_t n = nl ? (size_t)(nl - l) : len - pos;
                int rc;

                pos += n + (nl ? 1 : 0);
                while (n && *l == '/') {
                        l++;
                        n--;
                }
                if (!n || (n == 1 && *l == '.') || n > OSPKG_MAX_FIELD || memchr(l, 0, n))
                        continue;       /* "/." and absurd lines own nothing useful */
                memcpy(tmp, l, n);
                tmp[n] = 0;
                if ((rc = owned(ctx, owner, tmp)) < 0) {
                        free(tmp);
                        return rc;
                }
        }
        free(tmp);
        return 0;
}
