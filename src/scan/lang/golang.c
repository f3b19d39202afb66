/*
 * golang.c - build information embedded in Go executables.
 *
 * Go's linker writes a 32-byte header at the start of the .go.buildinfo
 * section: the 14-byte magic "\xff Go buildinf:", pointer size, flags.
 * With flag 2 (Go >= 1.18) two varint-length-prefixed strings follow it
 * inline: the Go version and the module info text ("path", "mod", "dep",
 * "=>" replace lines, tab-separated). Older binaries hold pointers to the
 * strings instead; resolving those needs the segment table and random
 * access, which a streamed layer entry does not give us. For those (Go
 * 1.13-1.17) we instead catch the module info text by the 16-byte
 * sentinels cmd/go wraps it in, wherever it lies in the file, and report
 * its modules; the Go version is then unknown (no stdlib package). A
 * pointer-format binary without module info is reported as unsupported.
 *
 * The section is 16-byte aligned in memory and ELF keeps file offsets
 * congruent to addresses modulo the page size, so the magic sits at a
 * 16-aligned file offset. We stream the file in aligned chunks and test
 * only those offsets: a non-Go binary costs one pass of cheap compares,
 * and nothing larger than one chunk plus the build info is held.
 */
#include <stdlib.h>
#include <string.h>

#include "scan/lang/lang_int.h"
#include "util/err.h"

#define GO_CHUNK (64u << 10)
#define GO_MAX_VERSION 256u
#define GO_MAX_MODINFO (8u << 20)
#define GO_MAX_INFO (32u + 20u + GO_MAX_VERSION + GO_MAX_MODINFO)

static const char go_magic[14] = "\xff Go buildinf:";
/* cmd/go wraps the module info text in these. */
static const uint8_t mod_start[16] = { 0x30, 0x77, 0xaf, 0x0c, 0x92, 0x74, 0x08, 0x02,
                                       0x41, 0xe1, 0xc1, 0x07, 0xe6, 0xd6, 0x18, 0xe6 };
static const uint8_t mod_end[16] = { 0xf9, 0x32, 0x43, 0x31, 0x86, 0x18, 0x20, 0x72,
                                     0x00, 0x82, 0x42, 0x10, 0x41, 0x16, 0xd8, 0xf2 };

/* Fill buf with up to n bytes (short only at EOF). */
static ssize_t read_full(const struct scan_file *f, uint8_t *buf, size_t n)
{
        size_t got = 0;
        while (got < n) {
                ssize_t r = f->read(f->read_ctx, buf + got, n - got);
                if (r < 0)
                        return r;
                if (r == 0)
                        break;
                got += (size_t)r > n - got ? n - got : (size_t)r;
        }
        return (ssize_t)got;
}

/* Unsigned LEB128 as Go's binary.Uvarint: bytes used, 0 if incomplete, -1 if overflow. */
static int uvarint(const uint8_t *p, size_t n, uint64_t *ret)
{
        uint64_t v = 0;
        for (size_t i = 0; i < n && i < 10; i++) {
                if (i == 9 && p[i] > 1)
                        return -1;
                v |= (uint64_t)(p[i] & 0x7f) << (7 * i);
                if (!(p[i] & 0x80)) {
                        *ret = v;
                        return (int)i + 1;
                }
        }
        return n >= 10 ? -1 : 0;
}

struct go_info {
        const uint8_t *version, *mod;
        size_t version_len, mod_len;
};

/*
 * Decode the inline strings from info[0..have). Returns 0 when complete,
 * >0 = total bytes needed, <0 on malformed input.
 */
static long decode_inline(const uint8_t *info, size_t have, struct go_info *gi,
                          const struct scan_file *f)
{
        size_t pos = 32;
        uint64_t n;
        for (int s = 0; s < 2; s++) {
                if (have <= pos)
                        return (long)pos + 10;
                int k = uvarint(info + pos, have - pos, &n);
                if (k == 0)
                        return (long)pos + 10;
                if (k < 0 || n > (s == 0 ? GO_MAX_VERSION : GO_MAX_MODINFO))
                        return dou_err_set(DOU_EINVAL, "%s: Go build info string length out of bounds",
                                           f->path);
                pos += (size_t)k;
                if (have - pos < n)
                        return (long)(pos + n);
                if (s == 0) {
                        gi->version = info + pos;
                        gi->version_len = (size_t)n;
                } else {
                        gi->mod = info + pos;
                        gi->mod_len = (size_t)n;
                }
                pos += (size_t)n;
        }
        return 0;
}

/* "go1.19.8 X:boringcrypto" -> "1.19.8"; NULL for devel toolchains. */
static char *stdlib_version(const char *v, size_t n)
{
        if (n < 3 || memcmp(v, "go", 2) != 0 || v[2] < '0' || v[2] > '9')
                return NULL;
        size_t e = 2;
        while (e < n && v[e] != ' ')
                e++;
        return lang__field_dup(v + 2, e - 2);
}

struct go_mod {
        const char *path, *version;
        size_t path_len, version_len;
        bool main;
};

#define GO_MAX_FIELDS 4

static size_t split_tabs(const char *line, size_t n, const char **fld, size_t *fl)
{
        size_t k = 0, start = 0;
        for (size_t i = 0; i <= n && k < GO_MAX_FIELDS; i++) {
                if (i == n || line[i] == '\t') {
                        fld[k] = line + start;
                        fl[k] = i - start;
                        k++;
                        start = i + 1;
                }
        }
        return k;
}

static int emit_mod(const struct go_mod *m, const struct scan_file *f, struct pkg_list *out)
{
        if (!m->path)
                return 0;
        char *name = lang__field_dup(m->path, m->path_len);
        char *ver = NULL;
        if (m->version_len && !(m->version_len == 7 && memcmp(m->version, "(devel)", 7) == 0))
                ver = lang__field_dup(m->version, m->version_len);
        if (!name) {
                free(ver);
                return dou_err_set(DOU_EINVAL, "%s: unusable Go module path", f->path);
        }
        struct scan_pkg p = { .type = PKG_GOLANG, .name = name, .version = ver };
        int r = lang__emit(out, f, &p);
        free(name);
        free(ver);
        return r;
}

int lang__go_modinfo_parse(const char *goversion, const char *mod, size_t len,
                           const struct scan_file *f, struct pkg_list *out)
{
        struct go_mod cur = { 0 };
        const char *mainpath = NULL;
        size_t mainpath_len = 0;
        bool have_main = false;
        int r;

        if (len >= 33 && mod[len - 17] == '\n' && memcmp(mod, mod_start, 16) == 0) {
                mod += 16;      /* strip the sentinels the linker wraps it in */
                len -= 32;
        }
        for (size_t pos = 0; pos < len;) {
                const char *line = mod + pos;
                const char *nl = memchr(line, '\n', len - pos);
                size_t n = nl ? (size_t)(nl - line) : len - pos;
                pos += n + (nl ? 1 : 0);
                const char *fld[GO_MAX_FIELDS];
                size_t fl[GO_MAX_FIELDS];
                size_t k = split_tabs(line, n, fld, fl);
                if (k < 2)
                        continue;
                if (fl[0] == 4 && memcmp(fld[0], "path", 4) == 0) {
                        mainpath = fld[1];
                        mainpath_len = fl[1];
                } else if ((fl[0] == 3 && memcmp(fld[0], "mod", 3) == 0) ||
                           (fl[0] == 3 && memcmp(fld[0], "dep", 3) == 0)) {
                        if ((r = emit_mod(&cur, f, out)) < 0)
                                return r;
                        cur = (struct go_mod){ fld[1], k > 2 ? fld[2] : "", fl[1], k > 2 ? fl[2] : 0,
                                               fld[0][0] == 'm' };
                        have_main |= cur.main;
                } else if (fl[0] == 2 && memcmp(fld[0], "=>", 2) == 0 && cur.path) {
                        size_t vl = k > 2 ? fl[2] : 0;
                        bool local = fl[1] > 0 && (fld[1][0] == '.' || fld[1][0] == '/');
                        if (local || vl == 0 || (vl == 7 && memcmp(fld[2], "(devel)", 7) == 0)) {
                                cur.version_len = 0;    /* built from a local directory */
                        } else {
                                cur.path = fld[1];
                                cur.path_len = fl[1];
                                cur.version = fld[2];
                                cur.version_len = vl;
                        }
                }
        }
        if ((r = emit_mod(&cur, f, out)) < 0)
                return r;
        if (!have_main && mainpath && mainpath_len &&
            !(mainpath_len == 22 && memcmp(mainpath, "command-line-arguments", 22) == 0)) {
                /* GOPATH-mode build: only the main package path is known. */
                struct go_mod m = { mainpath, "", mainpath_len, 0, true };
                if ((r = emit_mod(&m, f, out)) < 0)
                        return r;
        }
        if (goversion) {
                char *sv = stdlib_version(goversion, strlen(goversion));
                if (sv) {
                        struct scan_pkg p = { .type = PKG_GOLANG, .name = "stdlib", .version = sv };
                        r = lang__emit(out, f, &p);
                        free(sv);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

/* Collect the build info starting at chunk[off] and decode it. */
static int take_info(const struct scan_file *f, const uint8_t *chunk, size_t off, size_t have,
                     bool eof, struct pkg_list *out)
{
        size_t cap = 64 << 10, len = have - off;
        if (cap < len)
                cap = len;
        uint8_t *info = malloc(cap);
        if (!info)
                return dou_err_set(DOU_ENOMEM, "%s: out of memory", f->path);
        memcpy(info, chunk + off, len);
        struct go_info gi = { 0 };
        long need;
        int r;
        for (;;) {
                need = len >= 32 ? decode_inline(info, len, &gi, f) : len >= 16 ? 32 : 16;
                if (len >= 16 && !(info[15] & 2)) {
                        r = 1;          /* pointer format: the caller looks for the sentinels */
                        goto out;
                }
                if (need <= 0)
                        break;
                if (eof || (size_t)need > GO_MAX_INFO) {
                        r = dou_err_set(DOU_EINVAL, "%s: Go build info truncated", f->path);
                        goto out;
                }
                if ((size_t)need > cap) {
                        size_t ncap = (size_t)need > cap * 2 ? (size_t)need : cap * 2;
                        uint8_t *ni = realloc(info, ncap);
                        if (!ni) {
                                r = dou_err_set(DOU_ENOMEM, "%s: out of memory", f->path);
                                goto out;
                        }
                        info = ni;
                        cap = ncap;
                }
                size_t want = (size_t)need - len;
                ssize_t got = read_full(f, info + len, want);
                if (got < 0) {
                        r = (int)got;
                        goto out;
                }
                eof = (size_t)got < want;
                len += (size_t)got;
        }
        if (need < 0) {
                r = (int)need;
                goto out;
        }
        char ver[GO_MAX_VERSION + 1];
        memcpy(ver, gi.version, gi.version_len);
        ver[gi.version_len] = '\0';
        r = lang__go_modinfo_parse(ver, (const char *)gi.mod, gi.mod_len, f, out);
out:
        free(info);
        return r;
}


/* Sentinel-delimited module info seen while streaming (for the pointer format). */
struct go_capture {
        uint8_t *buf;
        size_t len, cap;
        enum { CAP_NONE, CAP_OPEN, CAP_DONE, CAP_BAD } state;
};

static void capture_feed(struct go_capture *c, const uint8_t *p, size_t n)
{
        if (c->state != CAP_OPEN)
                return;
        if (c->len + n > GO_MAX_MODINFO + 32) {
                c->state = CAP_BAD;
                return;
        }
        if (c->len + n > c->cap) {
                size_t ncap = c->cap ? c->cap : 4096;
                while (ncap < c->len + n)
                        ncap *= 2;
                uint8_t *nb = realloc(c->buf, ncap);
                if (!nb) {
                        c->state = CAP_BAD;
                        return;
                }
                c->buf = nb;
                c->cap = ncap;
        }
        size_t from = c->len > 31 ? c->len - 15 : 16;
        memcpy(c->buf + c->len, p, n);
        c->len += n;
        if (c->len < 32 || from >= c->len)
                return;
        const uint8_t *e = memmem(c->buf + from, c->len - from, mod_end, sizeof(mod_end));
        if (e) {
                c->len = (size_t)(e - c->buf) + sizeof(mod_end);
                c->state = CAP_DONE;
        }
}

/* Look at region[0..n) (the chunk plus up to 15 carried bytes) for module info. */
static void capture_scan(struct go_capture *c, const uint8_t *region, size_t n, size_t carry)
{
        if (c->state == CAP_OPEN) {
                capture_feed(c, region + carry, n - carry);
                return;
        }
        if (c->state != CAP_NONE)
                return;
        const uint8_t *s = memmem(region, n, mod_start, sizeof(mod_start));
        if (s) {
                c->state = CAP_OPEN;
                capture_feed(c, s, (size_t)(region + n - s));
        }
}

int lang__go_parse(const struct scan_file *f, struct pkg_list *out)
{
        /* 16 bytes of carry before each chunk keep sentinels that straddle chunks. */
        uint8_t *buf = malloc(16 + GO_CHUNK);
        struct go_capture cap = { 0 };
        if (!buf)
                return dou_err_set(DOU_ENOMEM, "%s: out of memory", f->path);
        uint8_t *chunk = buf + 16;
        int r = 0;
        bool first = true, pointer_format = false;
        size_t carry = 0;
        for (;;) {
                ssize_t got = read_full(f, chunk, GO_CHUNK);
                if (got < 0) {
                        r = (int)got;
                        break;
                }
                size_t have = (size_t)got;
                if (first && (have < 64 || memcmp(chunk, "\x7f" "ELF", 4) != 0))
                        break;          /* not ELF: not ours, no error */
                first = false;
                capture_scan(&cap, chunk - carry, carry + have, carry);
                if (pointer_format && cap.state != CAP_NONE && cap.state != CAP_OPEN)
                        break;
                bool found = false;
                for (size_t off = 0; !pointer_format && off + sizeof(go_magic) <= have; off += 16) {
                        if (chunk[off] == 0xff && memcmp(chunk + off, go_magic, sizeof(go_magic)) == 0) {
                                r = take_info(f, chunk, off, have, have < GO_CHUNK, out);
                                found = r <= 0;
                                pointer_format = r == 1;
                                r = r == 1 ? 0 : r;
                                break;
                        }
                }
                if (found || have < GO_CHUNK)
                        break;
                if (pointer_format && cap.state != CAP_NONE && cap.state != CAP_OPEN)
                        break;
                carry = 15;
                memcpy(chunk - carry, chunk + have - carry, carry);
        }
        if (r == 0 && pointer_format) {
                if (cap.state == CAP_DONE)
                        r = lang__go_modinfo_parse(NULL, (const char *)cap.buf, cap.len, f, out);
                else
                        r = dou_err_set(DOU_EUNSUPPORTED,
                                        "%s: Go build info in the pre-1.18 pointer format without "
                                        "module info is not supported", f->path);
        }
        free(cap.buf);
        free(buf);
        return r;
}
