/*
 * java.c - Java archives (.jar, .war, .ear), nested ones included.
 *
 * libarchive's streaming zip reader is fed from the layer entry's pull
 * reader; a nested archive is read by a second libarchive reader fed from
 * archive_read_data() of the outer one, so nothing is extracted or held
 * whole. Bounds: nesting depth (LANG_MAX_JAR_DEPTH), entries per archive,
 * bytes decompressed for us per top-level file (JAVA_MAX_BYTES), size of
 * the small files we parse.
 *
 * Each META-INF/maven/<g>/<a>/pom.properties yields a package (shaded jars
 * carry several). Only when an archive has none do we fall back to
 * META-INF/MANIFEST.MF (Bundle-SymbolicName / Implementation-Title and
 * Bundle-Version / Implementation-Version), then to the file name
 * ("name-1.2.3.jar"). A package needs a version to be reported from the
 * fallbacks. Nested archives are named "outer:inner/path.jar".
 *
 * libarchive's streaming reader cannot find the end of a STORED entry
 * written with a data descriptor; that and any other zip error ends the
 * archive with a clear error, keeping the packages already found.
 */
#include <archive.h>
#include <archive_entry.h>
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "scan/lang/lang_int.h"
#include "util/err.h"

#define JAVA_BLOCK (64u << 10)
#define JAVA_MAX_BYTES (1ull << 30)     /* decompressed for us, per top-level file */
#define JAVA_MAX_ENTRIES 200000u
#define JAVA_MAX_SMALL (1u << 20)       /* MANIFEST.MF, pom.properties */
#define JAVA_MAX_PATH 4096u

struct java_top {
        const struct scan_file *f;
        struct pkg_list *out;
        uint64_t budget;
        int first_err;
};

/* Where an archive's bytes come from: the layer file or an outer archive. */
struct java_src {
        struct java_top *top;
        struct archive *outer;          /* NULL: read from top->f */
        int err;                        /* dou_err that stopped reading */
        unsigned char buf[JAVA_BLOCK];
};

static la_ssize_t src_read(struct archive *a, void *ctx, const void **ret_buf)
{
        struct java_src *s = ctx;
        ssize_t n;
        if (s->outer) {
                n = archive_read_data(s->outer, s->buf, sizeof(s->buf));
                if (n < 0) {
                        s->err = dou_err_set(DOU_EINVAL, "outer archive: %s",
                                             archive_error_string(s->outer));
                        archive_set_error(a, EINVAL, "outer archive read failed");
                        return -1;
                }
                if ((uint64_t)n > s->top->budget) {
                        s->err = dou_err_set(DOU_ETOOBIG, "more than %llu decompressed bytes",
                                             (unsigned long long)JAVA_MAX_BYTES);
                        archive_set_error(a, EFBIG, "decompressed byte bound");
                        return -1;
                }
                s->top->budget -= (uint64_t)n;
        } else {
                n = s->top->f->read(s->top->f->read_ctx, s->buf, sizeof(s->buf));
                if (n < 0) {
                        s->err = (int)n;
                        archive_set_error(a, EIO, "layer read failed");
                        return -1;
                }
        }
        *ret_buf = s->buf;
        return n;
}

struct jar_meta {
        char *title, *impl_version, *bsn, *bundle_version, *vendor_id;
        bool had_pom;
};

static void jar_meta_free(struct jar_meta *m)
{
        free(m->title), free(m->impl_version), free(m->bsn), free(m->bundle_version);
        free(m->vendor_id);
}

static void note_err(struct java_top *t, int code, const char *path, const char *what)
{
        if (!t->first_err)
                t->first_err = dou_err_set(code, "%s: %s", path, what);
}

/* Read the current entry (at most JAVA_MAX_SMALL bytes) into a NUL-terminated buffer. */
static char *read_small(struct java_top *t, struct archive *a, const char *path, size_t *ret_len)
{
        size_t cap = 4096, len = 0;
        char *b = malloc(cap);
        if (!b)
                return NULL;
        for (;;) {
                if (cap - len < 1024) {
                        if (cap >= JAVA_MAX_SMALL) {
                                note_err(t, DOU_ETOOBIG, path, "metadata file larger than 1 MiB");
                                free(b);
                                return NULL;
                        }
                        char *nb = realloc(b, cap * 2);
                        if (!nb) {
                                free(b);
                                return NULL;
                        }
                        b = nb;
                        cap *= 2;
                }
                la_ssize_t n = archive_read_data(a, b + len, cap - len - 1);
                if (n < 0) {
                        note_err(t, DOU_EINVAL, path, archive_error_string(a));
                        free(b);
                        return NULL;
                }
                if (n == 0)
                        break;
                if ((uint64_t)n > t->budget) {
                        note_err(t, DOU_ETOOBIG, path, "decompressed byte bound reached");
                        free(b);
                        return NULL;
                }
                t->budget -= (uint64_t)n;
                len += (size_t)n;
        }
        b[len] = '\0';
        *ret_len = len;
        return b;
}

/* Java properties subset: key=value or key: value, # and ! comments. */
static char *prop_get(const char *b, size_t n, const char *key)
{
        size_t kl = strlen(key);
        for (size_t pos = 0; pos < n;) {
                const char *line = b + pos;
                const char *nl = memchr(line, '\n', n - pos);
                size_t ln = nl ? (size_t)(nl - line) : n - pos;
                pos += ln + (nl ? 1 : 0);
                while (ln > 0 && (*line == ' ' || *line == '\t'))
                        line++, ln--;
                if (ln > kl && memcmp(line, key, kl) == 0) {
                        const char *v = line + kl;
                        size_t vn = ln - kl;
                        while (vn > 0 && (*v == ' ' || *v == '\t'))
                                v++, vn--;
                        if (vn > 0 && (*v == '=' || *v == ':'))
                                return lang__field_dup(v + 1, vn - 1);
                }
        }
        return NULL;
}

static int emit_maven(struct java_top *t, const char *jarpath, const char *g, const char *a,
                      const char *v)
{
        struct scan_file f = *t->f;
        f.path = jarpath;
        struct scan_pkg p = { .type = PKG_MAVEN, .namespace_ = g, .name = a, .version = v };
        return lang__emit(t->out, &f, &p);
}

static int take_pom(struct java_top *t, struct archive *a, const char *jarpath,
                    struct jar_meta *m)
{
        size_t n;
        char *b = read_small(t, a, jarpath, &n);
        if (!b)
                return 0;
        char *g = prop_get(b, n, "groupId"), *art = prop_get(b, n, "artifactId");
        char *v = prop_get(b, n, "version");
        int r = 0;
        if (art && v) {
                m->had_pom = true;
                r = emit_maven(t, jarpath, g, art, v);
        } else {
                note_err(t, DOU_EINVAL, jarpath, "pom.properties without artifactId and version");
        }
        free(b), free(g), free(art), free(v);
        return r;
}

/* Main section of MANIFEST.MF: "Name: value" with " continuation" lines. */
static void take_manifest(struct java_top *t, struct archive *a, const char *jarpath,
                          struct jar_meta *m)
{
        size_t n;
        char *b = read_small(t, a, jarpath, &n);
        if (!b)
                return;
        /* Unfold continuations in place: "\r?\n " joins lines. */
        size_t w = 0;
        for (size_t i = 0; i < n; i++) {
                if (b[i] == '\r' && i + 1 < n && b[i + 1] == '\n')
                        continue;
                if (b[i] == '\n' && i + 1 < n && b[i + 1] == ' ') {
                        i++;
                        continue;
                }
                b[w++] = b[i];
        }
        n = w;
        static const struct {
                const char *key;
                size_t off;
        } keys[] = {
                { "Implementation-Title", offsetof(struct jar_meta, title) },
                { "Implementation-Version", offsetof(struct jar_meta, impl_version) },
                { "Bundle-SymbolicName", offsetof(struct jar_meta, bsn) },
                { "Bundle-Version", offsetof(struct jar_meta, bundle_version) },
                { "Implementation-Vendor-Id", offsetof(struct jar_meta, vendor_id) },
        };
        for (size_t pos = 0; pos < n;) {
                const char *line = b + pos;
                const char *nl = memchr(line, '\n', n - pos);
                size_t ln = nl ? (size_t)(nl - line) : n - pos;
                pos += ln + (nl ? 1 : 0);
                if (ln == 0)
                        break;  /* end of the main section */
                const char *colon = memchr(line, ':', ln);
                if (!colon)
                        continue;
                size_t kl = (size_t)(colon - line);
                for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
                        char **slot = (char **)((char *)m + keys[k].off);
                        if (strlen(keys[k].key) == kl && strncasecmp(line, keys[k].key, kl) == 0 && !*slot)
                                *slot = lang__field_dup(colon + 1, ln - kl - 1);
                }
        }
        free(b);
        /* "org.foo.bar;singleton:=true" */
        if (m->bsn)
                m->bsn[strcspn(m->bsn, ";")] = '\0';
}

/* "dir/commons-io-2.11.0.jar" -> "commons-io", "2.11.0" */
static void name_from_file(const char *jarpath, char **ret_name, char **ret_ver)
{
        const char *base = strrchr(jarpath, '/');
        const char *colon = strrchr(jarpath, ':');
        if (colon && (!base || colon > base))
                base = colon;
        base = base ? base + 1 : jarpath;
        size_t n = strlen(base);
        if (n > 4)
                n -= 4;         /* ".jar" */
        *ret_name = *ret_ver = NULL;
        for (size_t i = 1; i + 1 < n; i++)
                if (base[i] == '-' && isdigit((unsigned char)base[i + 1])) {
                        *ret_name = lang__field_dup(base, i);
                        *ret_ver = lang__field_dup(base + i + 1, n - i - 1);
                        return;
                }
        *ret_name = lang__field_dup(base, n);
}

static int emit_fallback(struct java_top *t, const char *jarpath, const struct jar_meta *m)
{
        char *fname, *fver;
        name_from_file(jarpath, &fname, &fver);
        const char *name = m->bsn ? m->bsn : m->title ? m->title : fname;
        const char *ver = m->impl_version ? m->impl_version : m->bundle_version ? m->bundle_version : fver;
        int r = 0;
        if (name && ver)
                r = emit_maven(t, jarpath, m->vendor_id, name, ver);
        free(fname), free(fver);
        return r;
}

static bool is_archive_name(const char *s)
{
        size_t n = strlen(s);
        return n > 4 && (strcasecmp(s + n - 4, ".jar") == 0 || strcasecmp(s + n - 4, ".war") == 0 ||
                         strcasecmp(s + n - 4, ".ear") == 0);
}

static bool is_pom_properties(const char *s)
{
        size_t n = strlen(s);
        return strncmp(s, "META-INF/maven/", 15) == 0 && n > 15 + 15 &&
               strcmp(s + n - 15, "/pom.properties") == 0;
}

static int walk(struct java_top *t, struct java_src *src, const char *jarpath, int depth);

static int walk_nested(struct java_top *t, struct archive *outer, const char *jarpath,
                       const char *entry, int depth)
{
        char path[JAVA_MAX_PATH];
        int k = snprintf(path, sizeof(path), "%s:%s", jarpath, entry);
        if (k < 0 || (size_t)k >= sizeof(path)) {
                note_err(t, DOU_ETOOBIG, jarpath, "nested archive path too long");
                return 0;
        }
        if (depth >= LANG_MAX_JAR_DEPTH) {
                note_err(t, DOU_ETOOBIG, path, "archives nested deeper than LANG_MAX_JAR_DEPTH");
                return 0;
        }
        struct java_src *s = calloc(1, sizeof(*s));
        if (!s)
                return dou_err_set(DOU_ENOMEM, "%s: out of memory", path);
        s->top = t;
        s->outer = outer;
        int r = walk(t, s, path, depth);
        free(s);
        return r;
}

/* Walk one archive; returns <0 only for errors that must stop everything. */
static int walk(struct java_top *t, struct java_src *src, const char *jarpath, int depth)
{
        struct archive *a = archive_read_new();
        struct jar_meta m = { 0 };
        int r = 0;
        if (!a)
                return dou_err_set(DOU_ENOMEM, "%s: out of memory", jarpath);
        archive_read_support_format_zip_streamable(a);
        if (archive_read_open(a, src, NULL, src_read, NULL) != ARCHIVE_OK) {
                note_err(t, src->err ? src->err : DOU_EINVAL, jarpath,
                         src->err ? dou_err_msg() : archive_error_string(a));
                goto out;
        }
        for (unsigned n = 0;; n++) {
                struct archive_entry *e;
                int rc = archive_read_next_header(a, &e);
                if (rc == ARCHIVE_EOF)
                        break;
                if (rc < ARCHIVE_WARN || n >= JAVA_MAX_ENTRIES) {
                        char why[300];
                        snprintf(why, sizeof(why), "%s",
                                 n >= JAVA_MAX_ENTRIES ? "too many entries"
                                 : src->err ? dou_err_msg() : archive_error_string(a));
                        note_err(t, src->err ? src->err : n >= JAVA_MAX_ENTRIES ? DOU_ETOOBIG : DOU_EINVAL,
                                 jarpath, why);
                        break;
                }
                const char *name = archive_entry_pathname(e);
                if (!name || archive_entry_filetype(e) == AE_IFDIR)
                        continue;
                if (is_pom_properties(name)) {
                        if ((r = take_pom(t, a, jarpath, &m)) < 0)
                                goto out;
                } else if (strcasecmp(name, "META-INF/MANIFEST.MF") == 0) {
                        take_manifest(t, a, jarpath, &m);
                } else if (is_archive_name(name)) {
                        if ((r = walk_nested(t, a, jarpath, name, depth + 1)) < 0)
                                goto out;
                }
                if (src->err == DOU_ETOOBIG || t->budget == 0)
                        break;
        }
        if (!m.had_pom)
                r = emit_fallback(t, jarpath, &m);
out:
        jar_meta_free(&m);
        archive_read_free(a);
        return r;
}

int lang__java_parse(const struct scan_file *f, struct pkg_list *out)
{
        struct java_top t = { .f = f, .out = out, .budget = JAVA_MAX_BYTES };
        struct java_src *s = calloc(1, sizeof(*s));
        if (!s)
                return dou_err_set(DOU_ENOMEM, "%s: out of memory", f->path);
        s->top = &t;
        int r = walk(&t, s, f->path, 0);
        free(s);
        if (r < 0)
                return r;
        if (t.first_err) {
                char why[400];
                snprintf(why, sizeof(why), "%s", dou_err_msg());
                return dou_err_set(t.first_err, "%s", why);
        }
        return 0;
}
