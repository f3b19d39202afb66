/*
 * Unit tests for the layer walker, the merge, the cache and purls:
 * tar streams are written in memory with libarchive (plain, gzip, zstd)
 * and fed to layer_scan() through a memory reader.
 */
#include "tap.h"
#include "scan/report.h"
#include "scan/scan.h"
#include "util/err.h"
#include "util/mem.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>
#include <unistd.h>

struct ent {
        const char *path;
        const char *data;       /* file content, or link target */
        char type;              /* 'f' file, 's' symlink, 'h' hardlink, 'd' dir */
        size_t size;            /* 0 = strlen(data); for 'z' a size of zeros */
};

static char *make_tar(const struct ent *e, size_t n, int filter, size_t *len)
{
        size_t cap = 64u << 20;
        char *buf = malloc(cap);
        struct archive *a = archive_write_new();

        archive_write_set_format_pax_restricted(a);
        if (filter == 1)
                archive_write_add_filter_gzip(a);
        else if (filter == 2)
                archive_write_add_filter_zstd(a);
        archive_write_open_memory(a, buf, cap, len);
        for (size_t i = 0; i < n; i++) {
                struct archive_entry *ae = archive_entry_new();
                size_t sz = e[i].type == 'z' ? e[i].size : e[i].data ? strlen(e[i].data) : 0;

                archive_entry_set_pathname(ae, e[i].path);
                archive_entry_set_perm(ae, 0644);
                switch (e[i].type) {
                case 's':
                        archive_entry_set_filetype(ae, AE_IFLNK);
                        archive_entry_set_symlink(ae, e[i].data);
                        break;
                case 'h':
                        archive_entry_set_filetype(ae, AE_IFREG);
                        archive_entry_set_hardlink(ae, e[i].data);
                        break;
                case 'd':
                        archive_entry_set_filetype(ae, AE_IFDIR);
                        break;
                default:
                        archive_entry_set_filetype(ae, AE_IFREG);
                        archive_entry_set_size(ae, (la_int64_t)sz);
                }
                archive_write_header(a, ae);
                if (e[i].type == 'f' && sz)
                        archive_write_data(a, e[i].data, sz);
                if (e[i].type == 'z') {
                        static char zero[65536];

                        for (size_t w = 0; w < sz; w += sizeof(zero))
                                archive_write_data(a, zero, sz - w < sizeof(zero) ? sz - w : sizeof(zero));
                }
                archive_entry_free(ae);
        }
        archive_write_close(a);
        archive_write_free(a);
        return buf;
}

struct mem {
        const char *p;
        size_t len, pos;
};

static ssize_t mem_read(void *ctx, void *buf, size_t n)
{
        struct mem *m = ctx;
        size_t k = m->len - m->pos < n ? m->len - m->pos : n;

        memcpy(buf, m->p + m->pos, k);
        m->pos += k;
        return (ssize_t)k;
}

static int scan_ents(const struct ent *e, size_t n, int filter, const char *digest,
                     const struct layer_opts *o, struct layer_result *r)
{
        size_t len;
        char *t = make_tar(e, n, filter, &len);
        struct mem m = { t, len, 0 };
        int rc = layer_scan(mem_read, &m, digest, o, r);

        free(t);
        return rc;
}

#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"
#define D3 "sha256:3333333333333333333333333333333333333333333333333333333333333333"

static const char status2[] =
        "Package: a\nStatus: install ok installed\nVersion: 1\nArchitecture: amd64\n\n"
        "Package: b\nStatus: install ok installed\nVersion: 1:2.0+dfsg-1\nArchitecture: all\nSource: bsrc (1:2.0-1)\n";

TEST(normalise_paths)
{
        char out[LAYER_MAX_PATH];

        CHECK_INT(layer_path_normalise("./var//lib/./dpkg/", out, sizeof(out)), 0);
        CHECK_STR(out, "var/lib/dpkg");
        CHECK_INT(layer_path_normalise("/etc/os-release", out, sizeof(out)), 0);
        CHECK_STR(out, "etc/os-release");
        CHECK_INT(layer_path_normalise("../etc/passwd", out, sizeof(out)), DOU_EINVAL);
        CHECK_INT(layer_path_normalise("a/../../b", out, sizeof(out)), DOU_EINVAL);
        CHECK_INT(layer_path_normalise("./", out, sizeof(out)), DOU_EINVAL);
        CHECK_INT(layer_path_normalise("abc", out, 3), DOU_EINVAL);
}

TEST(walk_records_everything)
{
        struct ent e[] = {
                { "./etc/os-release", "../usr/lib/os-release", 's', 0 },
                { "usr/lib/os-release", "ID=debian\nVERSION_ID=\"12\"\n", 'f', 0 },
                { "/var/lib/dpkg/status", status2, 'f', 0 },
                { "usr/share/doc/a/copyright", "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\n"
                                               "Files: *\nLicense: GPL-2+\n", 'f', 0 },
                { "opt/.wh.gone", "", 'f', 0 },
                { "srv/.wh..wh..opq", "", 'f', 0 },
                { "../escape", "x", 'f', 0 },
                { "tmp/hl", "var/lib/dpkg/status", 'h', 0 },
                { "usr/bin/deep/link", "/nowhere", 's', 0 },
        };
        struct layer_result r;

        for (int filter = 0; filter < 3; filter++) {
                CHECK_INT(scan_ents(e, DOU_ARRAY_LEN(e), filter, D1, NULL, &r), 0);
                CHECK_INT(r.fatal_code, 0);
                CHECK_INT(r.pkgs.len, 2);
                CHECK_INT(r.n_os, 1);
                CHECK_INT(r.n_lic, 1);
                if (r.n_lic)
                        CHECK_STR(r.lic[0].expr, "GPL-2.0-or-later");
                CHECK_INT(r.n_links, 1);        /* usr/bin/deep/link is not near a database */
                if (r.n_links) {
                        CHECK_STR(r.links[0].path, "etc/os-release");
                        CHECK_STR(r.links[0].target, "usr/lib/os-release");
                }
                CHECK_INT(r.whiteouts.n, 1);
                if (r.whiteouts.n)
                        CHECK_STR(r.whiteouts.v[0], "opt/gone");
                CHECK_INT(r.opaque.n, 1);
                if (r.opaque.n)
                        CHECK_STR(r.opaque.v[0], "srv");
                CHECK_INT(r.errors.n, 1);
                if (r.errors.n)
                        CHECK(strstr(r.errors.v[0], "../escape") && strstr(r.errors.v[0], D1));
                layer_result_clear(&r);
        }
}

TEST(bomb_and_entry_bounds)
{
        struct ent e[] = {
                { "var/lib/dpkg/status", status2, 'f', 0 },
                { "big", NULL, 'z', 4u << 20 },
                { "after", "x", 'f', 0 },
        };
        struct layer_opts o = { .max_bytes = 1u << 20 };
        struct layer_result r;

        CHECK_INT(scan_ents(e, 3, 1, D1, &o, &r), DOU_ETOOBIG);
        CHECK(r.fatal && strstr(r.fatal, "path big") && strstr(r.fatal, D1));
        CHECK_INT(r.pkgs.len, 2);       /* what came before is kept */
        layer_result_clear(&r);
        o = (struct layer_opts){ .max_entries = 2 };
        CHECK_INT(scan_ents(e, 3, 0, D1, &o, &r), DOU_ETOOBIG);
        CHECK(r.fatal && strstr(r.fatal, "after"));
        layer_result_clear(&r);
}

TEST(empty_layers)
{
        struct mem m = { "", 0, 0 };
        struct layer_result r;
        size_t len;
        char *t = make_tar(NULL, 0, 1, &len);   /* Docker's "empty layer": gzip of an empty tar */
        struct mem g = { t, len, 0 };

        CHECK_INT(layer_scan(mem_read, &m, D1, NULL, &r), 0);
        CHECK_INT(r.fatal_code, 0);
        layer_result_clear(&r);
        CHECK_INT(layer_scan(mem_read, &g, D1, NULL, &r), 0);
        CHECK_INT(r.entries, 0);
        layer_result_clear(&r);
        free(t);
}

TEST(garbage_stream)
{
        struct mem m = { "this is not a tar stream at all, not even close......", 52, 0 };
        struct layer_result r;

        CHECK(layer_scan(mem_read, &m, D1, NULL, &r) < 0);
        CHECK(r.fatal && strstr(r.fatal, D1));
        layer_result_clear(&r);
}

/* Where entry k's data ends in an uncompressed ustar (headers walked by hand). */
static size_t data_end(const char *t, size_t len, size_t k)
{
        size_t off = 0, end = 0;

        while (k-- && off + 512 <= len && t[off]) {
                size_t size = strtoul(t + off + 124, NULL, 8);

                end = off + 512 + size;
                off += 512 + (size + 511) / 512 * 512;
        }
        return end;
}

/* Compress p[0..n) as `parts` concatenated members/frames (filter 1 gzip, 2 zstd; 0 copies). */
static char *compress_parts(const char *p, size_t n, int filter, int parts, size_t *len)
{
        size_t cap = n + 65536, used = 0;
        char *out = malloc(cap);

        for (int i = 0; i < parts; i++) {
                size_t lo = n * (size_t)i / (size_t)parts, hi = n * (size_t)(i + 1) / (size_t)parts, got = 0;
                struct archive *a = archive_write_new();
                struct archive_entry *ae = archive_entry_new();

                if (!filter) {
                        memcpy(out + used, p + lo, hi - lo);
                        used += hi - lo;
                        archive_write_free(a);
                        archive_entry_free(ae);
                        continue;
                }
                archive_write_set_format_raw(a);
                archive_write_set_bytes_per_block(a, 1);        /* no block padding after the member */
                if (filter == 1)
                        archive_write_add_filter_gzip(a);
                else
                        archive_write_add_filter_zstd(a);
                archive_write_open_memory(a, out + used, cap - used, &got);
                archive_entry_set_pathname(ae, "data");
                archive_entry_set_filetype(ae, AE_IFREG);
                archive_entry_set_size(ae, (la_int64_t)(hi - lo));
                archive_write_header(a, ae);
                archive_write_data(a, p + lo, hi - lo);
                archive_write_close(a);
                archive_write_free(a);
                archive_entry_free(ae);
                used += got;
        }
        *len = used;
        return out;
}

/*
 * A tar of n entries cut at `cut` bytes relative to the end of entry k's data,
 * compressed in `parts` members, as umoci before PR #534 wrote insert
 * layers: the tar writer was never closed, so the last entry's padding and
 * the two end-of-archive blocks are missing (Go's archive/tar reads such
 * layers without complaint, so they run everywhere).
 */
static int scan_cut(const struct ent *e, size_t n, size_t k, int filter, int parts, long cut, size_t trim,
                    struct layer_result *r)
{
        size_t tlen, clen;
        char *t = make_tar(e, n, 0, &tlen);
        size_t end = (size_t)((long)data_end(t, tlen, k) + cut);
        char *c = compress_parts(t, end, filter, parts, &clen);
        struct mem m = { c, clen - trim, 0 };
        int rc = layer_scan(mem_read, &m, D1, NULL, r);

        free(t);
        free(c);
        return rc;
}

TEST(unpadded_last_entry_umoci)
{
        struct ent read_last[] = {
                { "etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n", 'f', 0 },
                { "var/lib/dpkg/status", status2, 'f', 0 },
        };
        struct ent skipped_last[] = {
                { "var/lib/dpkg/status", status2, 'f', 0 },
                { "usr/bin/tool", "not a database, never read, only skipped", 'f', 0 },
        };
        struct layer_result r;

        CHECK(strlen(status2) % 512 != 0);
        for (int filter = 0; filter < 3; filter++)
                for (int parts = 1; parts <= 3; parts++) {
                        /* no padding at all, then a part of it: both end where Go's reader ends */
                        for (long cut = 0; cut <= 7; cut += 7) {
                                CHECK_INT(scan_cut(read_last, 2, 2, filter, parts, cut, 0, &r), 0);
                                CHECK_INT(r.fatal_code, 0);
                                CHECK_INT(r.errors.n, 0);
                                CHECK_INT(r.pkgs.len, 2);
                                CHECK_INT(r.n_os, 1);
                                CHECK_INT(r.entries, 2);
                                CHECK_INT(r.unpadded_tail, 1);
                                layer_result_clear(&r);
                                CHECK_INT(scan_cut(skipped_last, 2, 2, filter, parts, cut, 0, &r), 0);
                                CHECK_INT(r.fatal_code, 0);
                                CHECK_INT(r.errors.n, 0);
                                CHECK_INT(r.pkgs.len, 2);
                                CHECK_INT(r.entries, 2);
                                CHECK_INT(r.unpadded_tail, 1);
                                layer_result_clear(&r);
                        }
                }
}

TEST(truncated_data_is_still_an_error)
{
        struct ent e[] = {
                { "etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n", 'f', 0 },
                { "var/lib/dpkg/status", status2, 'f', 0 },
                { "usr/bin/tool", "0123456789", 'f', 0 },
        };
        struct layer_result r;

        for (int filter = 0; filter < 2; filter++) {
                /* one byte of the last file's data missing: the file is not whole */
                CHECK(scan_cut(e, 3, 2, filter, 1, -1, 0, &r) < 0);
                CHECK(r.fatal && strstr(r.fatal, "var/lib/dpkg/status"));
                CHECK_INT(r.pkgs.len, 0);
                CHECK_INT(r.unpadded_tail, 0);
                layer_result_clear(&r);
                CHECK(scan_cut(e, 3, 3, filter, 1, -1, 0, &r) < 0);
                CHECK(r.fatal && strstr(r.fatal, "usr/bin/tool"));
                CHECK_INT(r.pkgs.len, 2);
                layer_result_clear(&r);
                /* padding present but the next header cut short */
                CHECK(scan_cut(e, 3, 2, filter, 1, (long)(512 - strlen(status2) % 512) + 100, 0, &r) < 0);
                CHECK(r.fatal && strstr(r.fatal, "var/lib/dpkg/status"));
                CHECK_INT(r.pkgs.len, 2);
                CHECK_INT(r.unpadded_tail, 0);
                layer_result_clear(&r);
        }
        /* tar data whole but the gzip trailer (CRC, size) cut: the stream did not end cleanly */
        CHECK(scan_cut(e, 2, 2, 1, 1, 0, 4, &r) < 0);
        CHECK(r.fatal != NULL);
        CHECK_INT(r.unpadded_tail, 0);
        layer_result_clear(&r);
}

TEST(concatenated_members)
{
        struct ent e[] = {
                { "etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n", 'f', 0 },
                { "var/lib/dpkg/status", status2, 'f', 0 },
                { "usr/bin/tool", "0123456789", 'f', 0 },
        };
        struct layer_result r;
        size_t tlen, clen;
        char *t = make_tar(e, 3, 0, &tlen);

        for (int filter = 1; filter < 3; filter++) {
                char *c = compress_parts(t, tlen, filter, 5, &clen);
                struct mem m = { c, clen, 0 };

                CHECK_INT(layer_scan(mem_read, &m, D1, NULL, &r), 0);
                CHECK_INT(r.fatal_code, 0);
                CHECK_INT(r.pkgs.len, 2);
                CHECK_INT(r.entries, 3);
                CHECK_INT(r.unpadded_tail, 0);
                CHECK_INT((long long)m.pos, (long long)clen);  /* every member read */
                layer_result_clear(&r);
                free(c);
        }
        free(t);
}

/* A compressed stream of nothing is an empty layer, like a zero-length blob. */
TEST(compressed_nothing)
{
        for (int filter = 1; filter < 3; filter++) {
                size_t clen;
                char *c = compress_parts("", 0, filter, 1, &clen);
                struct mem m = { c, clen, 0 };
                struct layer_result r;

                CHECK(clen > 0);
                CHECK_INT(layer_scan(mem_read, &m, D1, NULL, &r), 0);
                CHECK_INT(r.fatal_code, 0);
                CHECK_INT(r.entries, 0);
                layer_result_clear(&r);
                if (clen > 4) { /* ... but a cut one is broken */
                        m = (struct mem){ c, clen - 4, 0 };
                        CHECK(layer_scan(mem_read, &m, D1, NULL, &r) < 0);
                        CHECK(r.fatal && strstr(r.fatal, D1));
                        layer_result_clear(&r);
                }
                free(c);
        }
}

/* A real insert layer from Debian's umoci 0.4.7 (etc/os-release + a 5-package status). */
TEST(umoci_047_fixture)
{
        const char *path = DOUANE_TEST_DATA "/scan/umoci-0.4.7-insert.tar.gz";
        FILE *f = fopen(path, "rb");
        char buf[8192];
        size_t n = f ? fread(buf, 1, sizeof(buf), f) : 0;
        struct mem m = { buf, n, 0 };
        struct layer_result r;

        if (f)
                fclose(f);
        CHECK(n > 0 && n < sizeof(buf));
        CHECK_INT(layer_scan(mem_read, &m, D1, NULL, &r), 0);
        CHECK_INT(r.fatal_code, 0);
        CHECK_INT(r.errors.n, 0);
        CHECK_INT(r.pkgs.len, 5);
        CHECK_INT(r.n_os, 1);
        if (r.n_os)
                CHECK_STR(r.os[0].rel.id, "debian");
        CHECK_INT(r.unpadded_tail, 1);
        layer_result_clear(&r);
}

static void merge3(struct layer_result *r, size_t n, struct image_index *x)
{
        struct layer_result *p[3] = { &r[0], &r[1], &r[2] };

        memset(x, 0, sizeof(*x));
        CHECK_INT(scan_merge(p, n, x), 0);
}

static void index_clear(struct image_index *x)
{
        os_release_clear(&x->distro);
        pkg_list_clear(&x->pkgs);
        for (size_t j = 0; j < x->n_layers; j++) {
                free(x->layers[j].digest);
                free(x->layers[j].error);
        }
        free(x->layers);
        strvec_clear(&x->errors);
}

TEST(merge_whiteout_replace_and_links)
{
        struct ent l1[] = {
                { "etc/os-release", "ID=alpine\nVERSION_ID=3.19.1\n", 'f', 0 },
                { "var/lib/dpkg/status.d/a", "Package: a\nVersion: 1\n", 'f', 0 },
                { "var/lib/dpkg/status.d/b", "Package: b\nVersion: 1\n", 'f', 0 },
                { "lib/apk/db/installed", "P:musl\nV:1\n", 'f', 0 },
        };
        struct ent l2[] = {
                { "var/lib/dpkg/status.d/.wh.a", "", 'f', 0 },
                { "etc/os-release", "ID=debian\nVERSION_ID=12\n", 'f', 0 },
                /* the apk database now points at the host's shadow file: inside the image it is nothing */
                { "lib/apk/db/installed", "/etc/shadow", 's', 0 },
        };
        struct ent l3[] = {
                /* the dpkg database moved, reached through a directory symlink */
                { "var/lib/dpkg", "../../usr/lib/sysimage/dpkg", 's', 0 },
                { "usr/lib/sysimage/dpkg/status", "Package: moved\nStatus: install ok installed\nVersion: 3\n", 'f', 0 },
                { "home/x/status", "Package: decoy\nStatus: install ok installed\nVersion: 3\n", 'f', 0 },
        };
        struct layer_result r[3];
        struct image_index x;

        CHECK_INT(scan_ents(l1, 4, 0, D1, NULL, &r[0]), 0);
        CHECK_INT(scan_ents(l2, 3, 1, D2, NULL, &r[1]), 0);
        CHECK_INT(scan_ents(l3, 3, 2, D3, NULL, &r[2]), 0);
        merge3(r, 3, &x);
        CHECK_STR(x.distro.id, "debian");
        /* b's directory is now behind the symlink too, so only the moved database counts */
        CHECK_INT(x.pkgs.len, 1);
        if (x.pkgs.len == 1) {
                CHECK_STR(x.pkgs.items[0].name, "moved");
                CHECK_STR(x.pkgs.items[0].layer, D3);
                CHECK_STR(x.pkgs.items[0].path, "usr/lib/sysimage/dpkg/status");
        }
        index_clear(&x);
        /* without the last layer: b only (a whited out, musl behind a dangling link) */
        merge3(r, 2, &x);
        CHECK_INT(x.pkgs.len, 1);
        index_clear(&x);
        merge3(r, 1, &x);
        CHECK_INT(x.pkgs.len, 3);
        CHECK_STR(x.distro.id, "alpine");
        index_clear(&x);
        for (int i = 0; i < 3; i++)
                layer_result_clear(&r[i]);
}

TEST(merge_nested_jar_paths)
{
        struct layer_result r[3] = { 0 };
        struct image_index x;
        struct scan_pkg jar = { .type = PKG_MAVEN, .name = "x", .version = "1", .namespace_ = "g",
                                .layer = D1, .path = "opt/app.war:WEB-INF/lib/x.jar" };

        r[0].digest = strdup(D1);
        r[1].digest = strdup(D2);
        r[2].digest = strdup(D3);
        CHECK_INT(pkg_list_add(&r[0].pkgs, &jar), 0);
        r[0].own = calloc(1, sizeof(*r[0].own));
        r[0].own[0] = (struct layer_own){ strdup("var/lib/dpkg/info/app.list"), strdup("app-deb"),
                                          strdup("opt/app.war") };
        r[0].n_own = r[0].cap_own = 1;
        merge3(r, 1, &x);
        CHECK_INT(x.pkgs.len, 1);
        if (x.pkgs.len)
                CHECK_STR(x.pkgs.items[0].owner, "app-deb");
        index_clear(&x);
        CHECK_INT(strvec_push(&r[1].whiteouts, "opt/app.war"), 0);
        merge3(r, 2, &x);
        CHECK_INT(x.pkgs.len, 0);
        index_clear(&x);
        for (int i = 0; i < 3; i++)
                layer_result_clear(&r[i]);
}

TEST(cache_round_trip)
{
        char dir[] = "/tmp/douane-cache-test-XXXXXX";
        struct ent l1[] = {
                { "etc/os-release", "ID=debian\nVERSION_ID=12\n", 'f', 0 },
                { "var/lib/dpkg/status", status2, 'f', 0 },
                { "usr/share/doc/b/copyright", "see /usr/share/common-licenses/GPL-2\n", 'f', 0 },
                { "../bad", "x", 'f', 0 },
        };
        struct layer_result a, b;
        struct layer_result *pa[1] = { &a }, *pb[1] = { &b };
        struct image_index xa = { 0 }, xb = { 0 };
        json_t *ja, *jb;

        CHECK(mkdtemp(dir) != NULL);
        CHECK_INT(scan_ents(l1, 4, 0, D1, NULL, &a), 0);
        CHECK_INT(layer_cache_load(dir, D1, &b), DOU_ENOTFOUND);
        CHECK_INT(layer_cache_store(dir, &a), 0);
        CHECK_INT(layer_cache_load(dir, D1, &b), 0);
        CHECK_INT(scan_merge(pa, 1, &xa), 0);
        CHECK_INT(scan_merge(pb, 1, &xb), 0);
        xa.image = xb.image = "i";
        xa.manifest = xb.manifest = "m";
        xa.platform = xb.platform = "p";
        ja = report_index_json(&xa);
        jb = report_index_json(&xb);
        CHECK(ja && jb && json_equal(ja, jb));
        CHECK_INT(json_array_size(json_object_get(ja, "errors")), 1);
        json_decref(ja);
        json_decref(jb);
        index_clear(&xa);
        index_clear(&xb);
        layer_result_clear(&a);
        layer_result_clear(&b);
        {
                char cmd[128];

                snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
                CHECK_INT(system(cmd), 0);
        }
}

TEST(purls)
{
        struct os_release deb12 = { .id = "debian", .version_id = "12" };
        struct os_release none = { 0 };
        char out[PURL_MAX];
        struct scan_pkg p = { .type = PKG_DEB, .name = "libstdc++6", .version = "1:12.2.0-14", .arch = "amd64" };

        CHECK_INT(purl_build(&p, &deb12, out, sizeof(out)), 0);
        CHECK_STR(out, "pkg:deb/debian/libstdc%2B%2B6@1%3A12.2.0-14?arch=amd64&distro=debian-12");
        p.source_name = "gcc-12";
        p.source_version = "12.2.0-14";
        CHECK_INT(purl_build_source(&p, &deb12, out, sizeof(out)), 0);
        CHECK_STR(out, "pkg:deb/debian/gcc-12@12.2.0-14?arch=source&distro=debian-12");
        p = (struct scan_pkg){ .type = PKG_APK, .name = "musl", .version = "1.2.4-r2", .arch = "x86_64" };
        CHECK_INT(purl_build(&p, &none, out, sizeof(out)), 0);
        CHECK_STR(out, "pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64");
        p = (struct scan_pkg){ .type = PKG_NPM, .name = "is", .version = "5.3.0", .namespace_ = "@sindresorhus" };
        CHECK_INT(purl_build(&p, &deb12, out, sizeof(out)), 0);
        CHECK_STR(out, "pkg:npm/%40sindresorhus/is@5.3.0");
        p = (struct scan_pkg){ .type = PKG_GOLANG, .name = "github.com/google/uuid", .version = "v1.3.0" };
        CHECK_INT(purl_build(&p, &deb12, out, sizeof(out)), 0);
        CHECK_STR(out, "pkg:golang/github.com/google/uuid@v1.3.0");
        p = (struct scan_pkg){ .type = PKG_MAVEN, .name = "commons-lang3", .version = "3.12.0",
                               .namespace_ = "org.apache.commons" };
        CHECK_INT(purl_build(&p, &deb12, out, sizeof(out)), 0);
        CHECK_STR(out, "pkg:maven/org.apache.commons/commons-lang3@3.12.0");
        p = (struct scan_pkg){ .type = PKG_PYPI, .name = "Typing_Extensions", .version = "4.4.0" };
        CHECK_INT(purl_build(&p, &deb12, out, sizeof(out)), 0);
        CHECK_STR(out, "pkg:pypi/typing-extensions@4.4.0");
        p = (struct scan_pkg){ .type = PKG_RPM, .name = "bash", .version = "5.1.8-6.el9", .arch = "x86_64" };
        struct os_release rocky = { .id = "rocky", .version_id = "9.3" };
        CHECK_INT(purl_build(&p, &rocky, out, sizeof(out)), 0);
        CHECK_STR(out, "pkg:rpm/rocky/bash@5.1.8-6.el9?arch=x86_64&distro=rocky-9.3");
        CHECK_INT(purl_build(&p, &rocky, out, 10), DOU_ETOOBIG);
        p.version = "2:1.0-1";
        CHECK_INT(purl_build(&p, &rocky, out, sizeof(out)), 0);
        CHECK_STR(out, "pkg:rpm/rocky/bash@1.0-1?arch=x86_64&distro=rocky-9.3&epoch=2");
}

TAP_MAIN()
