/*
 * registry.h - the sensor's link to douane's registry: image verdict,
 * release state and vulnerability count by image digest, via
 *   GET {URL}/api/v1/images/<digest>/vulnerabilities
 * with a small TTL cache. Any failure (timeout, refused, bad JSON) is
 * "unknown" (the douane.* fields are then missing), never an error for the
 * event loop; a 404 means the registry never saw the image (released=false).
 */
#ifndef DOUANE_SENSOR_RULES_REGISTRY_H
#define DOUANE_SENSOR_RULES_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#define REGISTRY_CACHE_SLOTS 256
#define REGISTRY_TTL_S 300              /* answers */
#define REGISTRY_NEG_TTL_S 30           /* failures (registry down) */
#define REGISTRY_TIMEOUT_MS 500
#define REGISTRY_MAX_BODY (1u << 20)

struct registry_client;
int registry_client_new(const char *base_url, struct registry_client **ret);
struct registry_client *registry_client_free(struct registry_client *c);

/* rules_ctx_ops.image_info: arg is the client. <0 = unknown. */
int registry_image_info(void *arg, const char *digest, const char **ret_verdict, int *ret_released,
                        int64_t *ret_vulns);

/* Parse a registry answer body (exposed for tests): 0 or DOU_EINVAL. */
int registry_parse_answer(const char *body, size_t len, char *verdict, size_t vsz, int *ret_released,
                          int64_t *ret_vulns);

struct registry_stats {
        uint64_t lookups, hits, fetches, failures;
};
void registry_client_stats(const struct registry_client *c, struct registry_stats *ret);

#endif
