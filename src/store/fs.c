/*
 * fs.c - the local filesystem content store.
 *
 * Layout under DATA/:
 *   blobs/<alg>/<first two hex>/<hex>   committed blobs, read-only
 *   uploads/<uuid>                      upload data in progress
 *
 * Invariant: a file under blobs/ is complete and its content matches its
 * name. It gets there only by rename() from uploads/ (or from a temp file
 * for manifests) after fsync, and the directory is fsynced after the
 * rename. Upload files are in the same filesystem, so rename is atomic.
 */
#include "store/store.h"
#include "util/err.h"
#include "util/fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define HASH_CHUNK (1u << 20)
/*
 * Start writeback of upload data every this many bytes, so the fsync at
 * commit finds most of the blob already on disk: a push then costs
 * max(network, disk) instead of network + disk.
 */
#define WRITEBACK_CHUNK (8u << 20)

struct store {
        char *root;
        char blobs[PATH_MAX];
        char uploads[PATH_MAX];
};

struct store_upload {
        struct store *s;
        char id[STORE_UPLOAD_ID_LEN + 1];
        char path[PATH_MAX];
        int fd;
        uint64_t size;
        uint64_t limit;
        uint64_t flushed;       /* bytes handed to writeback */
        /*
         * One running hash, of the algorithm the client announced (sha256
         * unless told otherwise). If the final digest names the other
         * algorithm, commit re-reads the file once: rare, and it keeps
         * the common path at one hash per byte.
         */
        struct hasher *h;
};

int store_open(const char *data_dir, struct store **ret)
{
        struct store *s = calloc(1, sizeof(*s));
        int r;

        if (!s)
                return dou_err_set(DOU_ENOMEM, "out of memory");
        s->root = strdup(data_dir);
        if (!s->root) {
                free(s);
                return dou_err_set(DOU_ENOMEM, "out of memory");
        }
        if ((r = fs_path(s->blobs, sizeof(s->blobs), "%s/blobs", data_dir)) < 0 ||
            (r = fs_path(s->uploads, sizeof(s->uploads), "%s/uploads", data_dir)) < 0 ||
            (r = fs_mkdir_p(s->blobs, 0755)) < 0 || (r = fs_mkdir_p(s->uploads, 0700)) < 0) {
                store_close(s);
                return r;
        }
        *ret = s;
        return 0;
}

struct store *store_close(struct store *s)
{
        if (s) {
                free(s->root);
                free(s);
        }
        return NULL;
}

static int blob_dir(const struct store *s, const struct digest *d, char *out, size_t n)
{
        const char *hex = digest_hex(d);

        return fs_path(out, n, "%s/%s/%.2s", s->blobs, digest_alg_name(d->alg), hex);
}

static int blob_path(const struct store *s, const struct digest *d, char *out, size_t n)
{
        const char *hex = digest_hex(d);

        return fs_path(out, n, "%s/%s/%.2s/%s", s->blobs, digest_alg_name(d->alg), hex, hex);
}

int store_blob_stat(struct store *s, const struct digest *d, uint64_t *ret_size)
{
        char p[PATH_MAX];
        struct stat st;
        int r;

        if ((r = blob_path(s, d, p, sizeof(p))) < 0)
                return r;
        if (stat(p, &st) < 0)
                return errno == ENOENT ? dou_err_set(DOU_ENOTFOUND, "blob unknown")
                                       : dou_err_errno(DOU_EIO, "stat blob");
        *ret_size = (uint64_t)st.st_size;
        return 0;
}

int store_blob_open(struct store *s, const struct digest *d, int *ret_fd, uint64_t *ret_size)
{
        char p[PATH_MAX];
        struct stat st;
        int fd, r;

        if ((r = blob_path(s, d, p, sizeof(p))) < 0)
                return r;
        fd = open(p, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? dou_err_set(DOU_ENOTFOUND, "blob unknown")
                                       : dou_err_errno(DOU_EIO, "open blob");
        if (fstat(fd, &st) < 0) {
                close(fd);
                return dou_err_errno(DOU_EIO, "stat blob");
        }
        *ret_fd = fd;
        *ret_size = (uint64_t)st.st_size;
        return 0;
}

struct rename_args {
        const char *from, *to;
};

static int do_rename(void *ud)
{
        struct rename_args *a = ud;

        if (rename(a->from, a->to) < 0)
                return dou_err_errno(DOU_EIO, "rename into store");
        return fs_fsync_parent(a->to);
}

static int publish_file(struct store *s, const struct digest *d, const char *tmp,
                        int (*publish)(void *, int (*)(void *), void *), void *ud)
{
        char dir[PATH_MAX], dst[PATH_MAX];
        struct rename_args a = { tmp, dst };
        int r;

        if ((r = blob_dir(s, d, dir, sizeof(dir))) < 0 || (r = blob_path(s, d, dst, sizeof(dst))) < 0)
                return r;
        if ((r = fs_mkdir_p(dir, 0755)) < 0)
                return r;
        return publish ? publish(ud, do_rename, &a) : do_rename(&a);
}

int store_blob_put(struct store *s, const struct digest *d, const void *buf, size_t len)
{
        char id[STORE_UPLOAD_ID_LEN + 1];
        struct store_upload *u;
        int r;

        if ((r = store_upload_new(s, id, &u)) < 0)
                return r;
        if ((r = store_upload_write(u, buf, len)) < 0) {
                store_upload_cancel(u);
                return r;
        }
        return store_upload_commit(u, d, NULL, NULL);
}

int store_blob_delete(struct store *s, const struct digest *d)
{
        char p[PATH_MAX];
        int r;

        if ((r = blob_path(s, d, p, sizeof(p))) < 0)
                return r;
        if (unlink(p) < 0 && errno != ENOENT)
                return dou_err_errno(DOU_EIO, "unlink blob");
        return 0;
}

static int foreach_prefix(const char *dir, enum digest_alg alg,
                          int (*fn)(const struct digest *, void *), void *ud)
{
        DIR *dp = opendir(dir);
        struct dirent *e;
        char s[DIGEST_STR_MAX + 8];
        struct digest d;
        int r = 0;

        if (!dp)
                return 0;
        while (r >= 0 && (e = readdir(dp))) {
                if (e->d_name[0] == '.')
                        continue;
                if (fs_path(s, sizeof(s), "%s:%s", digest_alg_name(alg), e->d_name) < 0 ||
                    digest_parse(s, strlen(s), &d) < 0)
                        continue;       /* not a blob (temp file, stray) */
                r = fn(&d, ud);
        }
        closedir(dp);
        return r;
}

int store_blob_foreach(struct store *s, int (*fn)(const struct digest *d, void *ud), void *ud)
{
        static const enum digest_alg algs[] = { DIGEST_SHA256, DIGEST_SHA512 };
        char adir[PATH_MAX], pdir[PATH_MAX];
        int r = 0;

        for (size_t i = 0; i < 2 && r >= 0; i++) {
                fs_path(adir, sizeof(adir), "%s/%s", s->blobs, digest_alg_name(algs[i]));
                DIR *dp = opendir(adir);
                struct dirent *e;
                if (!dp)
                        continue;
                while (r >= 0 && (e = readdir(dp))) {
                        if (strlen(e->d_name) != 2)
                                continue;
                        if (fs_path(pdir, sizeof(pdir), "%s/%s", adir, e->d_name) < 0)
                                continue;
                        r = foreach_prefix(pdir, algs[i], fn, ud);
                }
                closedir(dp);
        }
        return r;
}

static void new_uuid(char out[STORE_UPLOAD_ID_LEN + 1])
{
        unsigned char b[16];

        if (RAND_bytes(b, sizeof(b)) != 1) {
                /* RAND_bytes failing means a broken system; ids must still be unique */
                struct timespec ts;
                clock_gettime(CLOCK_REALTIME, &ts);
                memcpy(b, &ts, sizeof(ts) < 16 ? sizeof(ts) : 16);
        }
        b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
        b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
        snprintf(out, STORE_UPLOAD_ID_LEN + 1,
                 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11],
                 b[12], b[13], b[14], b[15]);
}

static int valid_upload_id(const char *id)
{
        if (strlen(id) != STORE_UPLOAD_ID_LEN)
                return 0;
        for (size_t i = 0; i < STORE_UPLOAD_ID_LEN; i++) {
                char c = id[i];
                if (i == 8 || i == 13 || i == 18 || i == 23) {
                        if (c != '-')
                                return 0;
                } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
                        return 0;
                }
        }
        return 1;
}

static struct store_upload *upload_alloc(struct store *s, const char *id)
{
        struct store_upload *u = calloc(1, sizeof(*u));

        if (!u)
                return NULL;
        u->s = s;
        u->fd = -1;
        memcpy(u->id, id, STORE_UPLOAD_ID_LEN + 1);
        fs_path(u->path, sizeof(u->path), "%s/%s", s->uploads, id);
        u->h = hasher_new(DIGEST_SHA256);
        if (!u->h) {
                store_upload_close(u);
                return NULL;
        }
        return u;
}

int store_upload_new(struct store *s, char id[STORE_UPLOAD_ID_LEN + 1], struct store_upload **ret)
{
        struct store_upload *u;

        new_uuid(id);
        u = upload_alloc(s, id);
        if (!u)
                return dou_err_set(DOU_ENOMEM, "out of memory");
        u->fd = open(u->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (u->fd < 0) {
                int r = dou_err_errno(DOU_EIO, "create upload");
                store_upload_close(u);
                return r;
        }
        *ret = u;
        return 0;
}

/* Reset the running hash to alg and feed it the bytes already written. */
static int rehash(struct store_upload *u, enum digest_alg alg)
{
        char *buf = malloc(HASH_CHUNK);
        int fd = open(u->path, O_RDONLY | O_CLOEXEC);
        int r = 0;
        ssize_t n = 0;

        if (!buf || fd < 0) {
                free(buf);
                if (fd >= 0)
                        close(fd);
                return fd < 0 ? dou_err_errno(DOU_EIO, "open upload") : dou_err_set(DOU_ENOMEM, "oom");
        }
        hasher_free(u->h);
        u->h = hasher_new(alg);
        u->size = 0;
        if (!u->h)
                r = dou_err_set(DOU_ENOMEM, "out of memory");
        while (r == 0 && (n = read(fd, buf, HASH_CHUNK)) > 0) {
                hasher_update(u->h, buf, (size_t)n);
                u->size += (uint64_t)n;
        }
        if (r == 0 && n < 0)
                r = dou_err_errno(DOU_EIO, "read upload");
        close(fd);
        free(buf);
        return r;
}

int store_upload_open(struct store *s, const char *id, struct store_upload **ret)
{
        struct store_upload *u;
        int r;

        if (!valid_upload_id(id))
                return dou_err_set(DOU_ENOTFOUND, "upload unknown");
        u = upload_alloc(s, id);
        if (!u)
                return dou_err_set(DOU_ENOMEM, "out of memory");
        u->fd = open(u->path, O_WRONLY | O_APPEND | O_CLOEXEC);
        if (u->fd < 0) {
                r = errno == ENOENT ? dou_err_set(DOU_ENOTFOUND, "upload unknown")
                                    : dou_err_errno(DOU_EIO, "open upload");
                store_upload_close(u);
                return r;
        }
        if ((r = rehash(u, DIGEST_SHA256)) < 0) {
                store_upload_close(u);
                return r;
        }
        *ret = u;
        return 0;
}

void store_upload_set_limit(struct store_upload *u, uint64_t max_bytes)
{
        u->limit = max_bytes;
}

int store_upload_write(struct store_upload *u, const void *buf, size_t len)
{
        int r;

        if (u->limit && u->size + len > u->limit)
                return dou_err_set(DOU_ETOOBIG, "upload exceeds %llu bytes",
                                   (unsigned long long)u->limit);
        if ((r = fs_write_all(u->fd, buf, len)) < 0)
                return r;
        hasher_update(u->h, buf, len);
        u->size += len;
        if (u->size - u->flushed >= WRITEBACK_CHUNK) {
                /* advisory: failure only means the fsync at commit does more work */
                (void)sync_file_range(u->fd, (off_t)u->flushed, (off_t)(u->size - u->flushed),
                                      SYNC_FILE_RANGE_WRITE);
                u->flushed = u->size;
        }
        return 0;
}

uint64_t store_upload_size(const struct store_upload *u)
{
        return u->size;
}

const char *store_upload_id(const struct store_upload *u)
{
        return u->id;
}

int store_upload_commit(struct store_upload *u, const struct digest *want,
                        int (*publish)(void *, int (*)(void *), void *), void *ud)
{
        struct digest got;
        int r;

        r = hasher_alg(u->h) == want->alg ? 0 : rehash(u, want->alg);
        if (r == 0)
                r = hasher_final(u->h, &got);
        if (r == 0 && strcmp(got.str, want->str) != 0)
                r = dou_err_set(DOU_EDIGEST, "content digest is %s", got.str);
        if (r == 0 && fsync(u->fd) < 0)
                r = dou_err_errno(DOU_EIO, "fsync upload");
        if (r == 0)
                r = publish_file(u->s, want, u->path, publish, ud);
        if (r < 0)
                unlink(u->path);        /* nothing of a failed commit stays behind */
        store_upload_close(u);
        return r;
}

void store_upload_cancel(struct store_upload *u)
{
        if (!u)
                return;
        unlink(u->path);
        store_upload_close(u);
}

struct store_upload *store_upload_close(struct store_upload *u)
{
        if (u) {
                if (u->fd >= 0)
                        close(u->fd);
                hasher_free(u->h);
                free(u);
        }
        return NULL;
}

int store_upload_remove(struct store *s, const char *id)
{
        char p[PATH_MAX];

        if (!valid_upload_id(id))
                return dou_err_set(DOU_ENOTFOUND, "upload unknown");
        if (fs_path(p, sizeof(p), "%s/%s", s->uploads, id) < 0)
                return DOU_EINVAL;
        if (unlink(p) < 0)
                return errno == ENOENT ? dou_err_set(DOU_ENOTFOUND, "upload unknown")
                                       : dou_err_errno(DOU_EIO, "remove upload");
        return 0;
}

int store_upload_purge(struct store *s, unsigned max_age_sec)
{
        DIR *dp = opendir(s->uploads);
        struct dirent *e;
        struct stat st;
        char p[PATH_MAX];
        time_t now = time(NULL);
        int n = 0;

        if (!dp)
                return dou_err_errno(DOU_EIO, "open uploads");
        while ((e = readdir(dp))) {
                if (e->d_name[0] == '.')
                        continue;
                if (fs_path(p, sizeof(p), "%s/%s", s->uploads, e->d_name) < 0)
                        continue;
                if (stat(p, &st) == 0 && now - st.st_mtime > (time_t)max_age_sec && unlink(p) == 0)
                        n++;
        }
        closedir(dp);
        return n;
}
