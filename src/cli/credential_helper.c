/*
 * credential_helper.c - docker-credential-douane, a docker/podman credential
 * helper that hands out the ambient OIDC ID token of the workload:
 *   DOUANE_OIDC_TOKEN        the token itself, or
 *   DOUANE_OIDC_TOKEN_FILE   a file holding it (e.g. a Kubernetes projected
 *                            service-account token, re-read on every call
 *                            so rotation by the kubelet just works).
 *   DOUANE_REGISTRIES        optional comma-separated hosts the token may be
 *                            given to; others get "credentials not found".
 * "get" prints {"ServerURL","Username":"oidc","Secret":TOKEN}; docker then
 * sends it as the Basic password to douane's token endpoint, which is the
 * whole exchange. "store" and "erase" accept and ignore their input (the
 * token is ambient, nothing is stored); "list" prints {}.
 */
#include "auth/client.h"
#include "util/err.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SERVER_MAX 4096

static int host_allowed(const char *server)
{
        const char *list = getenv("DOUANE_REGISTRIES"), *h = server;
        size_t hl;

        if (!list || !*list)
                return 1;
        if (strstr(h, "://"))
                h = strstr(h, "://") + 3;
        hl = strcspn(h, "/");
        for (const char *p = list; *p;) {
                size_t n = strcspn(p, ",");
                if (n == hl && !strncmp(p, h, n))
                        return 1;
                p += n + (p[n] == ',');
        }
        return 0;
}

static int read_stdin(char *buf, size_t cap)
{
        size_t n = fread(buf, 1, cap - 1, stdin);

        buf[n] = '\0';
        while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
                buf[--n] = '\0';
        return (int)n;
}

static int cmd_get(void)
{
        char server[SERVER_MAX], *tok = NULL, *out;
        const char *file = getenv("DOUANE_OIDC_TOKEN_FILE");
        json_t *j;

        read_stdin(server, sizeof(server));
        if (!host_allowed(server) ||
            auth_client_read_token(file && *file ? file : NULL, file && *file ? NULL : "DOUANE_OIDC_TOKEN",
                                   NULL, &tok) < 0) {
                printf("credentials not found in native keychain\n");
                return 1;
        }
        j = json_pack("{s:s, s:s, s:s}", "ServerURL", server, "Username", "oidc", "Secret", tok);
        out = j ? json_dumps(j, JSON_COMPACT) : NULL;
        if (out)
                printf("%s\n", out);
        free(out);
        json_decref(j);
        free(tok);
        return out ? 0 : 1;
}

int main(int argc, char **argv)
{
        char sink[SERVER_MAX];

        if (argc != 2) {
                fprintf(stderr, "usage: docker-credential-douane get|store|erase|list|version\n");
                return 2;
        }
        if (!strcmp(argv[1], "get"))
                return cmd_get();
        if (!strcmp(argv[1], "store") || !strcmp(argv[1], "erase")) {
                read_stdin(sink, sizeof(sink));
                return 0;
        }
        if (!strcmp(argv[1], "list")) {
                printf("{}\n");
                return 0;
        }
        if (!strcmp(argv[1], "version")) {
                printf("docker-credential-douane 0.1.0\n");
                return 0;
        }
        if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
                printf("usage: docker-credential-douane get|store|erase|list|version\n\n"
                       "Gives docker/podman the workload's OIDC ID token for douane registries.\n"
                       "Environment: DOUANE_OIDC_TOKEN or DOUANE_OIDC_TOKEN_FILE (required),\n"
                       "DOUANE_REGISTRIES=host[:port],... (optional allow-list).\n"
                       "Configure per registry: {\"credHelpers\": {\"douane.example.com\": \"douane\"}}\n");
                return 0;
        }
        fprintf(stderr, "docker-credential-douane: unknown command %s\n", argv[1]);
        return 2;
}
