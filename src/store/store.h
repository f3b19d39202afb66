/*
 * store.h - the content store: blobs by digest, and upload sessions.
 *
 * Content-addressed and shared by all repositories: a blob pushed to ten
 * repositories is stored once. Uploads stream into a temporary file and are
 * hashed as they are written; store_upload_commit() verifies the digest,
 * fsyncs and renames, so a blob is either complete and correct or absent.
 * Which repositories may see a blob is the metadata store's business.
 *
 * Today's implementation is the local filesystem (fs.c); an S3-compatible
 * one will sit behind the same functions.
 */
#ifndef DOUANE_STORE_STORE_H
#define DOUANE_STORE_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/digest.h"

#define STORE_UPLOAD_ID_LEN 36          /* UUID text */

struct store;
struct store_upload;

int store_open(const char *data_dir, struct store **ret);
struct store *store_close(struct store *s);

/* Size of a stored blob; DOU_ENOTFOUND if absent. */
int store_blob_stat(struct store *s, const struct digest *d, uint64_t *ret_size);

/* Open a blob for reading (sendfile). The caller closes *ret_fd. */
int store_blob_open(struct store *s, const struct digest *d, int *ret_fd, uint64_t *ret_size);

/* Store a small in-memory object (a manifest) under its digest d. */
int store_blob_put(struct store *s, const struct digest *d, const void *buf, size_t len);

/* Remove a blob's content. Absent is not an error. */
int store_blob_delete(struct store *s, const struct digest *d);

/* Call fn for every stored blob (gc's sweep); stops on a negative return. */
int store_blob_foreach(struct store *s, int (*fn)(const struct digest *d, void *ud), void *ud);

/* Start an upload: creates its temporary file. id receives the session id. */
int store_upload_new(struct store *s, char id[STORE_UPLOAD_ID_LEN + 1], struct store_upload **ret);

/*
 * Reopen an upload by id (after a restart, or from another request). The
 * bytes already written are re-hashed, so the digest check at commit stays
 * exact. DOU_ENOTFOUND if the session's file is gone.
 */
int store_upload_open(struct store *s, const char *id, struct store_upload **ret);

/* Append bytes at the end, hashing them. Bounded by max_bytes (0 = none). */
int store_upload_write(struct store_upload *u, const void *buf, size_t len);
uint64_t store_upload_size(const struct store_upload *u);
const char *store_upload_id(const struct store_upload *u);

/* Bound the total size (DOU_ETOOBIG past it); 0 = unlimited. */
void store_upload_set_limit(struct store_upload *u, uint64_t max_bytes);

/*
 * Verify the content against want (its algorithm chooses the hash) and make
 * it durable as a blob in the store: fsync, then the publish step, which
 * renames it into place. The caller's publish hook lets the metadata store
 * record the blob in the same critical section as the rename (see
 * meta_blob_commit); pass NULL to publish directly. On DOU_EDIGEST the
 * upload's data is deleted. The upload is consumed either way.
 */
int store_upload_commit(struct store_upload *u, const struct digest *want,
                        int (*publish)(void *ud, int (*rename_fn)(void *), void *rename_ud),
                        void *publish_ud);

/* Drop an in-progress upload and its data. */
void store_upload_cancel(struct store_upload *u);

/* Forget the in-memory state but keep the data for a later store_upload_open(). */
struct store_upload *store_upload_close(struct store_upload *u);

/* Delete upload data files older than max_age seconds; returns how many. */
int store_upload_purge(struct store *s, unsigned max_age_sec);

/* Delete one upload's data by id (cancel from another process state). */
int store_upload_remove(struct store *s, const char *id);

#endif
