/*
 * report.h - what douane says about an indexed image: its own index
 * report (the vulnerability matcher's input, docs/index-report.md), SPDX
 * 2.3 JSON, CycloneDX 1.5 JSON and a terminal table. Writers are pure:
 * the caller passes the creation time so output is reproducible.
 */
#ifndef DOUANE_SCAN_REPORT_H
#define DOUANE_SCAN_REPORT_H

#include <jansson.h>
#include <stdio.h>

#include "scan/scan.h"

#define PURL_MAX 2048

enum report_format { REPORT_JSON, REPORT_SPDX, REPORT_CYCLONEDX, REPORT_TABLE };

/* "spdx-json", "cyclonedx-json", "table", "json"; -1 if unknown. */
int report_format_parse(const char *s);

/* Package URL of p (distro may have id NULL). 0 or DOU_ETOOBIG. */
int purl_build(const struct scan_pkg *p, const struct os_release *distro, char *out, size_t n);

/* Purl of a binary package's source package ("arch=source"), for deb/apk/rpm. */
int purl_build_source(const struct scan_pkg *p, const struct os_release *distro, char *out, size_t n);

/* One douane.index-report/v1 object; NULL on allocation failure. */
json_t *report_index_json(const struct image_index *x);

/*
 * Write n indexes (the platforms of one reference) in fmt. created is an
 * RFC 3339 UTC time ("2026-11-23T10:00:00Z"). 0 or a dou_err.
 */
int report_write(FILE *f, enum report_format fmt, const struct image_index *x, size_t n,
                 const char *created);

#endif
