/*
 * scope.c - repository names and token-service scopes.
 *
 * Names follow the distribution spec grammar exactly (lowercase components
 * separated by '/', inner separators '.', '_', '__' or runs of '-'), so a
 * name can never carry ':', ',', '*', '..', or an empty component. A scope is
 * exactly TYPE:NAME:ACTIONS; anything else (extra colons, empty actions,
 * unknown actions, wildcards in the name, other resource types) fails the
 * whole request rather than being reinterpreted. The one wildcard the spec
 * defines, the action "*", means "every action" and is still intersected
 * with what the rules grant.
 */
#include "auth/auth_int.h"
#include "util/err.h"

#include <stdio.h>
#include <string.h>

static int is_alnum_lc(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static int component_valid(const char *s, size_t n)
{
        size_t i = 0;

        if (n == 0 || !is_alnum_lc(s[0]) || !is_alnum_lc(s[n - 1]))
                return 0;
        while (i < n) {
                if (is_alnum_lc(s[i])) {
                        i++;
                        continue;
                }
                if (s[i] == '.') {
                        i++;
                } else if (s[i] == '_') {
                        i += (i + 1 < n && s[i + 1] == '_') ? 2 : 1;
                } else if (s[i] == '-') {
                        while (i < n && s[i] == '-')
                                i++;
                } else {
                        return 0;
                }
                if (i >= n || !is_alnum_lc(s[i]))
                        return 0;
        }
        return 1;
}

int repo_name_valid(const char *s, size_t n)
{
        size_t start = 0;

        if (n == 0 || n > REPO_NAME_MAX)
                return 0;
        for (size_t i = 0; i <= n; i++) {
                if (i < n && s[i] != '/')
                        continue;
                if (!component_valid(s + start, i - start))
                        return 0;
                start = i + 1;
        }
        return 1;
}

unsigned action_parse(const char *s, size_t n)
{
        static const struct { const char *name; unsigned bit; } tab[] = {
                { "pull", AUTH_PULL }, { "push", AUTH_PUSH }, { "delete", AUTH_DELETE },
                { "admin", AUTH_ADMIN }, { "*", AUTH_ALL_ACTIONS },
        };
        for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
                if (strlen(tab[i].name) == n && !memcmp(tab[i].name, s, n))
                        return tab[i].bit;
        return 0;
}

void actions_format(unsigned actions, char *out, size_t cap)
{
        static const char *names[] = { "pull", "push", "delete", "admin" };
        size_t o = 0;

        if (cap == 0)
                return;
        out[0] = '\0';
        for (unsigned i = 0; i < 4; i++) {
                if (!(actions & (1u << i)))
                        continue;
                int w = snprintf(out + o, cap - o, "%s%s", o ? "," : "", names[i]);
                if (w < 0 || (size_t)w >= cap - o)
                        return;
                o += (size_t)w;
        }
}

int scope_parse(const char *s, size_t n, struct scope_item *ret)
{
        const char *c1 = memchr(s, ':', n), *c2;
        size_t name_len, act_len;
        unsigned acts = 0;

        if (n == 0 || n > SCOPE_MAX_LEN || memchr(s, '\0', n) || !c1)
                return dou_err_set(DOU_EINVAL, "malformed scope");
        c2 = memchr(c1 + 1, ':', n - (size_t)(c1 + 1 - s));
        if (!c2)
                return dou_err_set(DOU_EINVAL, "malformed scope (want type:name:actions)");
        name_len = (size_t)(c2 - c1 - 1);
        act_len = n - (size_t)(c2 + 1 - s);
        memset(ret, 0, sizeof(*ret));
        if ((size_t)(c1 - s) == 8 && !memcmp(s, "registry", 8)) {
                if (name_len != 7 || memcmp(c1 + 1, "catalog", 7) || act_len != 1 || c2[1] != '*')
                        return dou_err_set(DOU_EINVAL, "only registry:catalog:* is supported");
                memcpy(ret->name, "catalog", 8);
                ret->is_catalog = 1;
                ret->actions = AUTH_PULL;
                return 0;
        }
        if ((size_t)(c1 - s) != 10 || memcmp(s, "repository", 10))
                return dou_err_set(DOU_EINVAL, "scope resource type must be repository");
        if (!repo_name_valid(c1 + 1, name_len))
                return dou_err_set(DOU_EINVAL, "scope has an invalid repository name");
        for (const char *p = c2 + 1, *end = s + n; p <= end;) {
                const char *comma = memchr(p, ',', (size_t)(end - p));
                const char *stop = comma ? comma : end;
                unsigned a = action_parse(p, (size_t)(stop - p));
                if (!a)
                        return dou_err_set(DOU_EINVAL, "scope has an empty or unknown action");
                acts |= a;
                p = stop + 1;
        }
        memcpy(ret->name, c1 + 1, name_len);
        ret->name[name_len] = '\0';
        ret->actions = acts;
        return 0;
}

int scope_parse_list(const char *s, size_t n, struct scope_item *items, size_t max,
                     size_t *ret_n)
{
        size_t k = *ret_n;
        int r;

        for (size_t i = 0; i < n;) {
                size_t j = i;
                while (j < n && s[j] != ' ')
                        j++;
                if (j > i) {
                        if (k >= max)
                                return dou_err_set(DOU_ETOOBIG, "too many scopes");
                        if ((r = scope_parse(s + i, j - i, &items[k])) < 0)
                                return r;
                        k++;
                }
                i = j + 1;
        }
        *ret_n = k;
        return 0;
}
