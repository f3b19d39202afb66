/*
 * client.h - the client side of the token flow, for "douane login",
 * "douane token" and scripts: discover the registry's token realm from its
 * 401 challenge on /v2/, then exchange an OIDC ID token (or nothing, for
 * anonymous access) for a registry token.
 */
#ifndef DOUANE_AUTH_CLIENT_H
#define DOUANE_AUTH_CLIENT_H

#include <stddef.h>

struct auth_client_opts {
        const char *registry;           /* "host[:port]" or "https://host[:port]" */
        int plain_http;                 /* use http:// for a bare host (loopback tests) */
        const char *cacert;             /* extra CA bundle, or NULL */
        long timeout_ms;                /* per request; 0 -> 15 s */
};

/*
 * Get a registry token for scopes ("repository:NAME:pull,push", ...).
 * id_token NULL -> anonymous. The ID token is only ever sent to a realm
 * over https (or http to loopback). *ret_token is malloc'ed.
 */
int auth_client_token(const struct auth_client_opts *o, const char *id_token,
                      const char *const *scopes, size_t n_scopes, char **ret_token,
                      long *ret_expires_in);

/* "https://host[:port]" for o->registry, malloc'ed; the key used in docker config is the host. */
int auth_client_base_url(const struct auth_client_opts *o, char **ret_url, char **ret_host);

/* 1 when s is a scope the token endpoint accepts (checked before any request). */
int auth_client_scope_valid(const char *s);

/* Read an ID token: from a file, an env var, or literal; trims whitespace. */
int auth_client_read_token(const char *file, const char *env, const char *literal, char **ret);

#endif
