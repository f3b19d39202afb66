/*
 * layer.c - the layer walker; see layer.h for what it records and why.
 *
 * Invariants: nothing is written to the host filesystem and no host path
 * is ever opened; link targets are only strings. Memory is bounded by one
 * matched file (OSPKG_MAX_FILE, or the language parser's own bound) plus
 * the facts recorded. Expanded bytes are bounded by checking each entry's
 * declared size against the remaining budget before libarchive reads or
 * skips it (tar data is exactly the declared size), so a bomb is refused
 * before it is decompressed.
 *
 * Two libarchive readers in a row: `raw` only decompresses (gzip, zstd,
 * xz, or none; concatenated members and frames included) and `a` reads tar
 * from its output. Splitting them is what lets the walker tell a stream
 * that ended cleanly (every filter found its trailer) from a cut one, and
 * count the tar bytes there are. That matters for one shape of layer
 * found in the wild: a tar that stops right after its last entry's data,
 * without that entry's padding to 512 bytes or the end-of-archive blocks
 * (umoci before PR #534 never closed its tar writer in `umoci insert`;
 * Debian 12 ships such a umoci). Go's archive/tar, which containerd,
 * Docker, podman and umoci itself use to apply layers, reads it as a
 * normal end, while libarchive fails on the missing padding. It is
 * accepted here only when the decompressed stream ended cleanly and every
 * data byte the last header declared is there (so no file is ever short);
 * anything else cut short is still an error.
 */
#include "scan/layer.h"
#include "util/err.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define READ_CHUNK (128u << 10)

enum {
        K_NONE = 0,
        K_OS_RELEASE = 1,
        K_FB_DEBIAN = 2, K_FB_ALPINE, K_FB_REDHAT, K_FB_LSB,   /* 1 + enum os_fallback */
        K_DPKG_STATUS = 10, K_DPKG_STATUS_D, K_DPKG_LIST, K_COPYRIGHT, K_APK,
};

/* Paths whose symlinks matter for finding the databases inside the image. */
static const char *const db_paths[] = {
        "etc/os-release", "usr/lib/os-release", "etc/debian_version", "etc/alpine-release",
        "etc/redhat-release", "etc/lsb-release", "var/lib/dpkg/status", "var/lib/dpkg/status.d",
        "lib/apk/db/installed", "var/lib/rpm", "usr/lib/sysimage/rpm",
};

int strvec_push(struct strvec *v, const char *s)
{
        char *c;

        if (v->n == v->cap) {
                size_t nc = v->cap ? v->cap * 2 : 8;
                char **nv = realloc(v->v, nc * sizeof(*nv));

                if (!nv)
                        return DOU_ENOMEM;
                v->v = nv;
                v->cap = nc;
        }
        if (!(c = strdup(s)))
                return DOU_ENOMEM;
        v->v[v->n++] = c;
        return 0;
}

void strvec_clear(struct strvec *v)
{
        for (size_t i = 0; i < v->n; i++)
                free(v->v[i]);
        free(v->v);
        memset(v, 0, sizeof(*v));
}

void layer_result_clear(struct layer_result *r)
{
        free(r->digest);
        pkg_list_clear(&r->pkgs);
        for (size_t i = 0; i < r->n_os; i++) {
                free(r->os[i].path);
                os_release_clear(&r->os[i].rel);
        }
        free(r->os);
        for (size_t i = 0; i < r->n_lic; i++) {
                free(r->lic[i].path);
                free(r->lic[i].pkg);
                free(r->lic[i].expr);
        }
        free(r->lic);
        for (size_t i = 0; i < r->n_own; i++) {
                free(r->own[i].db_path);
                free(r->own[i].owner);
                free(r->own[i].path);
        }
        free(r->own);
        for (size_t i = 0; i < r->n_links; i++) {
                free(r->links[i].path);
                free(r->links[i].target);
        }
        free(r->links);
        strvec_clear(&r->whiteouts);
        strvec_clear(&r->opaque);
        strvec_clear(&r->seen);
        strvec_clear(&r->errors);
        free(r->fatal);
        memset(r, 0, sizeof(*r));
}

/* Normalise; clamp: ".." at the root stays at the root (link resolution) instead of failing. */
static int normalise(const char *in, char *out, size_t outn, int clamp)
{
        size_t o = 0;
        const char *p = in;

        while (*p) {
                const char *s;
                size_t n;

                while (*p == '/')
                        p++;
                s = p;
                while (*p && *p != '/')
                        p++;
                n = (size_t)(p - s);
                if (n == 0 || (n == 1 && s[0] == '.'))
                        continue;
                if (n == 2 && s[0] == '.' && s[1] == '.') {
                        if (!clamp)
                                return DOU_EINVAL;
                        while (o > 0 && out[o - 1] != '/')
                                o--;
                        if (o > 0)
                                o--;
                        continue;
                }
                if (o + (o ? 1 : 0) + n + 1 > outn)
                        return DOU_EINVAL;
                if (o)
                        out[o++] = '/';
                memcpy(out + o, s, n);
                o += n;
        }
        out[o] = 0;
        return o || clamp ? 0 : DOU_EINVAL;
}

int layer_path_normalise(const char *in, char *out, size_t outn)
{
        if (!in || strlen(in) >= LAYER_MAX_PATH)
                return DOU_EINVAL;
        return normalise(in, out, outn, 0);
}

static int has_prefix(const char *s, const char *pre)
{
        return !strncmp(s, pre, strlen(pre));
}

static int ends_with(const char *s, const char *suf)
{
        size_t a = strlen(s), b = strlen(suf);

        return a >= b && !strcmp(s + a - b, suf);
}

/* One path component after pre and before suf, non-empty. */
static int one_component(const char *path, const char *pre, const char *suf)
{
        size_t pl = strlen(pre), sl = strlen(suf), n = strlen(path);

        if (n <= pl + sl || !has_prefix(path, pre) || !ends_with(path, suf))
                return 0;
        for (size_t i = pl; i < n - sl; i++)
                if (path[i] == '/')
                        return 0;
        return 1;
}

int layer_canonical_kind(const char *p)
{
        if (!strcmp(p, "etc/os-release") || !strcmp(p, "usr/lib/os-release"))
                return K_OS_RELEASE;
        if (!strcmp(p, "etc/debian_version"))
                return K_FB_DEBIAN;
        if (!strcmp(p, "etc/alpine-release"))
                return K_FB_ALPINE;
        if (!strcmp(p, "etc/redhat-release"))
                return K_FB_REDHAT;
        if (!strcmp(p, "etc/lsb-release"))
                return K_FB_LSB;
        if (!strcmp(p, "var/lib/dpkg/status"))
                return K_DPKG_STATUS;
        if (one_component(p, "var/lib/dpkg/status.d/", "") && !ends_with(p, ".md5sums"))
                return K_DPKG_STATUS_D;
        if (one_component(p, "var/lib/dpkg/info/", ".list"))
                return K_DPKG_LIST;
        if (one_component(p, "usr/share/doc/", "/copyright"))
                return K_COPYRIGHT;
        if (!strcmp(p, "lib/apk/db/installed"))
                return K_APK;
        return K_NONE;
}

/* A database found away from its usual place: kept only if a link leads there. */
static int alternate_kind(const char *p)
{
        const char *b = strrchr(p, '/');

        b = b ? b + 1 : p;
        if (!strcmp(b, "os-release"))
                return K_OS_RELEASE;
        if (!strcmp(b, "status"))
                return K_DPKG_STATUS;
        if (!strcmp(b, "installed"))
                return K_APK;
        return K_NONE;
}

static int link_relevant(const char *p)
{
        size_t n = strlen(p), slashes = 0;

        for (size_t i = 0; i < sizeof(db_paths) / sizeof(db_paths[0]); i++)
                if (!strncmp(db_paths[i], p, n) && (db_paths[i][n] == '/' || !db_paths[i][n]))
                        return 1;
        for (size_t i = 0; i < n; i++)
                slashes += p[i] == '/';
        return slashes < 2;
}

struct walk {
        struct layer_result *r;
        const struct layer_opts *o;
        scan_read_fn read;
        void *ctx;
        int read_err;                   /* dou_err from read(), message saved */
        char read_msg[256];
        char *chunk;
        struct archive *raw;            /* decompression only */
        struct archive *a;              /* tar, reading raw's output */
        const char *path;               /* current entry */
        ssize_t pending;                /* bytes of chunk not yet handed to libarchive */
        uint64_t tar_len;               /* decompressed bytes handed to `a` so far */
        int raw_eof;                    /* raw ended cleanly: tar_len is the whole tar */
        uint64_t data_end;              /* current entry: offset just past its declared data */
        uint64_t pad_end;               /* ... and past its padding; 0: no tail to forgive */
        const void *blk;                /* entry_read(): the data block being handed out */
        size_t blk_left;
        uint64_t blk_off, out_off;      /* entry offsets of blk and of the next byte handed out */
};

static int add_error(struct layer_result *r, const char *path, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static int add_error(struct layer_result *r, const char *path, const char *fmt, ...)
{
        char msg[512], line[1024];
        va_list ap;

        if (r->errors.n >= LAYER_MAX_ERRORS) {
                r->errors_dropped++;
                return 0;
        }
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        snprintf(line, sizeof(line), "layer %s path %s: %s", r->digest, path ? path : "-", msg);
        return strvec_push(&r->errors, line);
}

static int set_fatal(struct layer_result *r, int code, const char *path, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

static int set_fatal(struct layer_result *r, int code, const char *path, const char *fmt, ...)
{
        char msg[512], line[1024];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        if (path)
                snprintf(line, sizeof(line), "layer %s path %s: %s", r->digest, path, msg);
        else
                snprintf(line, sizeof(line), "layer %s: %s", r->digest, msg);
        free(r->fatal);
        r->fatal = strdup(line);
        r->fatal_code = code;
        return dou_err_set(code, "%s", line);
}

static la_ssize_t read_cb(struct archive *a, void *ud, const void **buf)
{
        struct walk *w = ud;
        ssize_t n;

        if (w->pending) {       /* the first chunk, read before libarchive was opened */
                *buf = w->chunk;
                n = w->pending;
                w->pending = 0;
                return n;
        }
        n = w->read(w->ctx, w->chunk, READ_CHUNK);

        if (n < 0) {
                w->read_err = (int)n;
                snprintf(w->read_msg, sizeof(w->read_msg), "%s", dou_err_msg());
                archive_set_error(a, EIO, "%s", w->read_msg);
                return -1;
        }
        *buf = w->chunk;
        return n;
}

/*
 * Decompressed bytes for the tar reader, straight from raw's buffer: it
 * stays valid until the next archive_read_data_block(raw), which happens
 * only in the next call here, as libarchive requires of a read callback.
 */
static la_ssize_t tar_read_cb(struct archive *a, void *ud, const void **buf)
{
        struct walk *w = ud;

        for (;;) {
                const void *b;
                size_t size;
                la_int64_t off;
                int r = archive_read_data_block(w->raw, &b, &size, &off);

                if (r == ARCHIVE_EOF) {
                        w->raw_eof = 1;
                        return 0;
                }
                if (r < ARCHIVE_WARN) {
                        archive_set_error(a, EIO, "%s", w->read_err ? w->read_msg :
                                          archive_error_string(w->raw) ? archive_error_string(w->raw) :
                                          "decompression failed");
                        return -1;
                }
                if (size) {
                        *buf = b;
                        w->tar_len += size;
                        return (la_ssize_t)size;
                }
        }
}

/*
 * After libarchive failed: true if the tar ended inside the current
 * entry's padding, every declared data byte present, with a clean end of
 * the compressed stream (see the file comment).
 */
static int tail_unpadded(struct walk *w)
{
        if (!w->raw_eof || !w->pad_end || w->tar_len < w->data_end || w->tar_len >= w->pad_end)
                return 0;
        w->r->unpadded_tail = 1;
        return 1;
}

/*
 * Pull reader over the current entry's data, for lang_parse() and slurp().
 * Built on archive_read_data_block() rather than archive_read_data(): the
 * latter copies a last block and then, failing on what follows (the
 * missing padding), returns the error instead of the count, losing bytes
 * it already wrote. Holes of sparse entries read as zeros, as
 * archive_read_data() would give them.
 */
static ssize_t entry_read(void *ctx, void *buf, size_t n)
{
        struct walk *w = ctx;
        size_t k;

        while (!w->blk_left) {
                la_int64_t off;
                int r = archive_read_data_block(w->a, &w->blk, &w->blk_left, &off);

                if (r == ARCHIVE_EOF || (r < ARCHIVE_WARN && tail_unpadded(w))) {
                        w->blk_left = 0;
                        return 0;
                }
                if (r < ARCHIVE_WARN)
                        return dou_err_set(w->read_err ? w->read_err : DOU_EINVAL, "%s",
                                           archive_error_string(w->a) ? archive_error_string(w->a) : "read error");
                if (off < 0 || (uint64_t)off < w->out_off)
                        return dou_err_set(DOU_EINVAL, "entry data out of order");
                w->blk_off = (uint64_t)off;
        }
        if (w->blk_off > w->out_off) {
                k = w->blk_off - w->out_off < n ? (size_t)(w->blk_off - w->out_off) : n;
                memset(buf, 0, k);
        } else {
                k = w->blk_left < n ? w->blk_left : n;
                memcpy(buf, w->blk, k);
                w->blk = (const char *)w->blk + k;
                w->blk_left -= k;
                w->blk_off += k;
        }
        w->out_off += k;
        return (ssize_t)k;
}

/* Read the current entry whole (bounded). */
static int slurp(struct walk *w, char **ret, size_t *ret_len)
{
        size_t cap = 4096, len = 0;
        char *b = malloc(cap);

        if (!b)
                return DOU_ENOMEM;
        for (;;) {
                ssize_t n;

                if (len == cap) {
                        char *nb;

                        if (cap >= OSPKG_MAX_FILE) {
                                free(b);
                                return dou_err_set(DOU_ETOOBIG, "file larger than %u bytes", OSPKG_MAX_FILE);
                        }
                        cap *= 2;
                        nb = realloc(b, cap);
                        if (!nb) {
                                free(b);
                                return DOU_ENOMEM;
                        }
                        b = nb;
                }
                n = entry_read(w, b + len, cap - len);
                if (n < 0) {
                        free(b);
                        return (int)n;
                }
                if (n == 0)
                        break;
                len += (size_t)n;
        }
        *ret = b;
        *ret_len = len;
        return 0;
}

static int own_cb(void *ctx, const char *owner, const char *path)
{
        struct walk *w = ctx;
        struct layer_result *r = w->r;
        struct layer_own *o;

#ifdef DOUANE_SCAN_NO_LANG
        (void)owner;
        (void)path;
        (void)o;
        return 0;
#else
        if (!lang_match(path, 1, S_IFREG | 0644))
                return 0;
        if (r->n_own == r->cap_own) {
                size_t nc = r->cap_own ? r->cap_own * 2 : 16;
                struct layer_own *n = realloc(r->own, nc * sizeof(*n));

                if (!n)
                        return DOU_ENOMEM;
                r->own = n;
                r->cap_own = nc;
        }
        o = &r->own[r->n_own];
        o->db_path = strdup(w->path);
        o->owner = strdup(owner);
        o->path = strdup(path);
        r->n_own++;
        if (!o->db_path || !o->owner || !o->path)
                return DOU_ENOMEM;
        return 0;
#endif
}

static int add_os(struct layer_result *r, const char *path, int kind, struct os_release *rel)
{
        struct layer_os *n = realloc(r->os, (r->n_os + 1) * sizeof(*n));

        if (!n)
                return DOU_ENOMEM;
        r->os = n;
        n[r->n_os].path = strdup(path);
        n[r->n_os].kind = kind == K_OS_RELEASE ? 0 : kind - 1;
        n[r->n_os].rel = *rel;
        memset(rel, 0, sizeof(*rel));
        r->n_os++;
        return n[r->n_os - 1].path ? 0 : DOU_ENOMEM;
}

static int add_lic(struct layer_result *r, const char *path, char *expr)
{
        const char *s = path + strlen("usr/share/doc/");
        const char *e = strchr(s, '/');
        struct layer_lic *n = realloc(r->lic, (r->n_lic + 1) * sizeof(*n));

        if (!n) {
                free(expr);
                return DOU_ENOMEM;
        }
        r->lic = n;
        n[r->n_lic].path = strdup(path);
        n[r->n_lic].pkg = strndup(s, (size_t)(e - s));
        n[r->n_lic].expr = expr;
        r->n_lic++;
        return n[r->n_lic - 1].path && n[r->n_lic - 1].pkg ? 0 : DOU_ENOMEM;
}

/* Parse an OS record file; alt: found off its usual path, errors are not reported. */
static int parse_os_file(struct walk *w, const char *path, int kind, int alt)
{
        struct layer_result *r = w->r;
        char *buf = NULL;
        size_t len = 0;
        int rc = slurp(w, &buf, &len);

        if (rc == DOU_ENOMEM)
                return rc;
        if (rc < 0)
                return alt ? 0 : add_error(r, path, "%s", dou_err_msg());
        if (kind == K_OS_RELEASE || (kind >= K_FB_DEBIAN && kind <= K_FB_LSB)) {
                struct os_release rel = { 0 };

                rc = kind == K_OS_RELEASE ? os_release_parse(buf, len, &rel)
                                          : os_fallback_parse((enum os_fallback)(kind - 1), buf, len, &rel);
                if (rel.id) {
                        char msg[512];
                        int prc = rc;

                        snprintf(msg, sizeof(msg), "%s", dou_err_msg());
                        if ((rc = add_os(r, path, kind, &rel)) == DOU_ENOMEM) {
                                os_release_clear(&rel);
                                free(buf);
                                return rc;
                        }
                        if (prc < 0)    /* parsed with a problem: keep both the result and the report */
                                rc = dou_err_set(prc, "%s", msg);
                }
                os_release_clear(&rel);
        } else if (kind == K_DPKG_STATUS || kind == K_DPKG_STATUS_D) {
                rc = dpkg_status_parse(buf, len, r->digest, path, kind == K_DPKG_STATUS_D, &r->pkgs);
        } else if (kind == K_DPKG_LIST) {
                const char *b = strrchr(path, '/') + 1;
                char owner[256];
                size_t on = strlen(b) - strlen(".list");
                const char *colon = memchr(b, ':', on);        /* libc6:amd64.list */

                if (colon)
                        on = (size_t)(colon - b);
                if (on >= sizeof(owner))
                        on = sizeof(owner) - 1;
                memcpy(owner, b, on);
                owner[on] = 0;
                rc = dpkg_list_parse(buf, len, owner, own_cb, w);
        } else if (kind == K_COPYRIGHT) {
                char *expr = NULL;

                rc = dep5_license(buf, len, &expr);
                if (rc == 0 && expr)
                        rc = add_lic(r, path, expr);
        } else if (kind == K_APK) {
                rc = apk_installed_parse(buf, len, r->digest, path, &r->pkgs, own_cb, w);
        }
        free(buf);
        if (rc == DOU_ENOMEM)
                return rc;
        if (rc < 0 && !alt)
                return add_error(r, path, "%s", dou_err_msg());
        return 0;
}

static int record_link(struct layer_result *r, const char *path, const char *target, int hard)
{
        char joined[LAYER_MAX_PATH * 2], norm[LAYER_MAX_PATH];
        struct layer_link *n;

        if (!target || strlen(target) >= LAYER_MAX_PATH)
                return add_error(r, path, "link target too long");
        if (target[0] == '/' || hard) {
                snprintf(joined, sizeof(joined), "%s", target);
        } else {
                const char *slash = strrchr(path, '/');
                int dn = slash ? (int)(slash - path) : 0;

                snprintf(joined, sizeof(joined), "%.*s/%s", dn, path, target);
        }
        /* inside the image "/.." is "/": a target can never leave the image's tree */
        if (normalise(joined, norm, sizeof(norm), 1) < 0)
                return add_error(r, path, "link target too long");
        n = realloc(r->links, (r->n_links + 1) * sizeof(*n));
        if (!n)
                return DOU_ENOMEM;
        r->links = n;
        n[r->n_links].path = strdup(path);
        n[r->n_links].target = strdup(norm);
        n[r->n_links].hard = hard;
        r->n_links++;
        return n[r->n_links - 1].path && n[r->n_links - 1].target ? 0 : DOU_ENOMEM;
}

static int whiteout(struct layer_result *r, const char *path)
{
        const char *slash = strrchr(path, '/');
        const char *base = slash ? slash + 1 : path;
        int dn = slash ? (int)(slash - path) : 0;
        char target[LAYER_MAX_PATH];

        if (!strcmp(base, ".wh..wh..opq")) {
                snprintf(target, sizeof(target), "%.*s", dn, path);
                return strvec_push(&r->opaque, target);
        }
        if (!base[4])
                return add_error(r, path, "empty whiteout name");
        if (dn)
                snprintf(target, sizeof(target), "%.*s/%s", dn, path, base + 4);
        else
                snprintf(target, sizeof(target), "%s", base + 4);
        return strvec_push(&r->whiteouts, target);
}

static int lang_file(struct walk *w, const char *path, int id, struct archive_entry *e)
{
#ifdef DOUANE_SCAN_NO_LANG
        (void)w; (void)path; (void)id; (void)e;
        return 0;
#else
        struct scan_file f = {
                .path = path, .size = (uint64_t)archive_entry_size(e),
                .mode = archive_entry_mode(e), .layer = w->r->digest,
                .read = entry_read, .read_ctx = w,
        };
        int rc = lang_parse(id, &f, &w->r->pkgs);

        if (rc == DOU_ENOMEM)
                return rc;
        if (rc < 0)
                return add_error(w->r, path, "%s", dou_err_msg());
        return 0;
#endif
}

static int lang_id(const char *path, struct archive_entry *e)
{
#ifdef DOUANE_SCAN_NO_LANG
        (void)path; (void)e;
        return 0;
#else
        return lang_match(path, (uint64_t)archive_entry_size(e), archive_entry_mode(e));
#endif
}

static int entry(struct walk *w, struct archive_entry *e, const char *path)
{
        struct layer_result *r = w->r;
        const char *base = strrchr(path, '/');
        mode_t type = archive_entry_filetype(e);
        const char *hl = archive_entry_hardlink(e);
        int kind, alt = 0, id;

        base = base ? base + 1 : path;
        if (!strncmp(base, ".wh.", 4))
                return whiteout(r, path);
        if (hl) {
                char t[LAYER_MAX_PATH];

                if (layer_path_normalise(hl, t, sizeof(t)) < 0)
                        return add_error(r, path, "hard link target escapes the image root");
                if (layer_canonical_kind(path) || alternate_kind(path)) {
                        int rc = strvec_push(&r->seen, path);

                        return rc < 0 ? rc : record_link(r, path, t, 1);
                }
                return 0;
        }
        if (type == AE_IFLNK) {
                if (!link_relevant(path))
                        return 0;
                return record_link(r, path, archive_entry_symlink(e), 0);
        }
        if (type != AE_IFREG)
                return 0;
        kind = layer_canonical_kind(path);
        if (!kind) {
                kind = alternate_kind(path);
                alt = kind != 0;
        }
        if (kind) {
                int rc = strvec_push(&r->seen, path);

                return rc < 0 ? rc : parse_os_file(w, path, kind, alt);
        }
        if ((id = lang_id(path, e)) > 0) {
                int rc = strvec_push(&r->seen, path);

                return rc < 0 ? rc : lang_file(w, path, id, e);
        }
        return 0;
}

/*
 * Remember where the entry's data and padding end in the tar: the header
 * is consumed by now, so the tar reader's position is the data's start.
 * Sparse entries store fewer bytes than their size says; their tail is
 * never forgiven.
 */
static void track_tail(struct walk *w, struct archive_entry *e, la_int64_t size)
{
        uint64_t start = (uint64_t)archive_filter_bytes(w->a, 0);
        uint64_t pad = (512 - (uint64_t)size % 512) % 512;

        w->blk_left = 0;
        w->out_off = 0;
        w->data_end = start + (uint64_t)size;
        w->pad_end = archive_entry_sparse_count(e) > 0 || archive_entry_filetype(e) != AE_IFREG ||
                     archive_entry_hardlink(e) ? 0 : w->data_end + pad;
}

static int walk(struct walk *w)
{
        struct layer_result *r = w->r;
        uint64_t max_bytes = w->o && w->o->max_bytes ? w->o->max_bytes : LAYER_DEFAULT_MAX_BYTES;
        uint64_t max_entries = w->o && w->o->max_entries ? w->o->max_entries : LAYER_DEFAULT_MAX_ENTRIES;
        char path[LAYER_MAX_PATH], last[LAYER_MAX_PATH] = "";
        struct archive_entry *e;
        int rc;

        for (;;) {
                int ar = archive_read_next_header(w->a, &e);
                la_int64_t size;
                uint64_t used;

                if (ar == ARCHIVE_EOF)
                        break;
                if (ar == ARCHIVE_RETRY)
                        continue;
                if (ar == ARCHIVE_FATAL && tail_unpadded(w))
                        break;
                if (ar == ARCHIVE_FATAL)
                        return set_fatal(r, w->read_err ? w->read_err : DOU_EINVAL, last[0] ? last : NULL,
                                         "%s%s", r->entries ? "after this entry: " : "",
                                         w->read_err ? w->read_msg :
                                         archive_error_string(w->a) ? archive_error_string(w->a) : "corrupt archive");
                if (++r->entries > max_entries)
                        return set_fatal(r, DOU_ETOOBIG, archive_entry_pathname(e),
                                         "more than %llu entries in the layer",
                                         (unsigned long long)max_entries);
                size = archive_entry_size(e);
                used = (uint64_t)archive_filter_bytes(w->a, 0);
                r->bytes = used;
                if (size < 0 || used > max_bytes || (uint64_t)size > max_bytes - used)
                        return set_fatal(r, DOU_ETOOBIG, archive_entry_pathname(e),
                                         "layer expands beyond %llu bytes (decompression bomb?)",
                                         (unsigned long long)max_bytes);
                track_tail(w, e, size);
                if (layer_path_normalise(archive_entry_pathname(e), path, sizeof(path)) < 0) {
                        const char *raw = archive_entry_pathname(e);

                        if (raw && (!strcmp(raw, ".") || !strcmp(raw, "./") || !strcmp(raw, "/")))
                                continue;       /* the root directory itself */
                        if ((rc = add_error(r, raw ? raw : "(no name)",
                                            "path escapes the image root or is too long; entry ignored")) < 0)
                                return rc;
                        continue;
                }
                snprintf(last, sizeof(last), "%s", path);
                w->path = path;
                if ((rc = entry(w, e, path)) < 0)
                        return rc;
        }
        r->bytes = (uint64_t)archive_filter_bytes(w->a, 0);
        return 0;
}

int layer_scan(scan_read_fn read, void *ctx, const char *digest, const struct layer_opts *o,
               struct layer_result *ret)
{
        struct walk w = { .r = ret, .o = o, .read = read, .ctx = ctx };
        struct archive_entry *e;
        int rc = 0;

        memset(ret, 0, sizeof(*ret));
        if (!(ret->digest = strdup(digest)))
                return DOU_ENOMEM;
        w.chunk = malloc(READ_CHUNK);
        w.raw = archive_read_new();
        w.a = archive_read_new();
        if (!w.chunk || !w.raw || !w.a) {
                rc = DOU_ENOMEM;
                goto out;
        }
        /* a zero-length blob is an empty layer, not a broken one */
        w.pending = read(ctx, w.chunk, READ_CHUNK);
        if (w.pending <= 0) {
                rc = w.pending == 0 ? 0 : set_fatal(ret, (int)w.pending, NULL, "%s", dou_err_msg());
                w.pending = 0;
                goto out;
        }
        archive_read_support_filter_gzip(w.raw);
        archive_read_support_filter_zstd(w.raw);
        archive_read_support_filter_xz(w.raw);
        archive_read_support_filter_none(w.raw);
        archive_read_support_format_raw(w.raw);
        archive_read_support_format_empty(w.raw);
        if (archive_read_open(w.raw, &w, NULL, read_cb, NULL) != ARCHIVE_OK ||
            archive_read_next_header(w.raw, &e) != ARCHIVE_OK) {
                if (archive_format(w.raw) == ARCHIVE_FORMAT_EMPTY && !w.read_err)
                        goto drain;     /* compressed nothing: as empty as a zero-length blob */
                rc = set_fatal(ret, w.read_err ? w.read_err : DOU_EINVAL, NULL, "not a layer stream: %s",
                               w.read_err ? w.read_msg :
                               archive_error_string(w.raw) ? archive_error_string(w.raw) : "unknown format");
                goto out;
        }
        /* no filters on the tar reader: a compressed tar inside the stream is not a layer */
        archive_read_support_format_tar(w.a);
        archive_read_support_format_gnutar(w.a);
        if (archive_read_open(w.a, &w, NULL, tar_read_cb, NULL) != ARCHIVE_OK) {
                rc = set_fatal(ret, w.read_err ? w.read_err : DOU_EINVAL, NULL, "not a tar stream: %s",
                               w.read_err ? w.read_msg :
                               archive_error_string(w.a) ? archive_error_string(w.a) : "unknown format");
                goto out;
        }
        rc = walk(&w);
        if (rc == DOU_ENOMEM)
                goto out;
drain:
        if (rc == 0) {
                /* drain what libarchive left (tar padding, gzip trailer) so the digest is checked */
                ssize_t n;

                while ((n = read(ctx, w.chunk, READ_CHUNK)) > 0)
                        ;
                if (n < 0)
                        rc = set_fatal(ret, (int)n, NULL, "%s", dou_err_msg());
        }
out:
        if (w.a)
                archive_read_free(w.a);
        if (w.raw)
                archive_read_free(w.raw);
        free(w.chunk);
        if (ret->fatal_code == DOU_EDIGEST) {
                /* the bytes are not the layer that was named: nothing read from them counts */
                char *digest_keep = ret->digest, *fatal_keep = ret->fatal;

                ret->digest = ret->fatal = NULL;
                layer_result_clear(ret);
                ret->digest = digest_keep;
                ret->fatal = fatal_keep;
                ret->fatal_code = DOU_EDIGEST;
        }
        if (rc == DOU_ENOMEM && !ret->fatal_code)
                set_fatal(ret, rc, NULL, "out of memory");
        return rc;
}
