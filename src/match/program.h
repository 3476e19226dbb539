/*
 * program.h - the compiled, immutable rule set and the per-thread scanner.
 *
 * Compilation turns every detection rule into a tree of yg_node whose leaves
 * are yg_item tests on one field (by interned field id), with filters folded
 * in as `and not`.  The whole program lives in one arena, is never modified
 * after yg_compiler_get_rules(), and is shared by all scanner threads through
 * a reference count.  Each scanner owns its scratch: the event's field
 * table, a per-event arena, the path and routing caches, regex match data.
 */
#ifndef YG_MATCH_PROGRAM_H
#define YG_MATCH_PROGRAM_H

#include <pthread.h>
#include <stdatomic.h>

#include "core/core.h"
#include "core/errmsg.h"
#include "core/htab.h"
#include "decode/event.h"
#include "match/value.h"
#include "sigma/rule.h"
#include "yagura/yagura.h"

enum yg_item_kind { YG_I_VALUES, YG_I_EXISTS, YG_I_FIELDREF, YG_I_KEYWORD, YG_I_NULL };

struct yg_item {
    uint32_t id; /* identical items of different rules are one item */
    uint8_t kind;
    bool all;     /* `all`: every group must match */
    bool neq;     /* `neq`: no group may match (field must exist) */
    bool exists;  /* YG_I_EXISTS: wanted presence */
    bool null_ok; /* one value is null: an absent field matches */
    int32_t fid;  /* field id, -1 for keywords */
    int32_t ref_fid;
    uint8_t ref_op; /* fieldref comparison: YG_VOP_EQ/PREFIX/SUFFIX/CONTAINS */
    bool ref_cased;
    const char *field; /* as written, for alerts */
    struct yg_vmgroup *groups;
    uint32_t ngroups;
    /* Per group, 1 + the prefilter atom of its one test, 0 when it has none
     * or several (prefilter.c; long value lists only, else NULL): a group
     * whose atom the event lacks is skipped without testing it. */
    uint32_t *gatom;
    /* The same, for walking only the groups an event can match: the groups
     * with an atom as (atom, group) pairs sorted by atom then group, and the
     * groups without one, in order (prefilter.c; NULL as gatom). */
    struct yg_gpair *gpairs;
    uint32_t npairs;
    uint32_t *gfree;
    uint32_t nfree;
};

struct yg_gpair {
    uint32_t atom; /* 1 + the atom, as gatom */
    uint32_t group;
};

enum yg_node_kind { YG_N_AND, YG_N_OR, YG_N_NOT, YG_N_ITEM, YG_N_TRUE, YG_N_FALSE };

struct yg_node {
    uint8_t kind;
    uint32_t n;
    struct yg_node **kids;
    struct yg_item *item;
};

struct yg_crule {
    const struct yg_rule *rule;
    struct yg_node *root;
    uint32_t index;
    const char *attack_json; /* ["T1059.001",...] */
    const char *tags_json;
    bool builtin; /* hits come from code (intel), never routed or evaluated */
};

/* A Windows (channel, event id) pair routed to a category. */
struct yg_wincat {
    const char *channel; /* exact, case-insensitive */
    int64_t *ids;
    size_t nids;
    const char *category;
    const char *where_field, *where_value; /* optional extra condition */
    const char **alias_from, **alias_to;   /* per-category field aliases */
    size_t naliases;
};

struct yg_mapping {
    /* Windows: channel -> service. */
    const char **chan_names, **chan_services;
    size_t nchan;
    struct yg_wincat *cats;
    size_t ncats;
    /* Event paths: prefixes stripped to reach a Sigma field name, and aliases. */
    const char **prefixes;
    size_t nprefixes;
    const char **alias_path, **alias_name;
    size_t naliases;
    const char **time_paths;
    size_t ntime;
    /* A date field and a time-of-day field that together make the event time
     * when no time field is found (W3C and access logs: date, time in UTC). */
    const char **date_time_paths;
    size_t ndate_time; /* 0 or 2 */
    const char **channel_paths, **eventid_paths;
    size_t nchannel_paths, neventid_paths;
};

struct yg_rules {
    atomic_int refs;
    struct yg_arena perm;
    struct yg_vm_pool pool;
    struct yg_crule *rules;
    size_t nrules;
    /* Field names referenced by any rule: name (lowercase) -> id. */
    char **field_names;
    size_t nfields, field_cap;
    struct yg_htab field_tab; /* name (any case) -> id */
    struct yg_mapping map;
    struct yg_placeholders *ph;
    struct yg_arena *docs_arena; /* YAML trees and rule metadata */
    size_t nfailed, ncorrelation, nfilters, ndocuments;
    /* Prefilter (prefilter.c): rules that must always run, and atom -> rules. */
    uint8_t *always;
    uint8_t *nclauses; /* per rule: clauses that must all hit */
    /* Per rule, the atoms (a clause's or a value's) it uses:
     * ratom_ids[ratom_off[r], ratom_off[r + 1]); per atom, its database (a
     * field id, -1: the raw document) and, for the raw document's, its text
     * as that database holds it (NULL for the others); per database (0: raw document, f + 1: field
     * f), its number of atoms.  A log source's scan looks for its rules' atoms only
     * (yg__prefilter_route). */
    uint32_t *ratom_off, *ratom_ids;
    const char **atom_s;
    uint32_t *atom_n;
    int32_t *atom_dbf;
    size_t *db_natoms;
    uint32_t max_gindex; /* the most groups of an item with gpairs (struct yg_item) */
    size_t nalways, natoms;
    void *hs_db;   /* atoms looked for in the raw document (prefilter.c: struct pf_dbs) */
    void **fid_db; /* per field id: atoms looked for in that field's values (idem) */
    /* The log sources' own raw-document databases (yg__prefilter_route),
     * one per distinct atom set, shared by every scanner of these rules
     * (one copy in memory whatever the thread count) and freed with them;
     * sub_lock guards the list. */
    pthread_mutex_t sub_lock;
    struct pf_sub *subs;
    size_t nsubs, subcap;
    size_t nfid_db; /* fields that existed when fid_db was built */
    uint32_t *atom_off, *atom_rules;
    /* Distinct items (the evaluator caches each item's result per event). */
    size_t nitems;
    /* Compile-time only: canonical item text -> node, to share items. */
    struct yg_item_cache *icache;
    /* Where the prefilter's databases are kept between runs (dbcache.c), or
     * NULL: borrowed from the compiler while compiling; afterwards owned,
     * when given (yg__rules_keep_dbcache), for the databases each log source
     * compiles while the rules run (prefilter.c, compile_subset). */
    struct yg_dbcache *dbcache;
    /* Correlation rules over the detection rules, compiled and freed by
     * src/correlate (correlate_rules.c), which this layer does not include:
     * corr_free is set together with corr. */
    struct yg_corr_set *corr;
    void (*corr_free)(struct yg_corr_set *cs);
    /* Indicators (src/intel): the store, the fields checked per log source
     * (ifid: field id of each set's each field, flattened in set order),
     * and the index of the built-in rule of each indicator type. */
    struct yg_intel *intel;
    struct yg_ifields *ifields;
    int32_t *ifid;
    uint32_t intel_rule[YG_IOC_NTYPES];
    size_t nbuiltin;
    /* Why the last compile step on these rules failed: yg__rules_errmsg. */
    struct yg_errmsg why;
};

/* Why the last failed compile step on rs (the mapping, the prefilter, the
 * intel fields) failed ("" if none has); rs NULL: out of memory. */
static inline const char *yg__rules_errmsg(const struct yg_rules *rs)
{
    return rs ? rs->why.msg : "out of memory";
}

/*
 * The detection program of every document added to c (compile.c), without
 * correlations: yg_compiler_get_rules (src/correlate/correlate_rules.c) calls
 * it, then compiles the correlation documents against it.  Marks c spent;
 * on success the program owns the documents' arena.
 */
YG_NODISCARD yg_err yg__compile_detections(struct yg_compiler *c, struct yg_rules **out);
/* The documents added to c, in order (they stay valid as long as the program
 * made from c, or c itself before compiling). */
size_t yg__compiler_docs(const struct yg_compiler *c, const struct yg_rule *const **docs);
/* Keep the prefilter's compiled databases in cache (dbcache.h; NULL: none).
 * The compiler borrows it: it must outlive the compile. */
struct yg_dbcache;
void yg__compiler_set_dbcache(struct yg_compiler *c, struct yg_dbcache *cache);
/* After the compile: the rules take the cache and free it with themselves,
 * so that each log source's databases are cached too.  The cache is used
 * from every thread that scans with the rules (dbcache.c locks). */
void yg__rules_keep_dbcache(struct yg_rules *rs, struct yg_dbcache *cache);
/* Report d through c's diagnostic callback (ud is the compiler). */
void yg__compiler_diag(void *ud, const struct yg_diag *d);

int32_t yg__field_lookup(const struct yg_rules *rs, const char *name, size_t n);
/* Intern a field name (NUL-terminated); -1 on allocation failure. */
int32_t yg__field_intern(struct yg_rules *rs, const char *name);

/* Evaluate one rule on the scanner's current event. */
struct yg_scanner;
bool yg__rule_eval(struct yg_scanner *s, const struct yg_crule *r);

/* Evaluations, per rule index (as yg_alert.rule_index, *nrules entries), in
 * which a regex of the rule reached a PCRE2 limit and so counted as no
 * match; *total their sum.  NULL while no rule has reached one.  The
 * array belongs to the scanner and lives as long as it. */
const uint64_t *yg__scanner_regex_limits(const struct yg_scanner *s, size_t *nrules,
                                         uint64_t *total);

/* Build the prefilter over the compiled rules; on failure the reason is
 * yg__rules_errmsg(rs). */
YG_NODISCARD yg_err yg__prefilter_build(struct yg_rules *rs);
void yg__prefilter_free(struct yg_rules *rs);
void *yg__prefilter_scratch(const struct yg_rules *rs);
void yg__prefilter_scratch_free(void *s);
/* Per-scanner prefilter state.  cand lists the rules (other than "always"
 * rules) whose every clause has an atom in the document, each once. */
struct yg_pf_state {
    uint32_t *stamp; /* per rule: generation of the last hit */
    uint8_t *mask;   /* per rule: clauses hit in this generation */
    uint32_t gen;
    uint32_t *cand;
    uint32_t ncand;
    uint32_t *seen; /* per atom: generation of the last document containing it */
    uint32_t *hits; /* the atoms seen in this document, each once */
    uint32_t nhits;
};
/* The databases a log source's events are scanned with, for its rules
 * only: per database (the raw document's, each field's), none when no rule
 * of the source has an atom there, one of their atoms when they use at most
 * half of the whole one's, else the whole one. */
struct yg_pf_route {
    const void *raw; /* raw-document database, or NULL: not scanned */
    void **field;    /* per field id < rs->nfid_db; NULL array: rs->fid_db */
    uint8_t *own;    /* per database (0: raw, f + 1: field f): of the route's atoms only
                      * (shared with other scanners: freed with the rules) */
    size_t n;
};
/* The databases of the rules rules[0, n) (*scratch grown to fit them); out
 * of memory or a failed compile leaves the whole databases, always right. */
void yg__prefilter_route(const struct yg_rules *rs, const uint32_t *rules, uint32_t n,
                         void **scratch, struct yg_pf_route *out);
void yg__prefilter_route_free(struct yg_pf_route *pr);
/* Scan the raw document bytes and the values of fields with databases of
 * their own, with the databases pr gives (NULL: the whole ones).  hides:
 * the document writes an ASCII character as an escape (the JSON scanner
 * says so, struct yg_json_err).  Returns false when the prefilter cannot
 * decide (no database, or escapes that may hide atoms from the raw scan):
 * then every rule of the event's log source is a candidate. */
bool yg__prefilter_scan(const struct yg_rules *rs, void *scratch, const char *p, size_t n,
                        bool hides, const struct yg_pf_route *pr, const struct yg_field *f,
                        uint32_t nf, struct yg_pf_state *st);

/* Load the mapping file (YAML) into rs->map. */
/* A user's mapping file over the one loaded: its entries come first (so
 * they win), the shipped ones still apply (docs/mappings.md).  Both leave
 * the reason of a failure in yg__rules_errmsg(rs). */
YG_NODISCARD yg_err yg__mapping_overlay(struct yg_rules *rs, const char *path);
YG_NODISCARD yg_err yg__mapping_load(struct yg_rules *rs, const char *path);

#endif
