/*
 * metrics.c - Prometheus counters, lock-free (C11 atomics), served at
 * /metrics in the text exposition format.
 *
 *   douane_http_requests_total{route,code}
 *   douane_http_request_bytes_total{route}, douane_http_response_bytes_total{route}
 *   douane_http_request_duration_seconds{route} (histogram)
 *   douane_blob_upload_duration_seconds (histogram), douane_blob_upload_bytes_total
 */
#include "registry/reg_int.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const double buckets[] = { 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120 };
#define NB (sizeof(buckets) / sizeof(buckets[0]))

struct hist {
        atomic_ulong count[NB + 1];     /* last = +Inf */
        atomic_ulong sum_us;
};

struct metrics {
        atomic_ulong requests[R_KIND_COUNT][REG_STATUS_MAX];
        atomic_ulong bytes_in[R_KIND_COUNT], bytes_out[R_KIND_COUNT];
        struct hist duration[R_KIND_COUNT];
        struct hist upload;
        atomic_ulong upload_bytes;
};

struct metrics *metrics_new(void)
{
        return calloc(1, sizeof(struct metrics));
}

void metrics_free(struct metrics *m)
{
        free(m);
}

static void observe(struct hist *h, double s)
{
        size_t i = 0;

        while (i < NB && s > buckets[i])
                i++;
        atomic_fetch_add_explicit(&h->count[i], 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&h->sum_us, (unsigned long)(s * 1e6), memory_order_relaxed);
}

void metrics_request(struct metrics *m, enum route_kind k, unsigned status, uint64_t in,
                     uint64_t out, double seconds)
{
        if (k >= R_KIND_COUNT)
                k = R_NOT_FOUND;
        if (status >= REG_STATUS_MAX)
                status = 0;
        atomic_fetch_add_explicit(&m->requests[k][status], 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&m->bytes_in[k], in, memory_order_relaxed);
        atomic_fetch_add_explicit(&m->bytes_out[k], out, memory_order_relaxed);
        observe(&m->duration[k], seconds);
}

void metrics_upload(struct metrics *m, double seconds, uint64_t bytes)
{
        observe(&m->upload, seconds);
        atomic_fetch_add_explicit(&m->upload_bytes, bytes, memory_order_relaxed);
}

struct out {
        char *buf;
        size_t len, cap;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
        va_list ap;
        int n;

        for (;;) {
                va_start(ap, fmt);
                n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
                va_end(ap);
                if (n < 0)
                        return;
                if ((size_t)n < o->cap - o->len) {
                        o->len += (size_t)n;
                        return;
                }
                size_t cap = o->cap * 2 + (size_t)n;
                char *p = realloc(o->buf, cap);
                if (!p)
                        return;
                o->buf = p;
                o->cap = cap;
        }
}

static void put_hist(struct out *o, const char *name, const char *labels, struct hist *h)
{
        unsigned long cum = 0;
        const char *sep = labels[0] ? "," : "";

        for (size_t i = 0; i <= NB; i++) {
                cum += atomic_load(&h->count[i]);
                if (i < NB)
                        put(o, "%s_bucket{%s%sle=\"%g\"} %lu\n", name, labels, sep, buckets[i], cum);
                else
                        put(o, "%s_bucket{%s%sle=\"+Inf\"} %lu\n", name, labels, sep, cum);
        }
        put(o, "%s_sum{%s} %.6f\n", name, labels, (double)atomic_load(&h->sum_us) / 1e6);
        put(o, "%s_count{%s} %lu\n", name, labels, cum);
}

enum MHD_Result metrics_reply(struct req *q)
{
        struct metrics *m = q->reg->metrics;
        struct out o = { malloc(16384), 0, 16384 };
        struct MHD_Response *resp;
        char labels[64];

        if (!o.buf)
                return MHD_NO;
        put(&o, "# HELP douane_http_requests_total HTTP requests by route and status code.\n"
                "# TYPE douane_http_requests_total counter\n");
        for (int k = 0; k < R_KIND_COUNT; k++)
                for (int s = 0; s < REG_STATUS_MAX; s++) {
                        unsigned long v = atomic_load(&m->requests[k][s]);
                        if (v)
                                put(&o, "douane_http_requests_total{route=\"%s\",code=\"%d\"} %lu\n",
                                    route_label((enum route_kind)k), s, v);
                }
        put(&o, "# TYPE douane_http_request_bytes_total counter\n");
        for (int k = 0; k < R_KIND_COUNT; k++)
                put(&o, "douane_http_request_bytes_total{route=\"%s\"} %lu\n",
                    route_label((enum route_kind)k), atomic_load(&m->bytes_in[k]));
        put(&o, "# TYPE douane_http_response_bytes_total counter\n");
        for (int k = 0; k < R_KIND_COUNT; k++)
                put(&o, "douane_http_response_bytes_total{route=\"%s\"} %lu\n",
                    route_label((enum route_kind)k), atomic_load(&m->bytes_out[k]));
        put(&o, "# TYPE douane_http_request_duration_seconds histogram\n");
        for (int k = 0; k < R_KIND_COUNT; k++) {
                snprintf(labels, sizeof(labels), "route=\"%s\"", route_label((enum route_kind)k));
                put_hist(&o, "douane_http_request_duration_seconds", labels, &m->duration[k]);
        }
        put(&o, "# TYPE douane_blob_upload_duration_seconds histogram\n");
        put_hist(&o, "douane_blob_upload_duration_seconds", "", &m->upload);
        put(&o, "# TYPE douane_blob_upload_bytes_total counter\n"
                "douane_blob_upload_bytes_total %lu\n", atomic_load(&m->upload_bytes));
        if (q->reg->auth) {
                /* grants, denials, token issues: counted by auth, appended here */
                char abuf[16384];
                int n = auth_metrics_format(q->reg->auth, abuf, sizeof(abuf));
                if (n > 0)
                        put(&o, "%.*s", n, abuf);
        }
        resp = MHD_create_response_from_buffer(o.len, o.buf, MHD_RESPMEM_MUST_FREE);
        if (!resp) {
                free(o.buf);
                return MHD_NO;
        }
        q->bytes_out += o.len;
        resp_header(resp, "Content-Type", "text/plain; version=0.0.4");
        return reply_send(q, 200, resp);
}
