/*
 * cmd_gc.c - "douane gc": collect unreferenced blobs and untagged manifests.
 */
#include "cli/cli.h"
#include "config/config.h"
#include "registry/registry.h"
#include "util/err.h"

#include <getopt.h>
#include <stdio.h>

static void usage(FILE *f)
{
        fprintf(f,
                "usage: douane gc [--config FILE] [--data DIR] [--grace DURATION] [--dry-run]\n\n"
                "Delete untagged manifests and unreferenced blobs (rule: docs/gc.md).\n"
                "Safe while `douane serve` runs: content younger than the grace period\n"
                "(default 1h) is always kept, and deletion is serialized with pushes.\n\n"
                "  -c, --config FILE   YAML config\n"
                "  -d, --data DIR      data directory\n"
                "      --grace DUR     keep content younger than DUR (e.g. 30m, 0 for all)\n"
                "  -n, --dry-run       report what would be deleted, change nothing\n"
                "  -h, --help          this help\n");
}

int cmd_gc(int argc, char **argv)
{
        static const struct option opts[] = {
                { "config", required_argument, NULL, 'c' },
                { "data", required_argument, NULL, 'd' },
                { "grace", required_argument, NULL, 'g' },
                { "dry-run", no_argument, NULL, 'n' },
                { "help", no_argument, NULL, 'h' },
                { 0 },
        };
        const char *config_path = NULL, *data = NULL, *grace = NULL;
        struct meta_gc_stats st;
        struct config cfg;
        int c, rc, dry = 0, purged = 0;

        while ((c = getopt_long(argc, argv, "c:d:nh", opts, NULL)) != -1) {
                switch (c) {
                case 'c': config_path = optarg; break;
                case 'd': data = optarg; break;
                case 'g': grace = optarg; break;
                case 'n': dry = 1; break;
                case 'h': usage(stdout); return EXIT_OK_;
                default: usage(stderr); return EXIT_USAGE;
                }
        }
        if (optind != argc) {
                usage(stderr);
                return EXIT_USAGE;
        }
        if ((rc = cli_load_config(&cfg, config_path)) != 0)
                return rc;
        if (data && config_set_str(&cfg.data_dir, data) < 0) {
                config_free(&cfg);
                return EXIT_FAIL;
        }
        if (grace && config_parse_duration(grace, &cfg.gc_grace_sec) < 0) {
                fprintf(stderr, "douane gc: --grace takes a duration like 30m\n");
                config_free(&cfg);
                return EXIT_USAGE;
        }
        rc = registry_gc(&cfg, dry, &st, &purged);
        config_free(&cfg);
        if (rc < 0) {
                fprintf(stderr, "douane gc: %s\n", dou_err_msg());
                return EXIT_FAIL;
        }
        printf("%s%lu manifests, %lu blobs (%llu bytes) deleted; %lu blobs kept; "
               "%d stale uploads removed\n", dry ? "dry run: would delete " : "",
               st.manifests_deleted, st.blobs_deleted, st.bytes_freed, st.blobs_kept, purged);
        return EXIT_OK_;
}
