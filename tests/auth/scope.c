/* Unit tests for src/auth/scope.c and pattern.c: names, scope strings, injection, patterns. */
#include "tap.h"
#include "helpers.h"
#include "util/err.h"

static int name_ok(const char *s) { return repo_name_valid(s, strlen(s)); }

TEST(repository_names)
{
        CHECK(name_ok("a"));
        CHECK(name_ok("quarantine/acme/app"));
        CHECK(name_ok("a.b_c__d---e/f-1"));
        CHECK(!name_ok(""));
        CHECK(!name_ok("A"));
        CHECK(!name_ok("a//b"));
        CHECK(!name_ok("/a"));
        CHECK(!name_ok("a/"));
        CHECK(!name_ok("a/../b"));
        CHECK(!name_ok("a/.b"));
        CHECK(!name_ok("a___b"));
        CHECK(!name_ok("a:b"));
        CHECK(!name_ok("a*"));
        CHECK(!name_ok("a,b"));
        CHECK(!name_ok("a b"));
        CHECK(!name_ok("a-"));
        char big[300];
        memset(big, 'a', sizeof(big) - 1);
        big[sizeof(big) - 1] = '\0';
        CHECK(!name_ok(big));
        big[255] = '\0';
        CHECK(name_ok(big));
}

static int sp(const char *s, struct scope_item *it) { return scope_parse(s, strlen(s), it); }

TEST(scope_valid)
{
        struct scope_item it;
        CHECK_INT(sp("repository:quarantine/app:pull,push", &it), 0);
        CHECK_STR(it.name, "quarantine/app");
        CHECK_INT(it.actions, AUTH_PULL | AUTH_PUSH);
        CHECK_INT(sp("repository:a:pull", &it), 0);
        CHECK_INT(it.actions, AUTH_PULL);
        CHECK_INT(sp("repository:a:*", &it), 0);
        CHECK_INT(it.actions, AUTH_ALL_ACTIONS);
        CHECK_INT(sp("repository:a:delete,pull,pull", &it), 0);
        CHECK_INT(it.actions, AUTH_DELETE | AUTH_PULL);
        CHECK_INT(sp("registry:catalog:*", &it), 0);
        CHECK(it.is_catalog);
}

TEST(hostile_scope_injection)
{
        struct scope_item it;
        const char *bad[] = {
                "repository:a:pull,",           /* trailing comma */
                "repository:a:,pull",
                "repository:a:pull,,push",
                "repository:a,b:pull",          /* comma in name */
                "repository:a:pull,push:extra", /* extra colon */
                "repository:a:b:pull",
                "repository:*:pull",            /* wildcard name */
                "repository:quarantine/*:pull",
                "repository:quarantine/**:pull",
                "repository:a:pull push",
                "repository:a:",
                "repository::pull",
                "repository:a",
                "repository",
                "",
                "repository:A:pull",
                "repository:a:PULL",
                "repository:a:pul",
                "repository:a:pull,admin2",
                "repository(plugin):a:pull",
                "registry:catalog:pull",
                "registry:other:*",
                "repository:../a:pull",
                "repository:a/../b:pull",
                "repository:a%2fb:pull",
        };
        for (size_t i = 0; i < DOU_ARRAY_LEN(bad); i++) {
                int r = sp(bad[i], &it);
                if (r != DOU_EINVAL)
                        printf("# accepted: %s\n", bad[i]);
                CHECK_INT(r, DOU_EINVAL);
        }
        CHECK_INT(scope_parse("repository:a\0b:pull", 18, &it), DOU_EINVAL);
}

TEST(scope_lists)
{
        struct scope_item items[SCOPE_MAX_ITEMS];
        size_t n = 0;
        const char *s = "repository:a:pull repository:b:push";
        CHECK_INT(scope_parse_list(s, strlen(s), items, SCOPE_MAX_ITEMS, &n), 0);
        CHECK_INT(n, 2);
        CHECK_STR(items[1].name, "b");
        char many[2048] = "";
        size_t o = 0;
        for (int i = 0; i < SCOPE_MAX_ITEMS + 1; i++)
                o += (size_t)snprintf(many + o, sizeof(many) - o, "repository:r%d:pull ", i);
        n = 0;
        CHECK_INT(scope_parse_list(many, strlen(many), items, SCOPE_MAX_ITEMS, &n), DOU_ETOOBIG);
        n = 0;
        s = "repository:a:pull repository:b:pull,";
        CHECK(scope_parse_list(s, strlen(s), items, SCOPE_MAX_ITEMS, &n) < 0);
}

TEST(actions_format_canonical)
{
        char b[64];
        actions_format(AUTH_PUSH | AUTH_PULL, b, sizeof(b));
        CHECK_STR(b, "pull,push");
        actions_format(0, b, sizeof(b));
        CHECK_STR(b, "");
        actions_format(AUTH_ALL_ACTIONS, b, sizeof(b));
        CHECK_STR(b, "pull,push,delete,admin");
}

TEST(patterns)
{
        CHECK(pattern_match("quarantine/**", "quarantine/a"));
        CHECK(pattern_match("quarantine/**", "quarantine/a/b/c"));
        CHECK(!pattern_match("quarantine/**", "quarantine"));
        CHECK(!pattern_match("quarantine/**", "quarantinex/a"));
        CHECK(pattern_match("quarantine/*", "quarantine/a"));
        CHECK(!pattern_match("quarantine/*", "quarantine/a/b"));
        CHECK(pattern_match("team-*/app", "team-x/app"));
        CHECK(!pattern_match("team-*/app", "team-x/y/app"));
        CHECK(pattern_match("a/**/b", "a/b"));
        CHECK(pattern_match("a/**/b", "a/x/y/b"));
        CHECK(!pattern_match("a/**/b", "a/x/y/c"));
        CHECK(pattern_match("**", "anything/at/all"));
        CHECK(pattern_match("golden/app", "golden/app"));
        CHECK(!pattern_match("golden/app", "golden/app2"));
        CHECK(pattern_match("*/*", "a/b"));
        CHECK(!pattern_match("*/*", "a"));
        CHECK(pattern_valid("quarantine/**"));
        CHECK(pattern_valid("a/*-x/**/b"));
        CHECK(!pattern_valid(""));
        CHECK(!pattern_valid("a/***"));
        CHECK(!pattern_valid("a/**x"));
        CHECK(!pattern_valid("a//b"));
        CHECK(!pattern_valid("a/[bc]"));
        CHECK(!pattern_valid("a/?"));
        CHECK(!pattern_valid("A"));
        /* many stars stay fast (segment DP, linear glob) */
        CHECK(!pattern_match("**/**/**/**/**/**/**/**/**/**/x",
                             "a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/y"));
        CHECK(!pattern_match("*a*a*a*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
}

TAP_MAIN()
