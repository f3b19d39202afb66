/*
 * route.h - map a request path to a registry endpoint.
 *
 * Pure and allocation-free, so it is unit-tested and fuzzed on its own.
 * Names may contain '/', so the endpoint is found from the right: the last
 * "/manifests/", "/blobs/", "/referrers/" or the "/tags/list" suffix.
 */
#ifndef DOUANE_REGISTRY_ROUTE_H
#define DOUANE_REGISTRY_ROUTE_H

#include "oci/oci.h"

enum route_kind {
        R_NOT_FOUND,
        R_BASE,                 /* /v2/ */
        R_CATALOG,              /* /v2/_catalog */
        R_TAGS,                 /* /v2/<name>/tags/list */
        R_MANIFEST,             /* /v2/<name>/manifests/<reference> */
        R_BLOB,                 /* /v2/<name>/blobs/<digest> */
        R_UPLOAD_NEW,           /* /v2/<name>/blobs/uploads/ */
        R_UPLOAD,               /* /v2/<name>/blobs/uploads/<id> */
        R_REFERRERS,            /* /v2/<name>/referrers/<digest> */
        R_METRICS,              /* /metrics */
        R_TOKEN,                /* /token (auth) */
        R_HEALTH,               /* /healthz */
        R_IMAGE,                /* /api/v1/images/<digest> */
        R_IMAGE_REPORT,         /* .../report */
        R_IMAGE_SBOM,           /* .../sbom */
        R_IMAGE_VULNS,          /* .../vulnerabilities */
        R_KIND_COUNT
};

/* Why a path was refused, in the spec's terms. */
enum route_error {
        RE_OK,
        RE_NAME_INVALID,
        RE_REFERENCE_INVALID,   /* tag or digest in a manifest path */
        RE_DIGEST_INVALID,      /* malformed or unsupported digest in a blob path */
        RE_UPLOAD_UNKNOWN,      /* malformed upload id */
        RE_NOT_FOUND,
};

#define ROUTE_REF_MAX 160

struct route {
        enum route_kind kind;
        char name[OCI_NAME_MAX + 1];
        char ref[ROUTE_REF_MAX];        /* tag, digest string or upload id */
        int ref_is_digest;
        struct digest digest;           /* when ref_is_digest */
};

enum route_error route_parse(const char *path, struct route *ret);

/* Short stable label for metrics ("manifest", "blob", ...). */
const char *route_label(enum route_kind k);

#endif
