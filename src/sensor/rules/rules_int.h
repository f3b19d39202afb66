/*
 * rules_int.h - internals shared by the rules engine's files.
 *
 * Memory: everything the engine builds while loading and compiling (YAML
 * nodes, lists, macro and rule texts, compiled condition nodes, hash sets)
 * lives in one arena owned by the engine and freed at once by
 * rules_engine_free(). Compiled macros are shared by reference (the tree is
 * a DAG), which is safe because nothing is freed individually. Regexes are
 * the exception (regfree) and are tracked in a separate array.
 */
#ifndef DOUANE_SENSOR_RULES_INT_H
#define DOUANE_SENSOR_RULES_INT_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sensor/rules/rules.h"

#define RULES_MAX_DEPTH 200             /* condition nesting (parens, not, macros) */
#define RULES_MAX_YAML_DEPTH 64
#define RULES_MAX_FILE (64u << 20)      /* one rules file */
#define RULES_MAX_ANCESTORS 16          /* proc.aname walk */
#define RULES_SET_THRESHOLD 8           /* 'in' lists longer than this use a hash set */
#define RULES_SCRATCH 8192              /* field extraction scratch buffer */
#define RULES_OUT_MAX 8192              /* one formatted output string */
#define RULES_OUT_FIELDS 64             /* distinct %fields in one output */

/* ---- arena ---- */
struct arena_block;
struct arena {
        struct arena_block *head;
};
void *arena_alloc(struct arena *a, size_t n);           /* zeroed; NULL on ENOMEM/overflow */
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_strdup(struct arena *a, const char *s);
void arena_free(struct arena *a);

/* ---- YAML tree with line numbers ---- */
enum ynode_kind { Y_SCALAR, Y_SEQ, Y_MAP };
struct ynode {
        enum ynode_kind kind;
        int line;
        bool quoted;
        const char *s;                  /* scalar text (NUL-terminated) */
        size_t len;
        struct ynode **kids;            /* seq items, or map key,value,key,value... */
        size_t n;
};
/* Parse text into a tree in the arena; errors are "name:line: msg". */
int yaml_tree_parse(struct arena *a, const char *name, const char *text, size_t len,
                    struct ynode **ret_root);
struct ynode *ynode_get(const struct ynode *map, const char *key);

/* ---- fields ---- */
enum field_type { FT_STR, FT_NUM, FT_BOOL, FT_IP, FT_NA };

struct field_def {
        const char *name;
        int id;
        enum field_type type;
        uint8_t arg;                    /* 0 none, 1 optional [N] or .name, 2 required */
};
enum field_arg_kind { FARG_NONE, FARG_INDEX, FARG_NAME };
/* Look up "proc.aname[2]" / "evt.arg.flags": sets def and the argument. */
const struct field_def *field_lookup(const char *name, size_t len, int *ret_idx,
                                     const char **ret_argname, size_t *ret_arglen);

/* ---- compiled conditions ---- */
enum cop {
        OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE,
        OP_CONTAINS, OP_ICONTAINS, OP_BCONTAINS, OP_STARTSWITH, OP_BSTARTSWITH,
        OP_ENDSWITH, OP_GLOB, OP_IGLOB, OP_REGEX, OP_PMATCH, OP_IN, OP_INTERSECTS,
        OP_EXISTS,
};
enum cnode_kind { CN_AND, CN_OR, CN_NOT, CN_CMP, CN_TRUE };

struct strset;
struct ipnet {
        int family;                     /* AF_INET / AF_INET6 */
        uint8_t addr[16];
        int prefix;
};

struct cnode {
        enum cnode_kind kind;
        enum cop op;
        const struct field_def *field;
        int fidx;                       /* [N] argument, -1 none */
        const char *farg;               /* .name argument, NULL none */
        size_t n;                       /* kids or values */
        struct cnode **kids;
        const char **vals;
        size_t *vlens;
        int64_t *nums;                  /* numeric values (sorted when n is big) */
        struct ipnet *nets;
        struct strset *set;
        regex_t *re;
};

/* ---- evaluation context (one per engine; no allocation per event) ---- */
struct fval {
        const char *s;
        size_t len;
        int64_t n;
};

#define RULES_NAME_CACHE 64
struct name_slot {
        bool valid;
        uint32_t id;
        char name[40];
};

struct eval_ctx {
        const struct sensor_event *ev;
        const struct rules_ctx_ops *ops;
        const void *tables;
        uint64_t evnum;
        /* per-event lazily resolved context */
        bool have_proc;
        const struct sensor_proc *proc;
        const struct sensor_proc *anc[RULES_MAX_ANCESTORS + 1];  /* anc[0]=proc */
        int nanc;                       /* resolved ancestors, -1 unknown */
        bool have_cont;
        const struct sensor_container *cont;
        char scratch[RULES_SCRATCH];
        struct fval cached_cmdline;
        char cmdbuf[RULES_SCRATCH / 2];
        struct name_slot names[2][RULES_NAME_CACHE];    /* [0] users, [1] groups */
        bool have_cmdline;
};

void eval_ctx_reset(struct eval_ctx *c, const struct sensor_event *ev);
/* Extract a field; false when the value is missing (Falco's "<NA>"). */
bool field_extract(struct eval_ctx *c, const struct field_def *f, int idx, const char *arg,
                   struct fval *ret, char *buf, size_t bufsz);
bool cnode_eval(struct eval_ctx *c, const struct cnode *n);

/* ---- hash set ---- */
struct strset *strset_new(struct arena *a, size_t n);
void strset_add(struct strset *s, const char *k, size_t len);
bool strset_has(const struct strset *s, const char *k, size_t len);

/* ---- engine ---- */
struct rlist {
        const char *name;
        const char **items;
        size_t n, cap;
        const char *file;
        int line;
        int state;                      /* expansion cycle guard */
};

struct rmacro {
        const char *name;
        char *cond;
        const char *file;
        int line;
        int state;                      /* 0 new, 1 compiling, 2 done */
        struct cnode *compiled;
        uint64_t mask;
        size_t missing;
};

struct rexception {
        const char *name;
        const struct ynode *fields;
        const struct ynode *comps;
        const struct ynode **values;    /* each a seq (tuple) or scalar */
        size_t nvalues, cap;
        int line;
};

struct out_seg {
        const char *lit;                /* literal text before the field */
        size_t litlen;
        const struct field_def *field;  /* NULL: literal only */
        int fidx;
        const char *farg;
        const char *fname;              /* as written, for output_fields */
};

struct rrule {
        const char *name;
        char *desc;
        char *cond;
        char *output;
        int priority;
        const char **tags;
        size_t ntags;
        bool enabled;
        bool action_kill;               /* "action: kill" (enforcement, off unless the CLI enables it) */
        const char *source;
        const char *file;
        int line;
        int cond_line;
        struct rexception *exc;
        size_t nexc;
        /* compiled */
        bool compiled;
        struct cnode *root;
        uint64_t mask;
        size_t missing;
        struct out_seg *segs;
        size_t nsegs;
        /* rate limit */
        double tokens;
        uint64_t last_ns;
        uint64_t dropped;
};

struct rules_engine {
        struct arena arena;
        struct rlist **lists;
        size_t nlists, caplists;
        struct rmacro **macros;
        size_t nmacros, capmacros;
        struct rrule **rules;
        size_t nrules, caprules;
        char *warnings;
        size_t wlen, wcap;
        regex_t **regexes;
        size_t nregex, capregex;
        bool compiled;
        int min_priority;
        /* index: rules per event type, in load order */
        struct rrule **byType[EVT_TYPE_COUNT];
        size_t nbyType[EVT_TYPE_COUNT];
        uint64_t needed;
        struct eval_ctx ctx;
        struct rules_ctx_ops ops;
        const void *tables;
        double rate, burst;             /* alerts per second per rule; 0 = unlimited */
        /* output formatting buffers */
        char outbuf[RULES_OUT_MAX];
        char valbuf[RULES_OUT_MAX * 2];
        const char *fnames[RULES_OUT_FIELDS];
        const char *fvals[RULES_OUT_FIELDS];
        bool fisnum[RULES_OUT_FIELDS];
        /* compile-time state */
        const char *cur_file;
        int cur_line;
        size_t cur_missing;
};

void rules_warn(struct rules_engine *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
struct rlist *rules_find_list(struct rules_engine *e, const char *name, size_t len);
struct rmacro *rules_find_macro(struct rules_engine *e, const char *name, size_t len);

/* Parse + compile a condition. file/line are for messages. */
int cond_compile(struct rules_engine *e, const char *text, const char *file, int line,
                 int depth, struct cnode **ret, uint64_t *ret_mask);
/* Compile a rule's output string into segments. */
int output_compile(struct rules_engine *e, struct rrule *r);
/* Format; fills e->outbuf and field arrays; returns number of fields. */
size_t output_format(struct rules_engine *e, const struct rrule *r);

#endif
