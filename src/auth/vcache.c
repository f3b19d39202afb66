/*
 * vcache.c - verified token cache: SHA-256(token) -> what the verified token
 * says (principal kind, subject, access list), until the token's exp.
 *
 * So each registry token costs one signature check, not one per request.
 * Bounded: a fixed table of 4-way buckets; a put replaces an expired or
 * else the soonest-to-expire entry of its bucket. Thread-safe with striped
 * mutexes; the lock covers only a copy, never crypto or I/O. Only verified
 * tokens are ever inserted, so a hash hit is as good as a verification.
 */
#include "auth/auth_int.h"

#include <stdlib.h>
#include <string.h>

#define VC_WAYS 4
#define VC_STRIPES 16

struct vcache {
        struct vc_entry *e;
        size_t n_buckets;
        pthread_mutex_t locks[VC_STRIPES];
};

struct vcache *vcache_new(size_t entries)
{
        struct vcache *c = calloc(1, sizeof(*c));

        if (!c)
                return NULL;
        c->n_buckets = entries / VC_WAYS ? entries / VC_WAYS : 1;
        c->e = calloc(c->n_buckets * VC_WAYS, sizeof(*c->e));
        if (!c->e) {
                free(c);
                return NULL;
        }
        for (int i = 0; i < VC_STRIPES; i++)
                pthread_mutex_init(&c->locks[i], NULL);
        return c;
}

struct vcache *vcache_free(struct vcache *c)
{
        if (!c)
                return NULL;
        for (int i = 0; i < VC_STRIPES; i++)
                pthread_mutex_destroy(&c->locks[i]);
        free(c->e);
        free(c);
        return NULL;
}

static size_t bucket_of(const struct vcache *c, const unsigned char key[32])
{
        unsigned long long h;

        memcpy(&h, key, sizeof(h));
        return (size_t)(h % c->n_buckets);
}

int vcache_get(struct vcache *c, const unsigned char key[32], time_t now, struct vc_entry *out)
{
        size_t b = bucket_of(c, key);
        pthread_mutex_t *l = &c->locks[b % VC_STRIPES];
        int found = 0;

        pthread_mutex_lock(l);
        for (size_t i = 0; i < VC_WAYS; i++) {
                struct vc_entry *e = &c->e[b * VC_WAYS + i];
                if (e->used && !memcmp(e->key, key, 32)) {
                        if (e->exp >= now) {
                                *out = *e;
                                found = 1;
                        } else {
                                e->used = 0;
                        }
                        break;
                }
        }
        pthread_mutex_unlock(l);
        return found;
}

void vcache_put(struct vcache *c, const struct vc_entry *in)
{
        size_t b = bucket_of(c, in->key);
        pthread_mutex_t *l = &c->locks[b % VC_STRIPES];
        struct vc_entry *victim = NULL;

        pthread_mutex_lock(l);
        for (size_t i = 0; i < VC_WAYS; i++) {
                struct vc_entry *e = &c->e[b * VC_WAYS + i];
                if (!e->used || !memcmp(e->key, in->key, 32)) {
                        victim = e;
                        break;
                }
                if (!victim || e->exp < victim->exp)
                        victim = e;
        }
        *victim = *in;
        victim->used = 1;
        pthread_mutex_unlock(l);
}
