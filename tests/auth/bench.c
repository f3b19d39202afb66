/*
 * bench.c - registry token verifications per second: cold (a fresh token
 * each time, one ES256 verification each) vs cached (the same token, hash
 * lookup only), through auth_check() as the registry calls it.
 * Usage: bench_auth [N]   (prints one line per mode)
 */
#include "helpers.h"
#include "util/err.h"

#include <time.h>

static double now_s(void)
{
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
        int n = argc > 1 ? atoi(argv[1]) : 20000;
        char dir[64] = "/tmp/douane-auth-bench-XXXXXX", cmd[128], hdr[JWT_MAX_LEN + 16];
        struct auth *a = NULL, *v = NULL;
        json_t *cfg;

        if (!mkdtemp(dir))
                return 1;
        cfg = t_yaml("service: bench\nrealm: https://bench/token\npublic: [\"**\"]\n"
                     "rate_limit: {per_second: 100000000, burst: 100000000}\n");
        if (auth_new(cfg, dir, &a) < 0 || auth_new(cfg, dir, &v) < 0) {
                fprintf(stderr, "auth_new: %s\n", dou_err_msg());
                return 1;
        }
        char **toks = calloc((size_t)n, sizeof(char *));
        for (int i = 0; i < n; i++)
                auth_issue_internal(a, "bench/app", AUTH_PULL, &toks[i]);
        struct auth_result res;
        struct auth_request req = { .method = "GET", .repo = "bench/app", .actions = AUTH_PULL,
                                    .authorization = hdr, .remote_addr = "127.0.0.1:1" };
        int ok = 0;
        double t0 = now_s();
        for (int i = 0; i < n; i++) {
                snprintf(hdr, sizeof(hdr), "Bearer %s", toks[i]);
                auth_check(v, &req, &res);
                ok += res.verdict == AUTH_ALLOW;
        }
        double cold = now_s() - t0;
        t0 = now_s();
        snprintf(hdr, sizeof(hdr), "Bearer %s", toks[0]);
        for (int i = 0; i < n * 10; i++) {
                auth_check(v, &req, &res);
                ok += res.verdict == AUTH_ALLOW;
        }
        double warm = now_s() - t0;
        printf("cold (one ES256 verify per token): %.0f checks/s\n", n / cold);
        printf("cached (same token):              %.0f checks/s\n", n * 10 / warm);
        printf("allowed %d of %d\n", ok, n * 11);
        for (int i = 0; i < n; i++)
                free(toks[i]);
        free(toks);
        json_decref(cfg);
        auth_free(a);
        auth_free(v);
        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        return system(cmd) == 0 && ok == n * 11 ? 0 : 1;
}
