/*
 * cmd_vercmp.c - "douane vercmp ECOSYSTEM A B" and "--batch": show how
 * douane orders two versions, so a user can check by hand why a package
 * is or is not inside an advisory's range.
 *
 * Batch mode reads "A<TAB>B" lines from stdin and answers each on its own
 * output line, so results stay aligned with the input even when a line is
 * bad ("error: ..." is printed in its place and the run goes on). Lines
 * are read into a fixed buffer; a longer line is an error, never a
 * reason to allocate.
 */
#include "cli/cli.h"
#include "vuln/vercmp/vercmp.h"
#include "util/err.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#define VERCMP_LINE_MAX (2 * VERCMP_MAX_LEN + 64)

static void vercmp_usage(FILE *f)
{
        fprintf(f,
                "usage: douane vercmp [--batch] ECOSYSTEM [A B]\n"
                "       douane vercmp --range RANGE VERSION\n\n"
                "Compare two versions with the ordering rules of ECOSYSTEM and print\n"
                "-1 (A < B), 0 (equal) or 1 (A > B).\n\n"
                "ECOSYSTEM: dpkg, rpm, apk, semver, pep440, maven, go, gem\n\n"
                "options:\n"
                "  --batch        read \"A<TAB>B\" lines on stdin, print one result per\n"
                "                 line (\"error: ...\" for a bad line, which sets exit 4)\n"
                "  --range        npm: print 1 if VERSION satisfies RANGE, else 0\n"
                "  -h, --help     this help\n\n"
                "exit status: 0 ok, 2 usage error, 4 invalid version or range\n");
}

static int vercmp_batch(enum vercmp_eco eco)
{
        char line[VERCMP_LINE_MAX + 2];
        int any_bad = 0;
        unsigned long lineno = 0;

        while (fgets(line, sizeof(line), stdin)) {
                size_t len = strlen(line);
                lineno++;
                if (len == sizeof(line) - 1 && line[len - 1] != '\n') {
                        int ch;
                        while ((ch = getchar()) != EOF && ch != '\n')
                                ;
                        printf("error: line %lu longer than %d bytes\n", lineno, VERCMP_LINE_MAX);
                        any_bad = 1;
                        continue;
                }
                if (len && line[len - 1] == '\n')
                        line[--len] = '\0';
                if (len && line[len - 1] == '\r')
                        line[--len] = '\0';
                if (strlen(line) != len) {
                        printf("error: line %lu contains a NUL byte\n", lineno);
                        any_bad = 1;
                        continue;
                }
                char *tab = strchr(line, '\t');
                if (!tab) {
                        printf("error: line %lu has no TAB between the two versions\n", lineno);
                        any_bad = 1;
                        continue;
                }
                *tab = '\0';
                int r;
                if (vercmp(eco, line, tab + 1, &r) < 0) {
                        printf("error: %s\n", dou_err_msg());
                        any_bad = 1;
                        continue;
                }
                printf("%d\n", r);
        }
        if (ferror(stdin)) {
                fprintf(stderr, "douane vercmp: error reading stdin\n");
                return EXIT_FAIL;
        }
        return any_bad ? EXIT_DATA : EXIT_OK_;
}

int cmd_vercmp(int argc, char **argv)
{
        static const struct option opts[] = {
                { "batch", no_argument, NULL, 'b' },
                { "range", no_argument, NULL, 'r' },
                { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 },
        };
        int batch = 0, range = 0, c;

        optind = 1;
        while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
                switch (c) {
                case 'b':
                        batch = 1;
                        break;
                case 'r':
                        range = 1;
                        break;
                case 'h':
                        vercmp_usage(stdout);
                        return EXIT_OK_;
                default:
                        vercmp_usage(stderr);
                        return EXIT_USAGE;
                }
        }
        int nargs = argc - optind;
        if (range) {
                if (batch || nargs != 2) {
                        vercmp_usage(stderr);
                        return EXIT_USAGE;
                }
                int r;
                if (semver_range_satisfies(argv[optind], argv[optind + 1], &r) < 0) {
                        fprintf(stderr, "douane vercmp: %s\n", dou_err_msg());
                        return EXIT_DATA;
                }
                printf("%d\n", r);
                return EXIT_OK_;
        }
        if (nargs < 1 || (batch && nargs != 1) || (!batch && nargs != 3)) {
                vercmp_usage(stderr);
                return EXIT_USAGE;
        }
        int eco = vercmp_eco_parse(argv[optind]);
        if (eco < 0) {
                fprintf(stderr, "douane vercmp: unknown ecosystem '%s'\n", argv[optind]);
                return EXIT_USAGE;
        }
        if (batch)
                return vercmp_batch((enum vercmp_eco)eco);
        int r;
        if (vercmp((enum vercmp_eco)eco, argv[optind + 1], argv[optind + 2], &r) < 0) {
                fprintf(stderr, "douane vercmp: %s\n", dou_err_msg());
                return EXIT_DATA;
        }
        printf("%d\n", r);
        return EXIT_OK_;
}
