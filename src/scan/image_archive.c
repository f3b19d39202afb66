/*
 * image_archive.c - docker-archive tarballs (docker save, skopeo copy
 * docker-archive:). Nothing is extracted: a blob is read by opening the
 * tarball with libarchive and skipping (seeking) to its member.
 *
 * The archive has no manifest in the registry sense, so one is made up
 * from manifest.json (the first image in it) and the config: layers are
 * named by the config's rootfs.diff_ids (the digests of the uncompressed
 * layer tars), or by their blobs/sha256/<hex> member names in newer
 * archives, and each is verified while it is read. The "manifest"
 * digest reported for such an image is the digest of that synthesized
 * OCI manifest.
 */
#include "scan/image.h"
#include "util/err.h"

#include <archive.h>
#include <archive_entry.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_MEMBERS (IMAGE_MAX_LAYERS + 1)

struct member {
        char digest[DIGEST_STR_MAX];
        char *name;
};

struct darchive {
        char *file;
        char *manifest;
        size_t manifest_len;
        struct member m[MAX_MEMBERS];
        size_t n;
};

static const char *skip_dot(const char *p)
{
        while (p[0] == '.' && p[1] == '/')
                p += 2;
        while (*p == '/')
                p++;
        return p;
}

/* Open file and position on member; *ret_a reads its data. */
static int seek_member(const char *file, const char *member, struct archive **ret_a)
{
        struct archive *a = archive_read_new();
        struct archive_entry *e;
        int r;

        if (!a)
                return DOU_ENOMEM;
        archive_read_support_format_tar(a);
        archive_read_support_format_gnutar(a);
        archive_read_support_filter_none(a);
        archive_read_support_filter_gzip(a);
        if (archive_read_open_filename(a, file, 1 << 16) != ARCHIVE_OK) {
                int rc = dou_err_set(DOU_EIO, "%s: %s", file, archive_error_string(a));

                archive_read_free(a);
                return rc;
        }
        while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
                if (!strcmp(skip_dot(archive_entry_pathname(e)), skip_dot(member))) {
                        *ret_a = a;
                        return 0;
                }
        }
        r = r == ARCHIVE_EOF ? dou_err_set(DOU_ENOTFOUND, "%s: no member %s", file, member)
                             : dou_err_set(DOU_EINVAL, "%s: %s", file, archive_error_string(a));
        archive_read_free(a);
        return r;
}

static ssize_t ar_read(void *ctx, void *buf, size_t n)
{
        struct archive *a = ctx;
        la_ssize_t r = archive_read_data(a, buf, n);

        if (r < 0)
                return dou_err_set(DOU_EINVAL, "docker-archive: %s", archive_error_string(a));
        return r;
}

static void ar_close(void *ctx)
{
        archive_read_free(ctx);
}

static int read_member(const char *file, const char *member, char **ret, size_t *ret_len)
{
        struct archive *a;
        size_t len = 0, cap = 8192;
        char *b;
        int rc;

        if ((rc = seek_member(file, member, &a)) < 0)
                return rc;
        if (!(b = malloc(cap + 1))) {
                archive_read_free(a);
                return DOU_ENOMEM;
        }
        for (;;) {
                ssize_t n;

                if (len == cap) {
                        char *nb;

                        if (cap >= IMAGE_MAX_MANIFEST) {
                                rc = dou_err_set(DOU_ETOOBIG, "%s: %s larger than %u bytes", file, member,
                                                 IMAGE_MAX_MANIFEST);
                                break;
                        }
                        if (!(nb = realloc(b, cap * 2 + 1))) {
                                rc = DOU_ENOMEM;
                                break;
                        }
                        b = nb;
                        cap *= 2;
                }
                n = ar_read(a, b + len, cap - len);
                if (n < 0) {
                        rc = (int)n;
                        break;
                }
                if (n == 0)
                        break;
                len += (size_t)n;
        }
        archive_read_free(a);
        if (rc < 0) {
                free(b);
                return rc;
        }
        b[len] = 0;
        *ret = b;
        *ret_len = len;
        return 0;
}

static int da_get_blob(void *ctx, const char *digest, struct blob_reader *ret)
{
        struct darchive *d = ctx;
        struct archive *a;
        int rc;

        for (size_t i = 0; i < d->n; i++) {
                if (strcmp(d->m[i].digest, digest))
                        continue;
                if ((rc = seek_member(d->file, d->m[i].name, &a)) < 0)
                        return rc;
                *ret = (struct blob_reader){ .read = ar_read, .close = ar_close, .ctx = a };
                return 0;
        }
        return dou_err_set(DOU_ENOTFOUND, "%s: no blob %s", d->file, digest);
}

static int da_get_root(void *ctx, char **ret_buf, size_t *ret_len, char ret_digest[DIGEST_STR_MAX])
{
        struct darchive *d = ctx;

        if (!(*ret_buf = malloc(d->manifest_len + 1)))
                return DOU_ENOMEM;
        memcpy(*ret_buf, d->manifest, d->manifest_len + 1);
        *ret_len = d->manifest_len;
        ret_digest[0] = 0;
        return 0;
}

static void da_free(void *ctx)
{
        struct darchive *d = ctx;

        for (size_t i = 0; i < d->n; i++)
                free(d->m[i].name);
        free(d->file);
        free(d->manifest);
        free(d);
}

static int add_member(struct darchive *d, const char *digest, const char *name)
{
        if (d->n >= MAX_MEMBERS)
                return dou_err_set(DOU_ETOOBIG, "too many layers");
        snprintf(d->m[d->n].digest, DIGEST_STR_MAX, "%s", digest);
        if (!(d->m[d->n].name = strdup(name)))
                return DOU_ENOMEM;
        d->n++;
        return 0;
}

/* Build the synthesized manifest from manifest.json and the config. */
static int load(struct darchive *d)
{
        char *buf = NULL, *cbuf = NULL;
        size_t len, clen, i;
        json_t *mj = NULL, *cj = NULL, *img, *layers, *diff, *l, *om = NULL, *ol;
        const char *cfg;
        struct digest cd;
        int rc;

        if ((rc = read_member(d->file, "manifest.json", &buf, &len)) < 0)
                return rc == DOU_ENOTFOUND ? dou_err_set(DOU_EINVAL, "%s: not a docker-archive (no manifest.json)",
                                                         d->file) : rc;
        mj = json_loadb(buf, len, 0, NULL);
        img = json_array_get(mj, 0);
        cfg = json_string_value(json_object_get(img, "Config"));
        layers = json_object_get(img, "Layers");
        if (!cfg || !json_is_array(layers) || json_array_size(layers) > IMAGE_MAX_LAYERS) {
                rc = dou_err_set(DOU_EINVAL, "%s: manifest.json has no Config/Layers", d->file);
                goto out;
        }
        if ((rc = read_member(d->file, cfg, &cbuf, &clen)) < 0 ||
            (rc = digest_buf(DIGEST_SHA256, cbuf, clen, &cd)) < 0 || (rc = add_member(d, cd.str, cfg)) < 0)
                goto out;
        cj = json_loadb(cbuf, clen, 0, NULL);
        diff = json_object_get(json_object_get(cj, "rootfs"), "diff_ids");
        om = json_pack("{s:i, s:s, s:{s:s, s:s, s:I}, s:[]}", "schemaVersion", 2,
                       "mediaType", "application/vnd.oci.image.manifest.v1+json",
                       "config", "mediaType", "application/vnd.oci.image.config.v1+json",
                       "digest", cd.str, "size", (json_int_t)clen, "layers");
        if (!om) {
                rc = DOU_ENOMEM;
                goto out;
        }
        ol = json_object_get(om, "layers");
        json_array_foreach(layers, i, l) {
                const char *name = json_string_value(l), *diffid = json_string_value(json_array_get(diff, i));
                const char *p = name ? skip_dot(name) : NULL;
                char dg[DIGEST_STR_MAX];
                struct digest pd;

                if (!p) {
                        rc = dou_err_set(DOU_EINVAL, "%s: layer %zu has no name", d->file, i);
                        goto out;
                }
                if (!strncmp(p, "blobs/sha256/", 13) && strlen(p) == 13 + 64)
                        snprintf(dg, sizeof(dg), "sha256:%s", p + 13);
                else if (diffid)
                        snprintf(dg, sizeof(dg), "%s", diffid);
                else {
                        rc = dou_err_set(DOU_EINVAL, "%s: no digest for layer %s", d->file, p);
                        goto out;
                }
                if (digest_parse(dg, strlen(dg), &pd) < 0) {
                        rc = dou_err_set(DOU_EINVAL, "%s: bad digest for layer %s", d->file, p);
                        goto out;
                }
                if ((rc = add_member(d, pd.str, p)) < 0)
                        goto out;
                json_array_append_new(ol, json_pack("{s:s, s:s}", "mediaType",
                                                    "application/vnd.oci.image.layer.v1.tar", "digest", pd.str));
        }
        d->manifest = json_dumps(om, JSON_COMPACT | JSON_SORT_KEYS);
        if (!d->manifest)
                rc = DOU_ENOMEM;
        else
                d->manifest_len = strlen(d->manifest);
out:
        json_decref(om);
        json_decref(cj);
        json_decref(mj);
        free(buf);
        free(cbuf);
        return rc;
}

int image_source_docker_archive(const char *file, struct image_source *ret)
{
        struct darchive *d = calloc(1, sizeof(*d));
        int rc;

        if (!d)
                return DOU_ENOMEM;
        if (!(d->file = strdup(file))) {
                free(d);
                return DOU_ENOMEM;
        }
        if ((rc = load(d)) < 0) {
                da_free(d);
                return rc;
        }
        *ret = (struct image_source){
                .get_root = da_get_root, .get_blob = da_get_blob, .free = da_free, .ctx = d,
        };
        return 0;
}
