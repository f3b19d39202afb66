/*
 * apk.c - apk-tools' installed database (lib/apk/db/installed).
 *
 * Records are separated by blank lines; each line is "K:value" with a
 * one-letter key: P name, V version, A arch, L licence, o origin (the
 * source package), F a directory and R a file in the last F (ownership).
 * A record without a valid P and V is skipped and reported.
 */
#include "scan/ospkg.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct apk_rec {
        const char *f[128];             /* value per key byte */
        size_t n[128];
        size_t line;
        size_t bad_line;
};

static int value_ok(const char *v, size_t n, int spaces)
{
        if (!v || !n || n > OSPKG_MAX_FIELD)
                return 0;
        for (size_t i = 0; i < n; i++)
                if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f || (!spaces && v[i] == ' '))
                        return 0;
        return 1;
}

static int emit(const struct apk_rec *r, const char *layer, const char *path, struct pkg_list *out)
{
        char *s[5] = { 0 };
        static const unsigned char keys[5] = { 'P', 'V', 'A', 'L', 'o' };
        int rc = 0;

        if (r->bad_line)
                return dou_err_set(DOU_EINVAL, "line %zu: not K:value", r->bad_line);
        if (!value_ok(r->f['P'], r->n['P'], 0) || !value_ok(r->f['V'], r->n['V'], 0))
                return dou_err_set(DOU_EINVAL, "line %zu: record without a valid P: and V:", r->line);
        for (int i = 0; i < 5; i++) {
                const char *v = r->f[keys[i]];
                size_t n = r->n[keys[i]];

                if (!v || !value_ok(v, n, keys[i] == 'L'))
                        continue;
                if (!(s[i] = strndup(v, n))) {
                        rc = DOU_ENOMEM;
                        goto out;
                }
        }
        {
                struct scan_pkg p = {
                        .type = PKG_APK, .name = s[0], .version = s[1], .arch = s[2],
                        .license = s[3], .source_name = s[4], .layer = layer, .path = path,
                };
                rc = pkg_list_add(out, &p);
        }
out:
        for (int i = 0; i < 5; i++)
                free(s[i]);
        return rc;
}

/* F: dir + R: file -> owned(name, "dir/file"). */
static int own(const struct apk_rec *r, const char *dir, size_t dn, const char *file, size_t fn,
               ospkg_owned_fn owned, void *ctx, char *tmp)
{
        char name[OSPKG_MAX_FIELD + 1];
        size_t nn = r->n['P'];

        if (!owned || !value_ok(r->f['P'], nn, 0) || dn + fn + 2 > OSPKG_MAX_FIELD || !fn)
                return 0;
        memcpy(name, r->f['P'], nn);
        name[nn] = 0;
        memcpy(tmp, dir, dn);
        if (dn)
                tmp[dn++] = '/';
        memcpy(tmp + dn, file, fn);
        tmp[dn + fn] = 0;
        return owned(ctx, name, tmp);
}

int apk_installed_parse(const char *buf, size_t len, const char *layer, const char *path,
                        struct pkg_list *out, ospkg_owned_fn owned, void *owned_ctx)
{
        struct apk_rec *r;
        size_t pos = 0, lineno = 0, count = 0;
        const char *dir = "";
        size_t dn = 0;
        int first_err = 0, in_rec = 0, rc = 0;
        char msg[256] = "";
        char *tmp;

        if (len > OSPKG_MAX_FILE)
                return dou_err_set(DOU_ETOOBIG, "apk installed larger than %u bytes", OSPKG_MAX_FILE);
        r = calloc(1, sizeof(*r));
        tmp = malloc(OSPKG_MAX_FIELD + 1);
        if (!r || !tmp) {
                free(r);
                free(tmp);
                return DOU_ENOMEM;
        }
        for (;;) {
                const char *l = buf + pos, *nl;
                size_t n = 0;
                int end = pos >= len;

                if (!end) {
                        nl = memchr(l, '\n', len - pos);
                        n = nl ? (size_t)(nl - l) : len - pos;
                        pos += n + (nl ? 1 : 0);
                        lineno++;
                        if (n && l[n - 1] == '\r')
                                n--;
                }
                if (end || n == 0) {
                        if (in_rec) {
                                if (++count > OSPKG_MAX_PKGS) {
                                        rc = dou_err_set(DOU_ETOOBIG, "more than %u records", OSPKG_MAX_PKGS);
                                        break;
                                }
                                rc = emit(r, layer, path, out);
                                if (rc == DOU_ENOMEM || rc == DOU_ETOOBIG)
                                        break;
                                if (rc < 0 && !first_err) {
                                        first_err = rc;
                                        snprintf(msg, sizeof(msg), "%s", dou_err_msg());
                                }
                                rc = 0;
                        }
                        if (end)
                                break;
                        memset(r, 0, sizeof(*r));
                        in_rec = 0;
                        dir = "";
                        dn = 0;
                        continue;
                }
                if (!in_rec) {
                        in_rec = 1;
                        r->line = lineno;
                }
                if (n < 2 || l[1] != ':' || (unsigned char)l[0] >= 128) {
                        if (!r->bad_line)
                                r->bad_line = lineno;
                        continue;
                }
                if (l[0] == 'F') {
                        dir = l + 2;
                        dn = n - 2;
                } else if (l[0] == 'R') {
                        if ((rc = own(r, dir, dn, l + 2, n - 2, owned, owned_ctx, tmp)) < 0)
                                break;
                } else if (!r->f[(unsigned char)l[0]]) {
                        r->f[(unsigned char)l[0]] = l + 2;
                        r->n[(unsigned char)l[0]] = n - 2;
                }
        }
        free(r);
        free(tmp);
        if (rc < 0)
                return rc;
        return first_err ? dou_err_set(first_err, "%s", msg) : 0;
}
