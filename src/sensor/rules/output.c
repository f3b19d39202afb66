/*
 * output.c - alert sinks.
 *
 * JSON lines follow Falco's json_output layout: hostname, output (with the
 * "time: Priority" prefix Falco puts there), output_fields (null for a
 * missing value, numbers as numbers), priority, rule, source, tags, time.
 * The webhook thread owns the curl handle; the queue's mutex guards only the
 * queue. Emitting never waits on the network: a full queue drops.
 */
#include "sensor/rules/output.h"
#include "util/err.h"

#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

struct alert_sink {
        struct alert_sink_opts o;
        char hostname[256];
        struct alert_sink_stats st;
        /* webhook */
        bool wh;
        pthread_t thr;
        pthread_mutex_t mu;
        pthread_cond_t cv;
        char *q[ALERT_WEBHOOK_QUEUE];
        size_t qhead, qlen;
        bool stop;
        time_t deadline;                /* drain limit once stopping */
        char *url;
};

void alert_time_rfc3339(uint64_t ts_ns, char *buf, size_t sz)
{
        time_t s = (time_t)(ts_ns / 1000000000u);
        struct tm tm;
        gmtime_r(&s, &tm);
        char d[32];
        strftime(d, sizeof(d), "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(buf, sz, "%s.%09lluZ", d, (unsigned long long)(ts_ns % 1000000000u));
}

static void prefix_time(uint64_t ts_ns, char *buf, size_t sz)
{
        time_t s = (time_t)(ts_ns / 1000000000u);
        struct tm tm;
        gmtime_r(&s, &tm);
        char d[16];
        strftime(d, sizeof(d), "%H:%M:%S", &tm);
        snprintf(buf, sz, "%s.%09llu", d, (unsigned long long)(ts_ns % 1000000000u));
}

char *alert_to_json(const struct rules_alert *a, const char *hostname)
{
        json_t *o = json_object();
        json_t *fields = json_object();
        json_t *tags = json_array();
        if (!o || !fields || !tags) {
                json_decref(o);
                json_decref(fields);
                json_decref(tags);
                return NULL;
        }
        char t[64], pt[32];
        uint64_t ts = a->event ? a->event->ts_ns : 0;
        alert_time_rfc3339(ts, t, sizeof(t));
        prefix_time(ts, pt, sizeof(pt));
        size_t ol = strlen(a->output) + 64;
        char *out = malloc(ol);
        if (out)
                snprintf(out, ol, "%s: %s %s", pt, rules_priority_name(a->priority), a->output);
        for (size_t i = 0; i < a->n_fields; i++) {
                const char *v = a->field_values[i];
                json_t *jv;
                if (!v)
                        jv = json_null();
                else if (a->field_is_num[i])
                        jv = json_integer(strtoll(v, NULL, 10));
                else
                        jv = json_string(v);
                if (!jv)        /* invalid UTF-8 from the kernel: keep the key */
                        jv = json_stringn_nocheck(v, strlen(v));
                json_object_set_new(fields, a->field_names[i], jv);
        }
        for (size_t i = 0; i < a->n_tags; i++)
                json_array_append_new(tags, json_string(a->tags[i]));
        json_object_set_new(o, "hostname", json_string(hostname ? hostname : ""));
        json_object_set_new(o, "output", out ? json_string(out) : json_string(a->output));
        json_object_set_new(o, "output_fields", fields);
        json_object_set_new(o, "priority", json_string(rules_priority_name(a->priority)));
        json_object_set_new(o, "rule", json_string(a->rule));
        json_object_set_new(o, "source", json_string("syscall"));
        json_object_set_new(o, "tags", tags);
        json_object_set_new(o, "time", json_string(t));
        free(out);
        char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
        json_decref(o);
        return s;
}

static size_t discard(char *p, size_t sz, size_t n, void *ud)
{
        (void)p;
        (void)ud;
        return sz * n;
}

static void *webhook_main(void *arg)
{
        struct alert_sink *s = arg;
        CURL *c = curl_easy_init();
        struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
        for (;;) {
                pthread_mutex_lock(&s->mu);
                while (!s->qlen && !s->stop)
                        pthread_cond_wait(&s->cv, &s->mu);
                if (s->stop && s->qlen && time(NULL) > s->deadline) {
                        /* shutting down and the receiver is slow: drop the rest */
                        while (s->qlen) {
                                free(s->q[s->qhead]);
                                s->qhead = (s->qhead + 1) % ALERT_WEBHOOK_QUEUE;
                                s->qlen--;
                                s->st.webhook_dropped++;
                        }
                }
                if (!s->qlen && s->stop) {
                        pthread_mutex_unlock(&s->mu);
                        break;
                }
                char *body = s->q[s->qhead];
                s->qhead = (s->qhead + 1) % ALERT_WEBHOOK_QUEUE;
                s->qlen--;
                pthread_mutex_unlock(&s->mu);
                bool ok = false;
                if (c) {
                        curl_easy_reset(c);
                        curl_easy_setopt(c, CURLOPT_URL, s->url);
                        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
                        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
                        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)ALERT_WEBHOOK_TIMEOUT_MS);
                        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
                        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
                        long code = 0;
                        if (curl_easy_perform(c) == CURLE_OK &&
                            curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code) == CURLE_OK)
                                ok = code >= 200 && code < 300;
                }
                free(body);
                pthread_mutex_lock(&s->mu);
                if (ok)
                        s->st.webhook_sent++;
                else
                        s->st.webhook_failed++;
                pthread_mutex_unlock(&s->mu);
        }
        curl_slist_free_all(h);
        curl_easy_cleanup(c);
        return NULL;
}

int alert_sink_new(const struct alert_sink_opts *o, struct alert_sink **ret)
{
        struct alert_sink *s = calloc(1, sizeof(*s));
        if (!s)
                return dou_err_set(DOU_ENOMEM, "out of memory");
        s->o = *o;
        if (o->hostname)
                snprintf(s->hostname, sizeof(s->hostname), "%s", o->hostname);
        else if (gethostname(s->hostname, sizeof(s->hostname) - 1) < 0)
                s->hostname[0] = 0;
        if (o->syslog)
                openlog("douane-sensor", LOG_PID, LOG_DAEMON);
        if (o->webhook_url) {
                s->url = strdup(o->webhook_url);
                pthread_mutex_init(&s->mu, NULL);
                pthread_cond_init(&s->cv, NULL);
                if (!s->url || pthread_create(&s->thr, NULL, webhook_main, s) != 0) {
                        free(s->url);
                        pthread_mutex_destroy(&s->mu);
                        pthread_cond_destroy(&s->cv);
                        free(s);
                        return dou_err_set(DOU_ENOMEM, "cannot start the webhook thread");
                }
                s->wh = true;
        }
        *ret = s;
        return 0;
}

struct alert_sink *alert_sink_free(struct alert_sink *s)
{
        if (!s)
                return NULL;
        if (s->wh) {
                pthread_mutex_lock(&s->mu);
                s->stop = true;
                s->deadline = time(NULL) + ALERT_WEBHOOK_DRAIN_S;
                pthread_cond_signal(&s->cv);
                pthread_mutex_unlock(&s->mu);
                pthread_join(s->thr, NULL);
                pthread_mutex_destroy(&s->mu);
                pthread_cond_destroy(&s->cv);
                free(s->url);
        }
        if (s->o.syslog)
                closelog();
        free(s);
        return NULL;
}

static int syslog_prio(enum rules_priority p)
{
        static const int m[] = { LOG_EMERG, LOG_ALERT, LOG_CRIT, LOG_ERR, LOG_WARNING, LOG_NOTICE,
                                 LOG_INFO, LOG_DEBUG };
        return (unsigned)p < 8 ? m[p] : LOG_INFO;
}

int alert_sink_emit(void *sink, const struct rules_alert *a)
{
        struct alert_sink *s = sink;
        s->st.alerts++;
        char *json = NULL;
        if (!s->o.text || s->wh || s->o.syslog) {
                json = alert_to_json(a, s->hostname);
                if (!json)
                        return dou_err_set(DOU_ENOMEM, "out of memory");
        }
        if (s->o.out) {
                if (s->o.text) {
                        char t[64];
                        alert_time_rfc3339(a->event ? a->event->ts_ns : 0, t, sizeof(t));
                        fprintf(s->o.out, "%s: %s %s\n", t, rules_priority_name(a->priority), a->output);
                } else {
                        fprintf(s->o.out, "%s\n", json);
                }
                fflush(s->o.out);
        }
        if (s->o.syslog)
                syslog(syslog_prio(a->priority), "%s", s->o.text ? a->output : json);
        if (s->wh) {
                pthread_mutex_lock(&s->mu);
                if (s->qlen < ALERT_WEBHOOK_QUEUE) {
                        s->q[(s->qhead + s->qlen) % ALERT_WEBHOOK_QUEUE] = json;
                        s->qlen++;
                        json = NULL;
                        pthread_cond_signal(&s->cv);
                } else {
                        s->st.webhook_dropped++;
                }
                pthread_mutex_unlock(&s->mu);
        }
        free(json);
        return 0;
}

void alert_sink_stats(struct alert_sink *s, struct alert_sink_stats *ret)
{
        if (s->wh)
                pthread_mutex_lock(&s->mu);
        *ret = s->st;
        if (s->wh)
                pthread_mutex_unlock(&s->mu);
}
