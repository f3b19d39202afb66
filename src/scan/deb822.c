/*
 * deb822.c - control-paragraph reader; see deb822.h. Works on a bounded
 * buffer, never reads past len, tolerates CRLF and NUL bytes (which
 * simply end up inside values and are rejected by the callers).
 */
#include "scan/deb822.h"

#include <string.h>
#include <strings.h>

static int blank(const char *l, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (l[i] != ' ' && l[i] != '\t' && l[i] != '\r')
                        return 0;
        return 1;
}

int deb822_next(struct deb822 *r, struct deb822_para *p)
{
        int in_para = 0;

        p->n = 0;
        p->bad_line = 0;
        p->first_line = 0;
        while (r->pos < r->len) {
                const char *l = r->buf + r->pos, *nl = memchr(l, '\n', r->len - r->pos);
                size_t n = nl ? (size_t)(nl - l) : r->len - r->pos;
                const char *colon;

                r->pos += n + (nl ? 1 : 0);
                r->lineno++;
                if (n && l[n - 1] == '\r')
                        n--;
                if (blank(l, n)) {
                        if (in_para)
                                return 1;
                        continue;
                }
                if (!in_para) {
                        in_para = 1;
                        p->first_line = r->lineno;
                }
                if (l[0] == ' ' || l[0] == '\t')
                        continue;               /* continuation */
                if (l[0] == '#')
                        continue;               /* deb822 comment */
                colon = memchr(l, ':', n);
                if (!colon || colon == l) {
                        if (!p->bad_line)
                                p->bad_line = r->lineno;
                        continue;
                }
                if (p->n < DEB822_MAX_FIELDS) {
                        struct deb822_field *f = &p->f[p->n++];
                        const char *v = colon + 1, *e = l + n;

                        while (v < e && (*v == ' ' || *v == '\t'))
                                v++;
                        while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
                                e--;
                        f->name = l;
                        f->name_len = (size_t)(colon - l);
                        f->value = v;
                        f->value_len = (size_t)(e - v);
                }
        }
        return in_para;
}

const char *deb822_get(const struct deb822_para *p, const char *name, size_t *len)
{
        size_t nl = strlen(name);

        for (size_t i = 0; i < p->n; i++)
                if (p->f[i].name_len == nl && !strncasecmp(p->f[i].name, name, nl)) {
                        *len = p->f[i].value_len;
                        return p->f[i].value;
                }
        *len = 0;
        return NULL;
}
