/*
 * cmd_token.c - "douane token": print a registry token for scripts
 * (curl -H "Authorization: Bearer $(douane token ...)").
 */
#include "cli/cli.h"
#include "auth/client.h"
#include "util/err.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOKEN_MAX_SCOPES 16

static void usage(FILE *f)
{
        fprintf(f,
"usage: douane token --registry URL --scope SCOPE [--scope SCOPE...]\n"
"                    [--token-file F | --token-env VAR | ID-TOKEN] [--plain-http] [--cacert FILE]\n\n"
"Prints a short-lived registry token for the scopes, e.g.\n"
"  --scope repository:quarantine/acme/app:pull,push\n"
"Without an ID token the request is anonymous (public repositories only).\n"
"The token carries only what was both requested and granted; check with\n"
"the registry, which answers 401 when a scope was not granted.\n\n"
"options:\n"
"  --registry URL     registry host[:port] or URL\n"
"  --scope SCOPE      repository:NAME:ACTIONS or registry:catalog:* (repeatable)\n"
"  --token-file F     read the OIDC ID token from a file\n"
"  --token-env VAR    read the OIDC ID token from an environment variable\n"
"  --plain-http       talk http to a loopback registry (tests)\n"
"  --cacert FILE      extra CA certificates\n"
"  -h, --help         this help\n"
"exit: 0 printed, 1 refused or unreachable, 2 usage\n");
}

int cmd_token(int argc, char **argv)
{
        static const struct option opts[] = {
                { "registry", required_argument, NULL, 'r' }, { "scope", required_argument, NULL, 's' },
                { "token-file", required_argument, NULL, 'f' }, { "token-env", required_argument, NULL, 'e' },
                { "plain-http", no_argument, NULL, 'P' }, { "cacert", required_argument, NULL, 'c' },
                { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
        };
        struct auth_client_opts o = { 0 };
        const char *scopes[TOKEN_MAX_SCOPES], *file = NULL, *env = NULL;
        size_t n = 0;
        char *idtok = NULL, *tok = NULL;
        int c, rc = EXIT_FAIL;

        optind = 1;
        while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
                switch (c) {
                case 'r': o.registry = optarg; break;
                case 's':
                        if (n == TOKEN_MAX_SCOPES) {
                                fprintf(stderr, "douane: at most %d scopes\n", TOKEN_MAX_SCOPES);
                                return EXIT_USAGE;
                        }
                        if (!auth_client_scope_valid(optarg)) {
                                fprintf(stderr, "douane: invalid scope '%s' (want repository:NAME:pull,push,...)\n",
                                        optarg);
                                return EXIT_USAGE;
                        }
                        scopes[n++] = optarg;
                        break;
                case 'f': file = optarg; break;
                case 'e': env = optarg; break;
                case 'P': o.plain_http = 1; break;
                case 'c': o.cacert = optarg; break;
                case 'h': usage(stdout); return EXIT_OK_;
                default: usage(stderr); return EXIT_USAGE;
                }
        }
        if (!o.registry || n == 0 || argc - optind > 1 || (file && env) ||
            ((file || env) && optind < argc)) {
                usage(stderr);
                return EXIT_USAGE;
        }
        if ((file || env || optind < argc) &&
            auth_client_read_token(file, env, optind < argc ? argv[optind] : NULL, &idtok) < 0) {
                fprintf(stderr, "douane: %s\n", dou_err_msg());
                return EXIT_USAGE;
        }
        if (auth_client_token(&o, idtok, scopes, n, &tok, NULL) < 0) {
                fprintf(stderr, "douane: %s\n", dou_err_msg());
        } else {
                printf("%s\n", tok);
                rc = EXIT_OK_;
        }
        free(idtok);
        free(tok);
        return rc;
}
