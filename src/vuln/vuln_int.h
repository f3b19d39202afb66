/*
 * vuln_int.h - helpers shared by the vuln sources (not part of the API).
 */
#ifndef DOUANE_VULN_VULN_INT_H
#define DOUANE_VULN_VULN_INT_H

#include "vuln/vuln.h"

#include <jansson.h>
#include <stdbool.h>

/* An advisory id: 1..VULN_ID_MAX-1 chars of [A-Za-z0-9._:+-], no "..". */
bool vuln__id_ok(const char *id);

/* A new normalised advisory with id set and empty arrays. NULL on ENOMEM. */
json_t *vuln__adv_new(const char *id);
/* Append an affected entry {ecosystem, package(normalised), status, ...}.
 * fixed may be NULL (no fix); ranges are built from introduced "0" + fixed. */
json_t *vuln__aff_simple(const char *ecosystem, const char *package, const char *status,
                         const char *fixed, const char *urgency);
/* Sort aliases and affected entries so feeds that regroup records (secdb,
 * tracker, our own export) hash the same advisory the same way. */
void vuln__adv_canon(json_t *adv);
/* Add s to the string array arr unless present (bounded). */
int vuln__str_add_unique(json_t *arr, const char *s, size_t max);
/* json string value or NULL */
const char *vuln__str(const json_t *o, const char *key);

/* Map ecosystem name -> vercmp ecosystem; -1 when none. */
int vuln__eco_vercmp(const char *ecosystem);

/* Database internals shared by load, match and rematch (db.c). */
#include <sqlite3.h>
struct vuln_db {
        sqlite3 *sql;
        sqlite3_stmt *st_find, *st_ins_adv, *st_upd_adv, *st_seen, *st_del_aff,
                *st_del_alias, *st_ins_aff, *st_ins_alias, *st_change, *st_match;
        /* re-matching (rematch.c), prepared on first use */
        sqlite3_stmt *st_if_sel, *st_if_ins, *st_if_del, *st_chg_ins, *st_live, *st_rc_get, *st_rc_put;
        int64_t rematch_op;     /* operation the current re-match is attributed to */
        /* names that have advisories, per ecosystem ({eco: {name: true}}), valid
         * while the DB's last operation is pkgsets_op: most installed packages
         * have no advisory at all and skip the SQL lookup */
        json_t *pkgsets;
        int64_t pkgsets_op;
        /* the load in progress (one at a time per handle) */
        char *source;
        int64_t op;
        char started[32];
        struct vuln_load_stats st;
};
void vuln__now(char *buf, size_t len);
/* Finding keys ("id\tpackage\tversion" -> true) of one index report (match.c). */
int vuln__match_keys(struct vuln_db *db, const json_t *rep, json_t *cache, json_t *keys);
void vuln__pkgsets_check(struct vuln_db *db);
int vuln__keys_for(struct vuln_db *db, json_t *cache, const char *eco, const char *qname,
                   const char *qver, const char *name, json_t *keys);
/* OSV range evaluation alone (tests): 1 affected, 0 not, <0 undetermined.
 * *ret_fixed points into *ret_keep (caller decrefs *ret_keep). */
int vuln__ranges_affect(const char *ecosystem, const char *version, const char *ranges_json,
                        const char **ret_fixed, json_t **ret_keep);
/* Match-relevant projection of an index report (see match.c); *ret malloc'd. */
int vuln__report_blob(const json_t *report, char **ret, size_t *ret_len);          /* RFC 3339 UTC */
int vuln__exec(struct vuln_db *db, const char *sql);

/* Read a file of at most max bytes. */
int vuln__read_file(const char *path, size_t max, char **ret, size_t *ret_len);

#endif
