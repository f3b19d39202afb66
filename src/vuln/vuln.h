/*
 * vuln.h - the advisory database and the matcher.
 *
 * Design: every feed parser (OSV, Debian security tracker, Alpine secdb)
 * turns its input into the same *normalised advisory*, a jansson object:
 *
 *   {"id":"DSA-5532-1","summary":"...","published":"...","modified":"...",
 *    "withdrawn":null|"...","aliases":["CVE-..."],"severity":"high",
 *    "score":7.5,"cvss_v3":"CVSS:3.1/...","cvss_v4":null,"link":"https://...",
 *    "references":["https://..."],
 *    "affected":[{"ecosystem":"Debian:12","package":"openssl",
 *                 "status":"fixed|unfixed|not-affected|will-not-fix|postponed|end-of-life|affected",
 *                 "urgency":null|"low", "fixed":null|"3.0.11-1~deb12u2",
 *                 "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"..."}]}],
 *                 "versions":["1.0", ...]}]}
 *
 * The database (SQLite, one file of its own) stores that form in columns
 * plus an index on (ecosystem, package); exports write it back out in the
 * feeds' own layouts. A source (named like its place in a feeds directory:
 * "osv/PyPI", "alpine/v3.11/main", "debian") is always replaced as a whole
 * inside one transaction, so a bad file leaves the previous data in service.
 *
 * Library code never prints; errors come back as enum dou_err with
 * dou_err_set(), skipped records through the skip callback.
 */
#ifndef DOUANE_VULN_VULN_H
#define DOUANE_VULN_VULN_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* ---- limits ---- */
#define VULN_RECORD_MAX       (8u << 20)     /* one OSV record / one secdb file */
#define VULN_TRACKER_MAX      (512u << 20)   /* the Debian tracker JSON (~100 MiB in 2025) */
#define VULN_MAX_VERSIONS     20000          /* entries of one affected[].versions */
#define VULN_MAX_AFFECTED     4096           /* affected[] entries of one record */
#define VULN_MAX_EVENTS       1024           /* events of one range */
#define VULN_MAX_ALIASES      1024
#define VULN_ID_MAX           128
#define VULN_NAME_MAX         512            /* package names */
#define VULN_ZIP_MAX_MEMBERS  500000
#define VULN_ZIP_MAX_TOTAL    (4ull << 30)   /* uncompressed bytes in one all.zip */
#define VULN_DOWNLOAD_MAX     (2ull << 30)

/* ---- CVSS ---- */
struct cvss {
        int version;            /* 30, 31 or 40 */
        double score;           /* base score; -1 when not computed (v4) */
        const char *rating;     /* "none", "low", "medium", "high", "critical" or NULL */
};
/* Parse a CVSS v3.0/3.1/4.0 vector (bounded by len). v3 scores use the
 * CVSS v3.1 base formula; v4 vectors are validated but not scored. */
int cvss_parse(const char *vec, size_t len, struct cvss *ret);
const char *cvss_rating(double score);

/* severity names, ordered: unknown < negligible < low < medium < high < critical */
int vuln_severity_rank(const char *s);          /* -1 when not a severity name */
const char *vuln_severity_name(int rank);

/* ---- parsers: bytes -> normalised advisories ---- */
typedef int (*vuln_adv_cb)(void *ctx, json_t *adv);          /* borrowed; <0 aborts */
typedef void (*vuln_skip_cb)(void *ctx, const char *id, const char *reason);

/* One OSV record (JSON). *ret owned by caller. Rejects ids with path
 * characters, oversize arrays; GIT ranges are dropped. */
int osv_parse(const char *buf, size_t len, json_t **ret);

/* Debian security tracker JSON: one advisory per CVE (or TEMP-/DSA id),
 * affected per (source package, release). */
int debian_tracker_parse(const char *buf, size_t len, vuln_adv_cb cb, vuln_skip_cb skip,
                         void *ctx);
/* Release codename -> "12", or NULL. */
const char *debian_release_of(const char *codename);
const char *debian_codename_of(const char *release);

/* Alpine secdb (JSON, or YAML when is_yaml). One advisory per clean id. */
int alpine_secdb_parse(const char *buf, size_t len, int is_yaml, vuln_adv_cb cb,
                       vuln_skip_cb skip, void *ctx);
/* Split an odd secdb id string ("CVE-2016-10013 XSA-204", "CVE_2019-2426")
 * into clean ids; returns the count written (<= max). */
size_t alpine_clean_ids(const char *s, char out[][VULN_ID_MAX], size_t max);

/* Normalise a package name for its ecosystem (PEP 503 for PyPI, ...). */
int vuln_name_normalize(const char *ecosystem, const char *name, char *out, size_t outlen);

/* ---- database ---- */
struct vuln_db;

int vuln_db_open(const char *path, struct vuln_db **ret);
struct vuln_db *vuln_db_close(struct vuln_db *db);
void *vuln_db_sqlite(struct vuln_db *db);      /* sqlite3*, for tests and the REST API */

struct vuln_load_stats {
        int64_t op;             /* operation id */
        unsigned added, changed, removed, unchanged, skipped;
        int not_modified;       /* 1 when the source answered 304 */
};

/*
 * Replace a source's advisories: begin, put each advisory, commit or abort.
 * Everything happens in one transaction; abort rolls back and records a
 * failed operation with the reason.
 */
int vuln_db_load_begin(struct vuln_db *db, const char *source, int64_t *ret_op);
int vuln_db_load_put(struct vuln_db *db, const json_t *adv);
int vuln_db_load_commit(struct vuln_db *db, const char *etag, const char *last_modified,
                        struct vuln_load_stats *ret);
void vuln_db_load_abort(struct vuln_db *db, const char *reason);
void vuln_db_load_skipped(struct vuln_db *db);  /* count one skipped record */

/* Conditional-request state of a source (strings owned by caller). */
int vuln_db_source_state(struct vuln_db *db, const char *source, char **ret_etag,
                         char **ret_last_modified);
/* Record an operation that changed nothing (304). */
int vuln_db_record_unchanged(struct vuln_db *db, const char *source, int64_t *ret_op);

/* {"ops":[...], "advisories":N, "affected":N, "sources":[{source,advisories}]} */
int vuln_db_status(struct vuln_db *db, size_t max_ops, json_t **ret);
/* Net differences between op1 (exclusive) and op2 (inclusive):
 * {"added":[ids],"changed":[ids],"removed":[ids]} keyed "source:id". */
int vuln_db_diff(struct vuln_db *db, int64_t op1, int64_t op2, json_t **ret);
int64_t vuln_db_last_op(struct vuln_db *db);

/* Visit every stored advisory of sources starting with prefix (normalised form). */
int vuln_db_foreach(struct vuln_db *db, const char *source_prefix,
                    int (*cb)(void *ctx, const char *source, json_t *adv), void *ctx);

/* ---- sources: files, zips, downloads ---- */
enum vuln_source_kind { VULN_SRC_OSV, VULN_SRC_DEBIAN, VULN_SRC_ALPINE };
/* "osv/<Eco>", "debian[...]", "alpine/<vX.Y>/<repo>"; -1 if unknown */
int vuln_source_kind(const char *name);

struct vuln_load_opts {
        uint64_t zip_max_total;         /* 0 = VULN_ZIP_MAX_TOTAL */
        size_t zip_max_member;          /* 0 = VULN_RECORD_MAX */
        size_t zip_max_members;         /* 0 = VULN_ZIP_MAX_MEMBERS */
        const char *tmpdir;             /* downloads go here; NULL = $TMPDIR or /tmp */
        long timeout_sec;               /* whole download; 0 = 600 */
        vuln_skip_cb skip;
        void *ctx;
};

/* Load one source from a local file (bytes) in one transaction. */
int vuln_load_file(struct vuln_db *db, const char *source, const char *path,
                   const struct vuln_load_opts *o, struct vuln_load_stats *ret);
/* Load from URL (http/https/file) with If-None-Match / If-Modified-Since. */
int vuln_load_url(struct vuln_db *db, const char *source, const char *url,
                  const struct vuln_load_opts *o, struct vuln_load_stats *ret);
/* Source location: URL if it has a scheme, else a path. */
int vuln_load(struct vuln_db *db, const char *source, const char *loc,
              const struct vuln_load_opts *o, struct vuln_load_stats *ret);

/* Walk DIR laid out like ../shared/feeds and load every source found;
 * cb is told about each (source, rc, stats). Returns 0 if all loaded. */
typedef void (*vuln_import_cb)(void *ctx, const char *source, int rc,
                               const struct vuln_load_stats *st);
int vuln_import_dir(struct vuln_db *db, const char *dir, const struct vuln_load_opts *o,
                    vuln_import_cb cb, void *ctx);
/* Write the DB out in the same layout. */
int vuln_export_dir(struct vuln_db *db, const char *dir);

/* ---- matching ---- */
struct vuln_match_opts {
        int only_fixed;                 /* drop findings without a fixed version */
        int min_severity;               /* rank; 0 = all */
        const json_t *vex;              /* parsed OpenVEX statements or NULL */
        json_t *cache;                  /* optional {(eco,name,version): candidates} memo
                                         * shared across reports (re-matching) */
};

/*
 * Match one index report (douane.index-report/v1) or an array of them.
 * *ret = {"schema":"douane.vuln-report/v1", "db":{...}, "results":[...],
 *         "summary":{...}} (see docs/vuln.md). DOU_EINVAL on a bad report.
 */
int vuln_match_report(struct vuln_db *db, const json_t *report, const struct vuln_match_opts *o,
                      json_t **ret);
/* Highest severity rank among reported (not suppressed) findings, -1 if none. */
int vuln_report_max_severity(const json_t *vreport);

/* OpenVEX: parse and validate; *ret = array of {vuln, products[], status, justification, statement}. */
int vex_parse(const char *buf, size_t len, json_t **ret);

/* ---- outputs ---- */
enum vuln_format { VULN_FMT_TABLE, VULN_FMT_JSON, VULN_FMT_SARIF, VULN_FMT_CDX_VEX };
int vuln_format_parse(const char *s);
/* Render the vuln report; *ret is a NUL-terminated malloc'd string. */
int vuln_render(const json_t *vreport, enum vuln_format fmt, char **ret);

/* ---- re-matching and notifications ---- */
struct vuln_change {
        const char *image;      /* report "image" or manifest */
        const char *kind;       /* "new", "fixed", "withdrawn" */
        const char *id;         /* finding id */
        const char *package;
        const char *version;
};
typedef void (*vuln_change_cb)(void *ctx, const struct vuln_change *c);

/*
 * Re-match every *.json index report in reports_dir against the current DB,
 * compare with the findings stored for that image last time, record the
 * differences in the changes table under the DB's last operation and call cb
 * for each. Returns the number of changes or a negative error.
 */
int vuln_rematch_all(struct vuln_db *db, const char *reports_dir, vuln_change_cb cb, void *ctx);
/* Same over an iterator: next() returns a new reference or NULL at the end. */
typedef json_t *(*vuln_report_next)(void *ctx);
int vuln_rematch_iter(struct vuln_db *db, vuln_report_next next, void *nctx, vuln_change_cb cb,
                      void *ctx);
/* Same for one report already in memory. */
int vuln_rematch_one(struct vuln_db *db, const json_t *report, vuln_change_cb cb, void *ctx);

/* Changes recorded after change id `since` (exclusive), at most limit:
 * {"changes":[{id,op,image,kind,vuln,package,version,time}], "next": id|null} */
int vuln_changes_list(struct vuln_db *db, int64_t since, size_t limit, json_t **ret);

struct vuln_webhook_opts {
        size_t page_size;       /* changes per POST; 0 = 100 */
        unsigned max_attempts;  /* per page; 0 = 5 */
        unsigned base_delay_ms; /* first retry delay, doubled each time; 0 = 500 */
        long timeout_sec;       /* per request; 0 = 10 */
};
/*
 * POST the changes after `since` to url as paged JSON notifications
 * {"notification_id", "page":{"size","next"}, "notifications":[...]}.
 * Retries each page with exponential backoff; stops at the first page that
 * fails max_attempts times. *ret_last = last change id delivered.
 */
int vuln_webhook_deliver(struct vuln_db *db, const char *url, int64_t since,
                         const struct vuln_webhook_opts *o, int64_t *ret_last);

#endif
