/*
 * vercmp_bench.c - comparisons per second for each ecosystem, over the
 * valid pairs of tests/data/vercmp/<eco>.tsv (and range checks over
 * semver_range.tsv). Each pass runs the whole file; passes repeat until
 * at least MIN_SECONDS have elapsed. Built and run by bench/vercmp.sh.
 */
#include "vuln/vercmp/vercmp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MIN_SECONDS 1.0
#define MAX_PAIRS 100000

struct pair {
        char *a, *b;
};

static double now(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t load(const char *path, struct pair *p)
{
        FILE *f = fopen(path, "r");
        char line[2048];
        size_t n = 0;
        if (!f)
                return 0;
        while (n < MAX_PAIRS && fgets(line, sizeof(line), f)) {
                line[strcspn(line, "\n")] = '\0';
                char *t1 = strchr(line, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
                if (!t2 || !strcmp(t2 + 1, "invalid"))
                        continue;
                *t1 = *t2 = '\0';
                p[n].a = strdup(line);
                p[n].b = strdup(t1 + 1);
                if (!p[n].a || !p[n].b)
                        break;
                n++;
        }
        fclose(f);
        return n;
}

static void release(struct pair *p, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(p[i].a);
                free(p[i].b);
        }
}

int main(int argc, char **argv)
{
        const char *dir = argc > 1 ? argv[1] : "tests/data/vercmp";
        static struct pair pairs[MAX_PAIRS];
        char path[1024];
        volatile long sink = 0;

        printf("%-8s %8s %14s %10s\n", "eco", "pairs", "cmp/s", "ns/cmp");
        for (int e = 0; e <= VERCMP_ECO_COUNT; e++) {
                const char *name = e < VERCMP_ECO_COUNT ? vercmp_eco_name(e) : "semver_range";
                snprintf(path, sizeof(path), "%s/%s.tsv", dir, name);
                size_t n = load(path, pairs);
                if (!n) {
                        fprintf(stderr, "no pairs in %s\n", path);
                        return 1;
                }
                long ops = 0;
                double t0 = now(), t;
                do {
                        for (size_t i = 0; i < n; i++) {
                                int r = 0;
                                if (e < VERCMP_ECO_COUNT)
                                        vercmp(e, pairs[i].a, pairs[i].b, &r);
                                else
                                        semver_range_satisfies(pairs[i].a, pairs[i].b, &r);
                                sink += r;
                        }
                        ops += (long)n;
                } while ((t = now() - t0) < MIN_SECONDS);
                printf("%-8s %8zu %14.0f %10.1f\n", e < VERCMP_ECO_COUNT ? name : "range", n,
                       (double)ops / t, t * 1e9 / (double)ops);
                release(pairs, n);
        }
        return sink == 42 ? 0 : 0;
}
