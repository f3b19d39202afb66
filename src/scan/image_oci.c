/*
 * image_oci.c - OCI image layout directories (oci:DIR[:TAG]).
 *
 * The tag selects a descriptor of index.json by its
 * org.opencontainers.image.ref.name annotation; without a tag a single
 * descriptor is used, or index.json itself when there are several. Blob
 * paths are built only from validated digests, so nothing outside
 * DIR/blobs is opened.
 */
#include "scan/image.h"
#include "util/err.h"
#include "util/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct oci {
        char *dir;
        char *tag;
};

struct fd_reader {
        int fd;
};

static ssize_t fd_read(void *ctx, void *buf, size_t n)
{
        struct fd_reader *r = ctx;
        ssize_t got;

        do
                got = read(r->fd, buf, n);
        while (got < 0 && errno == EINTR);
        if (got < 0)
                return dou_err_errno(DOU_EIO, "read blob");
        return got;
}

static void fd_close(void *ctx)
{
        struct fd_reader *r = ctx;

        close(r->fd);
        free(r);
}

static int oci_get_blob(void *ctx, const char *digest, struct blob_reader *ret)
{
        struct oci *o = ctx;
        struct digest d;
        char path[4096];
        struct fd_reader *r;
        int fd;

        if (digest_parse(digest, strlen(digest), &d) < 0)
                return dou_err_set(DOU_EINVAL, "bad digest \"%.80s\"", digest);
        snprintf(path, sizeof(path), "%s/blobs/%s/%s", o->dir, digest_alg_name(d.alg), digest_hex(&d));
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return dou_err_errno(errno == ENOENT ? DOU_ENOTFOUND : DOU_EIO, "blob %s", digest);
        if (!(r = malloc(sizeof(*r)))) {
                close(fd);
                return DOU_ENOMEM;
        }
        r->fd = fd;
        *ret = (struct blob_reader){ .read = fd_read, .close = fd_close, .ctx = r };
        return 0;
}

static int oci_get_root(void *ctx, char **ret_buf, size_t *ret_len, char ret_digest[DIGEST_STR_MAX])
{
        struct oci *o = ctx;
        struct image_source src = { .get_blob = oci_get_blob, .ctx = o };
        char path[4096], *buf;
        size_t len, i;
        json_t *j, *ms, *d, *pick = NULL;
        int rc;

        snprintf(path, sizeof(path), "%s/index.json", o->dir);
        if ((rc = fs_read_small(path, IMAGE_MAX_MANIFEST, &buf, &len)) < 0)
                return dou_err_set(rc == DOU_ENOTFOUND ? DOU_ENOTFOUND : rc, "%s: not an OCI layout: %s",
                                   o->dir, dou_err_msg());
        j = json_loadb(buf, len, 0, NULL);
        ms = json_object_get(j, "manifests");
        if (!json_is_array(ms)) {
                json_decref(j);
                free(buf);
                return dou_err_set(DOU_EINVAL, "%s/index.json: no manifests array", o->dir);
        }
        json_array_foreach(ms, i, d) {
                const char *name = json_string_value(json_object_get(json_object_get(d, "annotations"),
                                                                     "org.opencontainers.image.ref.name"));

                if (o->tag ? name && !strcmp(name, o->tag) : json_array_size(ms) == 1) {
                        pick = d;
                        break;
                }
        }
        if (!pick) {
                json_decref(j);
                if (o->tag) {
                        free(buf);
                        return dou_err_set(DOU_ENOTFOUND, "%s: no image tagged \"%s\"", o->dir, o->tag);
                }
                *ret_buf = buf;         /* several untagged images: index.json is the index */
                *ret_len = len;
                ret_digest[0] = 0;
                return 0;
        }
        free(buf);
        {
                const char *dg = json_string_value(json_object_get(pick, "digest"));
                char tmp[DIGEST_STR_MAX];

                if (!dg) {
                        json_decref(j);
                        return dou_err_set(DOU_EINVAL, "%s/index.json: descriptor without digest", o->dir);
                }
                snprintf(tmp, sizeof(tmp), "%s", dg);
                json_decref(j);
                if ((rc = blob_read_all(&src, tmp, IMAGE_MAX_MANIFEST, ret_buf, ret_len)) < 0)
                        return rc;
                snprintf(ret_digest, DIGEST_STR_MAX, "%s", tmp);
        }
        return 0;
}

static void oci_free(void *ctx)
{
        struct oci *o = ctx;

        free(o->dir);
        free(o->tag);
        free(o);
}

int image_source_oci(const char *dir, const char *tag, struct image_source *ret)
{
        struct oci *o = calloc(1, sizeof(*o));
        char path[4096];

        if (!o)
                return DOU_ENOMEM;
        o->dir = strdup(dir);
        o->tag = tag ? strdup(tag) : NULL;
        if (!o->dir || (tag && !o->tag)) {
                oci_free(o);
                return DOU_ENOMEM;
        }
        snprintf(path, sizeof(path), "%s/oci-layout", dir);
        if (access(path, R_OK) != 0) {
                oci_free(o);
                return dou_err_set(DOU_ENOTFOUND, "%s: not an OCI image layout (no oci-layout file)", dir);
        }
        *ret = (struct image_source){
                .get_root = oci_get_root, .get_blob = oci_get_blob, .free = oci_free, .ctx = o,
        };
        return 0;
}
