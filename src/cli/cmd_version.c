/*
 * cmd_version.c - "douane version".
 */
#include "cli/cli.h"
#include "douane_version.h"

#include <openssl/opensslv.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

int cmd_version(int argc, char **argv)
{
        if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
                printf("usage: douane version\n\nPrints douane's version and its libraries'.\n");
                return EXIT_OK_;
        }
        printf("douane %s\n", DOUANE_VERSION);
        printf("  openssl %s, sqlite %s\n", OPENSSL_VERSION_STR, sqlite3_libversion());
        return EXIT_OK_;
}
