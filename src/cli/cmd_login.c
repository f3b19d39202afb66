/*
 * cmd_login.c - "douane login": prove an OIDC ID token works against a
 * registry's token service, then either print a registry token or store a
 * docker/podman auth entry ("oidc" + the ID token as password, exactly what
 * docker login --password-stdin would store). The auth file is rewritten
 * atomically with mode 0600, other entries preserved.
 */
#include "cli/cli.h"
#include "auth/client.h"
#include "util/err.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void usage(FILE *f)
{
        fprintf(f,
"usage: douane login --registry HOST [--token-file F | --token-env VAR | ID-TOKEN]\n"
"                    [--print] [--authfile PATH] [--plain-http] [--cacert FILE]\n\n"
"Exchanges an OIDC ID token (from your CI, Kubernetes or SSO) for a douane\n"
"registry token, to check that the registry accepts it. Then:\n"
"  default     store an auth entry for HOST (username \"oidc\", password = the\n"
"              ID token) in the docker/podman auth file, so docker, podman and\n"
"              skopeo use it; the entry is as short-lived as the ID token\n"
"  --print     print the registry token on stdout instead (nothing is stored)\n\n"
"options:\n"
"  --registry HOST    registry host[:port] or URL (https unless --plain-http)\n"
"  --token-file F     read the ID token from a file (e.g. a projected token)\n"
"  --token-env VAR    read the ID token from an environment variable\n"
"  --authfile PATH    auth file (default: $REGISTRY_AUTH_FILE, else\n"
"                     $DOCKER_CONFIG/config.json, else ~/.docker/config.json)\n"
"  --plain-http       talk http to a loopback registry (tests)\n"
"  --cacert FILE      extra CA certificates for the registry\n"
"  -h, --help         this help\n"
"exit: 0 logged in, 1 refused or unreachable, 2 usage\n");
}

static int default_authfile(char *out, size_t cap)
{
        const char *v = getenv("REGISTRY_AUTH_FILE"), *home = getenv("HOME");

        if (v && *v)
                return snprintf(out, cap, "%s", v) < (int)cap ? 0 : -1;
        v = getenv("DOCKER_CONFIG");
        if (v && *v)
                return snprintf(out, cap, "%s/config.json", v) < (int)cap ? 0 : -1;
        if (!home)
                return -1;
        return snprintf(out, cap, "%s/.docker/config.json", home) < (int)cap ? 0 : -1;
}

/* Write text to path atomically with mode 0600 (the file holds credentials). */
static int write_private(const char *path, const char *text)
{
        char tmp[PATH_MAX], dir[PATH_MAX];
        const char *slash = strrchr(path, '/');
        int fd, r = 0;

        if (slash && slash != path) {
                snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
                mkdir(dir, 0700);
        }
        if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof(tmp))
                return -1;
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0)
                return -1;
        size_t n = strlen(text);
        if (write(fd, text, n) != (ssize_t)n || fsync(fd) < 0)
                r = -1;
        close(fd);
        if (r == 0 && rename(tmp, path) < 0)
                r = -1;
        if (r < 0)
                unlink(tmp);
        return r;
}

static int store_entry(const char *authfile, const char *host, const char *idtok)
{
        json_t *root = json_load_file(authfile, 0, NULL), *auths;
        size_t n = strlen(idtok) + 6, cap = (n + 2) / 3 * 4 + 1;
        char *raw = malloc(n), *b64 = malloc(cap), *text;
        int r;

        if (!raw || !b64) {
                free(raw);
                free(b64);
                json_decref(root);
                return -1;
        }
        if (!json_is_object(root)) {
                if (access(authfile, F_OK) == 0) {
                        fprintf(stderr, "douane: %s exists but is not a JSON object; not touching it\n", authfile);
                        free(raw), free(b64), json_decref(root);
                        return -1;
                }
                json_decref(root);
                root = json_object();
        }
        auths = json_object_get(root, "auths");
        if (!json_is_object(auths)) {
                auths = json_object();
                json_object_set_new(root, "auths", auths);
        }
        snprintf(raw, n, "oidc:%s", idtok);
        EVP_EncodeBlock((unsigned char *)b64, (unsigned char *)raw, (int)strlen(raw));
        json_object_set_new(auths, host, json_pack("{s:s}", "auth", b64));
        text = json_dumps(root, JSON_INDENT(2));
        r = text ? write_private(authfile, text) : -1;
        if (r < 0)
                fprintf(stderr, "douane: cannot write %s: %s\n", authfile, strerror(errno));
        free(text);
        free(raw);
        free(b64);
        json_decref(root);
        return r;
}

int cmd_login(int argc, char **argv)
{
        static const struct option opts[] = {
                { "registry", required_argument, NULL, 'r' }, { "token-file", required_argument, NULL, 'f' },
                { "token-env", required_argument, NULL, 'e' }, { "authfile", required_argument, NULL, 'a' },
                { "print", no_argument, NULL, 'p' }, { "plain-http", no_argument, NULL, 'P' },
                { "cacert", required_argument, NULL, 'c' }, { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 },
        };
        struct auth_client_opts o = { 0 };
        const char *file = NULL, *env = NULL, *authfile = NULL;
        char *idtok = NULL, *tok = NULL, *base = NULL, *host = NULL, path[PATH_MAX];
        int print = 0, c, rc = EXIT_FAIL;
        long exp = 0;

        optind = 1;
        while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
                switch (c) {
                case 'r': o.registry = optarg; break;
                case 'f': file = optarg; break;
                case 'e': env = optarg; break;
                case 'a': authfile = optarg; break;
                case 'p': print = 1; break;
                case 'P': o.plain_http = 1; break;
                case 'c': o.cacert = optarg; break;
                case 'h': usage(stdout); return EXIT_OK_;
                default: usage(stderr); return EXIT_USAGE;
                }
        }
        if (!o.registry || optind + (file || env ? 0 : 1) != argc || (file && env)) {
                usage(stderr);
                return EXIT_USAGE;
        }
        if (auth_client_read_token(file, env, optind < argc ? argv[optind] : NULL, &idtok) < 0) {
                fprintf(stderr, "douane: %s\n", dou_err_msg());
                return EXIT_USAGE;
        }
        if (auth_client_token(&o, idtok, NULL, 0, &tok, &exp) < 0) {
                fprintf(stderr, "douane: login to %s failed: %s\n", o.registry, dou_err_msg());
                goto out;
        }
        if (print) {
                printf("%s\n", tok);
                rc = EXIT_OK_;
                goto out;
        }
        if (auth_client_base_url(&o, &base, &host) < 0 ||
            (!authfile && default_authfile(path, sizeof(path)) < 0)) {
                fprintf(stderr, "douane: cannot find the auth file; give --authfile\n");
                goto out;
        }
        if (store_entry(authfile ? authfile : path, host, idtok) < 0)
                goto out;
        fprintf(stderr, "Login Succeeded (registry tokens last %ld s; the stored ID token "
                        "stops working when it expires)\n", exp);
        rc = EXIT_OK_;
out:
        if (idtok)
                memset(idtok, 0, strlen(idtok));
        free(idtok);
        free(tok);
        free(base);
        free(host);
        return rc;
}
