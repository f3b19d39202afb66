/*
 * cmd_vercmp.c - "douane vercmp ECOSYSTEM A B" and "--batch": show how
 * douane orders two versions, so a user can check by hand why a package
 * is or is not inside an advisory's range.
 *
 * Batch mode reads "A<TAB>B" lines from stdin and answers each on its own
 * output line, so results stay aligned with the input even when a line is
 * bad ("error: ..." is printed in its place and the run goes on). Lines
 * are read byte by byte into a fixed buffer, so a NUL inside a line is
 * seen and a longer line is an error, never a reason to allocate.
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

enum { LINE_EOF, LINE_OK, LINE_LONG };

/*
 * Read one line (without its "\n" or "\r\n") into buf, at most cap-1 bytes;
 * a longer line is consumed and reported as LINE_LONG. *ret_nul tells
 * whether the line held a NUL byte, which fgets() would hide.
 */
static int read_line(char *buf, size_t cap, size_t *ret_len, int *ret_nul)
{
        size_t n = 0;
        int c, nul = 0, any = 0;

        while ((c = getc_unlocked(stdin)) != EOF) {
                any = 1;
                if (c == '\n')
                        break;
                if (c == '\0')
                        nul = 1;
                if (n < cap - 1)
                        buf[n] = (char)c;
                n++;
        }
        if (!any)
                return LINE_EOF;
        if (n >= cap)
                return LINE_LONG;
        if (n && buf[n - 1] == '\r')
                n--;
        buf[n] = '\0';
        *ret_len = n;
        *ret_nul = nul;
        return LINE_OK;
}

static int vercmp_batch(enum vercmp_eco eco)
{
        char line[VERCMP_LINE_MAX + 1];
        int any_bad = 0, st, nul;
        unsigned long lineno = 0;
        size_t len;

        while ((st = read_line(line, sizeof(line), &len, &nul)) != LINE_EOF) {
                lineno++;
                if (st == LINE_LONG) {
                        printf("error: line %lu longer than %d bytes\n", lineno, VERCMP_LINE_MAX);
                        any_bad = 1;
                        continue;
                }
                if (nul) {
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
