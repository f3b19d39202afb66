/*
 * rules.c - identities, roles and the built-in separation of areas.
 *
 * The config binds identities (OIDC issuer + subject/claims, or an mTLS
 * certificate name) to roles, and roles to (pattern, actions) grants. On
 * top of whatever the config says, three rules are fixed in code:
 *   - golden/...: push, delete and admin only for douane's own promotion
 *     principal; the role that would grant it ("douane:promoter", and any
 *     "douane:" name) cannot be defined or granted in the config.
 *   - quarantine/...: never public; only explicit grants give access.
 *   - public patterns give anonymous pull only, and nothing else.
 * Regexes are POSIX ERE, always anchored as ^(re)$.
 */
#include "auth/auth_int.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RESERVED_PREFIX "douane:"

static char *dupstr(const char *s)
{
        return s ? strdup(s) : NULL;
}

static int compile_anchored(const char *re, regex_t *out, const char *what)
{
        size_t n = strlen(re) + 8;
        char *buf = malloc(n);
        int rc;

        if (!buf)
                return dou_err_set(DOU_ENOMEM, "out of memory");
        snprintf(buf, n, "^(%s)$", re);
        rc = regcomp(out, buf, REG_EXTENDED | REG_NOSUB);
        free(buf);
        if (rc != 0)
                return dou_err_set(DOU_EINVAL, "auth: %s: invalid regular expression", what);
        return 0;
}

static int is_area(const char *repo, const char *area)
{
        size_t n = strlen(area);
        return repo && !strncmp(repo, area, n) && (repo[n] == '/' || repo[n] == '\0');
}

static int parse_actions(json_t *arr, const char *where, unsigned *ret)
{
        json_t *v;
        size_t i;
        unsigned a = 0;

        if (!json_is_array(arr) || json_array_size(arr) == 0)
                return dou_err_set(DOU_EINVAL, "auth: %s: actions must be a non-empty list", where);
        json_array_foreach(arr, i, v) {
                const char *s = json_string_value(v);
                unsigned b = s ? action_parse(s, strlen(s)) : 0;
                if (!b || !strcmp(s, "*"))
                        return dou_err_set(DOU_EINVAL, "auth: %s: unknown action '%s' "
                                           "(pull, push, delete, admin)", where, s ? s : "?");
                a |= b;
        }
        if (a & AUTH_ADMIN)
                a = AUTH_ALL_ACTIONS;   /* admin implies every action */
        *ret = a;
        return 0;
}

static int add_grant(struct auth_role *role, const char *pat, unsigned acts)
{
        struct auth_grant *g;

        if (!pattern_valid(pat))
                return dou_err_set(DOU_EINVAL, "auth: role %s: invalid repository pattern '%s' "
                                   "(lowercase name characters, '*' and '**' only)", role->name, pat);
        g = realloc(role->grants, (role->n + 1) * sizeof(*g));
        if (!g)
                return dou_err_set(DOU_ENOMEM, "out of memory");
        role->grants = g;
        g[role->n].pattern = strdup(pat);
        g[role->n].actions = acts;
        if (!g[role->n].pattern)
                return dou_err_set(DOU_ENOMEM, "out of memory");
        role->n++;
        return 0;
}

static int parse_role(const char *name, json_t *list, struct auth_role *role)
{
        json_t *g, *repos, *p;
        size_t i, k;
        unsigned acts = 0;
        int r;

        role->name = strdup(name);
        if (!role->name)
                return dou_err_set(DOU_ENOMEM, "out of memory");
        if (!strncmp(name, RESERVED_PREFIX, strlen(RESERVED_PREFIX)))
                return dou_err_set(DOU_EDENIED, "auth: role name '%s' is reserved: roles named "
                                   "douane:... belong to douane itself and cannot be defined", name);
        if (!json_is_array(list))
                return dou_err_set(DOU_EINVAL, "auth: role %s must be a list of grants", name);
        json_array_foreach(list, i, g) {
                if ((r = parse_actions(json_object_get(g, "actions"), name, &acts)) < 0)
                        return r;
                repos = json_object_get(g, "repos");
                if (json_is_string(repos)) {
                        if ((r = add_grant(role, json_string_value(repos), acts)) < 0)
                                return r;
                } else if (json_is_array(repos) && json_array_size(repos) > 0) {
                        json_array_foreach(repos, k, p) {
                                if (!json_is_string(p))
                                        return dou_err_set(DOU_EINVAL, "auth: role %s: repos must be strings", name);
                                if ((r = add_grant(role, json_string_value(p), acts)) < 0)
                                        return r;
                        }
                } else {
                        return dou_err_set(DOU_EINVAL, "auth: role %s: each grant needs repos", name);
                }
        }
        return 0;
}

static int find_role(const struct auth_rules *r, const char *name)
{
        for (size_t i = 0; i < r->n_roles; i++)
                if (!strcmp(r->roles[i].name, name))
                        return (int)i;
        return -1;
}

static int parse_id_roles(struct auth_rules *r, struct auth_identity *id, json_t *roles)
{
        json_t *v;
        size_t i;

        if (!json_is_array(roles) || json_array_size(roles) == 0)
                return dou_err_set(DOU_EINVAL, "auth: identity %s needs a roles list", id->name);
        id->roles = calloc(json_array_size(roles), sizeof(*id->roles));
        if (!id->roles)
                return dou_err_set(DOU_ENOMEM, "out of memory");
        json_array_foreach(roles, i, v) {
                const char *n = json_string_value(v);
                int k;
                if (n && !strncmp(n, RESERVED_PREFIX, strlen(RESERVED_PREFIX)))
                        return dou_err_set(DOU_EDENIED, "auth: identity %s: role '%s' is reserved for "
                                           "douane's own promotion step and cannot be granted", id->name, n);
                if (!n || (k = find_role(r, n)) < 0)
                        return dou_err_set(DOU_EINVAL, "auth: identity %s: unknown role '%s'", id->name,
                                           n ? n : "?");
                id->roles[id->n_roles++] = (size_t)k;
        }
        return 0;
}

static int claim_text(json_t *v, char *buf, size_t cap)
{
        if (json_is_string(v))
                snprintf(buf, cap, "%s", json_string_value(v));
        else if (json_is_integer(v))
                snprintf(buf, cap, "%lld", (long long)json_integer_value(v));
        else if (json_is_boolean(v))
                snprintf(buf, cap, "%s", json_is_true(v) ? "true" : "false");
        else
                return 0;
        return 1;
}

static int parse_claims(struct auth_identity *id, json_t *claims)
{
        const char *k;
        json_t *v;
        char val[512];
        int r;

        if (!claims)
                return 0;
        if (!json_is_object(claims))
                return dou_err_set(DOU_EINVAL, "auth: identity %s: claims must be a map", id->name);
        id->claims = calloc(json_object_size(claims) + 1, sizeof(*id->claims));
        if (!id->claims)
                return dou_err_set(DOU_ENOMEM, "out of memory");
        json_object_foreach(claims, k, v) {
                struct auth_claim_rule *c = &id->claims[id->n_claims];
                if (!claim_text(v, val, sizeof(val)))
                        return dou_err_set(DOU_EINVAL, "auth: identity %s: claim %s must be a scalar",
                                           id->name, k);
                if (!(c->name = strdup(k)))
                        return dou_err_set(DOU_ENOMEM, "out of memory");
                id->n_claims++;
                if (val[0] == '~') {
                        if ((r = compile_anchored(val + 1, &c->re, k)) < 0)
                                return r;
                        c->has_re = 1;
                } else if (!(c->value = strdup(val))) {
                        return dou_err_set(DOU_ENOMEM, "out of memory");
                }
        }
        return 0;
}

static int parse_identity(struct auth_rules *r, json_t *o, enum principal_kind kind,
                          struct auth_identity *id)
{
        const char *name = json_string_value(json_object_get(o, "name"));
        const char *re;
        int rc;

        id->kind = kind;
        if (!json_is_object(o))
                return dou_err_set(DOU_EINVAL, "auth: identities must be maps");
        if (kind == PRINCIPAL_MTLS) {
                id->cn = dupstr(json_string_value(json_object_get(o, "subject_cn")));
                id->san = dupstr(json_string_value(json_object_get(o, "san")));
                id->name = strdup(name ? name : id->cn ? id->cn : id->san ? id->san : "mtls");
                if (!id->name)
                        return dou_err_set(DOU_ENOMEM, "out of memory");
                if (!id->cn && !id->san)
                        return dou_err_set(DOU_EINVAL, "auth: mtls identity %s needs subject_cn or san",
                                           id->name);
                return parse_id_roles(r, id, json_object_get(o, "roles"));
        }
        if (!name)
                return dou_err_set(DOU_EINVAL, "auth: every identity needs a name");
        if (!(id->name = strdup(name)))
                return dou_err_set(DOU_ENOMEM, "out of memory");
        id->issuer = dupstr(json_string_value(json_object_get(o, "issuer")));
        if (!id->issuer)
                return dou_err_set(DOU_EINVAL, "auth: identity %s needs an issuer", name);
        id->audience = dupstr(json_string_value(json_object_get(o, "audience")));
        id->subject = dupstr(json_string_value(json_object_get(o, "subject")));
        re = json_string_value(json_object_get(o, "subject_regex"));
        if (re) {
                if ((rc = compile_anchored(re, &id->subject_re, "subject_regex")) < 0)
                        return rc;
                id->has_subject_re = 1;
        }
        if ((rc = parse_claims(id, json_object_get(o, "claims"))) < 0)
                return rc;
        if (!id->subject && !id->has_subject_re && id->n_claims == 0)
                return dou_err_set(DOU_EINVAL, "auth: identity %s matches every token of its issuer; "
                                   "give a subject, subject_regex or claims (subject_regex: \".*\" "
                                   "if you really mean it)", name);
        return parse_id_roles(r, id, json_object_get(o, "roles"));
}

static int parse_identities(struct auth_rules *r, json_t *list, enum principal_kind kind)
{
        json_t *o;
        size_t i;
        int rc;
        struct auth_identity *ids;

        if (!list)
                return 0;
        if (!json_is_array(list))
                return dou_err_set(DOU_EINVAL, "auth: identities must be a list");
        ids = realloc(r->ids, (r->n_ids + json_array_size(list) + 1) * sizeof(*ids));
        if (!ids)
                return dou_err_set(DOU_ENOMEM, "out of memory");
        r->ids = ids;
        json_array_foreach(list, i, o) {
                memset(&r->ids[r->n_ids], 0, sizeof(r->ids[0]));
                r->n_ids++;
                if ((rc = parse_identity(r, o, kind, &r->ids[r->n_ids - 1])) < 0)
                        return rc;
        }
        return 0;
}

static int parse_public(struct auth_rules *r, json_t *list)
{
        json_t *v;
        size_t i;

        if (!list)
                return 0;
        if (!json_is_array(list))
                return dou_err_set(DOU_EINVAL, "auth: public must be a list of patterns");
        r->public = calloc(json_array_size(list) + 1, sizeof(char *));
        if (!r->public)
                return dou_err_set(DOU_ENOMEM, "out of memory");
        json_array_foreach(list, i, v) {
                const char *p = json_string_value(v);
                if (!p || !pattern_valid(p))
                        return dou_err_set(DOU_EINVAL, "auth: public: invalid pattern '%s'", p ? p : "?");
                if (is_area(p, "quarantine"))
                        return dou_err_set(DOU_EDENIED, "auth: public: quarantine/ can never be public");
                if (!(r->public[r->n_public++] = strdup(p)))
                        return dou_err_set(DOU_ENOMEM, "out of memory");
        }
        return 0;
}

int rules_parse(json_t *section, struct auth_rules *r)
{
        json_t *roles = json_object_get(section, "roles"), *v;
        const char *k;
        int rc;

        memset(r, 0, sizeof(*r));
        if (roles && !json_is_object(roles))
                return dou_err_set(DOU_EINVAL, "auth: roles must be a map of name -> grants");
        r->roles = calloc(json_object_size(roles) + 1, sizeof(*r->roles));
        if (!r->roles)
                return dou_err_set(DOU_ENOMEM, "out of memory");
        json_object_foreach(roles, k, v) {
                r->n_roles++;
                if ((rc = parse_role(k, v, &r->roles[r->n_roles - 1])) < 0)
                        return rc;
        }
        if ((rc = parse_identities(r, json_object_get(section, "identities"), PRINCIPAL_OIDC)) < 0 ||
            (rc = parse_identities(r, json_object_get(json_object_get(section, "mtls"), "identities"),
                                   PRINCIPAL_MTLS)) < 0 ||
            (rc = parse_public(r, json_object_get(section, "public"))) < 0)
                return rc;
        return 0;
}

void rules_clear(struct auth_rules *r)
{
        for (size_t i = 0; i < r->n_roles; i++) {
                for (size_t k = 0; k < r->roles[i].n; k++)
                        free(r->roles[i].grants[k].pattern);
                free(r->roles[i].grants);
                free(r->roles[i].name);
        }
        free(r->roles);
        for (size_t i = 0; i < r->n_ids; i++) {
                struct auth_identity *id = &r->ids[i];
                for (size_t k = 0; k < id->n_claims; k++) {
                        free(id->claims[k].name);
                        free(id->claims[k].value);
                        if (id->claims[k].has_re)
                                regfree(&id->claims[k].re);
                }
                if (id->has_subject_re)
                        regfree(&id->subject_re);
                free(id->claims);
                free(id->name);
                free(id->issuer);
                free(id->audience);
                free(id->subject);
                free(id->cn);
                free(id->san);
                free(id->roles);
        }
        free(r->ids);
        for (size_t i = 0; i < r->n_public; i++)
                free(r->public[i]);
        free(r->public);
        memset(r, 0, sizeof(*r));
}

/* A claim by literal name, else by dotted path ("kubernetes.io.namespace" is tried as is first). */
static json_t *claim_get(json_t *claims, const char *name)
{
        json_t *v = json_object_get(claims, name);
        const char *dot;
        char key[128];

        if (v)
                return v;
        for (dot = strchr(name, '.'); dot; dot = strchr(dot + 1, '.')) {
                size_t n = (size_t)(dot - name);
                if (n >= sizeof(key))
                        return NULL;
                memcpy(key, name, n);
                key[n] = '\0';
                json_t *sub = json_object_get(claims, key);
                if (json_is_object(sub) && (v = claim_get(sub, dot + 1)))
                        return v;
        }
        return NULL;
}

static int value_matches(const struct auth_claim_rule *c, json_t *v)
{
        char buf[1024];
        json_t *e;
        size_t i;

        if (json_is_array(v)) {
                json_array_foreach(v, i, e)
                        if (!json_is_array(e) && value_matches(c, e))
                                return 1;
                return 0;
        }
        if (!claim_text(v, buf, sizeof(buf)))
                return 0;
        if (c->has_re)
                return regexec(&c->re, buf, 0, NULL, 0) == 0;
        return !strcmp(buf, c->value);
}

static int aud_has(json_t *aud, const char *want)
{
        json_t *v;
        size_t i;

        if (json_is_string(aud))
                return !strcmp(json_string_value(aud), want);
        json_array_foreach(aud, i, v)
                if (json_is_string(v) && !strcmp(json_string_value(v), want))
                        return 1;
        return 0;
}

static int identity_matches(const struct auth_identity *id, const struct principal *p)
{
        if (id->kind != p->kind)
                return 0;
        if (p->kind == PRINCIPAL_MTLS) {
                int san_ok = !id->san;
                if (id->cn && strcmp(id->cn, p->subject) != 0)
                        return 0;
                for (size_t i = 0; id->san && i < p->n_sans; i++)
                        if (!strcmp(p->sans[i], id->san))
                                san_ok = 1;
                return san_ok;
        }
        if (strcmp(id->issuer, p->issuer) != 0)
                return 0;
        if (id->audience && !aud_has(json_object_get(p->claims, "aud"), id->audience))
                return 0;
        if (id->subject && strcmp(id->subject, p->subject) != 0)
                return 0;
        if (id->has_subject_re && regexec(&id->subject_re, p->subject, 0, NULL, 0) != 0)
                return 0;
        for (size_t i = 0; i < id->n_claims; i++) {
                json_t *v = claim_get(p->claims, id->claims[i].name);
                if (!v || !value_matches(&id->claims[i], v))
                        return 0;
        }
        return 1;
}

unsigned rules_separate(unsigned actions, enum principal_kind kind, const char *repo)
{
        if (kind == PRINCIPAL_INTERNAL)
                return actions;
        if (is_area(repo, "golden"))
                actions &= AUTH_PULL;
        return actions;
}

unsigned rules_grant(const struct auth_rules *r, const struct principal *p, const char *repo)
{
        unsigned acts = 0;

        if (p->kind == PRINCIPAL_INTERNAL)
                return AUTH_ALL_ACTIONS;
        for (size_t i = 0; p->kind != PRINCIPAL_ANON && i < r->n_ids; i++) {
                const struct auth_identity *id = &r->ids[i];
                if (!identity_matches(id, p))
                        continue;
                for (size_t k = 0; k < id->n_roles; k++) {
                        const struct auth_role *role = &r->roles[id->roles[k]];
                        for (size_t g = 0; g < role->n; g++)
                                if (pattern_match(role->grants[g].pattern, repo))
                                        acts |= role->grants[g].actions;
                }
        }
        if (!is_area(repo, "quarantine"))
                for (size_t i = 0; i < r->n_public; i++)
                        if (pattern_match(r->public[i], repo))
                                acts |= AUTH_PULL;
        return rules_separate(acts, p->kind, repo);
}

int rules_identity_name(const struct auth_rules *r, const struct principal *p, char *out, size_t cap)
{
        for (size_t i = 0; i < r->n_ids; i++)
                if (identity_matches(&r->ids[i], p)) {
                        snprintf(out, cap, "%s", r->ids[i].name);
                        return 1;
                }
        return 0;
}

int rules_any_admin(const struct auth_rules *r, const struct principal *p)
{
        if (p->kind == PRINCIPAL_INTERNAL)
                return 1;
        for (size_t i = 0; p->kind != PRINCIPAL_ANON && i < r->n_ids; i++) {
                if (!identity_matches(&r->ids[i], p))
                        continue;
                for (size_t k = 0; k < r->ids[i].n_roles; k++) {
                        const struct auth_role *role = &r->roles[r->ids[i].roles[k]];
                        for (size_t g = 0; g < role->n; g++)
                                if (role->grants[g].actions & AUTH_ADMIN)
                                        return 1;
                }
        }
        return 0;
}
