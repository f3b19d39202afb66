/*
 * cmd_scan.c - "douane scan REPORT_OR_IMAGE": match an index report against
 * the advisory database and print the findings.
 *
 * Getting the index report is one function (scan_get_report) so the image
 * path (src/scan, once merged) plugs in there without touching the rest.
 * Exit codes: 0 ok (or nothing at/above --fail-on), 1 a finding at or above
 * --fail-on (or an operational failure), 2 usage, 4 bad input.
 */
#include "cli/cli.h"
#include "config/config.h"
#include "util/err.h"
#include "util/fsutil.h"
#include "vuln/vuln.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SCAN_REPORT_MAX (256u << 20)

static void usage(FILE *f)
{
        fprintf(f,
                "usage: douane scan REPORT_OR_IMAGE [options]\n\n"
                "Match an index report (douane.index-report/v1 JSON, as written by\n"
                "'douane sbom IMAGE --format json') against the advisory database.\n\n"
                "  --db FILE              advisory database (default: config vuln.db, else DATA/vuln.db)\n"
                "  -c, --config FILE      configuration file\n"
                "  -f, --format FMT       table (default), json, sarif, cyclonedx-vex\n"
                "  -o, --output FILE      write the result to FILE (atomically)\n"
                "  --vex FILE             OpenVEX document: not_affected/fixed statements suppress findings\n"
                "  --only-fixed           only findings with a fixed version\n"
                "  --severity LEVEL       only findings at or above LEVEL\n"
                "                         (negligible, low, medium, high, critical)\n"
                "  --fail-on LEVEL        exit 1 when a finding at or above LEVEL remains\n"
                "  -h, --help             this help\n\n"
                "exit codes: 0 ok, 1 --fail-on threshold reached or failure, 2 usage, 4 bad input\n");
}

/*
 * The index report for arg: a JSON file today. An image reference will go
 * through the inspection library (dep_scan) here once it is merged.
 */
static int scan_get_report(const char *arg, json_t **ret)
{
        char *buf = NULL;
        size_t len = 0;
        json_error_t jerr;
        json_t *j;
        int rc;

        if (access(arg, F_OK) != 0 && strchr(arg, ':') && !strchr(arg, '/'))
                return dou_err_set(DOU_EUNSUPPORTED, "%s: scanning image references needs the inspection"
                                   " library; pass an index report file", arg);
        if ((rc = fs_read_small(arg, SCAN_REPORT_MAX, &buf, &len)) < 0)
                return rc;
        j = json_loadb(buf, len, 0, &jerr);
        free(buf);
        if (!j)
                return dou_err_set(DOU_EINVAL, "%s: %s (line %d)", arg, jerr.text, jerr.line);
        *ret = j;
        return 0;
}

/* Database path: --db, else config vuln.db, else DATA/vuln.db. */
int cli_vuln_db_path(const struct config *cfg, const char *flag, char *out, size_t len);
int cli_vuln_db_path(const struct config *cfg, const char *flag, char *out, size_t len)
{
        const char *p = flag;
        int n;

        if (!p)
                p = json_string_value(json_object_get(json_object_get(cfg->root, "vuln"), "db"));
        if (p)
                n = snprintf(out, len, "%s", p);
        else
                n = snprintf(out, len, "%s/vuln.db", cfg->data_dir);
        return n < 0 || (size_t)n >= len ? -1 : 0;
}

static int parse_sev(const char *s)
{
        int r = vuln_severity_rank(s);
        return r > 0 ? r : -1;
}

int cmd_scan(int argc, char **argv)
{
        enum { O_DB = 256, O_VEX, O_ONLY_FIXED, O_SEV, O_FAIL };
        static const struct option opts[] = {
                { "db", required_argument, NULL, O_DB },
                { "config", required_argument, NULL, 'c' },
                { "format", required_argument, NULL, 'f' },
                { "output", required_argument, NULL, 'o' },
                { "vex", required_argument, NULL, O_VEX },
                { "only-fixed", no_argument, NULL, O_ONLY_FIXED },
                { "severity", required_argument, NULL, O_SEV },
                { "fail-on", required_argument, NULL, O_FAIL },
                { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 },
        };
        const char *dbflag = NULL, *cfgpath = NULL, *out = NULL, *vexpath = NULL;
        struct vuln_match_opts mo = { 0 };
        int fmt = VULN_FMT_TABLE, fail_on = -1, c, rc = EXIT_OK_;
        struct config cfg;
        struct vuln_db *db = NULL;
        json_t *report = NULL, *vex = NULL, *vr = NULL;
        char dbpath[4096], *text = NULL;

        optind = 1;
        while ((c = getopt_long(argc, argv, "c:f:o:h", opts, NULL)) != -1) {
                switch (c) {
                case O_DB: dbflag = optarg; break;
                case 'c': cfgpath = optarg; break;
                case 'o': out = optarg; break;
                case O_VEX: vexpath = optarg; break;
                case O_ONLY_FIXED: mo.only_fixed = 1; break;
                case 'f':
                        if ((fmt = vuln_format_parse(optarg)) < 0) {
                                fprintf(stderr, "douane scan: unknown format %s\n", optarg);
                                return EXIT_USAGE;
                        }
                        break;
                case O_SEV:
                case O_FAIL: {
                        int s = parse_sev(optarg);
                        if (s < 0) {
                                fprintf(stderr, "douane scan: unknown severity %s\n", optarg);
                                return EXIT_USAGE;
                        }
                        if (c == O_SEV)
                                mo.min_severity = s;
                        else
                                fail_on = s;
                        break;
                }
                case 'h': usage(stdout); return EXIT_OK_;
                default: usage(stderr); return EXIT_USAGE;
                }
        }
        if (optind + 1 != argc) {
                usage(stderr);
                return EXIT_USAGE;
        }
        if ((rc = cli_load_config(&cfg, cfgpath)) != 0)
                return rc;
        if (cli_vuln_db_path(&cfg, dbflag, dbpath, sizeof(dbpath)) < 0) {
                fprintf(stderr, "douane scan: database path too long\n");
                config_free(&cfg);
                return EXIT_USAGE;
        }
        config_free(&cfg);
        if (scan_get_report(argv[optind], &report) < 0) {
                fprintf(stderr, "douane scan: %s\n", dou_err_msg());
                return EXIT_DATA;
        }
        if (vexpath) {
                char *buf = NULL;
                size_t len = 0;
                if (fs_read_small(vexpath, 16u << 20, &buf, &len) < 0 || vex_parse(buf, len, &vex) < 0) {
                        fprintf(stderr, "douane scan: --vex %s: %s\n", vexpath, dou_err_msg());
                        free(buf);
                        rc = EXIT_DATA;
                        goto out;
                }
                free(buf);
                mo.vex = vex;
        }
        if (access(dbpath, R_OK) != 0) {
                fprintf(stderr, "douane scan: no advisory database at %s (run 'douane db update' or 'douane db import DIR')\n",
                        dbpath);
                rc = EXIT_FAIL;
                goto out;
        }
        if (vuln_db_open(dbpath, &db) < 0) {
                fprintf(stderr, "douane scan: %s\n", dou_err_msg());
                rc = EXIT_FAIL;
                goto out;
        }
        if (vuln_match_report(db, report, &mo, &vr) < 0) {
                fprintf(stderr, "douane scan: %s\n", dou_err_msg());
                rc = EXIT_DATA;
                goto out;
        }
        if (vuln_render(vr, (enum vuln_format)fmt, &text) < 0) {
                fprintf(stderr, "douane scan: %s\n", dou_err_msg());
                rc = EXIT_FAIL;
                goto out;
        }
        if (out) {
                size_t n = strlen(text);
                if (fs_write_atomic(out, text, n) < 0) {
                        fprintf(stderr, "douane scan: %s\n", dou_err_msg());
                        rc = EXIT_FAIL;
                        goto out;
                }
        } else {
                fputs(text, stdout);
                if (fmt != VULN_FMT_TABLE)
                        fputc('\n', stdout);
        }
        if (fail_on > 0 && vuln_report_max_severity(vr) >= fail_on)
                rc = EXIT_FAIL;
out:
        free(text);
        json_decref(vr);
        json_decref(vex);
        json_decref(report);
        vuln_db_close(db);
        return rc;
}
