/*
 * load.c - the rules loader on Falco's stable rules (unmodified) and on
 * hostile rules files: every error must name the file and line.
 */
#include "sensor/rules/rules.h"
#include "tap.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct rules_engine *load_text(const char *text, int *ret_rc)
{
        struct rules_engine *e = rules_engine_new();
        int rc = rules_engine_load(e, "t.yaml", text, strlen(text));
        if (rc == 0)
                rc = rules_engine_compile(e);
        *ret_rc = rc;
        return e;
}

TEST(stable_rules_load_unmodified)
{
        struct rules_engine *e = rules_engine_new();
        int rc = rules_engine_load_file(e, DOUANE_SHARED_DIR "/rules/falco_rules.yaml");
        if (rc < 0)
                printf("# %s\n", dou_err_msg());
        CHECK_INT(rc, 0);
        rc = rules_engine_compile(e);
        if (rc < 0)
                printf("# %s\n", dou_err_msg());
        CHECK_INT(rc, 0);
        CHECK_INT(rules_engine_rule_count(e), 25);
        size_t evaluable = 0;
        for (size_t i = 0; i < rules_engine_rule_count(e); i++) {
                struct rules_rule_info ri;
                CHECK_INT(rules_engine_rule_info(e, i, &ri), 0);
                evaluable += ri.evaluable;
                if (!ri.evaluable)
                        printf("# not evaluable: %s\n", ri.name);
        }
        CHECK_INT(evaluable, 25);
        /* every stable rule restricts evt.type, so Falco-like warnings must not name one */
        CHECK(strstr(rules_engine_warnings(e), "does not restrict") == NULL);
        uint64_t m = rules_needed_event_mask(e);
        CHECK(m & (1ull << EVT_OPEN));
        CHECK(m & (1ull << EVT_EXECVE));
        CHECK(m & (1ull << EVT_CONNECT));
        CHECK(m & (1ull << EVT_PTRACE));
        CHECK(m & (1ull << EVT_INIT_MODULE));
        CHECK(!(m & (1ull << EVT_CHMOD)));
        rules_engine_free(e);
}

static void expect_error(const char *text, const char *needle)
{
        int rc;
        struct rules_engine *e = load_text(text, &rc);
        CHECK(rc < 0);
        if (rc < 0 && !strstr(dou_err_msg(), needle))
                printf("# message '%s' lacks '%s'\n", dou_err_msg(), needle);
        CHECK(rc < 0 && strstr(dou_err_msg(), needle) != NULL);
        rules_engine_free(e);
}

TEST(malformed_yaml_has_file_line)
{
        expect_error("- rule: x\n  condition: [\n", "t.yaml:");
        expect_error("- rule: x\n   bad: : :\n  - y", "t.yaml:");
        expect_error("foo: bar\n", "t.yaml:1: a rules file must be a YAML sequence");
        expect_error("- &a {list: x, items: [a]}\n- *a\n", "aliases");
}

TEST(missing_keys_and_bad_values)
{
        expect_error("- rule: x\n  output: o\n  priority: info\n", "t.yaml:1: rule 'x' has no 'condition'");
        expect_error("- rule: x\n  condition: evt.type=open\n  output: o\n  priority: loud\n",
                     "t.yaml:4: unknown priority 'loud'");
        expect_error("- list: l\n  items: 3\n", "t.yaml:2:");
        expect_error("- macro: m\n  condition: evt.num=1\n- macro: m\n  condition: x\n  override: {condition: sideways}\n",
                     "override value 'sideways'");
        expect_error("- list: nosuch\n  items: [a]\n  append: true\n", "no list by that name");
}

TEST(condition_errors_have_file_line)
{
        expect_error("- rule: r\n  desc: d\n  condition: evt.type=open and (proc.name=cat\n  output: o\n  priority: info\n",
                     "t.yaml:3: condition: expected ')'");
        expect_error("- rule: r\n  condition: proc.name frobs cat\n  output: o\n  priority: info\n",
                     "unknown operator 'frobs'");
        expect_error("- rule: r\n  condition: no_such_macro and evt.type=open\n  output: o\n  priority: info\n",
                     "undefined macro 'no_such_macro'");
        expect_error("- rule: r\n  condition: foo.bar = 1\n  output: o\n  priority: info\n",
                     "unknown field 'foo.bar'");
        expect_error("- rule: r\n  condition: proc.pid = abc\n  output: o\n  priority: info\n",
                     "expected a number");
        expect_error("- rule: r\n  condition: proc.name regex \"([\"\n  output: o\n  priority: info\n",
                     "bad regex");
        expect_error("- rule: r\n  condition: proc.name in cat\n  output: o\n  priority: info\n",
                     "parenthesized list");
        expect_error("- rule: r\n  condition: proc.name = \"cat\n  output: o\n  priority: info\n",
                     "unterminated");
}

TEST(macro_cycle_is_an_error_with_location)
{
        expect_error("- macro: a\n  condition: b\n- macro: b\n  condition: (c or a)\n- macro: c\n  condition: evt.num=1\n"
                     "- rule: r\n  condition: a\n  output: o\n  priority: info\n",
                     "macro cycle through 'a'");
        /* an unused broken macro is a warning, not an error */
        int rc;
        struct rules_engine *e = load_text("- macro: a\n  condition: a\n- macro: k\n  condition: ka.user.name = x\n", &rc);
        CHECK_INT(rc, 0);
        CHECK(strstr(rules_engine_warnings(e), "t.yaml:2: condition: macro cycle") != NULL);
        CHECK(strstr(rules_engine_warnings(e), "unknown field 'ka.user.name'") != NULL);
        rules_engine_free(e);
}

TEST(list_cycle_is_an_error)
{
        expect_error("- list: a\n  items: [b]\n- list: b\n  items: [a]\n"
                     "- rule: r\n  condition: proc.name in (a)\n  output: o\n  priority: info\n",
                     "refers to itself");
}

TEST(deep_nesting_bounded)
{
        size_t depth = 10000;
        char *c = malloc(depth * 2 + 200);
        size_t o = 0;
        o += (size_t)sprintf(c, "- rule: r\n  condition: ");
        for (size_t i = 0; i < depth; i++)
                c[o++] = '(';
        o += (size_t)sprintf(c + o, "evt.num=1");
        for (size_t i = 0; i < depth; i++)
                c[o++] = ')';
        o += (size_t)sprintf(c + o, "\n  output: o\n  priority: info\n");
        c[o] = 0;
        expect_error(c, "t.yaml:2: condition: condition nested deeper than 200");
        /* 10k "not" in a row */
        o = (size_t)sprintf(c, "- macro: m\n  condition: ");
        for (size_t i = 0; i < depth / 4; i++)
                o += (size_t)sprintf(c + o, "not ");
        o += (size_t)sprintf(c + o, "evt.num=1\n- rule: r\n  condition: m\n  output: o\n  priority: info\n");
        expect_error(c, "nested deeper");
        free(c);
        /* 10k-deep YAML */
        char *y = malloc(depth * 2 + 10);
        o = 0;
        for (size_t i = 0; i < depth; i++)
                y[o++] = '[';
        for (size_t i = 0; i < depth; i++)
                y[o++] = ']';
        y[o] = 0;
        expect_error(y, "nested deeper");
        free(y);
        /* macros nested 300 deep (each referencing the next) */
        char *m = malloc(300 * 64 + 200);
        o = 0;
        for (int i = 0; i < 300; i++)
                o += (size_t)sprintf(m + o, "- macro: m%d\n  condition: m%d\n", i, i + 1);
        o += (size_t)sprintf(m + o, "- macro: m300\n  condition: evt.num=1\n- rule: r\n  condition: m0\n  output: o\n  priority: info\n");
        expect_error(m, "nested deeper");
        free(m);
}

TEST(huge_list_uses_set)
{
        size_t n = 1000000;
        char *t = malloc(n * 12 + 300);
        size_t o = (size_t)sprintf(t, "- list: big\n  items: [");
        for (size_t i = 0; i < n; i++)
                o += (size_t)sprintf(t + o, "%sp%zu", i ? "," : "", i);
        o += (size_t)sprintf(t + o, "]\n- rule: r\n  condition: evt.type=execve and proc.name in (big)\n  output: o\n  priority: info\n");
        int rc;
        struct rules_engine *e = load_text(t, &rc);
        CHECK_INT(rc, 0);
        CHECK_INT(rules_engine_enabled_count(e), 1);
        rules_engine_free(e);
        free(t);
}

TEST(unknown_keys_are_warnings)
{
        int rc;
        struct rules_engine *e = load_text("- rule: r\n  condition: evt.type=open\n  output: o\n  priority: info\n  colour: red\n- weird: 1\n", &rc);
        CHECK_INT(rc, 0);
        CHECK(strstr(rules_engine_warnings(e), "t.yaml:5: unknown key 'colour'") != NULL);
        CHECK(strstr(rules_engine_warnings(e), "t.yaml:6: unknown item 'weird'") != NULL);
        rules_engine_free(e);
        e = load_text("- rule: r\n  condition: proc.name=cat\n  output: o\n  priority: info\n", &rc);
        CHECK_INT(rc, 0);
        CHECK(strstr(rules_engine_warnings(e), "does not restrict evt.type") != NULL);
        rules_engine_free(e);
}

TAP_MAIN()
