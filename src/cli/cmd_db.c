/*
 * cmd_db.c - "douane db": the advisory database.
 *
 *   db update [--source NAME=URL|PATH ...]   load sources (default: config vuln.sources)
 *   db import DIR / db export DIR            feeds directory layout (air-gapped sites)
 *   db status                                operations and counts
 *   db diff OP1 OP2                          advisories added/changed/removed between ops
 *   db rematch DIR [--webhook URL]           re-match stored index reports, record changes
 *   db changes [--since ID]                  recorded changes (what the REST API serves)
 * Skipped records are logged on stderr (first few per source, then a count).
 */
#include "cli/cli.h"
#include "config/config.h"
#include "util/err.h"
#include "vuln/vuln.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DB_MAX_SOURCES 64
#define SKIP_LOG_MAX 10

int cli_vuln_db_path(const struct config *cfg, const char *flag, char *out, size_t len);

static const char *default_sources[][2] = {
        { "osv/Debian", "https://osv-vulnerabilities.storage.googleapis.com/Debian/all.zip" },
        { "osv/PyPI", "https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip" },
        { "osv/Go", "https://osv-vulnerabilities.storage.googleapis.com/Go/all.zip" },
        { "osv/npm", "https://osv-vulnerabilities.storage.googleapis.com/npm/all.zip" },
        { "osv/Maven", "https://osv-vulnerabilities.storage.googleapis.com/Maven/all.zip" },
        { "osv/crates.io", "https://osv-vulnerabilities.storage.googleapis.com/crates.io/all.zip" },
        { "osv/RubyGems", "https://osv-vulnerabilities.storage.googleapis.com/RubyGems/all.zip" },
        { "debian", "https://security-tracker.debian.org/tracker/data/json" },
        { "alpine/v3.20/main", "https://secdb.alpinelinux.org/v3.20/main.json" },
        { "alpine/v3.20/community", "https://secdb.alpinelinux.org/v3.20/community.json" },
};

static void usage(FILE *f)
{
        fprintf(f,
                "usage: douane db [--db FILE] [-c CONFIG] COMMAND ...\n\n"
                "  update [--source NAME=URL|PATH]...  load sources (default: config vuln.sources,\n"
                "                                      else the public OSV, Debian and Alpine feeds)\n"
                "         [--rematch DIR] [--webhook URL]  (defaults: config vuln.reports_dir,\n"
                "                                      vuln.webhook)\n"
                "  import DIR                          load DIR laid out as osv/<Eco>/all.zip,\n"
                "                                      alpine/vX.Y/<repo>.json|yaml, debian/json\n"
                "  export DIR                          write the database in that layout\n"
                "  status                              operations and counts (JSON)\n"
                "  diff OP1 OP2                        advisories added/changed/removed after OP1 up to OP2\n"
                "  rematch DIR [--webhook URL]         re-match the index reports in DIR, record changes\n"
                "  changes [--since ID] [--limit N]    recorded changes (JSON)\n\n"
                "Source names: osv/<Ecosystem>, debian, alpine/<vX.Y>/<repo>.\n"
                "Exit codes: 0 ok, 1 a source failed (its previous data is kept), 2 usage, 4 bad input.\n");
}

struct skiplog {
        const char *source;
        unsigned n;
};

static void log_skip(void *ctx, const char *id, const char *why)
{
        struct skiplog *s = ctx;

        if (s->n++ < SKIP_LOG_MAX)
                fprintf(stderr, "douane db: %s: skipped %s: %s\n", s->source, id ? id : "?", why);
}

static void print_stats(const char *source, int rc, const struct vuln_load_stats *st)
{
        if (rc < 0)
                printf("%-24s FAILED (previous data kept): %s\n", source, dou_err_msg());
        else if (st->not_modified)
                printf("%-24s not modified (op %lld)\n", source, (long long)st->op);
        else
                printf("%-24s op %lld: %u added, %u changed, %u removed, %u unchanged, %u skipped\n", source,
                       (long long)st->op, st->added, st->changed, st->removed, st->unchanged, st->skipped);
}

static void import_cb(void *ctx, const char *source, int rc, const struct vuln_load_stats *st)
{
        struct skiplog *s = ctx;

        if (s->n > SKIP_LOG_MAX)
                fprintf(stderr, "douane db: %u more records skipped\n", s->n - SKIP_LOG_MAX);
        s->n = 0;
        print_stats(source, rc, st);
}

static int print_json(json_t *j)
{
        char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

        json_decref(j);
        if (!s)
                return EXIT_FAIL;
        puts(s);
        free(s);
        return EXIT_OK_;
}

static void change_cb(void *ctx, const struct vuln_change *c)
{
        (void)ctx;
        printf("%-9s %-40s %-20s %s %s\n", c->kind, c->image, c->id, c->package, c->version);
}

static int do_rematch(struct vuln_db *db, const char *dir, const char *webhook, int64_t since)
{
        int n = vuln_rematch_all(db, dir, change_cb, NULL);
        int64_t last = 0;

        if (n < 0) {
                fprintf(stderr, "douane db rematch: %s\n", dou_err_msg());
                return EXIT_DATA;
        }
        printf("%d changes\n", n);
        if (webhook && vuln_webhook_deliver(db, webhook, since, NULL, &last) < 0) {
                fprintf(stderr, "douane db: webhook: %s (delivered up to change %lld)\n", dou_err_msg(),
                        (long long)last);
                return EXIT_FAIL;
        }
        return EXIT_OK_;
}

static int64_t last_change(struct vuln_db *db)
{
        json_t *j = NULL;
        int64_t id = 0;

        /* the newest change id, so a webhook gets only what this run adds */
        if (vuln_changes_list(db, -1, 0, &j) == 0)
                id = json_integer_value(json_object_get(j, "last"));
        json_decref(j);
        return id;
}

static int cmd_update(struct vuln_db *db, const struct config *cfg, int argc, char **argv)
{
        static const struct option opts[] = {
                { "source", required_argument, NULL, 's' },
                { "rematch", required_argument, NULL, 'r' },
                { "webhook", required_argument, NULL, 'w' },
                { NULL, 0, NULL, 0 },
        };
        char *names[DB_MAX_SOURCES], *locs[DB_MAX_SOURCES];
        size_t n = 0;
        const char *rematch = NULL, *webhook = NULL;
        int c, failed = 0;

        optind = 1;
        while ((c = getopt_long(argc, argv, "s:r:w:", opts, NULL)) != -1) {
                if (c == 'r') {
                        rematch = optarg;
                        continue;
                }
                if (c == 'w') {
                        webhook = optarg;
                        continue;
                }
                char *eq = c == 's' ? strchr(optarg, '=') : NULL;
                if (!eq || eq == optarg || !eq[1] || n >= DB_MAX_SOURCES) {
                        fprintf(stderr, "douane db update: --source NAME=URL|PATH\n");
                        return EXIT_USAGE;
                }
                *eq = 0;
                names[n] = optarg;
                locs[n++] = eq + 1;
        }
        if (optind != argc) {
                usage(stderr);
                return EXIT_USAGE;
        }
        if (n == 0) {
                const json_t *srcs = json_object_get(json_object_get(cfg->root, "vuln"), "sources");
                const char *k;
                json_t *v;
                if (json_is_object(srcs)) {
                        json_object_foreach((json_t *)srcs, k, v)
                                if (json_is_string(v) && n < DB_MAX_SOURCES) {
                                        names[n] = (char *)k;
                                        locs[n++] = (char *)json_string_value(v);
                                }
                } else if (srcs) {
                        fprintf(stderr, "douane db update: config vuln.sources must map NAME: URL|PATH\n");
                        return EXIT_CONFIG;
                } else {
                        for (size_t i = 0; i < sizeof(default_sources) / sizeof(default_sources[0]); i++) {
                                names[n] = (char *)default_sources[i][0];
                                locs[n++] = (char *)default_sources[i][1];
                        }
                }
        }
        int64_t since = last_change(db);
        for (size_t i = 0; i < n; i++) {
                struct skiplog sl = { names[i], 0 };
                struct vuln_load_opts o = { .skip = log_skip, .ctx = &sl };
                struct vuln_load_stats st = { 0 };
                int rc = vuln_load(db, names[i], locs[i], &o, &st);
                if (sl.n > SKIP_LOG_MAX)
                        fprintf(stderr, "douane db: %u more records skipped\n", sl.n - SKIP_LOG_MAX);
                print_stats(names[i], rc, &st);
                failed |= rc < 0;
        }
        /* config defaults: vuln.reports_dir (stored index reports), vuln.webhook */
        const json_t *vc = json_object_get(cfg->root, "vuln");
        if (!rematch)
                rematch = json_string_value(json_object_get(vc, "reports_dir"));
        if (!webhook)
                webhook = json_string_value(json_object_get(vc, "webhook"));
        if (rematch) {
                int r = do_rematch(db, rematch, webhook, since);
                if (r != EXIT_OK_)
                        return r;
        }
        return failed ? EXIT_FAIL : EXIT_OK_;
}

static int parse_i64(const char *s, int64_t *ret)
{
        char *end;
        long long v = strtoll(s, &end, 10);

        if (!*s || *end || v < -1)
                return -1;
        *ret = v;
        return 0;
}

int cmd_db(int argc, char **argv)
{
        static const struct option opts[] = {
                { "db", required_argument, NULL, 'd' },
                { "config", required_argument, NULL, 'c' },
                { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 },
        };
        const char *dbflag = NULL, *cfgpath = NULL, *sub;
        char dbpath[4096];
        struct config cfg;
        struct vuln_db *db = NULL;
        int c, rc;

        optind = 1;
        /* "+": stop at the subcommand, its options are its own */
        while ((c = getopt_long(argc, argv, "+d:c:h", opts, NULL)) != -1) {
                switch (c) {
                case 'd': dbflag = optarg; break;
                case 'c': cfgpath = optarg; break;
                case 'h': usage(stdout); return EXIT_OK_;
                default: usage(stderr); return EXIT_USAGE;
                }
        }
        if (optind >= argc) {
                usage(stderr);
                return EXIT_USAGE;
        }
        sub = argv[optind];
        argc -= optind;
        argv += optind;
        if (!strcmp(sub, "help") || (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))) {
                usage(stdout);
                return EXIT_OK_;
        }
        if (strcmp(sub, "update") && strcmp(sub, "import") && strcmp(sub, "export") &&
            strcmp(sub, "status") && strcmp(sub, "diff") && strcmp(sub, "rematch") && strcmp(sub, "changes")) {
                fprintf(stderr, "douane db: unknown command %s\n", sub);
                usage(stderr);
                return EXIT_USAGE;
        }
        if ((!strcmp(sub, "import") || !strcmp(sub, "export")) && argc != 2) {
                usage(stderr);
                return EXIT_USAGE;
        }
        if (!strcmp(sub, "diff") && argc != 3) {
                usage(stderr);
                return EXIT_USAGE;
        }
        if ((rc = cli_load_config(&cfg, cfgpath)) != 0)
                return rc;
        if (cli_vuln_db_path(&cfg, dbflag, dbpath, sizeof(dbpath)) < 0 || vuln_db_open(dbpath, &db) < 0) {
                fprintf(stderr, "douane db: %s: %s\n", dbpath, dou_err_msg());
                config_free(&cfg);
                return EXIT_FAIL;
        }
        rc = EXIT_OK_;
        if (!strcmp(sub, "update")) {
                rc = cmd_update(db, &cfg, argc, argv);
        } else if (!strcmp(sub, "import")) {
                struct skiplog sl = { "import", 0 };
                struct vuln_load_opts o = { .skip = log_skip, .ctx = &sl };
                if (vuln_import_dir(db, argv[1], &o, import_cb, &sl) < 0) {
                        fprintf(stderr, "douane db import: %s\n", dou_err_msg());
                        rc = EXIT_FAIL;
                }
        } else if (!strcmp(sub, "export")) {
                if (vuln_export_dir(db, argv[1]) < 0) {
                        fprintf(stderr, "douane db export: %s\n", dou_err_msg());
                        rc = EXIT_FAIL;
                }
        } else if (!strcmp(sub, "status")) {
                json_t *j;
                rc = vuln_db_status(db, 50, &j) < 0 ? EXIT_FAIL : print_json(j);
        } else if (!strcmp(sub, "diff")) {
                int64_t a, b;
                json_t *j;
                if (parse_i64(argv[1], &a) < 0 || parse_i64(argv[2], &b) < 0) {
                        fprintf(stderr, "douane db diff: OP1 and OP2 are operation ids (see db status)\n");
                        rc = EXIT_USAGE;
                } else {
                        rc = vuln_db_diff(db, a, b, &j) < 0 ? EXIT_FAIL : print_json(j);
                }
        } else if (!strcmp(sub, "rematch")) {
                static const struct option ro[] = { { "webhook", required_argument, NULL, 'w' }, { NULL, 0, NULL, 0 } };
                const char *hook = NULL;
                optind = 1;
                while ((c = getopt_long(argc, argv, "w:", ro, NULL)) != -1) {
                        if (c != 'w') {
                                rc = EXIT_USAGE;
                                break;
                        }
                        hook = optarg;
                }
                if (rc == EXIT_OK_ && optind + 1 != argc)
                        rc = EXIT_USAGE;
                if (!hook)
                        hook = json_string_value(json_object_get(json_object_get(cfg.root, "vuln"), "webhook"));
                if (rc == EXIT_USAGE)
                        usage(stderr);
                else
                        rc = do_rematch(db, argv[optind], hook, last_change(db));
        } else {
                static const struct option co[] = { { "since", required_argument, NULL, 's' },
                                                     { "limit", required_argument, NULL, 'l' }, { NULL, 0, NULL, 0 } };
                int64_t since = 0, limit = 100;
                json_t *j;
                optind = 1;
                while ((c = getopt_long(argc, argv, "s:l:", co, NULL)) != -1) {
                        if ((c == 's' && parse_i64(optarg, &since) < 0) || (c == 'l' && parse_i64(optarg, &limit) < 0) ||
                            (c != 's' && c != 'l'))
                                rc = EXIT_USAGE;
                }
                if (rc == EXIT_USAGE || optind != argc)
                        usage(stderr), rc = EXIT_USAGE;
                else
                        rc = vuln_changes_list(db, since, (size_t)limit, &j) < 0 ? EXIT_FAIL : print_json(j);
        }
        vuln_db_close(db);
        config_free(&cfg);
        return rc;
}
