/*
 * engine.c - compile loaded rules, index them by event type, evaluate
 * events, format outputs, rate-limit alerts.
 *
 * Exceptions are compiled the way Falco defines them: the rule's condition
 * becomes "(cond) and not (tuple1 or tuple2 ...)" with each tuple the AND
 * of its field/comp/value triples. The index maps each enum sensor_evt_type
 * to the enabled rules whose condition can match it, in load order; rules
 * with no evt.type restriction go everywhere (with a warning, as Falco).
 * Rate limiting is a token bucket per rule on event time, so replay is
 * deterministic.
 */
#include "sensor/rules/rules_int.h"
#include "util/err.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MASK_ALL (((uint64_t)1 << EVT_TYPE_COUNT) - 1)

static const struct {
        const char *name;
        enum sensor_evt_type t;
} evt_names[] = {
        { "execve", EVT_EXECVE }, { "execveat", EVT_EXECVE },
        { "clone", EVT_CLONE }, { "clone3", EVT_CLONE }, { "fork", EVT_CLONE }, { "vfork", EVT_CLONE },
        { "exit", EVT_EXIT }, { "exit_group", EVT_EXIT }, { "procexit", EVT_EXIT },
        { "open", EVT_OPEN }, { "openat", EVT_OPEN }, { "openat2", EVT_OPEN }, { "creat", EVT_OPEN },
        { "open_by_handle_at", EVT_OPEN },
        { "connect", EVT_CONNECT }, { "accept", EVT_ACCEPT }, { "accept4", EVT_ACCEPT },
        { "bind", EVT_BIND }, { "listen", EVT_LISTEN }, { "socket", EVT_SOCKET },
        { "sendto", EVT_SENDTO }, { "sendmsg", EVT_SENDMSG },
        { "dup", EVT_DUP }, { "dup2", EVT_DUP }, { "dup3", EVT_DUP },
        { "link", EVT_LINK }, { "linkat", EVT_LINK },
        { "symlink", EVT_SYMLINK }, { "symlinkat", EVT_SYMLINK },
        { "unlink", EVT_UNLINK }, { "unlinkat", EVT_UNLINK },
        { "rename", EVT_RENAME }, { "renameat", EVT_RENAME }, { "renameat2", EVT_RENAME },
        { "ptrace", EVT_PTRACE },
        { "setuid", EVT_SETUID }, { "setreuid", EVT_SETUID }, { "setresuid", EVT_SETUID },
        { "setgid", EVT_SETGID }, { "setregid", EVT_SETGID }, { "setresgid", EVT_SETGID },
        { "capset", EVT_CAPSET }, { "mount", EVT_MOUNT },
        { "init_module", EVT_INIT_MODULE }, { "finit_module", EVT_INIT_MODULE },
        { "memfd_create", EVT_MEMFD_CREATE },
        { "chmod", EVT_CHMOD }, { "fchmod", EVT_CHMOD }, { "fchmodat", EVT_CHMOD },
};

int rules_evt_type_from_name(const char *name)
{
        for (size_t i = 0; i < sizeof(evt_names) / sizeof(evt_names[0]); i++)
                if (!strcmp(evt_names[i].name, name))
                        return (int)evt_names[i].t;
        return -1;
}

/* ---- text building ---- */

struct sbuf {
        char *p;
        size_t n, cap;
        bool oom;
};

static void sb_add(struct sbuf *b, const char *s, size_t l)
{
        if (b->oom)
                return;
        if (b->n + l + 1 > b->cap) {
                size_t nc = (b->n + l + 1) * 2;
                char *np = realloc(b->p, nc);
                if (!np) {
                        b->oom = true;
                        return;
                }
                b->p = np;
                b->cap = nc;
        }
        memcpy(b->p + b->n, s, l);
        b->n += l;
        b->p[b->n] = 0;
}

static void sb_str(struct sbuf *b, const char *s)
{
        sb_add(b, s, strlen(s));
}

static void sb_quoted(struct sbuf *b, const char *s)
{
        sb_add(b, "\"", 1);
        for (; *s; s++) {
                if (*s == '"' || *s == '\\')
                        sb_add(b, "\\", 1);
                sb_add(b, s, 1);
        }
        sb_add(b, "\"", 1);
}

static bool list_comp(const char *c)
{
        return !strcmp(c, "in") || !strcmp(c, "pmatch") || !strcmp(c, "intersects");
}

static void exc_value(struct sbuf *b, const char *comp, const struct ynode *v)
{
        if (list_comp(comp)) {
                sb_str(b, "(");
                if (v->kind == Y_SEQ) {
                        for (size_t i = 0; i < v->n; i++) {
                                if (i)
                                        sb_str(b, ", ");
                                if (v->kids[i]->kind == Y_SCALAR)
                                        sb_quoted(b, v->kids[i]->s);
                        }
                } else if (v->kind == Y_SCALAR) {
                        sb_str(b, v->s);        /* a list name (or one bare item) */
                }
                sb_str(b, ")");
        } else if (v->kind == Y_SCALAR) {
                sb_quoted(b, v->s);
        } else {
                sb_str(b, "\"\"");
        }
}

static int exception_text(struct rules_engine *e, const struct rrule *r, const struct rexception *x,
                          struct sbuf *b)
{
        const struct ynode *f = x->fields, *c = x->comps;
        if (x->nvalues == 0)
                return 0;
        if (f->kind == Y_SCALAR) {
                const char *comp = c && c->kind == Y_SCALAR ? c->s : "in";
                sb_str(b, " and not (");
                if (list_comp(comp)) {
                        sb_str(b, f->s);
                        sb_str(b, " ");
                        sb_str(b, comp);
                        sb_str(b, " (");
                        for (size_t i = 0; i < x->nvalues; i++) {
                                const struct ynode *v = x->values[i];
                                if (i)
                                        sb_str(b, ", ");
                                if (v->kind == Y_SCALAR)
                                        sb_quoted(b, v->s);
                        }
                        sb_str(b, ")");
                } else {
                        for (size_t i = 0; i < x->nvalues; i++) {
                                if (i)
                                        sb_str(b, " or ");
                                sb_str(b, f->s);
                                sb_str(b, " ");
                                sb_str(b, comp);
                                sb_str(b, " ");
                                exc_value(b, comp, x->values[i]);
                        }
                }
                sb_str(b, ")");
                return 0;
        }
        if (f->kind != Y_SEQ || (c && c->kind == Y_SEQ && c->n != f->n))
                return dou_err_set(DOU_EINVAL, "%s:%d: rule '%s': exception '%s': fields and comps differ in length",
                                   r->file, x->line, r->name, x->name);
        sb_str(b, " and not (");
        for (size_t i = 0; i < x->nvalues; i++) {
                const struct ynode *t = x->values[i];
                if (t->kind != Y_SEQ || t->n != f->n)
                        return dou_err_set(DOU_EINVAL, "%s:%d: rule '%s': exception '%s': value %zu does not have %zu items",
                                           r->file, t->line, r->name, x->name, i + 1, f->n);
                sb_str(b, i ? " or (" : "(");
                for (size_t k = 0; k < f->n; k++) {
                        const char *comp = c && c->kind == Y_SEQ && c->kids[k]->kind == Y_SCALAR
                                                   ? c->kids[k]->s : "=";
                        if (k)
                                sb_str(b, " and ");
                        sb_str(b, f->kids[k]->s);
                        sb_str(b, " ");
                        sb_str(b, comp);
                        sb_str(b, " ");
                        exc_value(b, comp, t->kids[k]);
                }
                sb_str(b, ")");
        }
        sb_str(b, ")");
        (void)e;
        return 0;
}

static int compile_rule(struct rules_engine *e, struct rrule *r)
{
        struct sbuf b = { 0 };
        sb_str(&b, "(");
        sb_str(&b, r->cond ? r->cond : "");
        sb_str(&b, ")");
        int rc = 0;
        for (size_t i = 0; i < r->nexc && rc == 0; i++)
                rc = exception_text(e, r, &r->exc[i], &b);
        if (rc == 0 && b.oom)
                rc = dou_err_set(DOU_ENOMEM, "out of memory");
        if (rc == 0) {
                e->cur_missing = 0;
                rc = cond_compile(e, b.p, r->file, r->cond_line ? r->cond_line : r->line, 0, &r->root,
                                  &r->mask);
                r->missing = e->cur_missing;
        }
        free(b.p);
        if (rc < 0) {
                char msg[1024];
                snprintf(msg, sizeof(msg), "%s", dou_err_msg());
                return dou_err_set(rc, "%s (in rule '%s')", msg, r->name);
        }
        rc = output_compile(e, r);
        if (rc < 0)
                return rc;
        r->compiled = true;
        if (r->mask == MASK_ALL)
                rules_warn(e, "%s:%d: rule '%s' does not restrict evt.type: it is evaluated for every event",
                           r->file, r->line, r->name);
        return 0;
}

int rules_engine_compile(struct rules_engine *e)
{
        if (e->compiled)
                return 0;
        for (size_t i = 0; i < e->nrules; i++) {
                struct rrule *r = e->rules[i];
                if (strcmp(r->source, "syscall")) {
                        rules_warn(e, "%s:%d: rule '%s' has source '%s', not evaluated by the sensor",
                                   r->file, r->line, r->name, r->source);
                        continue;
                }
                int rc = compile_rule(e, r);
                if (rc < 0)
                        return rc;
        }
        for (size_t i = 0; i < e->nmacros; i++) {
                struct rmacro *m = e->macros[i];
                if (m->state == 2)
                        continue;
                struct cnode *n;
                uint64_t mask;
                m->state = 1;
                size_t before = e->cur_missing;
                int rc = cond_compile(e, m->cond, m->file, m->line, 0, &n, &mask);
                if (rc < 0) {
                        /* unused here (perhaps written for another source, e.g. k8s_audit):
                         * Falco-like warning, not an error */
                        rules_warn(e, "%s (in macro '%s', which no syscall rule uses)", dou_err_msg(),
                                   m->name);
                        m->state = 0;
                        continue;
                }
                m->compiled = n;
                m->mask = mask;
                m->missing = e->cur_missing - before;
                m->state = 2;
        }
        /* index */
        size_t cnt[EVT_TYPE_COUNT] = { 0 };
        for (size_t i = 0; i < e->nrules; i++) {
                struct rrule *r = e->rules[i];
                if (!r->compiled || !r->enabled || r->priority > e->min_priority)
                        continue;
                for (int t = 0; t < EVT_TYPE_COUNT; t++)
                        if (r->mask & ((uint64_t)1 << t))
                                cnt[t]++;
        }
        e->needed = ((uint64_t)1 << EVT_EXECVE) | ((uint64_t)1 << EVT_CLONE) | ((uint64_t)1 << EVT_EXIT);
        for (int t = 0; t < EVT_TYPE_COUNT; t++) {
                free(e->byType[t]);
                e->byType[t] = NULL;
                e->nbyType[t] = 0;
                if (!cnt[t])
                        continue;
                e->byType[t] = calloc(cnt[t], sizeof(struct rrule *));
                if (!e->byType[t])
                        return dou_err_set(DOU_ENOMEM, "out of memory");
                e->needed |= (uint64_t)1 << t;
        }
        for (size_t i = 0; i < e->nrules; i++) {
                struct rrule *r = e->rules[i];
                if (!r->compiled || !r->enabled || r->priority > e->min_priority)
                        continue;
                for (int t = 0; t < EVT_TYPE_COUNT; t++)
                        if (r->mask & ((uint64_t)1 << t))
                                e->byType[t][e->nbyType[t]++] = r;
        }
        e->compiled = true;
        return 0;
}

size_t rules_engine_rule_count(const struct rules_engine *e)
{
        return e->nrules;
}

size_t rules_engine_enabled_count(const struct rules_engine *e)
{
        size_t n = 0;
        for (size_t i = 0; i < e->nrules; i++)
                n += e->rules[i]->compiled && e->rules[i]->enabled;
        return n;
}

int rules_engine_rule_info(const struct rules_engine *e, size_t i, struct rules_rule_info *ret)
{
        if (i >= e->nrules)
                return dou_err_set(DOU_ERANGE, "no rule %zu", i);
        const struct rrule *r = e->rules[i];
        *ret = (struct rules_rule_info){
                .name = r->name, .file = r->file, .line = r->line, .priority = r->priority,
                .enabled = r->enabled, .evaluable = r->compiled, .source = r->source,
                .evt_mask = r->mask, .n_missing_fields = r->missing, .action_kill = r->action_kill,
        };
        return 0;
}

uint64_t rules_needed_event_mask(const struct rules_engine *e)
{
        return e->needed;
}

void rules_engine_set_min_priority(struct rules_engine *e, enum rules_priority p)
{
        e->min_priority = p;
}

void rules_engine_set_ctx(struct rules_engine *e, const struct rules_ctx_ops *ops, const void *tables)
{
        rules_image_info_fn keep = e->ops.image_info;
        void *keep_arg = e->ops.image_arg;
        e->ops = *ops;
        if (!ops->image_info) {
                /* the registry link outlives table changes (replay, live) */
                e->ops.image_info = keep;
                e->ops.image_arg = keep_arg;
        }
        e->tables = tables;
        e->ctx.ops = &e->ops;
        e->ctx.tables = tables;
}

void rules_engine_set_rate_limit(struct rules_engine *e, double rate, double burst)
{
        e->rate = rate;
        e->burst = burst;
}

uint64_t rules_engine_dropped(const struct rules_engine *e)
{
        uint64_t n = 0;
        for (size_t i = 0; i < e->nrules; i++)
                n += e->rules[i]->dropped;
        return n;
}

int rules_condition_check(struct rules_engine *e, const char *cond, size_t len)
{
        char *c = arena_strndup(&e->arena, cond, len);
        if (!c)
                return DOU_ENOMEM;
        if (strlen(c) != len)
                return dou_err_set(DOU_EINVAL, "condition contains a NUL byte");
        struct cnode *n;
        uint64_t m;
        return cond_compile(e, c, "<condition>", 1, 0, &n, &m);
}

/* ---- outputs ---- */

int output_compile(struct rules_engine *e, struct rrule *r)
{
        const char *s = r->output ? r->output : "";
        size_t cap = 8, n = 0;
        struct out_seg *segs = arena_alloc(&e->arena, cap * sizeof(*segs));
        if (!segs)
                return DOU_ENOMEM;
        const char *lit = s;
        for (const char *p = s;; ) {
                const char *pc = strchr(p, '%');
                const struct field_def *f = NULL;
                int idx = -1;
                const char *an = NULL;
                size_t al = 0, fl = 0;
                const char *fs = NULL;
                if (pc) {
                        fs = pc + 1;
                        bool paren = *fs == '(';
                        if (paren)
                                fs++;
                        while (fs[fl] && (isalnum((unsigned char)fs[fl]) || fs[fl] == '_' || fs[fl] == '.'))
                                fl++;
                        if (fs[fl] == '[') {
                                const char *cb = strchr(fs + fl, ']');
                                if (cb && cb - (fs + fl) < 64)
                                        fl = (size_t)(cb - fs) + 1;
                        }
                        while (fl && fs[fl - 1] == '.')
                                fl--;
                        if (fl)
                                f = field_lookup(fs, fl, &idx, &an, &al);
                        if (!f && fl)
                                rules_warn(e, "%s:%d: rule '%s': output uses unknown field '%%%.*s'",
                                           r->file, r->line, r->name, (int)(fl > 60 ? 60 : fl), fs);
                        if (f && paren && fs[fl] != ')')
                                f = NULL;
                }
                if (n + 1 >= cap) {
                        struct out_seg *ns = arena_alloc(&e->arena, cap * 2 * sizeof(*ns));
                        if (!ns)
                                return DOU_ENOMEM;
                        memcpy(ns, segs, n * sizeof(*ns));
                        segs = ns;
                        cap *= 2;
                }
                if (!pc) {
                        segs[n++] = (struct out_seg){ .lit = lit, .litlen = strlen(lit) };
                        break;
                }
                if (!f) {
                        p = pc + 1;
                        continue;
                }
                struct out_seg *sg = &segs[n++];
                *sg = (struct out_seg){ .lit = lit, .litlen = (size_t)(pc - lit), .field = f, .fidx = idx };
                sg->fname = arena_strndup(&e->arena, fs, fl);
                if (an)
                        sg->farg = arena_strndup(&e->arena, an, al);
                if (!sg->fname || (an && !sg->farg))
                        return DOU_ENOMEM;
                p = fs + fl + (fs[-1] == '(' ? 1 : 0);
                lit = p;
        }
        r->segs = segs;
        r->nsegs = n;
        return 0;
}

size_t output_format(struct rules_engine *e, const struct rrule *r)
{
        size_t o = 0, vo = 0, nf = 0;
        char *out = e->outbuf;
        size_t osz = sizeof(e->outbuf) - 1;
        for (size_t i = 0; i < r->nsegs; i++) {
                const struct out_seg *sg = &r->segs[i];
                size_t l = sg->litlen < osz - o ? sg->litlen : osz - o;
                memcpy(out + o, sg->lit, l);
                o += l;
                if (!sg->field)
                        continue;
                struct fval v;
                char tmp[RULES_SCRATCH / 2];
                char num[32];
                const char *txt = NULL;
                bool isnum = false;
                if (field_extract(&e->ctx, sg->field, sg->fidx, sg->farg, &v, tmp, sizeof(tmp))) {
                        if (sg->field->type == FT_NUM) {
                                snprintf(num, sizeof(num), "%lld", (long long)v.n);
                                txt = num;
                                isnum = true;
                        } else if (sg->field->type == FT_BOOL) {
                                txt = v.n ? "true" : "false";
                        } else {
                                txt = v.s;
                        }
                }
                const char *shown = txt ? txt : "<NA>";
                l = strlen(shown);
                l = l < osz - o ? l : osz - o;
                memcpy(out + o, shown, l);
                o += l;
                bool dup = false;
                for (size_t k = 0; k < nf; k++)
                        if (!strcmp(e->fnames[k], sg->fname))
                                dup = true;
                if (dup || nf >= RULES_OUT_FIELDS)
                        continue;
                e->fnames[nf] = sg->fname;
                e->fisnum[nf] = isnum;
                if (!txt) {
                        e->fvals[nf++] = NULL;
                        continue;
                }
                size_t tl = strlen(txt);
                if (vo + tl + 1 > sizeof(e->valbuf))
                        tl = vo + 1 < sizeof(e->valbuf) ? sizeof(e->valbuf) - vo - 1 : 0;
                if (vo + tl + 1 > sizeof(e->valbuf)) {
                        e->fvals[nf++] = "";
                        continue;
                }
                memcpy(e->valbuf + vo, txt, tl);
                e->valbuf[vo + tl] = 0;
                e->fvals[nf++] = e->valbuf + vo;
                vo += tl + 1;
        }
        out[o] = 0;
        return nf;
}

static bool rate_ok(struct rules_engine *e, struct rrule *r, uint64_t now)
{
        if (e->rate <= 0)
                return true;
        if (r->last_ns == 0) {
                r->tokens = e->burst;
        } else if (now > r->last_ns) {
                r->tokens += (double)(now - r->last_ns) / 1e9 * e->rate;
                if (r->tokens > e->burst)
                        r->tokens = e->burst;
        }
        r->last_ns = now ? now : 1;
        if (r->tokens >= 1.0) {
                r->tokens -= 1.0;
                return true;
        }
        r->dropped++;
        return false;
}

int rules_engine_eval(struct rules_engine *e, const struct sensor_event *ev, rules_alert_fn fn, void *arg)
{
        if (!e->compiled || (unsigned)ev->type >= EVT_TYPE_COUNT || !ev->syscall)
                return 0;
        size_t n = e->nbyType[ev->type];
        struct rrule **rs = e->byType[ev->type];
        eval_ctx_reset(&e->ctx, ev);
        int matches = 0;
        for (size_t i = 0; i < n; i++) {
                struct rrule *r = rs[i];
                if (!cnode_eval(&e->ctx, r->root))
                        continue;
                if (!rate_ok(e, r, ev->ts_ns))
                        continue;
                matches++;
                if (!fn)
                        continue;
                size_t nf = output_format(e, r);
                struct rules_alert a = {
                        .rule = r->name, .priority = r->priority, .output = e->outbuf,
                        .n_fields = nf, .field_names = e->fnames, .field_values = e->fvals,
                        .field_is_num = e->fisnum, .tags = r->tags, .n_tags = r->ntags, .event = ev,
                        .action_kill = r->action_kill,
                };
                int rc = fn(arg, &a);
                if (rc < 0)
                        return rc;
        }
        return matches;
}
