/*
 * ratelim.c - token buckets per client address for the token endpoint.
 *
 * The table is fixed (no growth under a flood of addresses): an address
 * hashes to a run of 8 slots; a new address takes a free slot or evicts the
 * slot idle longest. Eviction can only reset a bucket to full, never block
 * a client that is not itself over its rate. The port is dropped, so one
 * host is one client. Thread-safe with one mutex; each call is O(8).
 */
#include "auth/auth_int.h"

#include <stdlib.h>
#include <string.h>

#define RL_PROBE 8
#define RL_ADDR_MAX 64

struct rl_slot {
        char addr[RL_ADDR_MAX];
        double tokens;
        double last;
        int used;
};

struct ratelim {
        double rate, burst;
        size_t n;
        struct rl_slot *s;
        pthread_mutex_t lock;
};

struct ratelim *ratelim_new(double per_sec, double burst, size_t slots)
{
        struct ratelim *r = calloc(1, sizeof(*r));

        if (!r)
                return NULL;
        r->rate = per_sec;
        r->burst = burst < 1 ? 1 : burst;
        r->n = slots < RL_PROBE ? RL_PROBE : slots;
        r->s = calloc(r->n, sizeof(*r->s));
        if (!r->s) {
                free(r);
                return NULL;
        }
        pthread_mutex_init(&r->lock, NULL);
        return r;
}

struct ratelim *ratelim_free(struct ratelim *r)
{
        if (!r)
                return NULL;
        pthread_mutex_destroy(&r->lock);
        free(r->s);
        free(r);
        return NULL;
}

/* "1.2.3.4:5678" -> "1.2.3.4"; "[::1]:80" -> "::1"; otherwise as is (truncated). */
static void host_of(const char *addr, char *out, size_t cap)
{
        const char *end;
        size_t n;

        if (!addr)
                addr = "";
        if (addr[0] == '[' && (end = strchr(addr, ']'))) {
                addr++;
        } else {
                end = strrchr(addr, ':');
                if (!end || strchr(addr, ':') != end)
                        end = addr + strlen(addr);      /* bare v6 or no port */
        }
        n = (size_t)(end - addr);
        if (n >= cap)
                n = cap - 1;
        memcpy(out, addr, n);
        out[n] = '\0';
}

static unsigned long hash_str(const char *s)
{
        unsigned long h = 1469598103934665603UL;

        while (*s)
                h = (h ^ (unsigned char)*s++) * 1099511628211UL;
        return h;
}

int ratelim_take(struct ratelim *r, const char *addr, double now)
{
        char host[RL_ADDR_MAX];
        struct rl_slot *hit = NULL, *victim = NULL;
        size_t base;
        int ok;

        host_of(addr, host, sizeof(host));
        base = hash_str(host) % r->n;
        pthread_mutex_lock(&r->lock);
        for (size_t i = 0; i < RL_PROBE; i++) {
                struct rl_slot *s = &r->s[(base + i) % r->n];
                if (s->used && !strcmp(s->addr, host)) {
                        hit = s;
                        break;
                }
                if (!victim || !s->used || (victim->used && s->last < victim->last))
                        if (!victim || victim->used)
                                victim = s;
        }
        if (!hit) {
                hit = victim;
                memcpy(hit->addr, host, sizeof(host));
                hit->tokens = r->burst;
                hit->last = now;
                hit->used = 1;
        }
        hit->tokens += (now - hit->last) * r->rate;
        if (hit->tokens > r->burst)
                hit->tokens = r->burst;
        hit->last = now;
        ok = hit->tokens >= 1.0;
        if (ok)
                hit->tokens -= 1.0;
        pthread_mutex_unlock(&r->lock);
        return ok;
}
