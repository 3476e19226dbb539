/*
 * correlate.c - Sigma correlation rules as sliding windows over detections.
 *
 * A correlation rule (Sigma correlation specification v2.1.0, "Correlation
 * rules") names other rules and asks a question about their detections per
 * group of events that share the `group-by` field values, within `timespan`:
 * how many (event_count), how many distinct values of a field (value_count),
 * did all of them fire (temporal), in order (temporal_ordered), and the sum,
 * average or a percentile of a numeric field (value_sum, value_avg,
 * value_percentile).  Backends translate this into queries over stored
 * events; here it runs on the stream, so each choice a query language makes
 * implicitly is made explicitly:
 *
 * Window.  The window is the `timespan` ending at each new detection: the
 * detections of the group with time t such that T - timespan <= t <= T,
 * where T is the time of the new one.  Both edges are inclusive, so two
 * events exactly one timespan apart correlate ("Time Selection": a period in
 * which the correlation applies; "The time frame should not be restricted to
 * boundaries", section Temporal Proximity, hence sliding, not bucketed).
 * The condition is tested at every detection over the window that ends at
 * it, as the window-frame SQL translations of pySigma backends do (COUNT(*)
 * OVER a RANGE frame per row).  A condition like `lt: 5` therefore holds at
 * the first detection of a group.
 *
 * Re-arm.  When a window meets the condition the correlation fires once and
 * the group's window is cleared: the next alert needs a fresh set of
 * detections.  Without that, `gte: 100` would fire again on the 101st, 102nd
 * ... detection of the same burst; bucketed backends (Splunk `bin`, Kusto
 * `bin()`) report one row per group and bucket, and EQL sequences consume the
 * events of a match, which is what clearing reproduces on a stream.
 *
 * Missing fields.  A group-by field absent from the event groups under the
 * empty value, as the SQL translations group NULLs together; so the
 * alert's group value is "" for both absent and empty fields.  For the
 * value_* types a detection whose condition field is absent (or, for sum,
 * avg and percentile, not a number) contributes nothing and is counted in
 * ignored_values, as SQL aggregates skip NULLs.
 *
 * Counts.  event_count counts detections; value_count counts distinct values
 * of condition.field (a list of fields counts distinct combinations: "linked
 * by an AND"); temporal counts distinct referenced rules seen (default
 * condition: all of them, `gte: <number of rules>` as pySigma sets it);
 * temporal_ordered counts the longest run of referenced rules whose
 * detections appear in the listed order (the default again asks for all);
 * value_percentile takes the nearest-rank percentile `percentile: N` of the
 * condition (default 50, the median the specification hints at) and
 * compares it.  Several comparison keys in one condition are AND'ed (the
 * specification's "101 to 200" example).
 *
 * Time order and lateness.  Detections arrive in event-time order.  One up
 * to `lateness` older than the newest seen is placed in time order and every
 * window ending at or after it is tested again, as if it had arrived in
 * order; an older one is counted in dropped_late.  To make that possible a
 * group keeps detections back to (newest - timespan - lateness).
 *
 * Chains.  A correlation may reference correlations ("Related rules").  When
 * the inner one fires, its alert is fed to the outer one as one detection at
 * the time of the detection that completed it, whose fields are the inner
 * correlation's group-by values; so every field the outer correlation needs
 * from an inner one must be one of its group-by fields (checked at compile
 * time).  `generate` (section Generate) decides whether referenced rules
 * also alert on their own: by default they do not; a detection rule or inner
 * correlation is suppressed unless some correlation referencing it says
 * `generate: true`.
 *
 * Memory.  All windows of a state share one memory cap.  After each
 * detection, while the state is over the cap, the least recently updated
 * group (over all correlations) is evicted and counted; a group whose window
 * has run out is freed as soon as a sweep sees it.
 */
#include "correlate/correlate.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "core/strindex.h"
#include "core/timeparse.h"
#include "geo/geo.h"

/* ---- compiled set ---------------------------------------------------- */

enum ctype {
    T_EVENT_COUNT,
    T_VALUE_COUNT,
    T_TEMPORAL,
    T_TEMPORAL_ORDERED,
    T_VALUE_SUM,
    T_VALUE_AVG,
    T_VALUE_PERCENTILE,
    T_NEW_VALUE, /* Yagura extensions: see "Analytics" below */
    T_TRAVEL,
};
static const char *const type_names[] = {"event_count",      "value_count",      "temporal",
                                         "temporal_ordered", "value_sum",        "value_avg",
                                         "value_percentile", "yagura_new_value", "yagura_travel"};

/* What yagura_new_value compares: the field's value, or what the
 * geolocation databases say of the address in it. */
enum geomode { G_NONE, G_COUNTRY, G_ASN };
static const char *const geo_names[] = {"", "country", "asn"};

enum cop { OP_GT, OP_GTE, OP_LT, OP_LTE, OP_EQ, OP_NEQ };
static const char *const op_names[] = {"gt", "gte", "lt", "lte", "eq", "neq"};
#define NOPS 6

struct ccond {
    enum cop op;
    double v;
};

/* Where the detections of one source (a detection rule or a correlation)
 * go: slot `slot` of correlation `corr`, with the source's value positions
 * of each group-by field and each value field. */
struct sub {
    uint32_t corr, slot;
    uint32_t *gidx;
    uint32_t *vidx;
};

struct corr {
    const struct yg_rule *rule;
    enum ctype type;
    int64_t span;
    const char **gnames; /* group-by entries as written */
    size_t ngroup;
    size_t nvf; /* value fields (condition.field) */
    size_t nrefs;
    struct ccond conds[NOPS];
    size_t nconds;
    double pct;
    const char *vname;      /* condition.field as written (yagura_* findings) */
    enum geomode geo;       /* yagura_new_value */
    double min_history;     /* yagura_new_value */
    double min_km, max_kmh; /* yagura_travel */
    bool generate;
    bool suppress;    /* referenced by correlations, none with generate: true */
    struct sub *subs; /* correlations fed by this one's alerts */
    size_t nsubs;
};

struct det {
    struct sub *subs;
    size_t nsubs;
    const char **fields;
    size_t nfields;
    bool suppress;
};

struct yg_corr_set {
    struct yg_arena a;
    struct corr *c;
    size_t nc;
    struct det *d;
    size_t nd;
};

/* ---- compilation ------------------------------------------------------ */

enum tkind { K_NONE, K_DET, K_CORR };
struct target {
    enum tkind kind;
    uint32_t idx; /* rule index, or candidate index */
};

/* A correlation document while it is being compiled. */
struct cand {
    const struct yg_rule *rule;
    const struct yg_ynode *node;
    bool bad, cyclic;
    int state; /* DFS colour / memo */
    enum ctype type;
    int64_t span;
    size_t nrefs;
    const struct yg_ynode **refnodes;
    struct target *refs;
    size_t ngroup;
    const char **gnames;
    const struct yg_ynode **gnodes;
    size_t nvf;
    const char **vnames;
    const struct yg_ynode *vnode;
    const char **fnames; /* per slot: ngroup group fields then nvf value fields */
    struct ccond conds[NOPS];
    size_t nconds;
    double pct;
    enum geomode geo;
    double min_history, min_km, max_kmh;
    bool generate;
    uint32_t final;
};

struct cctx {
    const struct yg_rule *const *docs;
    size_t ndocs;
    const struct yg_rules *rs;
    void (*diag)(void *ud, const struct yg_diag *d);
    void *ud;
    struct yg_arena *a;
    struct cand *cands;
    size_t ncands;
    /* Rules by id and by name (detections, correlations, and every loaded
     * detection document), so resolving a reference costs a binary search,
     * not a scan of every rule (quadratic over a large rule set). */
    struct yg_strindex det_id, det_name, cand_id, cand_name, doc_key;
};

static void report(struct cctx *x, struct cand *c, const struct yg_ynode *at, yg_err e,
                   const char *fmt, ...) YG_PRINTF(5, 6);
static void report(struct cctx *x, struct cand *c, const struct yg_ynode *at, yg_err e,
                   const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (!at)
        at = c->node;
    struct yg_diag d = {c->rule->file,
                        at ? at->line : c->rule->line,
                        at ? at->col : 1,
                        c->rule->id,
                        c->rule->title,
                        e,
                        msg};
    c->bad = true;
    if (x->diag)
        x->diag(x->ud, &d);
}

/* Rule references: ids first (they are unique by design), then names;
 * detection rules before correlations when both claim the same string. */
/* Ids first (detections, then correlations), then names; the first rule
 * in order when several share one. */
static struct target resolve(const struct cctx *x, const char *s)
{
    size_t at;
    if (yg__strindex_find(&x->det_id, s, &at))
        return (struct target){K_DET, x->det_id.e[at].val};
    if (yg__strindex_find(&x->cand_id, s, &at))
        return (struct target){K_CORR, x->cand_id.e[at].val};
    if (yg__strindex_find(&x->det_name, s, &at))
        return (struct target){K_DET, x->det_name.e[at].val};
    if (yg__strindex_find(&x->cand_name, s, &at))
        return (struct target){K_CORR, x->cand_name.e[at].val};
    return (struct target){K_NONE, 0};
}

static bool loaded_but_not_compiled(const struct cctx *x, const char *s)
{
    size_t at;
    return yg__strindex_find(&x->doc_key, s, &at) != 0;
}

static yg_err build_indexes(struct cctx *x)
{
    yg_err err = YG_OK;
    YG_TRY(yg__strindex_init(&x->det_id, x->rs->nrules));
    YG_TRY(yg__strindex_init(&x->det_name, x->rs->nrules));
    YG_TRY(yg__strindex_init(&x->cand_id, x->ncands));
    YG_TRY(yg__strindex_init(&x->cand_name, x->ncands));
    YG_TRY(yg__strindex_init(&x->doc_key, 2 * x->ndocs));
    for (size_t i = 0; i < x->rs->nrules; i++) {
        yg__strindex_add(&x->det_id, x->rs->rules[i].rule->id, (uint32_t)i);
        yg__strindex_add(&x->det_name, x->rs->rules[i].rule->name, (uint32_t)i);
    }
    for (size_t i = 0; i < x->ncands; i++) {
        yg__strindex_add(&x->cand_id, x->cands[i].rule->id, (uint32_t)i);
        yg__strindex_add(&x->cand_name, x->cands[i].rule->name, (uint32_t)i);
    }
    for (size_t i = 0; i < x->ndocs; i++)
        if (x->docs[i] && x->docs[i]->kind == YG_RULE_DETECTION) {
            yg__strindex_add(&x->doc_key, x->docs[i]->id, (uint32_t)i);
            yg__strindex_add(&x->doc_key, x->docs[i]->name, (uint32_t)i);
        }
    yg__strindex_sort(&x->det_id);
    yg__strindex_sort(&x->det_name);
    yg__strindex_sort(&x->cand_id);
    yg__strindex_sort(&x->cand_name);
    yg__strindex_sort(&x->doc_key);
done:
    return err;
}

static void free_indexes(struct cctx *x)
{
    yg__strindex_free(&x->det_id);
    yg__strindex_free(&x->det_name);
    yg__strindex_free(&x->cand_id);
    yg__strindex_free(&x->cand_name);
    yg__strindex_free(&x->doc_key);
}

static const char *target_name(const struct cctx *x, struct target t)
{
    const struct yg_rule *r = t.kind == K_DET ? x->rs->rules[t.idx].rule : x->cands[t.idx].rule;
    return r->name ? r->name : r->id ? r->id : r->title ? r->title : "?";
}

static bool parse_timespan(const char *s, int64_t *ms)
{
    size_t n = strlen(s);
    int64_t v = 0;
    if (n < 2)
        return false;
    for (size_t i = 0; i + 1 < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
        if (v > YG_CORR_MAX_TIMESPAN_MS)
            return false;
    }
    /* Month and year lengths as pySigma counts them (average Gregorian). */
    int64_t unit;
    switch (s[n - 1]) {
    case 's': unit = 1; break;
    case 'm': unit = 60; break;
    case 'h': unit = 3600; break;
    case 'd': unit = 86400; break;
    case 'w': unit = 604800; break;
    case 'M': unit = 2629746; break;
    case 'y': unit = 31556952; break;
    default: return false;
    }
    if (v <= 0 || v > YG_CORR_MAX_TIMESPAN_MS / 1000 / unit)
        return false;
    *ms = v * unit * 1000;
    return true;
}

static bool is_number(const struct yg_ynode *v)
{
    return v && v->type == YG_Y_SCALAR && (v->skind == YG_S_INT || v->skind == YG_S_FLOAT);
}

/* A scalar or a list of scalars into an arena array of strings. */
static yg_err str_list(struct cctx *x, struct cand *c, const struct yg_ynode *n, const char *what,
                       size_t max, const char ***out, const struct yg_ynode ***nodes, size_t *nout)
{
    size_t cnt = n->type == YG_Y_SCALAR ? 1 : n->type == YG_Y_SEQ ? n->n : 0;
    *nout = 0;
    if (n->type == YG_Y_MAP || (n->type == YG_Y_SEQ && n->n == 0)) {
        report(x, c, n, YG_ESYNTAX, "correlation: '%s' must be a non-empty list of strings", what);
        return YG_OK;
    }
    if (cnt > max) {
        report(x, c, n, YG_ELIMIT, "correlation: more than %zu entries in '%s'", max, what);
        return YG_OK;
    }
    *out = yg_arena_alloc(x->a, cnt * sizeof **out);
    if (nodes)
        *nodes = yg_arena_alloc(x->a, cnt * sizeof **nodes);
    if (!*out || (nodes && !*nodes))
        return YG_ENOMEM;
    for (size_t i = 0; i < cnt; i++) {
        const struct yg_ynode *it = n->type == YG_Y_SCALAR ? n : n->items[i];
        if (it->type != YG_Y_SCALAR || it->skind == YG_S_NULL || !it->slen) {
            report(x, c, it, YG_ESYNTAX, "correlation: each entry of '%s' must be a string", what);
            return YG_OK;
        }
        (*out)[i] = it->s;
        if (nodes)
            (*nodes)[i] = it;
    }
    *nout = cnt;
    return YG_OK;
}

/* A non-negative number option of an extension type's condition. */
static bool ext_number(struct cctx *x, struct cand *c, const struct yg_ynode *k,
                       const struct yg_ynode *val, bool integer, double *out)
{
    char *end = NULL;
    double d = is_number(val) ? strtod(val->s, &end) : NAN;
    if (!isfinite(d) || end != val->s + val->slen || d < 0 || (integer && d != floor(d))) {
        report(x, c, val, YG_ESYNTAX, "correlation condition: '%s' of %s needs a %s", k->s,
               type_names[c->type], integer ? "whole number >= 0" : "number >= 0");
        return false;
    }
    *out = d;
    return true;
}

/*
 * The condition of yagura_new_value and yagura_travel: a single
 * `field` (the value, or the address) and the type's options, no
 * comparison.  Defaults: min_history 3, min_km 500, max_kmh 900.
 */
static yg_err parse_ext_cond(struct cctx *x, struct cand *c, const struct yg_ynode *cond)
{
    yg_err err = YG_OK;
    bool nv = c->type == T_NEW_VALUE;
    c->min_history = YG_CORR_NEW_VALUE_MIN_HISTORY;
    c->min_km = YG_CORR_TRAVEL_MIN_KM;
    c->max_kmh = YG_CORR_TRAVEL_MAX_KMH;
    c->geo = nv ? G_NONE : G_COUNTRY; /* travel always places the address */
    if (!cond || cond->type != YG_Y_MAP) {
        report(x, c, cond, YG_ESYNTAX, "correlation: %s needs a 'condition' map with 'field'",
               type_names[c->type]);
        return YG_OK;
    }
    for (size_t i = 0; i < cond->n; i++) {
        const struct yg_ynode *k = cond->items[2 * i], *val = cond->items[2 * i + 1];
        const char *key = k->type == YG_Y_SCALAR ? k->s : "?";
        if (strcmp(key, "field") == 0) {
            YG_TRY(str_list(x, c, val, "condition.field", 1, &c->vnames, NULL, &c->nvf));
            c->vnode = val;
            if (c->bad)
                return YG_OK;
        } else if (nv && strcmp(key, "geo") == 0) {
            if (val->type == YG_Y_SCALAR && strcmp(val->s, "country") == 0)
                c->geo = G_COUNTRY;
            else if (val->type == YG_Y_SCALAR && strcmp(val->s, "asn") == 0)
                c->geo = G_ASN;
            else {
                report(x, c, val, YG_ESYNTAX,
                       "correlation condition: 'geo' of yagura_new_value must be country or asn");
                return YG_OK;
            }
        } else if (nv && strcmp(key, "min_history") == 0) {
            if (!ext_number(x, c, k, val, true, &c->min_history))
                return YG_OK;
        } else if (!nv && strcmp(key, "min_km") == 0) {
            if (!ext_number(x, c, k, val, false, &c->min_km))
                return YG_OK;
        } else if (!nv && strcmp(key, "max_kmh") == 0) {
            if (!ext_number(x, c, k, val, false, &c->max_kmh))
                return YG_OK;
            if (c->max_kmh <= 0) {
                report(x, c, val, YG_ESYNTAX,
                       "correlation condition: 'max_kmh' of yagura_travel must be above 0");
                return YG_OK;
            }
        } else {
            report(x, c, k, YG_ESYNTAX,
                   "correlation condition: unknown key '%s' for %s (it takes %s)", key,
                   type_names[c->type], nv ? "field, geo, min_history" : "field, min_km, max_kmh");
            return YG_OK;
        }
    }
    if (c->nvf != 1) {
        report(x, c, cond, YG_ESYNTAX, "correlation: %s needs condition.field (one field%s)",
               type_names[c->type], nv ? "" : " holding the address");
        return YG_OK;
    }
done:
    return err;
}

/* type, timespan, rules, group-by and generate of a correlation. */
static yg_err parse_cand_head(struct cctx *x, struct cand *c)
{
    yg_err err = YG_OK;
    const struct yg_ynode *cor = c->node, *v;
    if (!cor || cor->type != YG_Y_MAP) {
        report(x, c, cor, YG_ESYNTAX, "'correlation' must be a map");
        return YG_OK;
    }
    v = yg__ymap_get(cor, "type");
    bool known = false;
    for (size_t i = 0; v && v->type == YG_Y_SCALAR && i < sizeof type_names / sizeof *type_names;
         i++)
        if (strcmp(v->s, type_names[i]) == 0) {
            c->type = (enum ctype)i;
            known = true;
        }
    if (!known) {
        report(x, c, v, YG_ESYNTAX, "correlation: missing or unknown 'type'");
        return YG_OK;
    }
    bool ext = c->type == T_NEW_VALUE || c->type == T_TRAVEL;
    v = yg__ymap_get(cor, "timespan");
    if (!v)
        v = yg__ymap_get(cor, "timeframe");
    if (!v && ext)
        c->span = c->type == T_NEW_VALUE ? YG_CORR_NEW_VALUE_SPAN_MS : YG_CORR_TRAVEL_SPAN_MS;
    else if (!v || v->type != YG_Y_SCALAR || !parse_timespan(v->s, &c->span)) {
        report(x, c, v, YG_ESYNTAX,
               "correlation: 'timespan' must be a positive number followed by s, m, h, d, w, M "
               "or y, at most ten years");
        return YG_OK;
    }
    v = yg__ymap_get(cor, "rules");
    if (!v) {
        report(x, c, NULL, YG_ESYNTAX, "correlation: missing 'rules'");
        return YG_OK;
    }
    const char **refnames;
    YG_TRY(str_list(x, c, v, "rules", YG_CORR_MAX_RULES, &refnames, &c->refnodes, &c->nrefs));
    if (c->bad)
        return YG_OK;
    c->refs = yg_arena_alloc(x->a, c->nrefs * sizeof *c->refs);
    if (!c->refs)
        return YG_ENOMEM;
    memset(c->refs, 0, c->nrefs * sizeof *c->refs);
    v = yg__ymap_get(cor, "group-by");
    if (v && !(v->type == YG_Y_SCALAR && v->skind == YG_S_NULL))
        YG_TRY(str_list(x, c, v, "group-by", YG_CORR_MAX_GROUP_BY, &c->gnames, &c->gnodes,
                        &c->ngroup));
    if (c->bad)
        return YG_OK;
    v = yg__ymap_get(cor, "generate");
    if (v && (v->type != YG_Y_SCALAR || v->skind != YG_S_BOOL)) {
        report(x, c, v, YG_ESYNTAX, "correlation: 'generate' must be true or false");
        return YG_OK;
    }
    c->generate = v && (v->s[0] == 't' || v->s[0] == 'T');
done:
    return err;
}

/* One key of a correlation's condition map: a comparison, the field, or
 * the percentile. */
static yg_err parse_cond_key(struct cctx *x, struct cand *c, const struct yg_ynode *k,
                             const struct yg_ynode *val)
{
    yg_err err = YG_OK;
    const char *key = k->type == YG_Y_SCALAR ? k->s : "?";
    int op = -1;
    for (int j = 0; j < NOPS; j++)
        if (strcmp(key, op_names[j]) == 0)
            op = j;
    if (op >= 0) {
        char *end = NULL;
        double d = is_number(val) ? strtod(val->s, &end) : NAN;
        if (!isfinite(d) || end != val->s + val->slen) {
            report(x, c, val, YG_ESYNTAX, "correlation condition: '%s' needs a number", key);
            return YG_OK;
        }
        c->conds[c->nconds++] = (struct ccond){(enum cop)op, d};
    } else if (strcmp(key, "field") == 0) {
        YG_TRY(str_list(x, c, val, "condition.field", YG_CORR_MAX_GROUP_BY, &c->vnames, NULL,
                        &c->nvf));
        c->vnode = val;
        if (c->bad)
            return YG_OK;
    } else if (strcmp(key, "percentile") == 0) {
        c->pct = is_number(val) ? strtod(val->s, NULL) : NAN;
        if (!(c->pct >= 0 && c->pct <= 100)) {
            report(x, c, val, YG_ESYNTAX,
                   "correlation condition: 'percentile' must be a number from 0 to 100");
            return YG_OK;
        }
        if (c->type != T_VALUE_PERCENTILE) {
            report(x, c, k, YG_ESYNTAX,
                   "correlation condition: 'percentile' applies only to value_percentile");
            return YG_OK;
        }
    } else {
        report(x, c, k, YG_ESYNTAX, "correlation condition: unknown key '%s'", key);
        return YG_OK;
    }
done:
    return err;
}

static yg_err parse_cand(struct cctx *x, struct cand *c)
{
    yg_err err = YG_OK;
    YG_TRY(parse_cand_head(x, c));
    if (c->bad)
        return YG_OK;
    bool ext = c->type == T_NEW_VALUE || c->type == T_TRAVEL;
    bool temporal = c->type == T_TEMPORAL || c->type == T_TEMPORAL_ORDERED;
    bool valued = c->type == T_VALUE_COUNT || c->type == T_VALUE_SUM || c->type == T_VALUE_AVG ||
                  c->type == T_VALUE_PERCENTILE;
    const struct yg_ynode *cond = yg__ymap_get(c->node, "condition");
    c->pct = 50;
    if (ext)
        return parse_ext_cond(x, c, cond);
    if (!cond && temporal) {
        c->conds[0] = (struct ccond){OP_GTE, (double)c->nrefs};
        c->nconds = 1;
        return YG_OK;
    }
    if (!cond || cond->type != YG_Y_MAP) {
        report(x, c, cond, YG_ESYNTAX, "correlation: %s needs a 'condition' map",
               type_names[c->type]);
        return YG_OK;
    }
    for (size_t i = 0; i < cond->n && !c->bad; i++)
        YG_TRY(parse_cond_key(x, c, cond->items[2 * i], cond->items[2 * i + 1]));
    if (c->bad)
        return YG_OK;
    if (!c->nconds) {
        report(x, c, cond, YG_ESYNTAX,
               "correlation condition: needs a comparison (gt, gte, lt, lte, eq or neq)");
        return YG_OK;
    }
    if (valued && !c->nvf) {
        report(x, c, cond, YG_ESYNTAX, "correlation: %s needs condition.field",
               type_names[c->type]);
        return YG_OK;
    }
    if (valued && c->type != T_VALUE_COUNT && c->nvf != 1) {
        report(x, c, c->vnode, YG_ESYNTAX, "correlation: %s takes a single numeric field",
               type_names[c->type]);
        return YG_OK;
    }
    /* A field on a type that counts no values changes nothing: drop it so
     * callers are not asked to extract it. */
    if (!valued)
        c->nvf = 0;
done:
    return err;
}

/* Resolve references and aliases into per-slot field names. */
static yg_err resolve_cand(struct cctx *x, struct cand *c)
{
    for (size_t k = 0; k < c->nrefs; k++) {
        const char *s = c->refnodes[k]->s;
        c->refs[k] = resolve(x, s);
        if (c->refs[k].kind == K_NONE) {
            if (loaded_but_not_compiled(x, s))
                report(x, c, c->refnodes[k], YG_ENOTFOUND,
                       "correlation: referenced rule '%s' did not compile", s);
            else
                report(x, c, c->refnodes[k], YG_ENOTFOUND,
                       "correlation: unknown rule '%s' (no rule has that id or name)", s);
            return YG_OK;
        }
        for (size_t j = 0; j < k; j++)
            if (c->refs[j].kind == c->refs[k].kind && c->refs[j].idx == c->refs[k].idx) {
                report(x, c, c->refnodes[k], YG_ESYNTAX,
                       "correlation: rule '%s' is referenced twice", s);
                return YG_OK;
            }
    }
    size_t nf = c->ngroup + c->nvf;
    c->fnames = yg_arena_alloc(x->a, (c->nrefs * nf + 1) * sizeof *c->fnames);
    if (!c->fnames)
        return YG_ENOMEM;
    for (size_t k = 0; k < c->nrefs; k++)
        for (size_t f = 0; f < nf; f++)
            c->fnames[k * nf + f] = f < c->ngroup ? c->gnames[f] : c->vnames[f - c->ngroup];

    const struct yg_ynode *al = yg__ymap_get(c->node, "aliases");
    if (!al || (al->type == YG_Y_SCALAR && al->skind == YG_S_NULL))
        return YG_OK;
    if (al->type != YG_Y_MAP) {
        report(x, c, al, YG_ESYNTAX, "correlation: 'aliases' must be a map");
        return YG_OK;
    }
    for (size_t i = 0; i < al->n; i++) {
        const struct yg_ynode *name = al->items[2 * i], *map = al->items[2 * i + 1];
        if (name->type != YG_Y_SCALAR || map->type != YG_Y_MAP) {
            report(x, c, name, YG_ESYNTAX,
                   "correlation: each alias maps rule names to field names");
            return YG_OK;
        }
        /* Check every entry even when the alias is unused: a typo in a rule
         * name should not wait for the day the alias is put to use. */
        for (size_t j = 0; j < map->n; j++) {
            const struct yg_ynode *rk = map->items[2 * j], *fv = map->items[2 * j + 1];
            if (rk->type != YG_Y_SCALAR || fv->type != YG_Y_SCALAR || !fv->slen) {
                report(x, c, rk, YG_ESYNTAX, "correlation: alias '%s' needs rule: field pairs",
                       name->s);
                return YG_OK;
            }
            struct target t = resolve(x, rk->s);
            size_t slot = c->nrefs;
            for (size_t k = 0; t.kind != K_NONE && k < c->nrefs; k++)
                if (c->refs[k].kind == t.kind && c->refs[k].idx == t.idx)
                    slot = k;
            if (slot == c->nrefs) {
                report(x, c, rk, YG_ENOTFOUND,
                       "correlation: alias '%s' names rule '%s', which the correlation does not "
                       "reference",
                       name->s, rk->s);
                return YG_OK;
            }
        }
        for (size_t f = 0; f < nf; f++) {
            const char *fname = f < c->ngroup ? c->gnames[f] : c->vnames[f - c->ngroup];
            if (strcmp(fname, name->s) != 0)
                continue;
            for (size_t k = 0; k < c->nrefs; k++) {
                const char *field = NULL;
                for (size_t j = 0; j < map->n; j++) {
                    struct target t = resolve(x, map->items[2 * j]->s);
                    if (t.kind == c->refs[k].kind && t.idx == c->refs[k].idx)
                        field = map->items[2 * j + 1]->s;
                }
                if (!field) {
                    report(x, c, name, YG_ESYNTAX,
                           "correlation: alias '%s' has no field for rule '%s'", name->s,
                           c->refnodes[k]->s);
                    return YG_OK;
                }
                c->fnames[k * nf + f] = field;
            }
        }
    }
    return YG_OK;
}

/* Fields a correlation needs from an inner correlation must be among the
 * inner one's group-by fields: its alert carries nothing else. */
static void check_chain_fields(struct cctx *x, struct cand *c)
{
    size_t nf = c->ngroup + c->nvf;
    for (size_t k = 0; !c->bad && k < c->nrefs; k++) {
        if (c->refs[k].kind != K_CORR)
            continue;
        const struct cand *q = &x->cands[c->refs[k].idx];
        if (q->bad)
            continue; /* reported with q; c is dropped when q is */
        for (size_t f = 0; f < nf; f++) {
            const char *fn = c->fnames[k * nf + f];
            bool found = false;
            for (size_t g = 0; g < q->ngroup; g++)
                found |= yg_str_ieq(fn, strlen(fn), q->gnames[g], strlen(q->gnames[g]));
            if (!found) {
                report(x, c, c->refnodes[k], YG_ESYNTAX,
                       "correlation: field '%s' is not a group-by field of correlation '%s', "
                       "whose alerts carry only those",
                       fn, c->refnodes[k]->s);
                break;
            }
        }
    }
}

/* Depth-first search for cycles; every correlation on one is marked. */
static void find_cycles(struct cctx *x, size_t i, size_t *path, size_t depth)
{
    struct cand *c = &x->cands[i];
    c->state = 1;
    path[depth] = i;
    for (size_t k = 0; k < c->nrefs && c->refs; k++) {
        if (c->refs[k].kind != K_CORR)
            continue;
        size_t j = c->refs[k].idx;
        if (x->cands[j].state == 1) {
            for (size_t p = depth + 1; p-- > 0;) {
                struct cand *m = &x->cands[path[p]];
                if (!m->cyclic) {
                    m->cyclic = true;
                    report(x, m, m->node, YG_ESYNTAX,
                           "correlation: rule references form a cycle through '%s'",
                           target_name(x, (struct target){K_CORR, (uint32_t)j}));
                }
                if (path[p] == j)
                    break;
            }
        } else if (x->cands[j].state == 0 && !x->cands[j].bad) {
            /* A bad candidate's references may be unresolved: it is left
             * out anyway, and so is everything that reaches it. */
            find_cycles(x, j, path, depth + 1);
        }
    }
    c->state = 2;
}

/* A correlation is left out when it or anything it references is bad. */
static bool is_bad(struct cctx *x, size_t i)
{
    struct cand *c = &x->cands[i];
    if (c->state == 3)
        return c->bad;
    c->state = 3;
    if (c->bad || c->cyclic)
        return c->bad = true;
    for (size_t k = 0; k < c->nrefs; k++)
        if (c->refs[k].kind == K_CORR && is_bad(x, c->refs[k].idx)) {
            report(x, c, c->refnodes[k], YG_ENOTFOUND,
                   "correlation: referenced correlation '%s' was left out", c->refnodes[k]->s);
            return true;
        }
    return false;
}

static uint32_t field_slot(struct det *d, const char *name)
{
    for (size_t i = 0; i < d->nfields; i++)
        if (strcmp(d->fields[i], name) == 0)
            return (uint32_t)i;
    d->fields[d->nfields] = name;
    return (uint32_t)d->nfields++;
}

static uint32_t group_slot(const struct cand *q, const char *name)
{
    for (size_t g = 0; g < q->ngroup; g++)
        if (yg_str_ieq(name, strlen(name), q->gnames[g], strlen(q->gnames[g])))
            return (uint32_t)g;
    return 0; /* unreachable: check_chain_fields guarantees a match */
}

/* Parse, resolve and check every candidate; the bad ones are marked. */
static yg_err check_cands(struct cctx *x, size_t *path)
{
    yg_err err = YG_OK;
    for (size_t i = 0; i < x->ncands; i++)
        YG_TRY(parse_cand(x, &x->cands[i]));
    YG_TRY(build_indexes(x));
    for (size_t i = 0; i < x->ncands; i++)
        if (!x->cands[i].bad)
            YG_TRY(resolve_cand(x, &x->cands[i]));
    for (size_t i = 0; i < x->ncands; i++)
        if (!x->cands[i].bad)
            check_chain_fields(x, &x->cands[i]);
    for (size_t i = 0; i < x->ncands; i++)
        if (x->cands[i].state == 0 && !x->cands[i].bad && x->cands[i].refs)
            find_cycles(x, i, path, 0);
    for (size_t i = 0; i < x->ncands; i++)
        (void)is_bad(x, i);
done:
    return err;
}

/* Final numbering, then the subscription lists of every detection and
 * correlation, sized. */
static yg_err alloc_subscriptions(struct cctx *x, struct yg_corr_set *cs, size_t *fcap)
{
    for (size_t i = 0; i < x->ncands; i++)
        if (!x->cands[i].bad)
            x->cands[i].final = (uint32_t)cs->nc++;
    cs->c = yg_arena_alloc(&cs->a, (cs->nc + 1) * sizeof *cs->c);
    if (!cs->c)
        return YG_ENOMEM;
    memset(cs->c, 0, (cs->nc + 1) * sizeof *cs->c);
    for (size_t i = 0; i < x->ncands; i++) {
        const struct cand *c = &x->cands[i];
        for (size_t k = 0; !c->bad && k < c->nrefs; k++) {
            if (c->refs[k].kind == K_DET) {
                cs->d[c->refs[k].idx].nsubs++;
                fcap[c->refs[k].idx] += c->ngroup + c->nvf;
            } else {
                cs->c[x->cands[c->refs[k].idx].final].nsubs++;
            }
        }
    }
    for (size_t r = 0; r < cs->nd; r++) {
        struct det *d = &cs->d[r];
        d->subs = yg_arena_alloc(&cs->a, (d->nsubs + 1) * sizeof *d->subs);
        d->fields = yg_arena_alloc(&cs->a, (fcap[r] + 1) * sizeof *d->fields);
        if (!d->subs || !d->fields)
            return YG_ENOMEM;
        d->nsubs = 0;
        d->suppress = true;
    }
    for (size_t i = 0; i < x->ncands; i++) {
        const struct cand *c = &x->cands[i];
        if (c->bad)
            continue;
        struct corr *o = &cs->c[c->final];
        o->subs = yg_arena_alloc(&cs->a, (o->nsubs + 1) * sizeof *o->subs);
        if (!o->subs)
            return YG_ENOMEM;
        o->nsubs = 0;
        o->suppress = true;
    }
    return YG_OK;
}

/* One correlation, and the subscriptions of its sources. */
static yg_err fill_corr(struct cctx *x, struct yg_corr_set *cs, const struct cand *c)
{
    struct corr *o = &cs->c[c->final];
    o->rule = c->rule;
    o->type = c->type;
    o->span = c->span;
    o->gnames = c->gnames;
    o->ngroup = c->ngroup;
    o->nvf = c->nvf;
    o->nrefs = c->nrefs;
    memcpy(o->conds, c->conds, sizeof o->conds);
    o->nconds = c->nconds;
    o->pct = c->pct;
    o->geo = c->geo;
    o->vname = c->nvf ? c->vnames[0] : NULL;
    o->min_history = c->min_history;
    o->min_km = c->min_km;
    o->max_kmh = c->max_kmh;
    o->generate = c->generate;
    size_t nf = c->ngroup + c->nvf;
    for (size_t k = 0; k < c->nrefs; k++) {
        struct sub *sb;
        uint32_t *idx = yg_arena_alloc(&cs->a, (nf + 1) * sizeof *idx);
        if (!idx)
            return YG_ENOMEM;
        if (c->refs[k].kind == K_DET) {
            struct det *d = &cs->d[c->refs[k].idx];
            sb = &d->subs[d->nsubs++];
            for (size_t f = 0; f < nf; f++)
                idx[f] = field_slot(d, c->fnames[k * nf + f]);
            d->suppress &= !c->generate;
        } else {
            const struct cand *q = &x->cands[c->refs[k].idx];
            struct corr *inner = &cs->c[q->final];
            sb = &inner->subs[inner->nsubs++];
            for (size_t f = 0; f < nf; f++)
                idx[f] = group_slot(q, c->fnames[k * nf + f]);
            inner->suppress &= !c->generate;
        }
        *sb = (struct sub){c->final, (uint32_t)k, idx, idx + c->ngroup};
    }
    return YG_OK;
}

yg_err yg__corr_compile(const struct yg_rule *const *docs, size_t ndocs, const struct yg_rules *rs,
                        void (*diag)(void *ud, const struct yg_diag *d), void *ud,
                        struct yg_corr_set **out)
{
    yg_err err = YG_OK;
    size_t *path = NULL, *fcap = NULL;
    *out = NULL;
    struct yg_corr_set *cs = yg_calloc(1, sizeof *cs);
    if (!cs)
        return YG_ENOMEM;
    yg_arena_init(&cs->a, 1u << 14, 0);
    struct cctx x = {.docs = docs, .ndocs = ndocs, .rs = rs, .diag = diag, .ud = ud, .a = &cs->a};

    for (size_t i = 0; i < ndocs; i++)
        x.ncands += docs[i] && docs[i]->kind == YG_RULE_CORRELATION;
    x.cands = yg_calloc(x.ncands + 1, sizeof *x.cands);
    path = yg_calloc(x.ncands + 1, sizeof *path);
    cs->nd = rs->nrules;
    cs->d = yg_arena_alloc(&cs->a, (cs->nd + 1) * sizeof *cs->d);
    fcap = yg_calloc(cs->nd + 1, sizeof *fcap);
    if (!x.cands || !path || !cs->d || !fcap) {
        err = YG_ENOMEM;
        goto done;
    }
    memset(cs->d, 0, (cs->nd + 1) * sizeof *cs->d);
    x.ncands = 0;
    for (size_t i = 0; i < ndocs; i++)
        if (docs[i] && docs[i]->kind == YG_RULE_CORRELATION) {
            x.cands[x.ncands].rule = docs[i];
            x.cands[x.ncands++].node = docs[i]->correlation;
        }
    YG_TRY(check_cands(&x, path));
    YG_TRY(alloc_subscriptions(&x, cs, fcap));
    for (size_t i = 0; i < x.ncands; i++)
        if (!x.cands[i].bad)
            YG_TRY(fill_corr(&x, cs, &x.cands[i]));
    for (size_t r = 0; r < cs->nd; r++)
        cs->d[r].suppress &= cs->d[r].nsubs > 0;
    for (size_t i = 0; i < cs->nc; i++)
        cs->c[i].suppress &= cs->c[i].nsubs > 0;
    *out = cs;
    cs = NULL;
done:
    free_indexes(&x);
    yg_free(x.cands);
    yg_free(path);
    yg_free(fcap);
    yg__corr_set_free(cs);
    return err;
}

void yg__corr_set_free(struct yg_corr_set *cs)
{
    if (!cs)
        return;
    yg_arena_free(&cs->a);
    yg_free(cs);
}

size_t yg__corr_count(const struct yg_corr_set *cs)
{
    return cs ? cs->nc : 0;
}

const struct yg_rule *yg__corr_rule(const struct yg_corr_set *cs, size_t i)
{
    return cs && i < cs->nc ? cs->c[i].rule : NULL;
}

int64_t yg__corr_timespan_ms(const struct yg_corr_set *cs, size_t i)
{
    return cs && i < cs->nc ? cs->c[i].span : 0;
}

bool yg__corr_references(const struct yg_corr_set *cs, uint32_t r)
{
    return cs && r < cs->nd && cs->d[r].nsubs > 0;
}

bool yg__corr_suppress(const struct yg_corr_set *cs, uint32_t r)
{
    return cs && r < cs->nd && cs->d[r].suppress;
}

size_t yg__corr_nfields(const struct yg_corr_set *cs, uint32_t r)
{
    return cs && r < cs->nd ? cs->d[r].nfields : 0;
}

const char *yg__corr_field(const struct yg_corr_set *cs, uint32_t r, size_t k)
{
    return cs && r < cs->nd && k < cs->d[r].nfields ? cs->d[r].fields[k] : NULL;
}

/* ---- state ------------------------------------------------------------ */

/* A distinct value (or value tuple) of a value_count group. */
struct ditem {
    struct ditem *next;
    uint64_t h;
    size_t refs;  /* stored entries pointing here */
    size_t wrefs; /* of those, entries inside the window */
    size_t n;
    char s[];
};

/* Where an address of a yagura_* detection is (see geo.h).  s holds the
 * address text, a NUL, the network's organisation and a NUL. */
struct place {
    double lat, lon;
    uint32_t radius_km, asn;
    char cc[4];
    bool has_coords;
    size_t bytes; /* allocated, as accounted */
    size_t addrlen;
    char s[];
};

/* ext_value(): stored, not usable (counted as ignored), out of memory. */
enum { EXT_OK, EXT_IGNORE, EXT_NOMEM };

struct entry {
    int64_t t;
    void *ev;
    union {
        double num;
        struct ditem *item;
        uint32_t slot;
    } u;
    struct place *pl; /* yagura_* types with geolocation, else NULL */
    bool fired;       /* yagura_* types: this entry raised its alert already */
};

struct group {
    struct group *hnext;
    struct group *prev, *next; /* per-correlation list, least recently updated first */
    uint64_t h;
    uint64_t touch;
    uint32_t corr;
    uint32_t lane; /* 0, or 1 + the copy of a fanned-out detection (see struct run) */
    size_t bytes;
    char *key; /* encoded values: see make_key() */
    size_t keylen;
    const char **vals;
    size_t *vlens;
    /* Entries e[off..n) in time order are stored; e[w..end) is the window
     * the aggregates describe (off <= w <= end <= n). */
    struct entry *e;
    size_t off, w, end, n, cap;
    double sum;
    size_t distinct;
    struct ditem **dtab;
    size_t dcap, ditems;
    uint32_t *rcount; /* temporal: detections per slot in the window */
    size_t seen;      /* temporal: slots with a detection in the window */
    int64_t *S;       /* temporal_ordered: see ordered_add() */
};

struct lru {
    struct group *head, *tail;
};

struct yg_corr_state {
    const struct yg_corr_set *cs;
    size_t cap;
    int64_t lateness;
    int64_t watermark;
    bool any;
    uint64_t seq;
    struct group **tab;
    size_t tcap;
    struct lru *lru;
    struct yg_buf kbuf; /* group key scratch */
    struct yg_buf vbuf; /* value tuple scratch */
    double *pbuf;       /* percentile scratch */
    size_t pcap;
    size_t feeds;
    void (*hold)(void *ud, void *ev);
    void (*release)(void *ud, void *ev);
    void *hud;
    const struct yg_geo *geo;
    bool *inactive;     /* per correlation: needs a database geo lacks */
    struct yg_buf dbuf; /* the finding of a yagura_* alert */
    struct yg_corr_stats stats;
};

/* lane: 0 for a detection fed to every correlation it reaches (hunt,
 * watch); 1 + k for copy k of a detection published once per outer chain
 * of a fan-out (yg__corr_feed_copy): up to and including the first
 * correlation on its way that feeds several outer ones, its windows are
 * kept apart from those of the other copies, only copy 0 raises their own
 * alerts, and that fan-out correlation's alerts go to outer chain k only,
 * where the lane ends (0 again). */
struct run {
    yg_corr_fire_fn fire;
    void *ud;
    bool fired;
    yg_err err;
    uint32_t lane;
};

static void evidence_hold(struct yg_corr_state *st, void *ev)
{
    if (ev && st->hold)
        st->hold(st->hud, ev);
}

static void evidence_release(struct yg_corr_state *st, void *ev)
{
    if (ev && st->release)
        st->release(st->hud, ev);
}

static void account(struct yg_corr_state *st, struct group *g, size_t add, size_t sub)
{
    g->bytes = g->bytes + add - sub;
    st->stats.bytes = st->stats.bytes + add - sub;
}

yg_err yg__corr_state_new(const struct yg_corr_set *cs, size_t mem_cap_bytes,
                          struct yg_corr_state **out)
{
    *out = NULL;
    if (!cs)
        return YG_EINVAL;
    struct yg_corr_state *st = yg_calloc(1, sizeof *st);
    if (!st)
        return YG_ENOMEM;
    st->cs = cs;
    st->cap = mem_cap_bytes ? mem_cap_bytes : YG_CORR_DEFAULT_MEM;
    st->tcap = 64;
    st->tab = yg_calloc(st->tcap, sizeof *st->tab);
    st->lru = yg_calloc(cs->nc + 1, sizeof *st->lru);
    st->inactive = yg_calloc(cs->nc + 1, sizeof *st->inactive);
    yg_buf_init(&st->kbuf, (size_t)1 << 30);
    yg_buf_init(&st->vbuf, (size_t)1 << 30);
    yg_buf_init(&st->dbuf, (size_t)1 << 20);
    if (!st->tab || !st->lru || !st->inactive) {
        yg_free(st->tab);
        yg_free(st->lru);
        yg_free(st->inactive);
        yg_free(st);
        return YG_ENOMEM;
    }
    /* Without databases, what needs them waits for yg__corr_set_geo(). */
    for (size_t i = 0; i < cs->nc; i++)
        st->inactive[i] = yg__corr_geo_needs(cs, i) != 0;
    st->stats.bytes = sizeof *st + st->tcap * sizeof *st->tab;
    *out = st;
    return YG_OK;
}

void yg__corr_set_lateness(struct yg_corr_state *st, int64_t lateness_ms)
{
    st->lateness = lateness_ms < 0 ? 0 : lateness_ms;
}

void yg__corr_set_evidence_hooks(struct yg_corr_state *st, void (*hold)(void *ud, void *ev),
                                 void (*release)(void *ud, void *ev), void *ud)
{
    st->hold = hold;
    st->release = release;
    st->hud = ud;
}

void yg__corr_stats(const struct yg_corr_state *st, struct yg_corr_stats *out)
{
    *out = st->stats;
}

/* Drop the stored entry at the front.  Callers either drop entries outside
 * the window or reset the aggregates first (re-arm), so a distinct value
 * whose last stored entry goes is never still counted in the window. */
static void drop_front(struct yg_corr_state *st, struct group *g)
{
    struct entry *en = &g->e[g->off];
    evidence_release(st, en->ev);
    if (en->pl) {
        account(st, g, 0, en->pl->bytes);
        yg_free(en->pl);
        en->pl = NULL;
    }
    enum ctype ty = st->cs->c[g->corr].type;
    if (ty == T_VALUE_COUNT || ty == T_NEW_VALUE) {
        struct ditem *it = en->u.item;
        if (--it->refs == 0) {
            struct ditem **pp = &g->dtab[it->h & (g->dcap - 1)];
            while (*pp != it)
                pp = &(*pp)->next;
            *pp = it->next;
            account(st, g, 0, sizeof *it + it->n);
            g->ditems--;
            yg_free(it);
        }
    }
    g->off++;
    if (g->w < g->off)
        g->w = g->off;
    if (g->end < g->off)
        g->end = g->off;
}

static int64_t sub_sat(int64_t a, int64_t b)
{
    /* b >= 0 always (timespans, lateness). */
    return a < INT64_MIN + b ? INT64_MIN : a - b;
}

/* ---- aggregates over the window e[w..end) ----------------------------- */

static void agg_reset(const struct corr *c, struct group *g)
{
    g->sum = 0;
    g->distinct = 0;
    g->seen = 0;
    for (size_t b = 0; g->dtab && b < g->dcap; b++)
        for (struct ditem *it = g->dtab[b]; it; it = it->next)
            it->wrefs = 0;
    if (g->rcount)
        memset(g->rcount, 0, c->nrefs * sizeof *g->rcount);
    for (size_t i = 0; g->S && i < c->nrefs * c->nrefs; i++)
        g->S[i] = INT64_MIN;
}

/*
 * temporal_ordered keeps, for every slot j and chain length L, the latest
 * start time S[j][L] of a chain of L detections of distinct slots in the
 * listed order that ends with a detection of slot j.  A chain of length L is
 * inside the window ending at T when its start is >= T - timespan (its end is
 * at most T by construction), and keeping the latest start is enough: a
 * later start is inside every window an earlier one is.  This is the
 * sequence state machine of EQL-style engines extended to partial chains so
 * that `condition` can ask for fewer than all rules.
 */
static void ordered_add(const struct corr *c, struct group *g, size_t j, int64_t t)
{
    size_t k = c->nrefs;
    int64_t *S = g->S;
    for (size_t L = j + 1 < k ? j + 1 : k; L >= 2; L--) {
        int64_t best = INT64_MIN;
        for (size_t i = 0; i < j; i++)
            if (S[i * k + L - 2] > best)
                best = S[i * k + L - 2];
        if (best > S[j * k + L - 1])
            S[j * k + L - 1] = best;
    }
    S[j * k] = t;
}

static void agg_add(const struct corr *c, struct group *g, const struct entry *en)
{
    switch (c->type) {
    case T_EVENT_COUNT:
    case T_TRAVEL:
    case T_VALUE_PERCENTILE: break;
    case T_NEW_VALUE:
    case T_VALUE_COUNT:
        if (en->u.item->wrefs++ == 0)
            g->distinct++;
        break;
    case T_TEMPORAL:
        if (g->rcount[en->u.slot]++ == 0)
            g->seen++;
        break;
    case T_TEMPORAL_ORDERED: ordered_add(c, g, en->u.slot, en->t); break;
    case T_VALUE_SUM:
    case T_VALUE_AVG: g->sum += en->u.num; break;
    }
}

static void agg_remove(const struct corr *c, struct group *g, const struct entry *en)
{
    switch (c->type) {
    case T_EVENT_COUNT:
    case T_VALUE_PERCENTILE:
    case T_TEMPORAL_ORDERED: break; /* the start-time test leaves old chains out */
    case T_TRAVEL: break;
    case T_NEW_VALUE:
    case T_VALUE_COUNT:
        if (--en->u.item->wrefs == 0)
            g->distinct--;
        break;
    case T_TEMPORAL:
        if (--g->rcount[en->u.slot] == 0)
            g->seen--;
        break;
    case T_VALUE_SUM:
    case T_VALUE_AVG: g->sum -= en->u.num; break;
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The aggregate of the window ending at T; *first is where its
 * contributing detections start.  Returns false when scratch memory for a
 * percentile could not be had. */
static bool window_value(struct yg_corr_state *st, const struct corr *c, struct group *g, int64_t T,
                         double *v, int64_t *first)
{
    size_t cnt = g->end - g->w;
    *first = g->e[g->w].t;
    switch (c->type) {
    case T_EVENT_COUNT: *v = (double)cnt; return true;
    case T_VALUE_COUNT: *v = (double)g->distinct; return true;
    case T_TEMPORAL: *v = (double)g->seen; return true;
    case T_VALUE_SUM: *v = g->sum; return true;
    case T_VALUE_AVG: *v = g->sum / (double)cnt; return true;
    case T_NEW_VALUE:
    case T_TRAVEL: *v = (double)cnt; return true; /* not used: see process_ext() */
    case T_TEMPORAL_ORDERED: {
        size_t k = c->nrefs;
        int64_t thr = sub_sat(T, c->span);
        *v = 0;
        for (size_t L = k; L >= 1 && *v == 0; L--)
            for (size_t j = L - 1; j < k; j++)
                if (g->S[j * k + L - 1] >= thr && g->S[j * k + L - 1] != INT64_MIN) {
                    if (*v == 0 || g->S[j * k + L - 1] > *first)
                        *first = g->S[j * k + L - 1];
                    *v = (double)L;
                }
        return true;
    }
    case T_VALUE_PERCENTILE: {
        if (cnt > st->pcap) {
            size_t nc = cnt < 64 ? 64 : cnt * 2;
            double *np = yg_realloc(st->pbuf, nc * sizeof *np);
            if (!np)
                return false;
            st->pbuf = np;
            st->pcap = nc;
        }
        for (size_t i = 0; i < cnt; i++)
            st->pbuf[i] = g->e[g->w + i].u.num;
        /* Nearest rank: the smallest value with at least pct% of the values
         * at or below it, as the ranking SQL of pySigma backends computes. */
        double r = ceil(c->pct / 100.0 * (double)cnt);
        size_t rank = r < 1 ? 1 : r > (double)cnt ? cnt : (size_t)r;
        qsort(st->pbuf, cnt, sizeof *st->pbuf, cmp_double);
        *v = st->pbuf[rank - 1];
        return true;
    }
    }
    return false;
}

static bool cond_ok(const struct corr *c, double v)
{
    for (size_t i = 0; i < c->nconds; i++) {
        double x = c->conds[i].v;
        bool ok;
        switch (c->conds[i].op) {
        case OP_GT: ok = v > x; break;
        case OP_GTE: ok = v >= x; break;
        case OP_LT: ok = v < x; break;
        case OP_LTE: ok = v <= x; break;
        case OP_EQ: ok = v == x; break;
        default: ok = v != x; break;
        }
        if (!ok)
            return false;
    }
    return true;
}

/* ---- groups ------------------------------------------------------------ */

static void lru_unlink(struct lru *l, struct group *g)
{
    if (g->prev)
        g->prev->next = g->next;
    else
        l->head = g->next;
    if (g->next)
        g->next->prev = g->prev;
    else
        l->tail = g->prev;
    g->prev = g->next = NULL;
}

static void lru_append(struct lru *l, struct group *g)
{
    g->prev = l->tail;
    g->next = NULL;
    if (l->tail)
        l->tail->next = g;
    else
        l->head = g;
    l->tail = g;
}

static void touch(struct yg_corr_state *st, struct group *g)
{
    struct lru *l = &st->lru[g->corr];
    g->touch = ++st->seq;
    if (l->tail != g) {
        lru_unlink(l, g);
        lru_append(l, g);
    }
}

static void group_free(struct yg_corr_state *st, struct group *g)
{
    struct group **pp = &st->tab[g->h & (st->tcap - 1)];
    while (*pp != g)
        pp = &(*pp)->hnext;
    *pp = g->hnext;
    lru_unlink(&st->lru[g->corr], g);
    for (size_t i = g->off; i < g->n; i++) {
        evidence_release(st, g->e[i].ev);
        yg_free(g->e[i].pl);
    }
    for (size_t b = 0; g->dtab && b < g->dcap; b++)
        for (struct ditem *it = g->dtab[b], *nx; it; it = nx) {
            nx = it->next;
            yg_free(it);
        }
    st->stats.bytes -= g->bytes;
    st->stats.groups--;
    yg_free(g->dtab);
    yg_free(g->rcount);
    yg_free(g->S);
    yg_free(g->e);
    yg_free(g->vals);
    yg_free(g->vlens);
    yg_free(g->key);
    yg_free(g);
}

/* Key: per value a 4-byte length, the bytes and a NUL (so that the alert
 * can point at the values as C strings); lengths keep ("a","bc") apart
 * from ("ab","c"). */
static yg_err make_key(struct yg_buf *b, const struct yg_str *v, size_t n)
{
    yg_err err = YG_OK;
    yg_buf_reset(b);
    for (size_t i = 0; i < n; i++) {
        uint32_t len = (uint32_t)(v[i].n > UINT32_MAX ? UINT32_MAX : v[i].n);
        YG_TRY(yg_buf_add(b, &len, sizeof len));
        YG_TRY(yg_buf_add(b, v[i].p, len));
        YG_TRY(yg_buf_addc(b, 0));
    }
done:
    return err;
}

static void maybe_grow_table(struct yg_corr_state *st)
{
    if (st->stats.groups < st->tcap)
        return;
    size_t nc = st->tcap * 2;
    struct group **nt = yg_calloc(nc, sizeof *nt);
    if (!nt)
        return; /* longer chains, still correct */
    for (size_t b = 0; b < st->tcap; b++)
        for (struct group *g = st->tab[b], *nx; g; g = nx) {
            nx = g->hnext;
            g->hnext = nt[g->h & (nc - 1)];
            nt[g->h & (nc - 1)] = g;
        }
    st->stats.bytes += (nc - st->tcap) * sizeof *nt;
    yg_free(st->tab);
    st->tab = nt;
    st->tcap = nc;
}

static struct group *get_group(struct yg_corr_state *st, uint32_t ci, uint32_t lane,
                               const struct yg_str *vals)
{
    const struct corr *c = &st->cs->c[ci];
    if (make_key(&st->kbuf, vals, c->ngroup) != YG_OK)
        return NULL;
    const char *key = st->kbuf.p ? st->kbuf.p : "";
    size_t kn = st->kbuf.n;
    uint64_t h = yg_hash(key, kn) ^ ((uint64_t)ci * 0x9E3779B97F4A7C15ull) ^
                 ((uint64_t)lane * 0xC2B2AE3D27D4EB4Full);
    for (struct group *g = st->tab[h & (st->tcap - 1)]; g; g = g->hnext)
        if (g->h == h && g->corr == ci && g->lane == lane && g->keylen == kn &&
            memcmp(g->key, key, kn) == 0)
            return g;

    struct group *g = yg_calloc(1, sizeof *g);
    if (!g)
        return NULL;
    size_t k = c->nrefs;
    g->key = yg_malloc(kn + 1);
    g->vals = yg_calloc(c->ngroup + 1, sizeof *g->vals);
    g->vlens = yg_calloc(c->ngroup + 1, sizeof *g->vlens);
    size_t extra = 0;
    bool ok = g->key && g->vals && g->vlens;
    if (ok && c->type == T_TEMPORAL) {
        g->rcount = yg_calloc(k, sizeof *g->rcount);
        extra = k * sizeof *g->rcount;
        ok = g->rcount != NULL;
    } else if (ok && c->type == T_TEMPORAL_ORDERED) {
        g->S = yg_malloc(k * k * sizeof *g->S);
        extra = k * k * sizeof *g->S;
        ok = g->S != NULL;
    } else if (ok && (c->type == T_VALUE_COUNT || c->type == T_NEW_VALUE)) {
        g->dcap = 8;
        g->dtab = yg_calloc(g->dcap, sizeof *g->dtab);
        extra = g->dcap * sizeof *g->dtab;
        ok = g->dtab != NULL;
    }
    if (!ok) {
        yg_free(g->key);
        yg_free(g->vals);
        yg_free(g->vlens);
        yg_free(g->rcount);
        yg_free(g->S);
        yg_free(g->dtab);
        yg_free(g);
        return NULL;
    }
    memcpy(g->key, key, kn);
    g->key[kn] = 0;
    g->keylen = kn;
    for (size_t i = 0, p = 0; i < c->ngroup; i++) {
        uint32_t len;
        memcpy(&len, g->key + p, sizeof len);
        g->vals[i] = g->key + p + sizeof len;
        g->vlens[i] = len;
        p += sizeof len + len + 1;
    }
    g->h = h;
    g->corr = ci;
    g->lane = lane;
    agg_reset(c, g);
    g->hnext = st->tab[h & (st->tcap - 1)];
    st->tab[h & (st->tcap - 1)] = g;
    lru_append(&st->lru[ci], g);
    st->stats.groups++;
    account(st, g,
            sizeof *g + kn + 1 + (c->ngroup + 1) * (sizeof *g->vals + sizeof *g->vlens) + extra, 0);
    maybe_grow_table(st);
    return g;
}

/* Room for one more entry: compact when the dropped front is large, else
 * double. */
static bool ensure_cap(struct yg_corr_state *st, struct group *g)
{
    if (g->n < g->cap)
        return true;
    if (g->off && g->off >= g->cap / 4) {
        memmove(g->e, g->e + g->off, (g->n - g->off) * sizeof *g->e);
        g->w -= g->off;
        g->end -= g->off;
        g->n -= g->off;
        g->off = 0;
        return true;
    }
    size_t nc = g->cap ? g->cap * 2 : 4;
    struct entry *ne = yg_realloc(g->e, nc * sizeof *ne);
    if (!ne)
        return false;
    account(st, g, (nc - g->cap) * sizeof *ne, 0);
    g->e = ne;
    g->cap = nc;
    return true;
}

static struct ditem *ditem_get(struct yg_corr_state *st, struct group *g, const char *s, size_t n)
{
    uint64_t h = yg_hash(s, n);
    for (struct ditem *it = g->dtab[h & (g->dcap - 1)]; it; it = it->next)
        if (it->h == h && it->n == n && memcmp(it->s, s, n) == 0) {
            it->refs++;
            return it;
        }
    if (g->ditems >= g->dcap) {
        size_t nc = g->dcap * 2;
        struct ditem **nt = yg_calloc(nc, sizeof *nt);
        if (nt) {
            for (size_t b = 0; b < g->dcap; b++)
                for (struct ditem *it = g->dtab[b], *nx; it; it = nx) {
                    nx = it->next;
                    it->next = nt[it->h & (nc - 1)];
                    nt[it->h & (nc - 1)] = it;
                }
            account(st, g, (nc - g->dcap) * sizeof *nt, 0);
            yg_free(g->dtab);
            g->dtab = nt;
            g->dcap = nc;
        }
    }
    struct ditem *it = yg_malloc(sizeof *it + n + 1);
    if (!it)
        return NULL;
    it->h = h;
    it->refs = 1;
    it->wrefs = 0;
    it->n = n;
    if (n)
        memcpy(it->s, s, n);
    it->s[n] = 0;
    it->next = g->dtab[h & (g->dcap - 1)];
    g->dtab[h & (g->dcap - 1)] = it;
    g->ditems++;
    account(st, g, sizeof *it + n, 0);
    return it;
}

/* ---- feeding ---------------------------------------------------------- */

static void feed_sub(struct yg_corr_state *st, const struct sub *sb, int64_t t,
                     const struct yg_str *vals, void *ev, struct run *run);
static void process_ext(struct yg_corr_state *st, struct group *g, size_t pos, struct run *run);
struct place;
static int ext_value(struct yg_corr_state *st, const struct corr *c, struct yg_str v,
                     struct place **pl);

/* Feed correlation c's alert (group g, completed by entry i at T) to the
 * correlations chained on it.  A fanned-out copy (run->lane) goes to its
 * own outer chain only, if c is where the fan-out is. */
static void feed_chains(struct yg_corr_state *st, const struct corr *c, struct group *g, size_t i,
                        int64_t T, struct run *run)
{
    struct yg_str gv[YG_CORR_MAX_GROUP_BY + 1];
    for (size_t k = 0; k < c->ngroup; k++)
        gv[k] = (struct yg_str){g->vals[k], g->vlens[k]};
    uint32_t lane = run->lane;
    if (lane && c->nsubs > 1) {
        if (lane - 1 < c->nsubs) {
            run->lane = 0;
            feed_sub(st, &c->subs[lane - 1], T, gv, g->e[i].ev, run);
            run->lane = lane;
        }
        return;
    }
    for (size_t s = 0; s < c->nsubs; s++)
        feed_sub(st, &c->subs[s], T, gv, g->e[i].ev, run);
}

static void fire_group(struct yg_corr_state *st, const struct corr *c, struct group *g, size_t i,
                       int64_t first, int64_t T, double v, struct run *run)
{
    void *evs[YG_CORR_MAX_EVIDENCE];
    size_t nev = 0;
    for (size_t j = i + 1; j-- > g->w && nev < YG_CORR_MAX_EVIDENCE;)
        if (g->e[j].ev)
            evs[nev++] = g->e[j].ev;
    if (!c->suppress && run->fire && run->lane <= 1) {
        struct yg_corr_alert a = {c->rule,   type_names[c->type],
                                  c->gnames, g->vals,
                                  c->ngroup, first,
                                  T,         v,
                                  nev,       evs,
                                  NULL,      0};
        run->fire(run->ud, &a);
        run->fired = true;
        st->stats.alerts++;
    }
    /* Chains: the alert is one detection of the outer correlations.  This
     * runs before the window is cleared so the evidence handle is still
     * held while the outer windows take their own hold on it. */
    feed_chains(st, c, g, i, T, run);
}

/* Clear the window after an alert: entries up to i go, later ones (only
 * present after a late insertion) stay and are tested on their own. */
static void rearm(struct yg_corr_state *st, const struct corr *c, struct group *g, size_t i)
{
    agg_reset(c, g);
    while (g->off <= i)
        drop_front(st, g);
    g->w = g->end = g->off;
}

/* The window upkeep of process() and process_ext().  An entry at pos
 * before the window's end (a late insertion) rebuilds the window from the
 * stored entries, so that each later window includes it. */
static void window_rewind(const struct corr *c, struct group *g, size_t pos)
{
    if (pos < g->end) {
        agg_reset(c, g);
        g->w = g->end = g->off;
    }
}

/* Take the next stored entry into the window, and drop from its front the
 * entries more than the span older; returns the entry's index. */
static size_t window_push(const struct corr *c, struct group *g)
{
    size_t i = g->end;
    int64_t lo = sub_sat(g->e[i].t, c->span);
    agg_add(c, g, &g->e[i]);
    g->end = i + 1;
    while (g->w < g->end && g->e[g->w].t < lo) {
        agg_remove(c, g, &g->e[g->w]);
        g->w++;
    }
    return i;
}

/* Keep what a detection up to `lateness` old could still need. */
static void window_trim(struct yg_corr_state *st, const struct corr *c, struct group *g)
{
    int64_t keep = sub_sat(sub_sat(st->watermark, st->lateness), c->span);
    while (g->off < g->w && g->e[g->off].t < keep)
        drop_front(st, g);
}

/* Bring the window up to the newest entry, testing the condition at every
 * entry from pos on. */
static void process(struct yg_corr_state *st, struct group *g, size_t pos, struct run *run)
{
    const struct corr *c = &st->cs->c[g->corr];
    window_rewind(c, g, pos);
    while (g->end < g->n) {
        size_t i = window_push(c, g);
        int64_t T = g->e[i].t;
        if (i < pos)
            continue;
        double v;
        int64_t first;
        if (!window_value(st, c, g, T, &v, &first)) {
            st->stats.dropped_mem++;
            run->err = YG_ENOMEM;
            continue;
        }
        if (!cond_ok(c, v))
            continue;
        fire_group(st, c, g, i, first, T, v, run);
        rearm(st, c, g, i);
    }
    window_trim(st, c, g);
}

static bool to_number(struct yg_str v, double *out)
{
    char buf[64];
    while (v.n && (*v.p == ' ' || *v.p == '\t'))
        v.p++, v.n--;
    while (v.n && (v.p[v.n - 1] == ' ' || v.p[v.n - 1] == '\t'))
        v.n--;
    if (!v.n || v.n >= sizeof buf)
        return false;
    /* Decimal only: strtod would also take hex, "inf" and "nan". */
    for (size_t i = 0; i < v.n; i++)
        if (!strchr("0123456789+-.eE", v.p[i]) || !v.p[i])
            return false;
    memcpy(buf, v.p, v.n);
    buf[v.n] = 0;
    char *end;
    double d = strtod(buf, &end);
    if (end != buf + v.n || !isfinite(d))
        return false;
    *out = d;
    return true;
}

static void feed_sub(struct yg_corr_state *st, const struct sub *sb, int64_t t,
                     const struct yg_str *vals, void *ev, struct run *run)
{
    const struct corr *c = &st->cs->c[sb->corr];
    struct yg_str gv[YG_CORR_MAX_GROUP_BY + 1];
    for (size_t k = 0; k < c->ngroup; k++) {
        gv[k] = vals[sb->gidx[k]];
        if (!gv[k].p)
            gv[k] = (struct yg_str){"", 0};
    }
    double num = 0;
    struct place *pl = NULL;
    if (c->type == T_NEW_VALUE || c->type == T_TRAVEL) {
        if (st->inactive[sb->corr])
            return;
        int r = ext_value(st, c, vals[sb->vidx[0]], &pl);
        if (r == EXT_IGNORE) {
            st->stats.ignored_values++;
            return;
        }
        if (r == EXT_NOMEM) {
            st->stats.dropped_mem++;
            run->err = YG_ENOMEM;
            return;
        }
    } else if (c->type == T_VALUE_COUNT) {
        yg_buf_reset(&st->vbuf);
        for (size_t f = 0; f < c->nvf; f++) {
            struct yg_str v = vals[sb->vidx[f]];
            uint32_t len = (uint32_t)(v.n > UINT32_MAX ? UINT32_MAX : v.n);
            if (!v.p) {
                st->stats.ignored_values++;
                return;
            }
            if (yg_buf_add(&st->vbuf, &len, sizeof len) || yg_buf_add(&st->vbuf, v.p, len)) {
                st->stats.dropped_mem++;
                run->err = YG_ENOMEM;
                return;
            }
        }
    } else if (c->nvf && (!vals[sb->vidx[0]].p || !to_number(vals[sb->vidx[0]], &num))) {
        st->stats.ignored_values++;
        return;
    }
    struct group *g = get_group(st, sb->corr, run->lane, gv);
    struct entry en = {t, ev, {0}, NULL, false};
    if (!g || !ensure_cap(st, g))
        goto oom;
    switch (c->type) {
    case T_NEW_VALUE:
    case T_VALUE_COUNT:
        en.u.item = ditem_get(st, g, st->vbuf.p ? st->vbuf.p : "", st->vbuf.n);
        if (!en.u.item)
            goto oom;
        break;
    case T_TRAVEL: break;
    case T_TEMPORAL:
    case T_TEMPORAL_ORDERED: en.u.slot = sb->slot; break;
    case T_VALUE_SUM:
    case T_VALUE_AVG:
    case T_VALUE_PERCENTILE: en.u.num = num; break;
    case T_EVENT_COUNT: break;
    }
    /* Equal times keep arrival order: the new entry goes after them. */
    size_t pos = g->n;
    while (pos > g->off && g->e[pos - 1].t > t)
        pos--;
    memmove(g->e + pos + 1, g->e + pos, (g->n - pos) * sizeof *g->e);
    en.pl = pl;
    if (pl)
        account(st, g, pl->bytes, 0);
    g->e[pos] = en;
    g->n++;
    evidence_hold(st, ev);
    touch(st, g);
    if (c->type == T_NEW_VALUE || c->type == T_TRAVEL)
        process_ext(st, g, pos, run);
    else
        process(st, g, pos, run);
    return;
oom:
    yg_free(pl);
    st->stats.dropped_mem++;
    run->err = YG_ENOMEM;
}

/* ---- analytics: yagura_new_value and yagura_travel ------------------------
 *
 * Two questions plain Sigma correlations cannot ask, answered on the same
 * stream of detections, so that replay, lateness, chaining and alerts work
 * as for the other types:
 *
 * yagura_new_value: is the value of condition.field (or the country or
 * network its address belongs to, `geo: country|asn`) one the group has not
 * had within `timespan` (the history horizon)?  A group with fewer than
 * `min_history` earlier detections within the horizon is still learning and
 * never alerts, so an account's first logins are not "new".  The window is
 * the one of value_count (distinct values with reference counts); the test
 * is that the new detection's value is referenced once, by itself.  Nothing
 * is cleared after an alert: the new value is known from then on.
 *
 * yagura_travel: two consecutive detections of the group, at most
 * `timespan` apart, whose addresses are more than `min_km` apart (the
 * great-circle distance less both accuracy radii) at a speed above
 * `max_kmh` (the time difference counted as one minute at least, so equal
 * timestamps give a finite speed).
 *
 * A detection without a usable value (no field, an address with no place)
 * is not stored: it neither counts as history nor breaks a pair.  With
 * lateness, a late detection re-tests every later one; an entry that has
 * alerted is marked so that re-testing never alerts twice for it.
 */

static struct place *place_new(struct yg_str addr, const struct yg_geo_info *gi)
{
    size_t orglen = strlen(gi->as_org);
    size_t bytes = sizeof(struct place) + addr.n + orglen + 2;
    struct place *pl = yg_malloc(bytes);
    if (!pl)
        return NULL;
    pl->lat = gi->lat;
    pl->lon = gi->lon;
    pl->radius_km = gi->radius_km;
    pl->asn = gi->asn;
    memcpy(pl->cc, gi->country, sizeof pl->cc);
    pl->has_coords = gi->has_coords;
    pl->bytes = bytes;
    pl->addrlen = addr.n;
    memcpy(pl->s, addr.p, addr.n);
    pl->s[addr.n] = 0;
    memcpy(pl->s + addr.n + 1, gi->as_org, orglen + 1);
    return pl;
}

/* The compared value of a detection into st->vbuf (yagura_new_value) and
 * its place (*pl, when the type uses geolocation). */
static int ext_value(struct yg_corr_state *st, const struct corr *c, struct yg_str v,
                     struct place **pl)
{
    struct yg_geo_info gi;
    *pl = NULL;
    yg_buf_reset(&st->vbuf);
    if (!v.p || !v.n)
        return EXT_IGNORE;
    if (c->type == T_NEW_VALUE && c->geo == G_NONE)
        return yg_buf_add(&st->vbuf, v.p, v.n) ? EXT_NOMEM : EXT_OK;
    if (yg__geo_lookup(st->geo, v.p, v.n, &gi) != YG_OK)
        return EXT_IGNORE;
    if (c->type == T_TRAVEL && !gi.has_coords)
        return EXT_IGNORE;
    if (c->type == T_NEW_VALUE) {
        yg_err e;
        if (c->geo == G_COUNTRY && !gi.country[0])
            return EXT_IGNORE;
        if (c->geo == G_ASN && !gi.asn)
            return EXT_IGNORE;
        if (c->geo == G_COUNTRY)
            e = yg_buf_add(&st->vbuf, gi.country, strlen(gi.country));
        else
            e = yg_buf_addf(&st->vbuf, "AS%u", (unsigned)gi.asn);
        if (e)
            return EXT_NOMEM;
    }
    *pl = place_new(v, &gi);
    return *pl ? EXT_OK : EXT_NOMEM;
}

static void fmt_ms(int64_t ms, char *out, size_t n)
{
    char t[YG_TIME_TEXT];
    if (yg__time_format(ms, t))
        snprintf(out, n, "%s", t);
    else /* a year outside 0-9999 */
        snprintf(out, n, "%lld", (long long)ms);
}

static yg_err json_place(struct yg_buf *b, const struct entry *en)
{
    yg_err err = YG_OK;
    const struct place *pl = en->pl;
    char when[96];
    fmt_ms(en->t, when, sizeof when);
    YG_TRY(yg_buf_addf(b, "{\"time\":\"%s\",\"address\":", when));
    YG_TRY(yg_buf_add_json_str(b, pl->s, pl->addrlen));
    YG_TRY(yg_buf_add(b, ",\"country\":", 11));
    YG_TRY(yg_buf_add_json_str(b, pl->cc, strlen(pl->cc)));
    if (pl->has_coords)
        YG_TRY(yg_buf_addf(b, ",\"latitude\":%.4f,\"longitude\":%.4f", pl->lat, pl->lon));
    if (pl->radius_km)
        YG_TRY(yg_buf_addf(b, ",\"accuracy_km\":%u", (unsigned)pl->radius_km));
    if (pl->asn)
        YG_TRY(yg_buf_addf(b, ",\"asn\":%u", (unsigned)pl->asn));
    if (pl->s[pl->addrlen + 1]) {
        YG_TRY(yg_buf_add(b, ",\"as_org\":", 10));
        YG_TRY(yg_buf_add_json_str(b, pl->s + pl->addrlen + 1, strlen(pl->s + pl->addrlen + 1)));
    }
    YG_TRY(yg_buf_addc(b, '}'));
done:
    return err;
}

/* Deliver an analytic's alert (the finding is in st->dbuf) and feed the
 * correlations chained on it. */
static void fire_ext(struct yg_corr_state *st, const struct corr *c, struct group *g, size_t i,
                     int64_t first, double v, void *const *evs, size_t nev, struct run *run)
{
    int64_t T = g->e[i].t;
    g->e[i].fired = true;
    if (!c->suppress && run->fire && run->lane <= 1) {
        struct yg_corr_alert a = {
            c->rule, type_names[c->type], c->gnames, g->vals, c->ngroup, first, T, v, nev,
            evs,     st->dbuf.p,          st->dbuf.n};
        run->fire(run->ud, &a);
        run->fired = true;
        st->stats.alerts++;
    }
    feed_chains(st, c, g, i, T, run);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void test_new_value(struct yg_corr_state *st, const struct corr *c, struct group *g,
                           size_t i, struct run *run)
{
    yg_err err = YG_OK;
    struct entry *en = &g->e[i];
    size_t earlier = g->end - g->w - 1;
    if (en->u.item->wrefs != 1 || (double)earlier < c->min_history)
        return;
    /* The known values, sorted so that the finding reads the same on
     * every run. */
    const char *known[YG_CORR_MAX_EVIDENCE];
    size_t nk = 0;
    for (size_t b = 0; b < g->dcap; b++)
        for (struct ditem *it = g->dtab[b]; it; it = it->next)
            if (it->wrefs && it != en->u.item && nk < YG_CORR_MAX_EVIDENCE)
                known[nk++] = it->s;
    qsort(known, nk, sizeof *known, cmp_str);
    struct yg_buf *b = &st->dbuf;
    char since[96];
    fmt_ms(g->e[g->w].t, since, sizeof since);
    yg_buf_reset(b);
    YG_TRY(yg_buf_add(b, "{\"analytic\":\"yagura_new_value\",\"field\":", 39));
    YG_TRY(yg_buf_add_json_str(b, c->vname, strlen(c->vname)));
    if (c->geo != G_NONE)
        YG_TRY(yg_buf_addf(b, ",\"geo\":\"%s\"", geo_names[c->geo]));
    YG_TRY(yg_buf_add(b, ",\"value\":", 9));
    YG_TRY(yg_buf_add_json_str(b, en->u.item->s, en->u.item->n));
    if (en->pl) {
        YG_TRY(yg_buf_add(b, ",\"address\":", 11));
        YG_TRY(yg_buf_add_json_str(b, en->pl->s, en->pl->addrlen));
        if (c->geo == G_ASN && en->pl->s[en->pl->addrlen + 1]) {
            YG_TRY(yg_buf_add(b, ",\"as_org\":", 10));
            const char *org = en->pl->s + en->pl->addrlen + 1;
            YG_TRY(yg_buf_add_json_str(b, org, strlen(org)));
        }
    }
    YG_TRY(yg_buf_add(b, ",\"known\":[", 10));
    for (size_t k = 0; k < nk; k++) {
        if (k)
            YG_TRY(yg_buf_addc(b, ','));
        YG_TRY(yg_buf_add_json_str(b, known[k], strlen(known[k])));
    }
    YG_TRY(yg_buf_addf(b, "],\"known_count\":%zu,\"history\":%zu,\"history_since\":\"%s\"}",
                       g->distinct - 1, earlier, since));
    {
        void *evs[YG_CORR_MAX_EVIDENCE];
        size_t nev = 0;
        for (size_t j = i + 1; j-- > g->w && nev < YG_CORR_MAX_EVIDENCE;)
            if (g->e[j].ev)
                evs[nev++] = g->e[j].ev;
        fire_ext(st, c, g, i, g->e[g->w].t, (double)(g->distinct - 1), evs, nev, run);
    }
    return;
done:
    st->stats.dropped_mem++;
    run->err = err;
}

static void test_travel(struct yg_corr_state *st, const struct corr *c, struct group *g, size_t i,
                        struct run *run)
{
    yg_err err = YG_OK;
    if (i == g->w)
        return; /* no earlier detection within timespan */
    const struct entry *a = &g->e[i - 1], *z = &g->e[i];
    double d = yg__geo_distance_km(a->pl->lat, a->pl->lon, z->pl->lat, z->pl->lon);
    double eff = d - (double)a->pl->radius_km - (double)z->pl->radius_km;
    if (eff <= c->min_km)
        return;
    int64_t dt = z->t - a->t;
    double hours = (double)(dt < 60000 ? 60000 : dt) / 3600000.0;
    double speed = eff / hours;
    if (speed <= c->max_kmh)
        return;
    struct yg_buf *b = &st->dbuf;
    yg_buf_reset(b);
    YG_TRY(yg_buf_add(b, "{\"analytic\":\"yagura_travel\",\"field\":", 36));
    YG_TRY(yg_buf_add_json_str(b, c->vname, strlen(c->vname)));
    YG_TRY(yg_buf_add(b, ",\"from\":", 8));
    YG_TRY(json_place(b, a));
    YG_TRY(yg_buf_add(b, ",\"to\":", 6));
    YG_TRY(json_place(b, z));
    YG_TRY(yg_buf_addf(b, ",\"distance_km\":%.1f,\"hours\":%.3f,\"speed_kmh\":%.1f}", d,
                       (double)dt / 3600000.0, speed));
    {
        void *evs[2];
        size_t nev = 0;
        if (z->ev)
            evs[nev++] = z->ev;
        if (a->ev)
            evs[nev++] = a->ev;
        fire_ext(st, c, g, i, a->t, speed, evs, nev, run);
    }
    return;
done:
    st->stats.dropped_mem++;
    run->err = err;
}

/* process() for the analytics: the same window upkeep, a different test,
 * and no re-arm. */
static void process_ext(struct yg_corr_state *st, struct group *g, size_t pos, struct run *run)
{
    const struct corr *c = &st->cs->c[g->corr];
    window_rewind(c, g, pos);
    while (g->end < g->n) {
        size_t i = window_push(c, g);
        if (i < pos || g->e[i].fired)
            continue;
        if (c->type == T_NEW_VALUE)
            test_new_value(st, c, g, i, run);
        else
            test_travel(st, c, g, i, run);
    }
    window_trim(st, c, g);
}

unsigned yg__corr_geo_needs(const struct yg_corr_set *cs, size_t i)
{
    if (!cs || i >= cs->nc)
        return 0;
    const struct corr *c = &cs->c[i];
    if (c->type == T_TRAVEL || (c->type == T_NEW_VALUE && c->geo == G_COUNTRY))
        return YG_CORR_NEEDS_CITY;
    if (c->type == T_NEW_VALUE && c->geo == G_ASN)
        return YG_CORR_NEEDS_ASN;
    return 0;
}

void yg__corr_set_geo(struct yg_corr_state *st, const struct yg_geo *geo,
                      void (*inactive)(void *ud, const struct yg_rule *r, const char *why),
                      void *ud)
{
    st->geo = geo;
    for (size_t i = 0; i < st->cs->nc; i++) {
        unsigned need = yg__corr_geo_needs(st->cs, i);
        bool off = (need == YG_CORR_NEEDS_CITY && !yg__geo_has_city(geo)) ||
                   (need == YG_CORR_NEEDS_ASN && !yg__geo_has_asn(geo));
        st->inactive[i] = off;
        if (off && inactive)
            inactive(ud, st->cs->c[i].rule,
                     need == YG_CORR_NEEDS_CITY ? "needs a city geolocation database"
                                                : "needs an ASN geolocation database");
    }
}

bool yg__corr_inactive(const struct yg_corr_state *st, size_t i)
{
    return st && i < st->cs->nc && st->inactive[i];
}

static bool expired(const struct yg_corr_state *st, const struct group *g)
{
    if (g->n == g->off)
        return true;
    int64_t span = st->cs->c[g->corr].span;
    return g->e[g->n - 1].t < sub_sat(sub_sat(st->watermark, st->lateness), span);
}

static void sweep(struct yg_corr_state *st, uint32_t ci)
{
    /* The list is in update order, so expired groups gather at its head; a
     * few per call keeps the cost of one detection bounded. */
    for (int k = 0; k < 8; k++) {
        struct group *g = st->lru[ci].head;
        if (!g || !expired(st, g))
            break;
        st->stats.expired_groups++;
        group_free(st, g);
    }
}

static void enforce_cap(struct yg_corr_state *st)
{
    while (st->stats.bytes > st->cap) {
        struct group *victim = NULL;
        for (size_t i = 0; i < st->cs->nc; i++) {
            struct group *h = st->lru[i].head;
            if (h && (!victim || h->touch < victim->touch))
                victim = h;
        }
        if (!victim)
            break;
        st->stats.evicted_groups++;
        st->stats.dropped_mem += victim->n - victim->off;
        group_free(st, victim);
    }
}

/* Whether a detection at t_ms is still in time (older than the watermark by
 * more than the lateness: counted and dropped); the watermark follows the
 * newest detection. */
static bool admit(struct yg_corr_state *st, int64_t t_ms)
{
    if (st->any && t_ms < sub_sat(st->watermark, st->lateness)) {
        st->stats.dropped_late++;
        return false;
    }
    if (!st->any || t_ms > st->watermark)
        st->watermark = t_ms;
    st->any = true;
    return true;
}

yg_err yg__corr_feed(struct yg_corr_state *st, uint32_t r, int64_t t_ms,
                     const struct yg_str *values, void *evidence, yg_corr_fire_fn fire, void *ud)
{
    if (!st || r >= st->cs->nd)
        return YG_EINVAL;
    const struct det *d = &st->cs->d[r];
    if (!d->nsubs)
        return YG_OK;
    if (d->nfields && !values)
        return YG_EINVAL;
    if (!admit(st, t_ms))
        return YG_OK;
    struct run run = {fire, ud, false, YG_OK, 0};
    for (size_t s = 0; s < d->nsubs; s++)
        feed_sub(st, &d->subs[s], t_ms, values, evidence, &run);
    for (size_t s = 0; s < d->nsubs; s++)
        sweep(st, d->subs[s].corr);
    if (++st->feeds % 64 == 0)
        for (size_t i = 0; i < st->cs->nc; i++)
            sweep(st, (uint32_t)i);
    enforce_cap(st);
    return run.fired ? YG_OK : run.err;
}

void yg__corr_state_free(struct yg_corr_state *st)
{
    if (!st)
        return;
    for (size_t b = 0; b < st->tcap; b++)
        while (st->tab[b])
            group_free(st, st->tab[b]);
    yg_free(st->tab);
    yg_free(st->lru);
    yg_free(st->pbuf);
    yg_free(st->inactive);
    yg_buf_free(&st->kbuf);
    yg_buf_free(&st->vbuf);
    yg_buf_free(&st->dbuf);
    yg_free(st);
}

/* ---- one correlation at a time (Kafka scale-out, docs/kafka.md) ---------- */

size_t yg__corr_nfeeds(const struct yg_corr_set *cs, uint32_t r)
{
    return cs && r < cs->nd ? cs->d[r].nsubs : 0;
}

size_t yg__corr_feed_target(const struct yg_corr_set *cs, uint32_t r, size_t s)
{
    return cs->d[r].subs[s].corr;
}

/* The first correlation on the way up from sub s of rule r that feeds
 * several outer ones (following single links), or UINT32_MAX. */
static uint32_t fan_out(const struct yg_corr_set *cs, uint32_t r, size_t s)
{
    uint32_t ci = cs->d[r].subs[s].corr;
    for (size_t depth = 0; depth <= cs->nc; depth++) {
        if (cs->c[ci].nsubs > 1)
            return ci;
        if (cs->c[ci].nsubs == 0)
            break;
        ci = cs->c[ci].subs[0].corr;
    }
    return UINT32_MAX;
}

size_t yg__corr_ncopies(const struct yg_corr_set *cs, uint32_t r, size_t s)
{
    uint32_t f = fan_out(cs, r, s);
    return f == UINT32_MAX ? 1 : cs->c[f].nsubs;
}

yg_err yg__corr_partition_key(const struct yg_corr_set *cs, uint32_t r, size_t s,
                              const struct yg_str *values, struct yg_buf *b)
{
    return yg__corr_partition_key_copy(cs, r, s, 0, values, b);
}

yg_err yg__corr_partition_key_copy(const struct yg_corr_set *cs, uint32_t r, size_t s, size_t copy,
                                   const struct yg_str *values, struct yg_buf *b)
{
    const struct sub *sb = &cs->d[r].subs[s];
    uint32_t ci = sb->corr;
    /* idx[k]: where in values the k-th group value of correlation ci is. */
    uint32_t idx[YG_CORR_MAX_GROUP_BY + 1];
    size_t n = cs->c[ci].ngroup;
    for (size_t k = 0; k < n; k++)
        idx[k] = sb->gidx[k];
    /* Up the chain while the correlation feeds exactly one outer one: the
     * outer groups by a subset of its group values (checked when compiled),
     * so keying by the outer group keeps both on one partition.  At the
     * first correlation feeding several, copy k goes on up outer chain k
     * (its windows below are the copy's own, yg__corr_feed_copy); at a
     * second one the key stops there. */
    bool fanned = yg__corr_ncopies(cs, r, s) < 2;
    for (size_t depth = 0; depth < cs->nc; depth++) {
        size_t up_i = 0;
        if (cs->c[ci].nsubs > 1 && !fanned && copy < cs->c[ci].nsubs) {
            up_i = copy;
            fanned = true;
        } else if (cs->c[ci].nsubs != 1)
            break;
        const struct sub *up = &cs->c[ci].subs[up_i];
        const struct corr *o = &cs->c[up->corr];
        uint32_t nidx[YG_CORR_MAX_GROUP_BY + 1];
        for (size_t k = 0; k < o->ngroup; k++)
            nidx[k] = idx[up->gidx[k]];
        memcpy(idx, nidx, o->ngroup * sizeof *idx);
        n = o->ngroup;
        ci = up->corr;
    }
    const struct yg_rule *root = cs->c[ci].rule;
    const char *id = root->id ? root->id : root->title ? root->title : "";
    yg_err err = yg_buf_add(b, id, strlen(id));
    for (size_t k = 0; k < n && !err; k++) {
        struct yg_str v = values[idx[k]];
        /* An absent field groups with the empty value. */
        err = yg_buf_addc(b, '\x1f');
        if (!err && v.p)
            err = yg_buf_add(b, v.p, v.n);
    }
    return err;
}

yg_err yg__corr_feed_one(struct yg_corr_state *st, uint32_t r, size_t s, int64_t t_ms,
                         const struct yg_str *values, void *evidence, yg_corr_fire_fn fire,
                         void *ud)
{
    return yg__corr_feed_copy(st, r, s, YG_CORR_EVERY_CHAIN, t_ms, values, evidence, fire, ud);
}

yg_err yg__corr_feed_copy(struct yg_corr_state *st, uint32_t r, size_t s, size_t copy, int64_t t_ms,
                          const struct yg_str *values, void *evidence, yg_corr_fire_fn fire,
                          void *ud)
{
    if (!st || r >= st->cs->nd || s >= st->cs->d[r].nsubs)
        return YG_EINVAL;
    size_t ncopies = yg__corr_ncopies(st->cs, r, s);
    /* A detection without fan-out has one copy, fed as a whole. */
    uint32_t lane = 0;
    if (copy != YG_CORR_EVERY_CHAIN && ncopies > 1) {
        if (copy >= ncopies)
            return YG_EINVAL;
        lane = (uint32_t)copy + 1;
    }
    const struct det *d = &st->cs->d[r];
    if (d->nfields && !values)
        return YG_EINVAL;
    if (!admit(st, t_ms))
        return YG_OK;
    struct run run = {fire, ud, false, YG_OK, lane};
    feed_sub(st, &d->subs[s], t_ms, values, evidence, &run);
    sweep(st, d->subs[s].corr);
    if (++st->feeds % 64 == 0)
        for (size_t i = 0; i < st->cs->nc; i++)
            sweep(st, (uint32_t)i);
    enforce_cap(st);
    return run.fired ? YG_OK : run.err;
}
