/*
 * registry.h - the OCI Distribution v1.1 HTTP API over the content and
 * metadata stores.
 *
 *   registry_new()   open stores under cfg->data_dir
 *   registry_start() listen on every cfg->listen address (HTTPS if tls set)
 *   registry_stop()  stop accepting, finish requests, join threads
 *   registry_gc()    garbage-collect (also run by `douane gc`)
 */
#ifndef DOUANE_REGISTRY_REGISTRY_H
#define DOUANE_REGISTRY_REGISTRY_H

#include "config/config.h"
#include "meta/meta.h"

struct registry;

int registry_new(const struct config *cfg, struct registry **ret);
int registry_start(struct registry *r);
void registry_stop(struct registry *r);
struct registry *registry_free(struct registry *r);

/* Remove unreferenced content per docs/gc.md; purges stale uploads too. */
int registry_gc(const struct config *cfg, int dry_run, struct meta_gc_stats *ret,
                int *ret_uploads_purged);

#endif
