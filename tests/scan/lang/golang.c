/*
 * Tests for Go build info. Fixtures are real binaries (our example.com/hello
 * built by Debian's go 1.19 with a local replace, Debian's docker-registry
 * built in GOPATH mode, cbt built by go 1.24 with 45 deps) reduced by
 * tests/data/scan/lang/go/zero-except-buildinfo.py: same size and offsets,
 * every byte but the ELF header and build info zeroed, gzipped. When a Go
 * toolchain is installed, a live test also builds stripped and unstripped
 * binaries and compares with `go version -m`.
 */
#include <archive.h>
#include <archive_entry.h>
#include <stdint.h>
#include <unistd.h>

#include "tap.h"
#include "lang_test.h"

static unsigned char *gunzip_data(const char *rel, size_t *ret_len)
{
        size_t zn;
        unsigned char *z = load_data(rel, &zn);
        if (!z)
                return NULL;
        struct archive *a = archive_read_new();
        archive_read_support_filter_gzip(a);
        archive_read_support_format_raw(a);
        struct archive_entry *e;
        unsigned char *out = NULL;
        size_t len = 0, cap = 0;
        if (archive_read_open_memory(a, z, zn) == ARCHIVE_OK && archive_read_next_header(a, &e) == ARCHIVE_OK) {
                for (;;) {
                        if (cap - len < 65536) {
                                cap = cap ? cap * 2 : 1 << 20;
                                out = realloc(out, cap);
                        }
                        la_ssize_t r = archive_read_data(a, out + len, cap - len);
                        if (r <= 0)
                                break;
                        len += (size_t)r;
                }
        }
        archive_read_free(a);
        free(z);
        *ret_len = len;
        return out;
}

static int parse_gz(const char *rel, size_t chunk, struct pkg_list *l)
{
        size_t n;
        unsigned char *d = gunzip_data(rel, &n);
        if (!d)
                return -2000;
        int r = run_lang("usr/bin/x", EXE_FILE, d, n, chunk, l);
        free(d);
        return r;
}

TEST(hello_local_replace)
{
        struct pkg_list l = { 0 };
        CHECK_INT(parse_gz("go/hello.gz", 4093, &l), 0);
        CHECK_INT(l.len, 3);
        const struct scan_pkg *p = find_pkg(&l, "example.com/hello", NULL);
        CHECK(p && p->version == NULL && p->type == PKG_GOLANG);   /* (devel) */
        p = find_pkg(&l, "example.com/greet", NULL);
        CHECK(p && p->version == NULL);                             /* => ../greet */
        CHECK(find_pkg(&l, "stdlib", "1.19.8") != NULL);
        CHECK(p && p->path && strcmp(p->path, "usr/bin/x") == 0);
        pkg_list_clear(&l);
}

TEST(gopath_mode_binary)
{
        struct pkg_list l = { 0 };
        CHECK_INT(parse_gz("go/docker-registry.gz", 0, &l), 0);
        CHECK_INT(l.len, 2);
        CHECK(find_pkg(&l, "github.com/docker/distribution/cmd/registry", NULL) != NULL);
        CHECK(find_pkg(&l, "stdlib", "1.19.8") != NULL);
        pkg_list_clear(&l);
}

TEST(many_deps_match_go_version_m)
{
        struct pkg_list l = { 0 };
        CHECK_INT(parse_gz("go/cbt.gz", 65536 * 3 + 5, &l), 0);
        size_t n;
        char *txt = (char *)load_data("go/cbt.go-version-m.txt", &n);
        CHECK(txt != NULL);
        if (!txt)
                return;
        int deps = 0, found = 0;
        for (char *line = strtok(txt, "\n"); line; line = strtok(NULL, "\n")) {
                char path[512], ver[256];
                if (sscanf(line, "\tdep\t%511s\t%255s", path, ver) == 2) {
                        deps++;
                        found += find_pkg(&l, path, ver) != NULL;
                }
        }
        CHECK_INT(deps, 45);
        CHECK_INT(found, 45);
        CHECK(find_pkg(&l, "cloud.google.com/go/cbt", "v0.0.0-20250422202024-9eeb4a7a08b6+dirty") != NULL);
        CHECK(find_pkg(&l, "stdlib", "1.24.1") != NULL);
        CHECK_INT(l.len, 47);
        free(txt);
        pkg_list_clear(&l);
}

TEST(not_go)
{
        struct pkg_list l = { 0 };
        char script[8192];
        memset(script, '#', sizeof(script));
        memcpy(script, "#!/bin/sh\n", 10);
        CHECK_INT(run_lang("usr/bin/s", EXE_FILE, script, sizeof(script), 0, &l), 0);
        size_t n;
        FILE *fp = fopen("/usr/bin/true", "rb");
        if (fp) {
                static unsigned char buf[1 << 20];
                n = fread(buf, 1, sizeof(buf), fp);
                fclose(fp);
                CHECK_INT(run_lang("usr/bin/true", EXE_FILE, buf, n, 0, &l), 0);
        }
        CHECK_INT(l.len, 0);
        pkg_list_clear(&l);
}

TEST(malformed)
{
        struct pkg_list l = { 0 };
        size_t n;
        unsigned char *d = gunzip_data("go/hello.gz", &n);
        CHECK(d != NULL);
        if (!d)
                return;
        size_t off = 0;
        for (size_t o = 0; o + 14 <= n; o += 16)
                if (memcmp(d + o, "\xff Go buildinf:", 14) == 0) {
                        off = o;
                        break;
                }
        CHECK(off > 0);
        /* truncated anywhere inside the build info */
        for (size_t k = off + 14; k < off + 200; k += 7)
                CHECK_INT(run_lang("usr/bin/x", EXE_FILE, d, k, 0, &l), DOU_EINVAL);
        CHECK_INT(run_lang("usr/bin/x", EXE_FILE, d, off + 10, 0, &l), 0);    /* no full magic */
        CHECK_INT(l.len, 0);
        /* pre-1.18 pointer format without module info anywhere */
        unsigned char *z = calloc(1, n);
        memcpy(z, d, 64);
        memcpy(z + off, d + off, 32);
        z[off + 15] = 0;
        CHECK_INT(run_lang("usr/bin/x", EXE_FILE, z, n, 0, &l), DOU_EUNSUPPORTED);
        CHECK(strstr(dou_err_msg(), "pre-1.18") != NULL);
        free(z);
        /* absurd string length */
        d[off + 15] = 2;
        memcpy(d + off + 32, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f", 10);
        CHECK_INT(run_lang("usr/bin/x", EXE_FILE, d, n, 0, &l), DOU_EINVAL);
        d[off + 32] = 0x0f;     /* version length 15, then garbage modinfo length */
        CHECK(run_lang("usr/bin/x", EXE_FILE, d, n, 0, &l) <= 0);
        free(d);
        pkg_list_clear(&l);
}

/*
 * Go 1.13-1.17 keep pointers in the header; we find the sentinel-wrapped
 * module info instead. No such binary can be built here (Debian ships go
 * 1.19), so the real go 1.19 hello binary is rewritten: header flag set to
 * the pointer format, its module info text (sentinels included) moved
 * before, after, or across a 64 KiB chunk boundary.
 */
TEST(pointer_format_finds_sentinel_module_info)
{
        size_t n;
        unsigned char *d = gunzip_data("go/hello.gz", &n);
        CHECK(d != NULL);
        if (!d)
                return;
        size_t off = 0;
        for (size_t o = 0; o + 14 <= n; o += 16)
                if (memcmp(d + o, "\xff Go buildinf:", 14) == 0) {
                        off = o;
                        break;
                }
        /* the inline strings: varint version length, version, varint modinfo length, modinfo */
        size_t p = off + 32, vlen = d[p];
        p += 1 + vlen;
        size_t mlen = (d[p] & 0x7fu) | (size_t)(d[p + 1] & 0x7f) << 7;
        CHECK((d[p] & 0x80) && !(d[p + 1] & 0x80));
        p += 2;
        CHECK(mlen > 32 && memcmp(d + p + mlen - 16, "\xf9\x32\x43\x31", 4) == 0);
        unsigned char *mod = malloc(mlen);
        memcpy(mod, d + p, mlen);
        size_t places[] = { 0, 4096, 65536 - 7, 65536 * 2 - 20 };
        for (size_t i = 0; i < 4; i++) {
                struct pkg_list l = { 0 };
                unsigned char *c = calloc(1, n);
                memcpy(c, d, 64);
                memcpy(c + off, d + off, 32);
                c[off + 15] = 0;
                memcpy(c + (places[i] ? places[i] : off + 64), mod, mlen);
                CHECK_INT(run_lang("usr/bin/old", EXE_FILE, c, n, i == 3 ? 1000 : 0, &l), 0);
                CHECK_INT(l.len, 2);
                CHECK(find_pkg(&l, "example.com/hello", NULL) != NULL);
                CHECK(find_pkg(&l, "example.com/greet", NULL) != NULL);
                CHECK(find_pkg(&l, "stdlib", NULL) == NULL);    /* version unknown */
                /* a start sentinel without its end: unsupported, nothing reported */
                memset(c + (places[i] ? places[i] : off + 64) + mlen - 16, 0, 16);
                CHECK_INT(run_lang("usr/bin/old", EXE_FILE, c, n, 0, &l), DOU_EUNSUPPORTED);
                CHECK_INT(l.len, 2);
                free(c);
                pkg_list_clear(&l);
        }
        free(mod);
        free(d);
}

TEST(modinfo_module_replace_and_junk_lines)
{
        struct pkg_list l = { 0 };
        struct scan_file f = { "bin/a", 0, EXE_FILE, "L", NULL, NULL };
        const char *mi = "path\tex.com/a\nmod\tex.com/a\tv1.0.0\th1:abc=\n"
                         "dep\tgithub.com/x/y\tv0.1.0\th1:def=\n=>\tgithub.com/fork/y\tv0.1.1\th1:ghi=\n"
                         "dep\tgolang.org/x/text\tv0.3.7\n\tjunk\n\n=>\nbuild\tGOOS=linux\n"
                         "dep\tbad\x01path\tv1\n";
        CHECK_INT(lang__go_modinfo_parse("devel go1.22-abc", mi, strlen(mi), &f, &l), DOU_EINVAL);
        CHECK_INT(l.len, 3);
        CHECK(find_pkg(&l, "ex.com/a", "v1.0.0") != NULL);
        CHECK(find_pkg(&l, "github.com/fork/y", "v0.1.1") != NULL);
        CHECK(find_pkg(&l, "golang.org/x/text", "v0.3.7") != NULL);
        CHECK(find_pkg(&l, "stdlib", NULL) == NULL);    /* devel toolchain: no version */
        pkg_list_clear(&l);
}

/* A scan_file over a real file on disk. */
static ssize_t fd_read(void *ctx, void *buf, size_t n)
{
        return read(*(int *)ctx, buf, n);
}

static int parse_path(const char *p, struct pkg_list *l)
{
        FILE *fp = fopen(p, "rb");
        if (!fp)
                return -2000;
        int fd = fileno(fp);
        struct scan_file f = { "usr/bin/live", 0, EXE_FILE, "L", fd_read, &fd };
        int r = lang_parse(LANG_GO_BINARY, &f, l);
        fclose(fp);
        return r;
}

TEST(live_go_build_stripped_and_not)
{
        if (system("command -v go >/dev/null 2>&1") != 0)
                SKIP("no Go toolchain installed (apt-get install golang-go)");
        char dir[] = "/tmp/douane-go-XXXXXX";
        if (!mkdtemp(dir))
                SKIP("mkdtemp failed");
        char cmd[2048];
        snprintf(cmd, sizeof(cmd),
                 "cd %s && mkdir -p dep app && printf 'module ex.org/dep\\n\\ngo 1.18\\n' > dep/go.mod &&"
                 " printf 'package dep\\nfunc V() int { return 7 }\\n' > dep/dep.go &&"
                 " printf 'module ex.org/app\\n\\ngo 1.18\\n\\nrequire ex.org/dep v0.4.2\\n\\nreplace ex.org/dep v0.4.2 => ../dep\\n' > app/go.mod &&"
                 " printf 'package main\\nimport \"ex.org/dep\"\\nfunc main() { println(dep.V()) }\\n' > app/main.go &&"
                 " cd app && export GOPROXY=off GOFLAGS=-mod=mod GOTOOLCHAIN=local GOWORK=off &&"
                 " go build -o ../plain . && go build -trimpath -ldflags=-s\\ -w -o ../stripped . &&"
                 " go version ../plain | sed 's/.*: go//' > ../ver 2>&1", dir);
        if (system(cmd) != 0) {
                snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
                (void)system(cmd);
                SKIP("go build failed");
        }
        char path[600], ver[64] = "";
        snprintf(path, sizeof(path), "%s/ver", dir);
        FILE *vf = fopen(path, "r");
        if (vf) {
                if (fgets(ver, sizeof(ver), vf))
                        ver[strcspn(ver, " \n")] = 0;
                fclose(vf);
        }
        const char *bins[] = { "plain", "stripped" };
        for (int i = 0; i < 2; i++) {
                struct pkg_list l = { 0 };
                snprintf(path, sizeof(path), "%s/%s", dir, bins[i]);
                CHECK_INT(parse_path(path, &l), 0);
                CHECK_INT(l.len, 3);
                CHECK(find_pkg(&l, "ex.org/app", NULL) != NULL);
                CHECK(find_pkg(&l, "ex.org/dep", NULL) != NULL);
                CHECK(find_pkg(&l, "stdlib", ver) != NULL);
                pkg_list_clear(&l);
        }
        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        CHECK(system(cmd) == 0);
}

TAP_MAIN()
