/*
 * rpm_header.c - one rpm header blob as stored in every rpmdb backend:
 *
 *   be32 il (index entries), be32 dl (data bytes),
 *   il x { be32 tag, be32 type, be32 offset, be32 count },
 *   dl bytes of data.
 *
 * Nothing in the blob is trusted: il and dl are bounded (rpm's own
 * HEADER_TAGS_MAX / HEADER_DATA_MAX) and must add up to at most the blob
 * length, every offset is checked against dl, every string must end with
 * a NUL inside the data store. Only the tags we report are looked at.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scan/lang/lang_int.h"
#include "util/err.h"

#define RPM_MAX_TAGS 0xffffu
#define RPM_MAX_DATA 0x0fffffffu

enum {
        RPMTAG_NAME = 1000, RPMTAG_VERSION = 1001, RPMTAG_RELEASE = 1002, RPMTAG_EPOCH = 1003,
        RPMTAG_LICENSE = 1014, RPMTAG_ARCH = 1022, RPMTAG_SOURCERPM = 1044,
};
enum { RPM_INT32_TYPE = 4, RPM_STRING_TYPE = 6, RPM_STRING_ARRAY_TYPE = 8, RPM_I18NSTRING_TYPE = 9 };

static uint32_t be32(const uint8_t *p)
{
        return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

struct rpm_hdr {
        const uint8_t *index, *data;
        uint32_t il, dl;
};

/* The entry for tag, or NULL. */
static const uint8_t *find_tag(const struct rpm_hdr *h, uint32_t tag)
{
        for (uint32_t i = 0; i < h->il; i++)
                if (be32(h->index + 16u * i) == tag)
                        return h->index + 16u * i;
        return NULL;
}

/* String value of tag (first element for arrays): 0 and NULL if absent, <0 if malformed. */
static int get_string(const struct rpm_hdr *h, uint32_t tag, const char **ret)
{
        *ret = NULL;
        const uint8_t *e = find_tag(h, tag);
        if (!e)
                return 0;
        uint32_t type = be32(e + 4), off = be32(e + 8), count = be32(e + 12);
        if (type != RPM_STRING_TYPE && type != RPM_STRING_ARRAY_TYPE && type != RPM_I18NSTRING_TYPE)
                return dou_err_set(DOU_EINVAL, "tag %u has type %u, not a string", tag, type);
        if (count == 0 || off >= h->dl)
                return dou_err_set(DOU_EINVAL, "tag %u offset %u outside data (%u bytes)", tag, off,
                                   h->dl);
        const uint8_t *nul = memchr(h->data + off, 0, h->dl - off);
        if (!nul)
                return dou_err_set(DOU_EINVAL, "tag %u string not terminated", tag);
        *ret = (const char *)h->data + off;
        return 0;
}

static int get_int32(const struct rpm_hdr *h, uint32_t tag, uint32_t *ret, bool *ret_found)
{
        *ret_found = false;
        const uint8_t *e = find_tag(h, tag);
        if (!e)
                return 0;
        uint32_t type = be32(e + 4), off = be32(e + 8), count = be32(e + 12);
        if (type != RPM_INT32_TYPE || count == 0 || off > h->dl || h->dl - off < 4)
                return dou_err_set(DOU_EINVAL, "tag %u is not a valid int32", tag);
        *ret = be32(h->data + off);
        *ret_found = true;
        return 0;
}

/* "name-version-release.src.rpm" -> name, "version-release" */
static void split_srpm(const char *s, char **ret_name, char **ret_ver)
{
        *ret_name = *ret_ver = NULL;
        size_t n = strlen(s);
        if (n > 8 && strcmp(s + n - 8, ".src.rpm") == 0)
                n -= 8;
        else if (n > 10 && strcmp(s + n - 10, ".nosrc.rpm") == 0)
                n -= 10;
        else
                return;
        const char *rel = NULL, *ver = NULL;
        for (size_t i = n; i-- > 0;) {
                if (s[i] != '-')
                        continue;
                if (!rel)
                        rel = s + i;
                else {
                        ver = s + i;
                        break;
                }
        }
        if (!ver || ver == s)
                return;
        *ret_name = lang__field_dup(s, (size_t)(ver - s));
        *ret_ver = lang__field_dup(ver + 1, (size_t)(s + n - ver - 1));
}

/* Old Fedora names ("GPLv2+ and MIT") are not SPDX: keep only real expressions. */
static char *rpm_license(const char *s)
{
        if (!s)
                return NULL;
        const char *m = lang__license_to_spdx(s, strlen(s));
        if (m)
                return strdup(m);
        if (!lang__spdx_plausible(s))
                return NULL;
        return strdup(s);
}

static char *join_evr(bool has_epoch, uint32_t epoch, const char *v, const char *r)
{
        size_t n = strlen(v) + (r ? strlen(r) : 0) + 16;
        char *s = malloc(n);
        if (!s)
                return NULL;
        if (has_epoch && r)
                snprintf(s, n, "%u:%s-%s", epoch, v, r);
        else if (has_epoch)
                snprintf(s, n, "%u:%s", epoch, v);
        else if (r)
                snprintf(s, n, "%s-%s", v, r);
        else
                snprintf(s, n, "%s", v);
        return s;
}

static int emit_header(const struct rpm_hdr *h, const struct scan_file *f, struct pkg_list *out)
{
        const char *name, *ver, *rel, *arch, *lic, *srpm;
        uint32_t epoch = 0;
        bool has_epoch;
        int r;
        if ((r = get_string(h, RPMTAG_NAME, &name)) < 0 ||
            (r = get_string(h, RPMTAG_VERSION, &ver)) < 0 ||
            (r = get_string(h, RPMTAG_RELEASE, &rel)) < 0 ||
            (r = get_string(h, RPMTAG_ARCH, &arch)) < 0 ||
            (r = get_string(h, RPMTAG_LICENSE, &lic)) < 0 ||
            (r = get_string(h, RPMTAG_SOURCERPM, &srpm)) < 0 ||
            (r = get_int32(h, RPMTAG_EPOCH, &epoch, &has_epoch)) < 0) {
                char why[256];
                snprintf(why, sizeof(why), "%s", dou_err_msg());
                return dou_err_set(r, "%s: rpm header: %s", f->path, why);
        }
        if (!name || !ver)
                return dou_err_set(DOU_EINVAL, "%s: rpm header without name or version", f->path);
        if (strcmp(name, "gpg-pubkey") == 0)
                return 0;       /* imported signing keys, not software */

        char *n = lang__field_dup(name, strlen(name));
        char *v = lang__field_dup(ver, strlen(ver));
        char *rl = rel ? lang__field_dup(rel, strlen(rel)) : NULL;
        char *a = arch ? lang__field_dup(arch, strlen(arch)) : NULL;
        char *l = rpm_license(lic);
        char *sn = NULL, *sv = NULL, *evr = NULL, *sevr = NULL;
        if (srpm)
                split_srpm(srpm, &sn, &sv);
        if (!n || !v) {
                r = dou_err_set(DOU_EINVAL, "%s: rpm header with unusable name or version", f->path);
                goto out;
        }
        evr = join_evr(has_epoch, epoch, v, rl);
        if (sv)
                sevr = join_evr(has_epoch, epoch, sv, NULL);
        if (!evr || (sv && !sevr)) {
                r = dou_err_set(DOU_ENOMEM, "%s: out of memory", f->path);
                goto out;
        }
        struct scan_pkg p = {
                .type = PKG_RPM, .name = n, .version = evr, .arch = a, .license = l,
                .source_name = sn, .source_version = sevr,
        };
        r = lang__emit(out, f, &p);
out:
        free(n), free(v), free(rl), free(a), free(l), free(sn), free(sv), free(evr), free(sevr);
        return r;
}

int lang__rpm_header_parse(const uint8_t *blob, size_t len, const struct scan_file *f,
                           struct pkg_list *out)
{
        if (len < 8)
                return dou_err_set(DOU_EINVAL, "%s: rpm header blob of %zu bytes", f->path, len);
        struct rpm_hdr h = { .il = be32(blob), .dl = be32(blob + 4) };
        if (h.il == 0 || h.il > RPM_MAX_TAGS || h.dl > RPM_MAX_DATA)
                return dou_err_set(DOU_EINVAL, "%s: rpm header with %u tags and %u data bytes",
                                   f->path, h.il, h.dl);
        uint64_t need = 8 + 16 * (uint64_t)h.il + h.dl;
        if (need > len)
                return dou_err_set(DOU_EINVAL, "%s: rpm header needs %llu bytes, blob has %zu",
                                   f->path, (unsigned long long)need, len);
        h.index = blob + 8;
        h.data = h.index + 16u * h.il;
        return emit_header(&h, f, out);
}
