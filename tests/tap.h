/*
 * tap.h - a minimal unit test harness speaking TAP (meson's protocol: 'tap').
 *
 *   TEST(digest_parses_sha256) { CHECK(x == 1); CHECK_STR(a, "b"); }
 *   TAP_MAIN()
 *
 * Each TEST is one TAP line. A CHECK failure prints the file, line and
 * expression as a TAP diagnostic and marks the test failed, but the test
 * goes on, so one run shows every broken expectation.
 * SKIP("why") ends a test as skipped (TAP "# SKIP").
 */
#ifndef DOUANE_TESTS_TAP_H
#define DOUANE_TESTS_TAP_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tap_test {
        const char *name;
        void (*fn)(void);
};

#define TAP_MAX_TESTS 512
extern struct tap_test tap_tests[TAP_MAX_TESTS];
extern int tap_ntests;
extern int tap_failed_now;
extern const char *tap_skip_now;

#define TEST(name)                                                             \
        static void test_##name(void);                                         \
        __attribute__((constructor)) static void register_##name(void)         \
        {                                                                      \
                if (tap_ntests < TAP_MAX_TESTS)                                \
                        tap_tests[tap_ntests++] = (struct tap_test){ #name, test_##name }; \
        }                                                                      \
        static void test_##name(void)

#define CHECK(expr)                                                            \
        do {                                                                   \
                if (!(expr)) {                                                 \
                        printf("# %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #expr); \
                        tap_failed_now = 1;                                    \
                }                                                              \
        } while (0)

#define CHECK_INT(a, b)                                                        \
        do {                                                                   \
                long long tap_a = (long long)(a), tap_b = (long long)(b);      \
                if (tap_a != tap_b) {                                          \
                        printf("# %s:%d: %s == %lld, expected %lld\n", __FILE__, __LINE__, \
                               #a, tap_a, tap_b);                              \
                        tap_failed_now = 1;                                    \
                }                                                              \
        } while (0)

#define CHECK_STR(a, b)                                                        \
        do {                                                                   \
                const char *tap_a = (a), *tap_b = (b);                         \
                if (!tap_a || !tap_b || strcmp(tap_a, tap_b) != 0) {           \
                        printf("# %s:%d: %s == \"%s\", expected \"%s\"\n", __FILE__, __LINE__, \
                               #a, tap_a ? tap_a : "(null)", tap_b ? tap_b : "(null)"); \
                        tap_failed_now = 1;                                    \
                }                                                              \
        } while (0)

#define SKIP(why)                                                              \
        do {                                                                   \
                tap_skip_now = (why);                                          \
                return;                                                        \
        } while (0)

/* Directory of ../shared (set by meson as DOUANE_SHARED_DIR). */
#ifndef DOUANE_SHARED_DIR
#define DOUANE_SHARED_DIR "../shared"
#endif
#ifndef DOUANE_TEST_DATA
#define DOUANE_TEST_DATA "tests/data"
#endif

#define TAP_MAIN()                                                             \
        struct tap_test tap_tests[TAP_MAX_TESTS];                              \
        int tap_ntests;                                                        \
        int tap_failed_now;                                                    \
        const char *tap_skip_now;                                              \
        int main(int argc, char **argv)                                        \
        {                                                                      \
                int failed = 0;                                                \
                const char *only = argc > 1 ? argv[1] : NULL;                  \
                printf("1..%d\n", tap_ntests);                                 \
                for (int i = 0; i < tap_ntests; i++) {                         \
                        if (only && strcmp(only, tap_tests[i].name) != 0) {    \
                                printf("ok %d - %s # SKIP not selected\n", i + 1, tap_tests[i].name); \
                                continue;                                      \
                        }                                                      \
                        tap_failed_now = 0;                                    \
                        tap_skip_now = NULL;                                   \
                        tap_tests[i].fn();                                     \
                        fflush(stdout);                                        \
                        if (tap_skip_now)                                      \
                                printf("ok %d - %s # SKIP %s\n", i + 1, tap_tests[i].name, tap_skip_now); \
                        else                                                   \
                                printf("%s %d - %s\n", tap_failed_now ? "not ok" : "ok", i + 1, \
                                       tap_tests[i].name);                     \
                        failed += tap_failed_now;                              \
                }                                                              \
                return failed ? 1 : 0;                                         \
        }

#endif
