/*
 * cmd_sbom.c - "douane sbom IMAGE": index an image and print its SBOM.
 *
 * Exit codes: 0 indexed (per-file problems are listed in the output and
 * on stderr), 1 failure (I/O, not found), 2 usage, 4 bad input data (a
 * malformed image, or a layer that could not be indexed: the output is
 * still written with what could be indexed).
 */
#include "cli/cli.h"
#include "config/config.h"
#include "scan/report.h"
#include "scan/scan.h"
#include "util/err.h"
#include "util/fsutil.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void usage(FILE *f)
{
        fprintf(f,
                "usage: douane sbom IMAGE [options]\n\n"
                "Index an image's distribution, OS and language packages and licences,\n"
                "and print an SBOM. IMAGE is one of\n"
                "  oci:DIR[:TAG]                 an OCI image layout directory\n"
                "  docker-archive:FILE           a 'docker save' / skopeo docker-archive tarball\n"
                "  docker://HOST/REPO[:TAG|@DIGEST]  a registry (anonymous token auth)\n\n"
                "options:\n"
                "  -f, --format FMT      spdx-json, cyclonedx-json, table (default) or json\n"
                "                        (douane's index report, docs/index-report.md)\n"
                "  -o, --output FILE     write to FILE instead of stdout\n"
                "      --platform P      only this platform of an index (os/arch[/variant])\n"
                "      --cache DIR       per-layer cache (default $XDG_CACHE_HOME/douane)\n"
                "      --no-cache        neither read nor write the cache\n"
                "      --max-layer-bytes SIZE  bound on a layer's expanded size (default 32GiB)\n"
                "  -q, --quiet           no progress on stderr\n"
                "  -h, --help            this help\n\n"
                "exit status: 0 ok, 1 failure, 2 usage, 4 bad image data (output still written)\n");
}

struct progress {
        int quiet;
};

static void on_progress(void *ctx, size_t i, size_t n, const char *digest, int cached)
{
        struct progress *p = ctx;

        if (p->quiet || cached < 0)
                return;
        fprintf(stderr, "douane: layer %zu/%zu %.19s %s\n", i, n, digest, cached ? "(cached)" : "indexed");
}

static char *default_cache(void)
{
        const char *x = getenv("XDG_CACHE_HOME"), *h = getenv("HOME");
        char *p = NULL;

        if (x && *x) {
                if (asprintf(&p, "%s/douane", x) < 0)
                        return NULL;
        } else if (h && *h) {
                if (asprintf(&p, "%s/.cache/douane", h) < 0)
                        return NULL;
        }
        return p;
}

static void now_rfc3339(char *out, size_t n)
{
        const char *sde = getenv("SOURCE_DATE_EPOCH");
        time_t t = sde && *sde ? (time_t)strtoll(sde, NULL, 10) : time(NULL);
        struct tm tm;

        gmtime_r(&t, &tm);
        strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int exit_for(int code)
{
        switch (code) {
        case DOU_EINVAL:
        case DOU_EDIGEST:
        case DOU_ETOOBIG:
        case DOU_EUNSUPPORTED:
                return EXIT_DATA;
        default:
                return EXIT_FAIL;
        }
}

static int write_out(const char *path, enum report_format fmt, struct image_index *x, size_t n)
{
        char created[64], *buf = NULL;
        size_t len = 0;
        struct stat st;
        FILE *f;
        int rc;

        now_rfc3339(created, sizeof(created));
        if (!path || !strcmp(path, "-"))
                return report_write(stdout, fmt, x, n, created) < 0 || fflush(stdout) ? -1 : 0;
        if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
                /* /dev/null, a FIFO, /dev/stdout: write through, never rename over it */
                if (!(f = fopen(path, "w")))
                        return dou_err_errno(DOU_EIO, "open %s", path);
                rc = report_write(f, fmt, x, n, created);
                if (fclose(f) != 0 && rc == 0)
                        rc = dou_err_errno(DOU_EIO, "write %s", path);
                return rc;
        }
        if (!(f = open_memstream(&buf, &len)))
                return -1;
        rc = report_write(f, fmt, x, n, created);
        if (fclose(f) != 0)
                rc = -1;
        if (rc == 0)
                rc = fs_write_atomic(path, buf, len);
        free(buf);
        return rc;
}

int cmd_sbom(int argc, char **argv)
{
        static const struct option opts[] = {
                { "format", required_argument, NULL, 'f' }, { "output", required_argument, NULL, 'o' },
                { "platform", required_argument, NULL, 'P' }, { "cache", required_argument, NULL, 'C' },
                { "no-cache", no_argument, NULL, 'N' }, { "max-layer-bytes", required_argument, NULL, 'M' },
                { "quiet", no_argument, NULL, 'q' }, { "help", no_argument, NULL, 'h' }, { 0 },
        };
        struct progress prog = { 0 };
        struct scan_opts so = { .progress = on_progress, .progress_ctx = &prog };
        const char *out = NULL;
        char *cache = NULL;
        int fmt = REPORT_TABLE, no_cache = 0, c, rc, bad_layers = 0;
        struct image_index *x = NULL;
        size_t n = 0;

        optind = 1;
        while ((c = getopt_long(argc, argv, "f:o:qh", opts, NULL)) != -1) {
                switch (c) {
                case 'f':
                        if ((fmt = report_format_parse(optarg)) < 0) {
                                fprintf(stderr, "douane sbom: unknown format '%s'\n", optarg);
                                free(cache);
                                return EXIT_USAGE;
                        }
                        break;
                case 'o': out = optarg; break;
                case 'P': so.platform = optarg; break;
                case 'C':
                        free(cache);
                        cache = strdup(optarg);
                        break;
                case 'N': no_cache = 1; break;
                case 'M':
                        if (config_parse_size(optarg, &so.layer.max_bytes) < 0 || !so.layer.max_bytes) {
                                fprintf(stderr, "douane sbom: bad size '%s'\n", optarg);
                                free(cache);
                                return EXIT_USAGE;
                        }
                        break;
                case 'q': prog.quiet = 1; break;
                case 'h':
                        usage(stdout);
                        free(cache);
                        return EXIT_OK_;
                default:
                        usage(stderr);
                        free(cache);
                        return EXIT_USAGE;
                }
        }
        if (optind != argc - 1) {
                usage(stderr);
                free(cache);
                return EXIT_USAGE;
        }
        if (so.platform && !strchr(so.platform, '/')) {
                fprintf(stderr, "douane sbom: --platform wants os/arch, got '%s'\n", so.platform);
                free(cache);
                return EXIT_USAGE;
        }
        if (!no_cache && !cache)
                cache = default_cache();
        so.cache_dir = no_cache ? NULL : cache;
        if ((rc = scan_image(argv[optind], &so, &x, &n)) < 0) {
                fprintf(stderr, "douane sbom: %s: %s\n", argv[optind], dou_err_msg());
                free(cache);
                return exit_for(rc);
        }
        for (size_t i = 0; i < n; i++) {
                for (size_t j = 0; j < x[i].n_layers; j++)
                        bad_layers += !x[i].layers[j].ok;
                for (size_t e = 0; e < x[i].errors.n && !prog.quiet; e++)
                        fprintf(stderr, "douane sbom: warning: %s\n", x[i].errors.v[e]);
        }
        rc = write_out(out, (enum report_format)fmt, x, n);
        if (rc < 0)
                fprintf(stderr, "douane sbom: writing %s: %s\n", out ? out : "stdout", dou_err_msg());
        image_index_free(x, n);
        free(cache);
        if (rc < 0)
                return EXIT_FAIL;
        return bad_layers ? EXIT_DATA : EXIT_OK_;
}
