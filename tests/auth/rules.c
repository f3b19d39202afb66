/* Unit tests for src/auth/rules.c: config validation, identity matching, separation of areas. */
#include "tap.h"
#include "helpers.h"
#include "util/err.h"

static const char *base =
        "roles:\n"
        "  pusher: [{repos: \"quarantine/**\", actions: [pull, push]}]\n"
        "  reader: [{repos: [\"golden/**\", \"team/*\"], actions: [pull]}]\n"
        "  boss: [{repos: \"**\", actions: [admin]}]\n"
        "identities:\n"
        "  - name: ci-push\n"
        "    issuer: https://ci\n"
        "    subject: \"repo:acme/app:ref:refs/heads/main\"\n"
        "    claims: {repository: acme/app, job_workflow_ref: \"~acme/.github/.*@refs/heads/main\"}\n"
        "    roles: [pusher]\n"
        "  - name: readers\n"
        "    issuer: https://ci\n"
        "    subject_regex: \"repo:acme/.*\"\n"
        "    roles: [reader]\n"
        "  - name: k8s\n"
        "    issuer: https://k8s\n"
        "    claims: {kubernetes.io.namespace: build}\n"
        "    roles: [pusher]\n"
        "  - name: ops\n"
        "    issuer: https://sso\n"
        "    subject: alice\n"
        "    audience: douane-admin\n"
        "    roles: [boss]\n"
        "public: [\"public/**\"]\n"
        "mtls:\n"
        "  identities: [{subject_cn: build-01, roles: [pusher]}, {san: \"spiffe://x/y\", roles: [reader]}]\n";

static struct principal oidc(const char *iss, const char *sub, json_t *claims)
{
        return (struct principal){ .kind = PRINCIPAL_OIDC, .issuer = iss, .subject = sub, .claims = claims };
}

TEST(grants_follow_identities_and_roles)
{
        struct auth_rules r;
        json_t *cfg = t_yaml(base);
        CHECK_INT(rules_parse(cfg, &r), 0);
        json_t *cl = json_pack("{s:s, s:s}", "repository", "acme/app", "job_workflow_ref",
                               "acme/.github/workflows/b.yml@refs/heads/main");
        struct principal p = oidc("https://ci", "repo:acme/app:ref:refs/heads/main", cl);
        CHECK_INT(rules_grant(&r, &p, "quarantine/acme/app"), AUTH_PULL | AUTH_PUSH);
        CHECK_INT(rules_grant(&r, &p, "golden/app"), AUTH_PULL);        /* via readers regex */
        CHECK_INT(rules_grant(&r, &p, "other/app"), 0);
        CHECK_INT(rules_grant(&r, &p, "public/x"), AUTH_PULL);
        /* claim regex must match all of the value */
        json_object_set_new(cl, "job_workflow_ref", json_string("evil/acme/.github/x@refs/heads/main"));
        CHECK_INT(rules_grant(&r, &p, "quarantine/acme/app"), 0);
        /* subject regex is anchored */
        struct principal q = oidc("https://ci", "xrepo:acme/app", cl);
        CHECK_INT(rules_grant(&r, &q, "golden/app"), 0);
        /* same subject from another issuer gets nothing */
        struct principal z = oidc("https://other", "repo:acme/app:ref:refs/heads/main", cl);
        CHECK_INT(rules_grant(&r, &z, "golden/app"), 0);
        json_decref(cl);
        /* nested claims by dotted path */
        json_t *k8s = json_loads("{\"kubernetes.io\":{\"namespace\":\"build\"}}", 0, NULL);
        struct principal k = oidc("https://k8s", "system:serviceaccount:build:ci", k8s);
        CHECK_INT(rules_grant(&r, &k, "quarantine/x"), AUTH_PULL | AUTH_PUSH);
        json_decref(k8s);
        k8s = json_loads("{\"kubernetes.io\":{\"namespace\":\"prod\"}}", 0, NULL);
        k.claims = k8s;
        CHECK_INT(rules_grant(&r, &k, "quarantine/x"), 0);
        json_decref(k8s);
        rules_clear(&r);
        json_decref(cfg);
}

TEST(golden_is_pull_only_even_for_admins)
{
        struct auth_rules r;
        json_t *cfg = t_yaml(base);
        CHECK_INT(rules_parse(cfg, &r), 0);
        json_t *cl = json_pack("{s:s}", "aud", "douane-admin");
        struct principal p = oidc("https://sso", "alice", cl);
        CHECK_INT(rules_grant(&r, &p, "golden/app"), AUTH_PULL);
        CHECK_INT(rules_grant(&r, &p, "golden"), AUTH_PULL);
        CHECK_INT(rules_grant(&r, &p, "quarantine/app"), AUTH_ALL_ACTIONS);
        CHECK_INT(rules_grant(&r, &p, "goldenish/app"), AUTH_ALL_ACTIONS);
        CHECK(rules_any_admin(&r, &p));
        /* identity audience requirement */
        json_object_set_new(cl, "aud", json_string("douane"));
        CHECK_INT(rules_grant(&r, &p, "quarantine/app"), 0);
        json_decref(cl);
        struct principal promoter = { .kind = PRINCIPAL_INTERNAL, .subject = "promoter" };
        CHECK_INT(rules_grant(&r, &promoter, "golden/app"), AUTH_ALL_ACTIONS);
        rules_clear(&r);
        json_decref(cfg);
}

TEST(public_and_quarantine)
{
        struct auth_rules r;
        json_t *cfg = t_yaml("public: [\"**\"]\n");
        CHECK_INT(rules_parse(cfg, &r), 0);
        struct principal anon = { .kind = PRINCIPAL_ANON, .subject = "anonymous" };
        CHECK_INT(rules_grant(&r, &anon, "x/y"), AUTH_PULL);
        CHECK_INT(rules_grant(&r, &anon, "quarantine/y"), 0);    /* never public */
        CHECK_INT(rules_grant(&r, &anon, "golden/y"), AUTH_PULL);
        rules_clear(&r);
        json_decref(cfg);
        cfg = t_yaml("public: []\n");
        CHECK_INT(rules_parse(cfg, &r), 0);
        CHECK_INT(rules_grant(&r, &anon, "golden/y"), 0);        /* public only if listed */
        rules_clear(&r);
        json_decref(cfg);
}

TEST(mtls_identities)
{
        struct auth_rules r;
        json_t *cfg = t_yaml(base);
        CHECK_INT(rules_parse(cfg, &r), 0);
        const char *sans[] = { "spiffe://x/y" };
        struct principal m = { .kind = PRINCIPAL_MTLS, .subject = "build-01" };
        CHECK_INT(rules_grant(&r, &m, "quarantine/a"), AUTH_PULL | AUTH_PUSH);
        struct principal s = { .kind = PRINCIPAL_MTLS, .subject = "other", .sans = sans, .n_sans = 1 };
        CHECK_INT(rules_grant(&r, &s, "golden/a"), AUTH_PULL);
        CHECK_INT(rules_grant(&r, &s, "quarantine/a"), 0);
        /* an OIDC principal whose subject equals the CN gets nothing from mtls rules */
        json_t *cl = json_object();
        struct principal o = oidc("https://ci", "build-01", cl);
        CHECK_INT(rules_grant(&r, &o, "quarantine/a"), 0);
        json_decref(cl);
        rules_clear(&r);
        json_decref(cfg);
}

static int parse_err(const char *y, const char *needle)
{
        struct auth_rules r;
        json_t *cfg = t_yaml(y);
        int rc = rules_parse(cfg, &r);
        rules_clear(&r);
        json_decref(cfg);
        if (rc < 0 && needle && !strstr(dou_err_msg(), needle)) {
                printf("# message: %s\n", dou_err_msg());
                return 0;
        }
        return rc;
}

TEST(config_errors_are_clear)
{
        CHECK(parse_err("roles:\n  \"douane:promoter\": [{repos: \"golden/**\", actions: [push]}]\n",
                        "reserved") < 0);
        CHECK(parse_err("roles:\n  r: [{repos: \"a\", actions: [pull]}]\nidentities:\n"
                        "  - {name: x, issuer: i, subject: s, roles: [\"douane:promoter\"]}\n", "reserved") < 0);
        CHECK(parse_err("identities:\n  - {name: x, issuer: i, subject: s, roles: [nope]}\n",
                        "unknown role") < 0);
        CHECK(parse_err("roles:\n  r: [{repos: \"a\", actions: [pull]}]\nidentities:\n"
                        "  - {name: x, issuer: i, roles: [r]}\n", "matches every token") < 0);
        CHECK(parse_err("roles:\n  r: [{repos: \"a/[x]\", actions: [pull]}]\n", "pattern") < 0);
        CHECK(parse_err("roles:\n  r: [{repos: \"a\", actions: [fly]}]\n", "unknown action") < 0);
        CHECK(parse_err("roles:\n  r: [{repos: \"a\", actions: [\"*\"]}]\n", "unknown action") < 0);
        CHECK(parse_err("public: [\"quarantine/**\"]\n", "never be public") < 0);
        CHECK(parse_err("roles:\n  r: [{repos: \"a\", actions: [pull]}]\nidentities:\n"
                        "  - {name: x, issuer: i, subject_regex: \"(\", roles: [r]}\n", "regular") < 0);
        CHECK(parse_err("mtls:\n  identities: [{roles: [r]}]\nroles:\n  r: [{repos: a, actions: [pull]}]\n",
                        "subject_cn") < 0);
}

TAP_MAIN()
