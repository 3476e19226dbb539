/*
 * rule.h - Sigma documents after loading, before matching.
 *
 * A rule file holds one or more YAML documents; each is a detection rule, a
 * correlation rule or a filter (meta filter).  Loading keeps every rule
 * field: the common ones in named members, and the whole document (minus
 * `detection`) as a compact JSON object in `meta_json` so that alerts and
 * exports can carry any field a rule author wrote.
 */
#ifndef YG_SIGMA_RULE_H
#define YG_SIGMA_RULE_H

#include "core/core.h"
#include "core/errmsg.h"
#include "core/yaml.h"

enum yg_rule_kind { YG_RULE_DETECTION, YG_RULE_CORRELATION, YG_RULE_FILTER };

enum yg_level {
    YG_LEVEL_NONE = 0,
    YG_LEVEL_INFORMATIONAL,
    YG_LEVEL_LOW,
    YG_LEVEL_MEDIUM,
    YG_LEVEL_HIGH,
    YG_LEVEL_CRITICAL,
};
const char *yg__level_name(enum yg_level l);
/* Parse a level name; returns false if unknown. */
bool yg__level_parse(const char *s, enum yg_level *out);

struct yg_logsource {
    const char *product, *category, *service; /* NULL if absent; lowercase */
};

/* A condition expression. */
enum yg_cond_op {
    YG_C_AND,
    YG_C_OR,
    YG_C_NOT,
    YG_C_ID,     /* search identifier (index into detection ids) */
    YG_C_ONE_OF, /* 1 of / any of: ids[] */
    YG_C_ALL_OF, /* all of: ids[] */
};

struct yg_cond {
    enum yg_cond_op op;
    struct yg_cond *a, *b; /* AND/OR: a, b; NOT: a */
    uint32_t id;           /* YG_C_ID */
    uint32_t *ids;         /* *_OF */
    uint32_t nids;
};

/* Parse a condition string over the search identifiers names[0..n).
 * Errors give the byte column (1-based) within the string. */
YG_NODISCARD yg_err yg__cond_parse(const char *s, size_t len, const char *const *names, size_t n,
                                   struct yg_arena *a, struct yg_cond **out, unsigned *ecol,
                                   struct yg_errmsg *why);

struct yg_rule {
    enum yg_rule_kind kind;
    const char *file;
    unsigned line; /* line of the document start */
    const char *id, *title, *status, *description, *author, *date, *modified, *name;
    enum yg_level level;
    const char **tags;
    size_t ntags;
    struct yg_logsource ls;
    const struct yg_ynode *doc;       /* the whole document */
    const struct yg_ynode *detection; /* detection map (detection and filter rules) */
    /* Conditions: a list is OR'd. */
    const struct yg_ynode **conditions;
    size_t nconditions;
    /* Filter rules: the rule ids/names they apply to. */
    const char **filter_rules;
    size_t nfilter_rules;
    /* Correlation rules. */
    const struct yg_ynode *correlation;
    char *meta_json; /* every field except detection, as JSON (arena) */
};

/* Diagnostics are delivered, never printed. */
struct yg_diag {
    const char *file;
    unsigned line, col;
    const char *rule_id; /* may be NULL */
    const char *title;   /* may be NULL */
    yg_err err;
    const char *msg;
};
typedef void (*yg__diag_fn)(void *ud, const struct yg_diag *d);

/*
 * Turn one YAML document into a rule (validating its structure).  Errors are
 * reported through diag with the position of the offending node; returns
 * YG_OK and *out = NULL for documents that are not rules at all (empty).
 */
YG_NODISCARD yg_err yg__rule_from_doc(const struct yg_ydoc *doc, const char *file,
                                      struct yg_arena *a, struct yg_rule **out, yg__diag_fn diag,
                                      void *ud);

/* Render a YAML node as JSON into b. */
YG_NODISCARD yg_err yg__ynode_to_json(const struct yg_ynode *n, struct yg_buf *b);

#endif
