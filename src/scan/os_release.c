/*
 * os_release.c - os-release(5) and the older per-distribution release
 * files. Values follow shell quoting (single quotes literal, double
 * quotes with \" \\ \$ \` escapes, backslash escapes unquoted); a line
 * with an unterminated quote is ignored and reported, the others kept.
 */
#include "scan/ospkg.h"
#include "util/err.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define OS_LINE_MAX 4096

void os_release_clear(struct os_release *r)
{
        free(r->id);
        free(r->version_id);
        free(r->version_codename);
        free(r->pretty_name);
        free(r->name);
        memset(r, 0, sizeof(*r));
}

static int set_field(char **slot, const char *v, size_t n)
{
        char *c = strndup(v, n);

        if (!c)
                return DOU_ENOMEM;
        free(*slot);
        *slot = c;
        return 0;
}

static void lower(char *s)
{
        for (; s && *s; s++)
                *s = (char)tolower((unsigned char)*s);
}

/* Unquote v[0..n) into out (at most OS_LINE_MAX). -1 on unterminated quote. */
static long unquote(const char *v, size_t n, char *out)
{
        size_t i = 0, o = 0;

        while (i < n && o < OS_LINE_MAX - 1) {
                char c = v[i];

                if (c == '\'') {
                        for (i++; i < n && v[i] != '\''; i++)
                                if (o < OS_LINE_MAX - 1)
                                        out[o++] = v[i];
                        if (i >= n)
                                return -1;
                        i++;
                } else if (c == '"') {
                        for (i++; i < n && v[i] != '"'; i++) {
                                if (v[i] == '\\' && i + 1 < n && strchr("\"\\$`", v[i + 1]))
                                        i++;
                                if (o < OS_LINE_MAX - 1)
                                        out[o++] = v[i];
                        }
                        if (i >= n)
                                return -1;
                        i++;
                } else if (c == '\\' && i + 1 < n) {
                        out[o++] = v[i + 1];
                        i += 2;
                } else if (c == ' ' || c == '\t' || c == '#') {
                        break;          /* unquoted blank ends the value; rest is a comment */
                } else {
                        out[o++] = c;
                        i++;
                }
        }
        out[o] = 0;
        return (long)o;
}

/* Calls fn(key, keylen, value, ctx) for each well-formed KEY=VALUE line. */
typedef int (*kv_fn)(const char *k, size_t kn, const char *v, size_t vn, void *ctx);

static int parse_kv(const char *buf, size_t len, kv_fn fn, void *ctx)
{
        size_t pos = 0, lineno = 0;
        int first_err = 0;
        char *val = malloc(OS_LINE_MAX);

        if (!val)
                return DOU_ENOMEM;
        while (pos < len) {
                const char *line = buf + pos, *nl = memchr(line, '\n', len - pos);
                size_t ll = nl ? (size_t)(nl - line) : len - pos, k = 0, s = 0;
                long vn;
                int r;

                pos += ll + (nl ? 1 : 0);
                lineno++;
                while (s < ll && (line[s] == ' ' || line[s] == '\t'))
                        s++;
                if (s == ll || line[s] == '#' || line[s] == '\r')
                        continue;
                for (k = s; k < ll && (isalnum((unsigned char)line[k]) || line[k] == '_'); k++)
                        ;
                if (k == s || k >= ll || line[k] != '=') {
                        if (!first_err)
                                first_err = dou_err_set(DOU_EINVAL, "line %zu: not KEY=VALUE", lineno);
                        continue;
                }
                while (ll > k + 1 && (line[ll - 1] == '\r' || line[ll - 1] == ' '))
                        ll--;
                vn = unquote(line + k + 1, ll - k - 1, val);
                if (vn < 0) {
                        if (!first_err)
                                first_err = dou_err_set(DOU_EINVAL, "line %zu: unterminated quote", lineno);
                        continue;
                }
                r = fn(line + s, k - s, val, (size_t)vn, ctx);
                if (r < 0) {
                        free(val);
                        return r;
                }
        }
        free(val);
        return first_err;
}

static int key_is(const char *k, size_t kn, const char *want)
{
        return strlen(want) == kn && !memcmp(k, want, kn);
}

static int os_release_kv(const char *k, size_t kn, const char *v, size_t vn, void *ctx)
{
        struct os_release *r = ctx;

        if (key_is(k, kn, "ID"))
                return set_field(&r->id, v, vn);
        if (key_is(k, kn, "VERSION_ID"))
                return set_field(&r->version_id, v, vn);
        if (key_is(k, kn, "VERSION_CODENAME"))
                return set_field(&r->version_codename, v, vn);
        if (key_is(k, kn, "PRETTY_NAME"))
                return set_field(&r->pretty_name, v, vn);
        if (key_is(k, kn, "NAME"))
                return set_field(&r->name, v, vn);
        return 0;
}

int os_release_parse(const char *buf, size_t len, struct os_release *ret)
{
        struct os_release r = { 0 };
        int rc;

        if (len > OSPKG_MAX_FILE)
                return dou_err_set(DOU_ETOOBIG, "os-release larger than %u bytes", OSPKG_MAX_FILE);
        rc = parse_kv(buf, len, os_release_kv, &r);
        if (rc == DOU_ENOMEM) {
                os_release_clear(&r);
                return rc;
        }
        if (!r.id && !r.name) {
                os_release_clear(&r);
                return rc < 0 ? rc : dou_err_set(DOU_EINVAL, "no ID or NAME");
        }
        if (!r.id) {            /* os-release(5): ID defaults to "linux" */
                r.id = strdup("linux");
                if (!r.id) {
                        os_release_clear(&r);
                        return DOU_ENOMEM;
                }
        }
        lower(r.id);
        os_release_clear(ret);
        *ret = r;
        return rc;
}

static int lsb_kv(const char *k, size_t kn, const char *v, size_t vn, void *ctx)
{
        struct os_release *r = ctx;

        if (key_is(k, kn, "DISTRIB_ID"))
                return set_field(&r->id, v, vn);
        if (key_is(k, kn, "DISTRIB_RELEASE"))
                return set_field(&r->version_id, v, vn);
        if (key_is(k, kn, "DISTRIB_CODENAME"))
                return set_field(&r->version_codename, v, vn);
        if (key_is(k, kn, "DISTRIB_DESCRIPTION"))
                return set_field(&r->pretty_name, v, vn);
        return 0;
}

/* First line of buf, trimmed, bounded. */
static size_t first_line(const char *buf, size_t len, const char **ret)
{
        const char *nl = memchr(buf, '\n', len);
        size_t n = nl ? (size_t)(nl - buf) : len;

        while (n && isspace((unsigned char)buf[n - 1]))
                n--;
        while (n && isspace((unsigned char)*buf)) {
                buf++;
                n--;
        }
        *ret = buf;
        return n > 256 ? 256 : n;
}

static int printable(const char *s, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
                        return 0;
        return n > 0;
}

/* "Fedora release 39 (Thirty Nine)", "CentOS Linux release 7.9.2009 (Core)" */
static int redhat_release(const char *l, size_t n, struct os_release *r)
{
        static const struct { const char *prefix, *id; } known[] = {
                { "Red Hat Enterprise Linux", "rhel" }, { "CentOS Stream", "centos" },
                { "CentOS", "centos" }, { "Fedora", "fedora" }, { "Rocky Linux", "rocky" },
                { "AlmaLinux", "almalinux" }, { "Oracle Linux", "ol" }, { "Amazon Linux", "amzn" },
        };
        const char *rel = memmem(l, n, " release ", 9), *v, *e;
        int rc;

        if (!rel)
                return dou_err_set(DOU_EINVAL, "no \"release\" in redhat-release");
        for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
                if (!strncmp(l, known[i].prefix, strlen(known[i].prefix)) &&
                    strlen(known[i].prefix) <= n) {
                        if ((rc = set_field(&r->id, known[i].id, strlen(known[i].id))) < 0)
                                return rc;
                        break;
                }
        if (!r->id && (rc = set_field(&r->id, "redhat", 6)) < 0)
                return rc;
        v = rel + 9;
        for (e = v; e < l + n && !isspace((unsigned char)*e); e++)
                ;
        if (e > v && (rc = set_field(&r->version_id, v, (size_t)(e - v))) < 0)
                return rc;
        return set_field(&r->pretty_name, l, n);
}

int os_fallback_parse(enum os_fallback kind, const char *buf, size_t len, struct os_release *ret)
{
        struct os_release r = { 0 };
        const char *l;
        size_t n;
        int rc = 0;

        if (len > OSPKG_MAX_FILE)
                return dou_err_set(DOU_ETOOBIG, "release file larger than %u bytes", OSPKG_MAX_FILE);
        switch (kind) {
        case OS_FB_LSB_RELEASE:
                rc = parse_kv(buf, len, lsb_kv, &r);
                if (rc == DOU_ENOMEM)
                        goto fail;
                if (!r.id) {
                        rc = dou_err_set(DOU_EINVAL, "no DISTRIB_ID");
                        goto fail;
                }
                break;
        case OS_FB_DEBIAN_VERSION:
        case OS_FB_ALPINE_RELEASE:
                n = first_line(buf, len, &l);
                if (!printable(l, n)) {
                        rc = dou_err_set(DOU_EINVAL, "empty or binary release file");
                        goto fail;
                }
                if ((rc = set_field(&r.id, kind == OS_FB_ALPINE_RELEASE ? "alpine" : "debian", 6)) < 0)
                        goto fail;
                if (kind == OS_FB_DEBIAN_VERSION && isdigit((unsigned char)l[0])) {
                        /* "12.5": VERSION_ID in os-release is the major number only */
                        size_t m = 0;

                        while (m < n && isdigit((unsigned char)l[m]))
                                m++;
                        rc = set_field(&r.version_id, l, m);
                } else if (kind == OS_FB_DEBIAN_VERSION) {
                        const char *slash = memchr(l, '/', n);      /* "trixie/sid"; l is not NUL-terminated */

                        rc = set_field(&r.version_codename, l, slash ? (size_t)(slash - l) : n);
                } else {
                        rc = set_field(&r.version_id, l, n);
                }
                if (rc < 0)
                        goto fail;
                break;
        case OS_FB_REDHAT_RELEASE:
                n = first_line(buf, len, &l);
                if (!printable(l, n)) {
                        rc = dou_err_set(DOU_EINVAL, "empty or binary release file");
                        goto fail;
                }
                if ((rc = redhat_release(l, n, &r)) < 0)
                        goto fail;
                break;
        default:
                return dou_err_set(DOU_EINTERNAL, "unknown release file kind");
        }
        lower(r.id);
        os_release_clear(ret);
        *ret = r;
        return rc;
fail:
        os_release_clear(&r);
        return rc;
}
