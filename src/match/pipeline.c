/*
 * pipeline.c - pySigma processing pipelines (docs/pipelines.md).
 *
 * Users keep their SIEM's field names in pySigma pipeline YAML; reading the
 * same file lets Yagura hunt over data stored the SIEM's way.  The pipeline
 * is applied to the rule's YAML tree, before compilation, in the order
 * pySigma applies it: pipelines by priority, items in file order, each item
 * over the whole rule as the items before it left it (so a condition added
 * by one item is renamed by a later mapping, as in pySigma).
 *
 * Only rule pre-processing changes what matches; query post-processing and
 * finalizers shape a backend's query text and are ignored.  Everything else
 * Yagura does not implement is refused when the file is loaded, naming the
 * transformation or condition and its position.
 */
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "match/pipeline.h"
#include "core/yaml.h"
#include "yagura/limits.h"

enum ptype {
    PT_FIELD_MAP,    /* field_name_mapping */
    PT_PREFIX_MAP,   /* field_name_prefix_mapping */
    PT_PREFIX,       /* field_name_prefix */
    PT_SUFFIX,       /* field_name_suffix */
    PT_DROP,         /* drop_detection_item */
    PT_ITEM_FAILURE, /* detection_item_failure */
    PT_ADD_COND,     /* add_condition */
    PT_CHANGE_LS,    /* change_logsource */
    PT_RULE_FAILURE, /* rule_failure */
    PT_NOOP,         /* output-field and state bookkeeping: no effect on matching */
};

enum rctype { RC_LOGSOURCE, RC_TAG, RC_ATTR, RC_APPLIED, RC_IS_RULE, RC_IS_CORR };
struct rcond {
    enum rctype type;
    const char *category, *product, *service; /* RC_LOGSOURCE, NULL: any */
    const char *tag;                          /* RC_TAG */
    const char *attr, *value;                 /* RC_ATTR */
    bool ne;                                  /* RC_ATTR op: ne */
    const char *item;                         /* RC_APPLIED: processing item id */
};

enum fctype { FC_INCLUDE, FC_EXCLUDE, FC_APPLIED };
struct fcond {
    enum fctype type;
    const struct yg_ynode *fields; /* sequence (or one scalar) of names or patterns */
    bool re;
    regex_t *rx; /* re mode: one per field */
    const char *item;
};

struct pitem {
    const char *file; /* the pipeline file, for rule_failure messages */
    const char *id;   /* NULL when the item has none */
    enum ptype type;
    const struct yg_ynode *node;
    const struct yg_ynode *mapping; /* FIELD_MAP, PREFIX_MAP */
    const char *affix;              /* PREFIX, SUFFIX */
    const struct yg_ynode *conds;   /* ADD_COND */
    bool negated;
    const char *category, *product, *service; /* CHANGE_LS */
    const char *message;                      /* failures */
    struct rcond *rc;
    size_t nrc;
    bool rc_or, rc_not;
    struct fcond *fc;
    size_t nfc;
    bool fc_or, fc_not;
};

struct yg_pipeset {
    struct pitem *items;
    size_t n, cap;
    regex_t **rxs; /* to free */
    size_t nrx, rxcap;
};

/* ---- loading ------------------------------------------------------------ */

struct lctx {
    struct yg_pipeset *ps;
    struct yg_arena *a;
    struct yg_pipe_err *err;
    const char *file;
};

static yg_err lfail(struct lctx *x, const struct yg_ynode *at, yg_err e, const char *fmt, ...)
    YG_PRINTF(4, 5);
static yg_err lfail(struct lctx *x, const struct yg_ynode *at, yg_err e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(x->err->msg, sizeof x->err->msg, fmt, ap);
    va_end(ap);
    x->err->file = x->file;
    x->err->line = at ? at->line : 1;
    x->err->col = at ? at->col : 1;
    return e;
}

static bool is_str(const struct yg_ynode *n)
{
    return n && n->type == YG_Y_SCALAR && n->skind != YG_S_NULL;
}

static bool is_true(const struct yg_ynode *n)
{
    return n && n->type == YG_Y_SCALAR && n->skind == YG_S_BOOL &&
           (n->s[0] == 't' || n->s[0] == 'T');
}

static yg_err want_bool(struct lctx *x, const struct yg_ynode *n, const char *what, bool *out)
{
    *out = false;
    if (!n)
        return YG_OK;
    if (n->type != YG_Y_SCALAR || n->skind != YG_S_BOOL)
        return lfail(x, n, YG_ESYNTAX, "'%s' must be true or false", what);
    *out = is_true(n);
    return YG_OK;
}

/* `op: and|or`.  pySigma takes any other word as its default (and). */
static bool op_is_or(const struct yg_ynode *n)
{
    return is_str(n) && strcmp(n->s, "or") == 0;
}

static const char *opt_str(struct lctx *x, const struct yg_ynode *m, const char *key, yg_err *e)
{
    const struct yg_ynode *v = yg__ymap_get(m, key);
    *e = YG_OK;
    if (!v || (v->type == YG_Y_SCALAR && v->skind == YG_S_NULL))
        return NULL;
    if (v->type != YG_Y_SCALAR) {
        *e = lfail(x, v, YG_ESYNTAX, "'%s' must be a string", key);
        return NULL;
    }
    return v->s;
}

static bool key_in(const char *k, const char *const *keys)
{
    for (size_t i = 0; keys[i]; i++)
        if (strcmp(k, keys[i]) == 0)
            return true;
    return false;
}

/* Every key of m is one of keys. */
static yg_err only_keys(struct lctx *x, const struct yg_ynode *m, const char *const *keys,
                        const char *what)
{
    for (size_t i = 0; i < m->n; i++) {
        const struct yg_ynode *k = m->items[2 * i];
        if (!is_str(k) || !key_in(k->s, keys))
            return lfail(x, k, YG_EUNSUPPORTED, "%s: parameter '%s' is not supported", what,
                         is_str(k) ? k->s : "?");
    }
    return YG_OK;
}

static yg_err load_rconds(struct lctx *x, struct pitem *it, const struct yg_ynode *v)
{
    if (!v)
        return YG_OK;
    if (v->type == YG_Y_MAP)
        return lfail(x, v, YG_EUNSUPPORTED,
                     "rule_conditions: named conditions with rule_cond_expr are not supported");
    if (v->type != YG_Y_SEQ)
        return lfail(x, v, YG_ESYNTAX, "rule_conditions must be a list");
    it->rc = yg_arena_alloc(x->a, (v->n + 1) * sizeof *it->rc);
    if (!it->rc)
        return YG_ENOMEM;
    memset(it->rc, 0, (v->n + 1) * sizeof *it->rc);
    for (size_t i = 0; i < v->n; i++) {
        const struct yg_ynode *c = v->items[i];
        struct rcond *rc = &it->rc[it->nrc++];
        const struct yg_ynode *t = yg__ymap_get(c, "type");
        if (c->type != YG_Y_MAP || !is_str(t))
            return lfail(x, c, YG_ESYNTAX, "a rule condition must be a map with a 'type'");
        yg_err e = YG_OK;
        if (!strcmp(t->s, "logsource")) {
            static const char *const k[] = {"type", "category", "product", "service", NULL};
            rc->type = RC_LOGSOURCE;
            if ((e = only_keys(x, c, k, "logsource condition")))
                return e;
            rc->category = opt_str(x, c, "category", &e);
            if (!e)
                rc->product = opt_str(x, c, "product", &e);
            if (!e)
                rc->service = opt_str(x, c, "service", &e);
        } else if (!strcmp(t->s, "tag")) {
            static const char *const k[] = {"type", "tag", NULL};
            rc->type = RC_TAG;
            if ((e = only_keys(x, c, k, "tag condition")))
                return e;
            if (!(rc->tag = opt_str(x, c, "tag", &e)) && !e)
                return lfail(x, c, YG_ESYNTAX, "tag condition: 'tag' is missing");
        } else if (!strcmp(t->s, "rule_attribute")) {
            static const char *const k[] = {"type", "attribute", "value", "op", NULL};
            rc->type = RC_ATTR;
            if ((e = only_keys(x, c, k, "rule_attribute condition")))
                return e;
            rc->attr = opt_str(x, c, "attribute", &e);
            if (!e)
                rc->value = opt_str(x, c, "value", &e);
            const char *op = e ? NULL : opt_str(x, c, "op", &e);
            if (e)
                return e;
            if (!rc->attr || !rc->value)
                return lfail(x, c, YG_ESYNTAX, "rule_attribute condition: 'attribute' and 'value'");
            if (op && strcmp(op, "eq") != 0 && strcmp(op, "ne") != 0)
                return lfail(x, yg__ymap_get(c, "op"), YG_EUNSUPPORTED,
                             "rule_attribute condition: op '%s' is not supported (eq, ne)", op);
            rc->ne = op && !strcmp(op, "ne");
            static const char *const attrs[] = {"id",       "title", "status", "level",
                                                "author",   "date",  "name",   "description",
                                                "modified", NULL};
            if (!key_in(rc->attr, attrs))
                return lfail(x, c, YG_EUNSUPPORTED,
                             "rule_attribute condition: attribute '%s' is not supported", rc->attr);
        } else if (!strcmp(t->s, "processing_item_applied")) {
            static const char *const k[] = {"type", "processing_item_id", NULL};
            rc->type = RC_APPLIED;
            if ((e = only_keys(x, c, k, "processing_item_applied condition")))
                return e;
            if (!(rc->item = opt_str(x, c, "processing_item_id", &e)) && !e)
                return lfail(x, c, YG_ESYNTAX, "processing_item_applied: 'processing_item_id'");
        } else if (!strcmp(t->s, "is_sigma_rule")) {
            rc->type = RC_IS_RULE;
        } else if (!strcmp(t->s, "is_sigma_correlation_rule")) {
            rc->type = RC_IS_CORR;
        } else {
            return lfail(x, t, YG_EUNSUPPORTED, "rule condition type '%s' is not supported", t->s);
        }
        if (e)
            return e;
    }
    return YG_OK;
}

static yg_err load_fconds(struct lctx *x, struct pitem *it, const struct yg_ynode *v)
{
    if (!v)
        return YG_OK;
    if (v->type == YG_Y_MAP)
        return lfail(x, v, YG_EUNSUPPORTED,
                     "field_name_conditions: named conditions with field_name_cond_expr are not "
                     "supported");
    if (v->type != YG_Y_SEQ)
        return lfail(x, v, YG_ESYNTAX, "field_name_conditions must be a list");
    it->fc = yg_arena_alloc(x->a, (v->n + 1) * sizeof *it->fc);
    if (!it->fc)
        return YG_ENOMEM;
    memset(it->fc, 0, (v->n + 1) * sizeof *it->fc);
    for (size_t i = 0; i < v->n; i++) {
        const struct yg_ynode *c = v->items[i];
        struct fcond *fc = &it->fc[it->nfc++];
        const struct yg_ynode *t = yg__ymap_get(c, "type");
        if (c->type != YG_Y_MAP || !is_str(t))
            return lfail(x, c, YG_ESYNTAX, "a field name condition must be a map with a 'type'");
        yg_err e = YG_OK;
        if (!strcmp(t->s, "include_fields") || !strcmp(t->s, "exclude_fields")) {
            static const char *const k[] = {"type", "fields", "mode", NULL};
            fc->type = t->s[0] == 'i' ? FC_INCLUDE : FC_EXCLUDE;
            if ((e = only_keys(x, c, k, t->s)))
                return e;
            const struct yg_ynode *f = yg__ymap_get(c, "fields");
            if (!f || (f->type != YG_Y_SEQ && !is_str(f)))
                return lfail(x, f ? f : c, YG_ESYNTAX, "%s: 'fields' must be a list of names",
                             t->s);
            fc->fields = f;
            const char *mode = opt_str(x, c, "mode", &e);
            if (e)
                return e;
            if (mode && strcmp(mode, "plain") != 0 && strcmp(mode, "re") != 0)
                return lfail(x, yg__ymap_get(c, "mode"), YG_ESYNTAX,
                             "%s: mode '%s' is not plain or re", t->s, mode);
            fc->re = mode && !strcmp(mode, "re");
            size_t nf = f->type == YG_Y_SEQ ? f->n : 1;
            if (fc->re) {
                fc->rx = yg_arena_alloc(x->a, (nf + 1) * sizeof *fc->rx);
                if (!fc->rx)
                    return YG_ENOMEM;
            }
            for (size_t j = 0; j < nf; j++) {
                const struct yg_ynode *p = f->type == YG_Y_SEQ ? f->items[j] : f;
                if (!is_str(p))
                    return lfail(x, p, YG_ESYNTAX, "%s: a field must be a string", t->s);
                if (!fc->re)
                    continue;
                /* Python's re.match anchors at the start only. */
                size_t pl = strlen(p->s);
                char *pat = yg_arena_alloc(x->a, pl + 4);
                if (!pat)
                    return YG_ENOMEM;
                snprintf(pat, pl + 4, "^(%s)", p->s);
                if (x->ps->nrx == x->ps->rxcap) {
                    size_t nc = x->ps->rxcap ? 2 * x->ps->rxcap : 8;
                    regex_t **nr = yg_realloc(x->ps->rxs, nc * sizeof *nr);
                    if (!nr)
                        return YG_ENOMEM;
                    x->ps->rxs = nr;
                    x->ps->rxcap = nc;
                }
                if (regcomp(&fc->rx[j], pat, REG_EXTENDED | REG_NOSUB) != 0)
                    return lfail(x, p, YG_EREGEX, "%s: regular expression '%s' does not compile",
                                 t->s, p->s);
                x->ps->rxs[x->ps->nrx++] = &fc->rx[j];
            }
        } else if (!strcmp(t->s, "processing_item_applied")) {
            static const char *const k[] = {"type", "processing_item_id", NULL};
            fc->type = FC_APPLIED;
            if ((e = only_keys(x, c, k, "processing_item_applied condition")))
                return e;
            if (!(fc->item = opt_str(x, c, "processing_item_id", &e)) && !e)
                return lfail(x, c, YG_ESYNTAX, "processing_item_applied: 'processing_item_id'");
            if (e)
                return e;
        } else {
            return lfail(x, t, YG_EUNSUPPORTED, "field name condition type '%s' is not supported",
                         t->s);
        }
    }
    return YG_OK;
}

static const struct {
    const char *name;
    enum ptype type;
    const char *const params[5];
} TYPES[] = {
    {"field_name_mapping", PT_FIELD_MAP, {"mapping", NULL}},
    {"field_name_prefix_mapping", PT_PREFIX_MAP, {"mapping", NULL}},
    {"field_name_prefix", PT_PREFIX, {"prefix", NULL}},
    {"field_name_suffix", PT_SUFFIX, {"suffix", NULL}},
    {"drop_detection_item", PT_DROP, {NULL}},
    {"detection_item_failure", PT_ITEM_FAILURE, {"message", NULL}},
    {"add_condition", PT_ADD_COND, {"conditions", "negated", "template", "name", NULL}},
    {"change_logsource", PT_CHANGE_LS, {"category", "product", "service", NULL}},
    {"rule_failure", PT_RULE_FAILURE, {"message", NULL}},
    /* These change the rule's output fields, state or custom attributes,
     * which select no event. */
    {"add_field", PT_NOOP, {"field", NULL}},
    {"remove_field", PT_NOOP, {"field", NULL}},
    {"set_field", PT_NOOP, {"fields", NULL}},
    {"set_state", PT_NOOP, {"key", "val", NULL}},
    {"set_custom_attribute", PT_NOOP, {"attribute", "value", NULL}},
};

static yg_err load_item(struct lctx *x, const struct yg_ynode *m, struct pitem *it)
{
    memset(it, 0, sizeof *it);
    it->node = m;
    it->file = x->file;
    if (m->type != YG_Y_MAP)
        return lfail(x, m, YG_ESYNTAX, "a transformation must be a map");
    const struct yg_ynode *t = yg__ymap_get(m, "type");
    if (!is_str(t))
        return lfail(x, m, YG_ESYNTAX, "a transformation needs a 'type'");
    size_t ti = 0;
    while (ti < sizeof TYPES / sizeof *TYPES && strcmp(TYPES[ti].name, t->s) != 0)
        ti++;
    if (ti == sizeof TYPES / sizeof *TYPES)
        return lfail(x, t, YG_EUNSUPPORTED, "transformation type '%s' is not supported", t->s);
    it->type = TYPES[ti].type;
    static const char *const common[] = {"type",
                                         "id",
                                         "rule_conditions",
                                         "rule_cond_op",
                                         "rule_cond_not",
                                         "field_name_conditions",
                                         "field_name_cond_op",
                                         "field_name_cond_not",
                                         "rule_cond_expr",
                                         "field_name_cond_expr",
                                         "detection_item_conditions",
                                         "detection_item_cond_op",
                                         "detection_item_cond_not",
                                         "detection_item_cond_expr",
                                         NULL};
    for (size_t i = 0; i < m->n; i++) {
        const struct yg_ynode *k = m->items[2 * i];
        if (!is_str(k) || (!key_in(k->s, common) && !key_in(k->s, TYPES[ti].params)))
            return lfail(x, k, YG_EUNSUPPORTED, "%s: parameter '%s' is not supported", t->s,
                         is_str(k) ? k->s : "?");
    }
    static const char *const refused[] = {"rule_cond_expr", "field_name_cond_expr",
                                          "detection_item_conditions", "detection_item_cond_expr",
                                          NULL};
    for (size_t i = 0; refused[i]; i++) {
        const struct yg_ynode *v = yg__ymap_get(m, refused[i]);
        if (v && !(v->type == YG_Y_SEQ && v->n == 0) && v->skind != YG_S_NULL)
            return lfail(x, v, YG_EUNSUPPORTED, "%s: '%s' is not supported", t->s, refused[i]);
    }
    yg_err e = YG_OK;
    it->id = opt_str(x, m, "id", &e);
    if (e || (e = load_rconds(x, it, yg__ymap_get(m, "rule_conditions"))) ||
        (e = load_fconds(x, it, yg__ymap_get(m, "field_name_conditions"))) ||
        (e = want_bool(x, yg__ymap_get(m, "rule_cond_not"), "rule_cond_not", &it->rc_not)) ||
        (e = want_bool(x, yg__ymap_get(m, "field_name_cond_not"), "field_name_cond_not",
                       &it->fc_not)))
        return e;
    it->rc_or = op_is_or(yg__ymap_get(m, "rule_cond_op"));
    it->fc_or = op_is_or(yg__ymap_get(m, "field_name_cond_op"));
    switch (it->type) {
    case PT_FIELD_MAP:
    case PT_PREFIX_MAP: {
        const struct yg_ynode *mp = yg__ymap_get(m, "mapping");
        if (!mp || mp->type != YG_Y_MAP)
            return lfail(x, mp ? mp : m, YG_ESYNTAX, "%s: 'mapping' must be a map", t->s);
        for (size_t i = 0; i < mp->n; i++) {
            const struct yg_ynode *k = mp->items[2 * i], *v = mp->items[2 * i + 1];
            bool ok = is_str(k) && (is_str(v) || (v->type == YG_Y_SEQ && it->type == PT_FIELD_MAP));
            for (size_t j = 0; ok && v->type == YG_Y_SEQ; j++) {
                if (j == v->n)
                    break;
                ok = is_str(v->items[j]);
            }
            if (!ok)
                return lfail(x, v, YG_ESYNTAX, "%s: '%s' must map to a field name%s", t->s,
                             is_str(k) ? k->s : "?",
                             it->type == PT_FIELD_MAP ? " or a list of them" : "");
            if (v->type == YG_Y_SEQ && v->n == 0)
                return lfail(x, v, YG_ESYNTAX, "%s: '%s' maps to no field", t->s, k->s);
        }
        it->mapping = mp;
        break;
    }
    case PT_PREFIX:
    case PT_SUFFIX:
        it->affix = opt_str(x, m, it->type == PT_PREFIX ? "prefix" : "suffix", &e);
        if (!e && !it->affix)
            return lfail(x, m, YG_ESYNTAX, "%s: '%s' is missing", t->s,
                         it->type == PT_PREFIX ? "prefix" : "suffix");
        break;
    case PT_ADD_COND: {
        const struct yg_ynode *cd = yg__ymap_get(m, "conditions");
        if (!cd || cd->type != YG_Y_MAP || cd->n == 0)
            return lfail(x, cd ? cd : m, YG_ESYNTAX, "add_condition: 'conditions' must be a map");
        bool tmpl = false;
        if ((e = want_bool(x, yg__ymap_get(m, "template"), "template", &tmpl)) ||
            (e = want_bool(x, yg__ymap_get(m, "negated"), "negated", &it->negated)))
            return e;
        if (tmpl)
            return lfail(x, yg__ymap_get(m, "template"), YG_EUNSUPPORTED,
                         "add_condition: 'template: true' is not supported");
        it->conds = cd;
        break;
    }
    case PT_CHANGE_LS:
        it->category = opt_str(x, m, "category", &e);
        if (!e)
            it->product = opt_str(x, m, "product", &e);
        if (!e)
            it->service = opt_str(x, m, "service", &e);
        break;
    case PT_RULE_FAILURE:
    case PT_ITEM_FAILURE:
        it->message = opt_str(x, m, "message", &e);
        if (!e && !it->message)
            return lfail(x, m, YG_ESYNTAX, "%s: 'message' is missing", t->s);
        break;
    case PT_DROP:
    case PT_NOOP: break;
    }
    return e;
}

static yg_err load_file(struct lctx *x, const char *path, long *prio_out, size_t *first)
{
    char *text;
    size_t n;
    x->file = yg_arena_strndup(x->a, path, strlen(path));
    if (!x->file)
        return YG_ENOMEM;
    yg_err e = yg_file_read(path, YG_MAX_RULE_FILE_BYTES, &text, &n);
    if (e)
        return lfail(x, NULL, e, "cannot read the pipeline: %s", yg_strerror(e));
    struct yg_ydoc *docs;
    size_t nd = 0;
    unsigned el = 0, ec = 0;
    struct yg_errmsg why = {""};
    e = yg__yaml_parse(text, n, x->a, &docs, &nd, &el, &ec, &why);
    yg_free(text);
    if (e) {
        struct yg_ynode at = {.line = el, .col = ec};
        return e == YG_ENOMEM ? e : lfail(x, &at, e, "%s", why.msg);
    }
    if (nd != 1 || !docs[0].root || docs[0].root->type != YG_Y_MAP)
        return lfail(x, nd ? docs[nd - 1].root : NULL, YG_ESYNTAX,
                     "a pipeline is one YAML document, a map with 'transformations'");
    const struct yg_ynode *root = docs[0].root;
    const struct yg_ynode *pr = yg__ymap_get(root, "priority");
    *prio_out = 0;
    if (pr) {
        if (pr->type != YG_Y_SCALAR || pr->skind != YG_S_INT)
            return lfail(x, pr, YG_ESYNTAX, "'priority' must be an integer");
        *prio_out = strtol(pr->s, NULL, 0);
    }
    const struct yg_ynode *tr = yg__ymap_get(root, "transformations");
    *first = x->ps->n;
    if (!tr)
        return YG_OK;
    if (tr->type != YG_Y_SEQ)
        return lfail(x, tr, YG_ESYNTAX, "'transformations' must be a list");
    for (size_t i = 0; i < tr->n; i++) {
        if (x->ps->n == x->ps->cap) {
            size_t nc = x->ps->cap ? 2 * x->ps->cap : 32;
            struct pitem *ni = yg_realloc(x->ps->items, nc * sizeof *ni);
            if (!ni)
                return YG_ENOMEM;
            x->ps->items = ni;
            x->ps->cap = nc;
        }
        if ((e = load_item(x, tr->items[i], &x->ps->items[x->ps->n])))
            return e;
        x->ps->n++;
    }
    return YG_OK;
}

void yg__pipeset_free(struct yg_pipeset *ps)
{
    if (!ps)
        return;
    for (size_t i = 0; i < ps->nrx; i++)
        regfree(ps->rxs[i]);
    yg_free(ps->rxs);
    yg_free(ps->items);
    yg_free(ps);
}

yg_err yg__pipeset_load(const char *const *paths, size_t n, struct yg_arena *a,
                        struct yg_pipeset **out, struct yg_pipe_err *err)
{
    *out = NULL;
    struct yg_pipeset *ps = yg_calloc(1, sizeof *ps);
    if (!ps)
        return YG_ENOMEM;
    struct lctx x = {ps, a, err, NULL};
    long prio[YG_MAX_PIPELINES];
    size_t first[YG_MAX_PIPELINES + 1];
    if (n > YG_MAX_PIPELINES) {
        snprintf(err->msg, sizeof err->msg, "at most %d pipelines", YG_MAX_PIPELINES);
        err->file = "<pipelines>";
        yg__pipeset_free(ps);
        return YG_ELIMIT;
    }
    for (size_t i = 0; i < n; i++) {
        yg_err e = load_file(&x, paths[i], &prio[i], &first[i]);
        if (e) {
            yg__pipeset_free(ps);
            return e;
        }
    }
    first[n] = ps->n;
    /* pySigma orders pipelines by priority, equal priorities as given. */
    size_t order[YG_MAX_PIPELINES];
    for (size_t i = 0; i < n; i++) {
        size_t j = i;
        while (j > 0 && prio[order[j - 1]] > prio[i]) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = i;
    }
    struct pitem *sorted = yg_malloc((ps->n + 1) * sizeof *sorted);
    if (!sorted) {
        yg__pipeset_free(ps);
        return YG_ENOMEM;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = first[order[i]]; j < first[order[i] + 1]; j++)
            sorted[k++] = ps->items[j];
    yg_free(ps->items);
    ps->items = sorted;
    ps->cap = ps->n;
    *out = ps;
    return YG_OK;
}

/* ---- applying ----------------------------------------------------------- */

/* Which items changed which detection-item key (for processing_item_applied
 * field conditions): a rewritten key inherits the marks of the key it
 * replaces. */
struct mark {
    const struct yg_ynode *key;
    uint32_t item;
};

struct actx {
    const struct yg_pipeset *ps;
    struct yg_rule *r;
    struct yg_arena *a;
    bool *applied; /* per item: applied to the rule */
    struct mark *marks;
    size_t nmarks, mcap;
    const struct yg_ynode **at;
    struct yg_errmsg *why;
};

static bool eq_ci(const char *a, const char *b)
{
    return a && b && strcasecmp(a, b) == 0;
}

static bool applied_id(const struct actx *x, const char *id)
{
    for (size_t i = 0; i < x->ps->n; i++)
        if (x->applied[i] && x->ps->items[i].id && strcmp(x->ps->items[i].id, id) == 0)
            return true;
    return false;
}

static const char *rule_attr(const struct yg_rule *r, const char *a)
{
    if (!strcmp(a, "id"))
        return r->id;
    if (!strcmp(a, "title"))
        return r->title;
    if (!strcmp(a, "status"))
        return r->status;
    if (!strcmp(a, "level"))
        return r->level ? yg__level_name(r->level) : NULL;
    if (!strcmp(a, "author"))
        return r->author;
    if (!strcmp(a, "date"))
        return r->date;
    if (!strcmp(a, "name"))
        return r->name;
    if (!strcmp(a, "description"))
        return r->description;
    if (!strcmp(a, "modified"))
        return r->modified;
    return NULL;
}

static bool rcond_holds(const struct actx *x, const struct rcond *c)
{
    const struct yg_rule *r = x->r;
    switch (c->type) {
    case RC_LOGSOURCE:
        /* Sigma log sources are lower case; Yagura keeps the rule's so. */
        return (!c->category || eq_ci(c->category, r->ls.category)) &&
               (!c->product || eq_ci(c->product, r->ls.product)) &&
               (!c->service || eq_ci(c->service, r->ls.service));
    case RC_TAG:
        for (size_t i = 0; i < r->ntags; i++)
            if (eq_ci(r->tags[i], c->tag))
                return true;
        return false;
    case RC_ATTR: {
        const char *v = rule_attr(r, c->attr);
        bool eq = v && strcmp(v, c->value) == 0;
        return c->ne ? !eq : eq;
    }
    case RC_APPLIED: return applied_id(x, c->item);
    case RC_IS_RULE: return true;
    case RC_IS_CORR: return false;
    }
    return false;
}

static bool rule_applies(const struct actx *x, const struct pitem *it)
{
    if (!it->nrc)
        return true;
    bool any = false, all = true;
    for (size_t i = 0; i < it->nrc; i++) {
        bool h = rcond_holds(x, &it->rc[i]);
        any |= h;
        all &= h;
    }
    return (it->rc_or ? any : all) != it->rc_not;
}

static bool key_marked(const struct actx *x, const struct yg_ynode *key, const char *id)
{
    for (size_t i = 0; i < x->nmarks; i++)
        if (x->marks[i].key == key && x->ps->items[x->marks[i].item].id &&
            strcmp(x->ps->items[x->marks[i].item].id, id) == 0)
            return true;
    return false;
}

static bool fcond_holds(const struct actx *x, const struct fcond *c, const struct yg_ynode *key,
                        const char *field)
{
    if (c->type == FC_APPLIED)
        return key_marked(x, key, c->item);
    bool in = false;
    size_t nf = c->fields->type == YG_Y_SEQ ? c->fields->n : 1;
    for (size_t j = 0; j < nf && !in; j++) {
        const struct yg_ynode *p = c->fields->type == YG_Y_SEQ ? c->fields->items[j] : c->fields;
        in = c->re ? regexec(&c->rx[j], field, 0, NULL, 0) == 0 : strcmp(p->s, field) == 0;
    }
    return c->type == FC_INCLUDE ? in : !in;
}

static bool field_applies(const struct actx *x, const struct pitem *it, const struct yg_ynode *key,
                          const char *field)
{
    if (!it->nfc)
        return true;
    bool any = false, all = true;
    for (size_t i = 0; i < it->nfc; i++) {
        bool h = fcond_holds(x, &it->fc[i], key, field);
        any |= h;
        all &= h;
    }
    return (it->fc_or ? any : all) != it->fc_not;
}

static yg_err mark(struct actx *x, const struct yg_ynode *from, const struct yg_ynode *to,
                   uint32_t item)
{
    size_t n = x->nmarks;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && x->marks[i].key != from)
            continue;
        if (x->nmarks == x->mcap) {
            size_t nc = x->mcap ? 2 * x->mcap : 64;
            struct mark *nm = yg_realloc(x->marks, nc * sizeof *nm);
            if (!nm)
                return YG_ENOMEM;
            x->marks = nm;
            x->mcap = nc;
        }
        x->marks[x->nmarks++] = (struct mark){to, i < n ? x->marks[i].item : item};
    }
    return YG_OK;
}

/* A key node like k with its field part replaced by field. */
static const struct yg_ynode *rekey(struct actx *x, const struct yg_ynode *k, const char *f1,
                                    size_t n1, const char *f2, size_t n2, size_t fl, uint32_t item)
{
    struct yg_ynode *nk = yg_arena_alloc(x->a, sizeof *nk);
    size_t rest = k->slen - fl;
    char *s = yg_arena_alloc(x->a, n1 + n2 + rest + 1);
    if (!nk || !s)
        return NULL;
    *nk = *k;
    memcpy(s, f1, n1);
    memcpy(s + n1, f2, n2);
    memcpy(s + n1 + n2, k->s + fl, rest);
    s[n1 + n2 + rest] = 0;
    nk->s = s;
    nk->slen = n1 + n2 + rest;
    return mark(x, k, nk, item) ? NULL : nk;
}

/* The keys one detection-item key becomes: alt[0..*nalt). */
static yg_err xf_key(struct actx *x, uint32_t idx, const struct yg_ynode *k,
                     const struct yg_ynode **alt, size_t *nalt)
{
    const struct pitem *it = &x->ps->items[idx];
    const char *bar = memchr(k->s, '|', k->slen);
    size_t fl = bar ? (size_t)(bar - k->s) : k->slen;
    alt[0] = k;
    *nalt = 1;
    if (fl == 0)
        return YG_OK; /* keywords have no field name */
    char field[1024];
    if (fl >= sizeof field)
        return YG_OK;
    memcpy(field, k->s, fl);
    field[fl] = 0;
    if (!field_applies(x, it, k, field))
        return YG_OK;
    switch (it->type) {
    case PT_FIELD_MAP: {
        const struct yg_ynode *to = yg__ymap_get(it->mapping, field);
        if (!to)
            return YG_OK;
        size_t nt = to->type == YG_Y_SEQ ? to->n : 1;
        if (nt > YG_MAX_PIPELINE_EXPANSION)
            return YG_ELIMIT;
        for (size_t i = 0; i < nt; i++) {
            const struct yg_ynode *t = to->type == YG_Y_SEQ ? to->items[i] : to;
            if (!(alt[i] = rekey(x, k, t->s, t->slen, "", 0, fl, idx)))
                return YG_ENOMEM;
        }
        *nalt = nt;
        return YG_OK;
    }
    case PT_PREFIX_MAP:
        for (size_t i = 0; i < it->mapping->n; i++) {
            const struct yg_ynode *p = it->mapping->items[2 * i],
                                  *t = it->mapping->items[2 * i + 1];
            if (p->slen <= fl && memcmp(field, p->s, p->slen) == 0) {
                if (!(alt[0] = rekey(x, k, t->s, t->slen, field + p->slen, fl - p->slen, fl, idx)))
                    return YG_ENOMEM;
                return YG_OK;
            }
        }
        return YG_OK;
    case PT_PREFIX:
        alt[0] = rekey(x, k, it->affix, strlen(it->affix), field, fl, fl, idx);
        return alt[0] ? YG_OK : YG_ENOMEM;
    case PT_SUFFIX:
        alt[0] = rekey(x, k, field, fl, it->affix, strlen(it->affix), fl, idx);
        return alt[0] ? YG_OK : YG_ENOMEM;
    case PT_DROP: *nalt = 0; return YG_OK;
    case PT_ITEM_FAILURE:
        *x->at = k;
        yg__errmsg_set(x->why, "pipeline detection_item_failure on field '%s': %s", field,
                       it->message);
        return YG_EUNSUPPORTED;
    default: return YG_OK;
    }
}

/* Whether a detection-item key has the fieldref modifier: its values are
 * field names, which pySigma's renaming transformations rename too. */
static bool is_fieldref_key(const struct yg_ynode *k)
{
    for (const char *b = memchr(k->s, '|', k->slen); b; b = strchr(b + 1, '|'))
        if (strncmp(b + 1, "fieldref", 8) == 0 && (b[9] == 0 || b[9] == '|'))
            return true;
    return false;
}

/* The values of a fieldref item renamed as its key would be; *out = v when
 * nothing changes. */
static yg_err xf_fieldref_values(struct actx *x, uint32_t idx, const struct yg_ynode *v,
                                 const struct yg_ynode **out)
{
    const struct pitem *it = &x->ps->items[idx];
    *out = v;
    if (it->type != PT_FIELD_MAP && it->type != PT_PREFIX_MAP && it->type != PT_PREFIX &&
        it->type != PT_SUFFIX)
        return YG_OK;
    size_t nv = v->type == YG_Y_SEQ ? v->n : 1;
    if (v->type == YG_Y_MAP)
        return YG_OK;
    struct yg_ynode **items =
        yg_arena_alloc(x->a, (nv * YG_MAX_PIPELINE_EXPANSION + 1) * sizeof *items);
    if (!items)
        return YG_ENOMEM;
    size_t ni = 0;
    bool changed = false;
    for (size_t i = 0; i < nv; i++) {
        struct yg_ynode *one = v->type == YG_Y_SEQ ? v->items[i] : (struct yg_ynode *)v;
        if (!is_str(one)) {
            items[ni++] = one;
            continue;
        }
        /* The value as a key of its own, renamed the way keys are. */
        const struct yg_ynode *alt[YG_MAX_PIPELINE_EXPANSION];
        size_t na = 0;
        if (memchr(one->s, '|', one->slen)) {
            items[ni++] = one;
            continue;
        }
        yg_err e = xf_key(x, idx, one, alt, &na);
        if (e)
            return e;
        for (size_t j = 0; j < na; j++) {
            if (alt[j] != one) {
                changed = true;
                items[ni++] = (struct yg_ynode *)alt[j];
            } else {
                items[ni++] = one;
            }
        }
    }
    if (!changed)
        return YG_OK;
    struct yg_ynode *seq = yg_arena_alloc(x->a, sizeof *seq);
    if (!seq)
        return YG_ENOMEM;
    *seq = *v;
    seq->type = YG_Y_SEQ;
    seq->skind = YG_S_STR;
    seq->items = items;
    seq->n = ni;
    *out = ni == 1 ? items[0] : seq;
    return YG_OK;
}

static yg_err xf_map_with(struct actx *x, uint32_t idx, const struct yg_ynode *m,
                          const struct yg_ynode **alts, size_t *nalt, const struct yg_ynode **out);

/* Transform one detection map; the result is a map, or a sequence of maps
 * (OR) when a field maps to several. */
static yg_err xf_map(struct actx *x, uint32_t idx, const struct yg_ynode *m,
                     const struct yg_ynode **out)
{
    size_t n = m->n;
    /* Scratch, freed below: the alternatives of each key. */
    const struct yg_ynode **alts = yg_malloc((n * YG_MAX_PIPELINE_EXPANSION + 1) * sizeof *alts);
    size_t *nalt = yg_malloc((n + 1) * sizeof *nalt);
    yg_err e = alts && nalt ? xf_map_with(x, idx, m, alts, nalt, out) : YG_ENOMEM;
    yg_free(alts);
    yg_free(nalt);
    return e;
}

static yg_err xf_map_with(struct actx *x, uint32_t idx, const struct yg_ynode *m,
                          const struct yg_ynode **alts, size_t *nalt, const struct yg_ynode **out)
{
    size_t n = m->n;
    size_t combos = 1, kept = 0;
    bool changed = false;
    const struct yg_ynode **vals = NULL; /* renamed fieldref values, when any */
    for (size_t i = 0; i < n; i++) {
        const struct yg_ynode *k = m->items[2 * i];
        if (!is_str(k)) {
            nalt[i] = 1;
            alts[i * YG_MAX_PIPELINE_EXPANSION] = k;
            kept++;
            continue;
        }
        if (is_fieldref_key(k)) {
            const struct yg_ynode *nv;
            yg_err fe = xf_fieldref_values(x, idx, m->items[2 * i + 1], &nv);
            if (fe)
                return fe;
            if (nv != m->items[2 * i + 1]) {
                if (!vals) {
                    if (!(vals = yg_arena_alloc(x->a, (n + 1) * sizeof *vals)))
                        return YG_ENOMEM;
                    for (size_t j = 0; j < n; j++)
                        vals[j] = m->items[2 * j + 1];
                }
                vals[i] = nv;
                changed = true;
            }
        }
        yg_err e = xf_key(x, idx, k, &alts[i * YG_MAX_PIPELINE_EXPANSION], &nalt[i]);
        if (e == YG_ELIMIT) {
            *x->at = k;
            yg__errmsg_set(x->why, "pipeline maps field '%s' to more than %d fields", k->s,
                           YG_MAX_PIPELINE_EXPANSION);
        }
        if (e)
            return e;
        changed |= nalt[i] != 1 || alts[i * YG_MAX_PIPELINE_EXPANSION] != k;
        if (nalt[i]) {
            kept++;
            combos *= nalt[i];
            if (combos > YG_MAX_PIPELINE_EXPANSION) {
                *x->at = k;
                yg__errmsg_set(x->why,
                               "pipeline field mappings expand this search into more than %d "
                               "alternatives",
                               YG_MAX_PIPELINE_EXPANSION);
                return YG_ELIMIT;
            }
        }
    }
    if (!changed) {
        *out = m;
        return YG_OK;
    }
    struct yg_ynode **maps = yg_arena_alloc(x->a, (combos + 1) * sizeof *maps);
    if (!maps)
        return YG_ENOMEM;
    for (size_t c = 0; c < combos; c++) {
        struct yg_ynode *nm = yg_arena_alloc(x->a, sizeof *nm);
        struct yg_ynode **items = yg_arena_alloc(x->a, (2 * kept + 1) * sizeof *items);
        if (!nm || !items)
            return YG_ENOMEM;
        *nm = *m;
        nm->items = items;
        nm->n = kept;
        size_t rem = c, j = 0;
        for (size_t i = 0; i < n; i++) {
            if (!nalt[i])
                continue;
            items[2 * j] = (struct yg_ynode *)alts[i * YG_MAX_PIPELINE_EXPANSION + rem % nalt[i]];
            items[2 * j + 1] = (struct yg_ynode *)(vals ? vals[i] : m->items[2 * i + 1]);
            rem /= nalt[i];
            j++;
        }
        maps[c] = nm;
    }
    if (combos == 1) {
        *out = maps[0];
        return YG_OK;
    }
    struct yg_ynode *seq = yg_arena_alloc(x->a, sizeof *seq);
    if (!seq)
        return YG_ENOMEM;
    *seq = *m;
    seq->type = YG_Y_SEQ;
    seq->items = maps;
    seq->n = combos;
    *out = seq;
    return YG_OK;
}

/* Transform one search (map, list of maps and keywords, or keywords). */
static yg_err xf_search(struct actx *x, uint32_t idx, const struct yg_ynode *s,
                        const struct yg_ynode **out)
{
    *out = s;
    if (!s || s->type == YG_Y_SCALAR)
        return YG_OK;
    if (s->type == YG_Y_MAP)
        return xf_map(x, idx, s, out);
    size_t total = 0;
    const struct yg_ynode **parts = yg_arena_alloc(x->a, (s->n + 1) * sizeof *parts);
    if (!parts)
        return YG_ENOMEM;
    bool changed = false;
    for (size_t i = 0; i < s->n; i++) {
        parts[i] = s->items[i];
        if (s->items[i]->type == YG_Y_MAP) {
            yg_err e = xf_map(x, idx, s->items[i], &parts[i]);
            if (e)
                return e;
            changed |= parts[i] != s->items[i];
        }
        total += parts[i]->type == YG_Y_SEQ && s->items[i]->type == YG_Y_MAP ? parts[i]->n : 1;
    }
    if (!changed)
        return YG_OK;
    /* A list of maps is an OR: alternatives of one map join it. */
    struct yg_ynode *seq = yg_arena_alloc(x->a, sizeof *seq);
    struct yg_ynode **items = yg_arena_alloc(x->a, (total + 1) * sizeof *items);
    if (!seq || !items)
        return YG_ENOMEM;
    *seq = *s;
    seq->items = items;
    seq->n = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (parts[i]->type == YG_Y_SEQ && s->items[i]->type == YG_Y_MAP)
            for (size_t j = 0; j < parts[i]->n; j++)
                items[seq->n++] = parts[i]->items[j];
        else
            items[seq->n++] = (struct yg_ynode *)parts[i];
    }
    *out = seq;
    return YG_OK;
}

static bool reserved_key(const char *k)
{
    return !strcmp(k, "condition") || !strcmp(k, "timeframe") || !strcmp(k, "rules");
}

static yg_err xf_fields(struct actx *x, uint32_t idx)
{
    const struct yg_ynode *det = x->r->detection;
    struct yg_ynode *nd = NULL;
    for (size_t i = 0; i < det->n; i++) {
        const struct yg_ynode *k = det->items[2 * i];
        if (!is_str(k) || reserved_key(k->s))
            continue;
        const struct yg_ynode *v = det->items[2 * i + 1], *nv;
        yg_err e = xf_search(x, idx, v, &nv);
        if (e)
            return e;
        if (nv == v)
            continue;
        if (!nd) {
            nd = yg_arena_alloc(x->a, sizeof *nd);
            struct yg_ynode **items = yg_arena_alloc(x->a, (2 * det->n + 1) * sizeof *items);
            if (!nd || !items)
                return YG_ENOMEM;
            *nd = *det;
            memcpy(items, det->items, 2 * det->n * sizeof *items);
            nd->items = items;
        }
        nd->items[2 * i + 1] = (struct yg_ynode *)nv;
    }
    if (nd)
        x->r->detection = nd;
    return YG_OK;
}

static yg_err add_condition(struct actx *x, const struct pitem *it)
{
    const struct yg_ynode *det = x->r->detection;
    /* A name no rule uses: `them` skips names starting with `_`, as pySigma's
     * added conditions are skipped. */
    char name[64];
    for (unsigned k = 1;; k++) {
        snprintf(name, sizeof name, "_pipeline_cond_%u", k);
        if (!yg__ymap_get(det, name))
            break;
    }
    struct yg_ynode *nd = yg_arena_alloc(x->a, sizeof *nd);
    struct yg_ynode **items = yg_arena_alloc(x->a, (2 * det->n + 3) * sizeof *items);
    struct yg_ynode *key = yg_arena_alloc(x->a, sizeof *key);
    if (!nd || !items || !key)
        return YG_ENOMEM;
    *key = *it->conds;
    key->type = YG_Y_SCALAR;
    key->skind = YG_S_STR;
    key->n = 0;
    key->items = NULL;
    key->slen = strlen(name);
    if (!(key->s = yg_arena_strndup(x->a, name, key->slen)))
        return YG_ENOMEM;
    *nd = *det;
    memcpy(items, det->items, 2 * det->n * sizeof *items);
    items[2 * det->n] = key;
    items[2 * det->n + 1] = (struct yg_ynode *)it->conds;
    nd->items = items;
    nd->n = det->n + 1;
    x->r->detection = nd;
    const struct yg_ynode **conds = yg_arena_alloc(x->a, (x->r->nconditions + 1) * sizeof *conds);
    if (!conds)
        return YG_ENOMEM;
    for (size_t i = 0; i < x->r->nconditions; i++) {
        const struct yg_ynode *c = x->r->conditions[i];
        struct yg_ynode *nc = yg_arena_alloc(x->a, sizeof *nc);
        size_t len = c->slen + strlen(name) + 16;
        char *s = yg_arena_alloc(x->a, len);
        if (!nc || !s)
            return YG_ENOMEM;
        *nc = *c;
        int w = snprintf(s, len, "%s%s and (%s)", it->negated ? "not " : "", name, c->s);
        nc->s = s;
        nc->slen = (size_t)w;
        conds[i] = nc;
    }
    x->r->conditions = conds;
    return YG_OK;
}

static const char *lower_dup(struct yg_arena *a, const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s);
    char *d = yg_arena_strndup(a, s, n);
    for (size_t i = 0; d && i < n; i++)
        if (d[i] >= 'A' && d[i] <= 'Z')
            d[i] = (char)(d[i] - 'A' + 'a');
    return d;
}

yg_err yg__pipeset_apply(const struct yg_pipeset *ps, struct yg_rule *r, struct yg_arena *a,
                         const struct yg_ynode **at, struct yg_errmsg *why)
{
    if (!ps || !ps->n || !r->detection)
        return YG_OK;
    struct actx x = {ps, r, a, NULL, NULL, 0, 0, at, why};
    x.applied = yg_calloc(ps->n, sizeof *x.applied);
    if (!x.applied)
        return YG_ENOMEM;
    yg_err e = YG_OK;
    for (uint32_t i = 0; i < ps->n && !e; i++) {
        const struct pitem *it = &ps->items[i];
        if (!rule_applies(&x, it))
            continue;
        switch (it->type) {
        case PT_FIELD_MAP:
        case PT_PREFIX_MAP:
        case PT_PREFIX:
        case PT_SUFFIX:
        case PT_DROP:
        case PT_ITEM_FAILURE: e = xf_fields(&x, i); break;
        case PT_ADD_COND: e = add_condition(&x, it); break;
        case PT_CHANGE_LS:
            /* pySigma replaces the whole log source. */
            r->ls.category = lower_dup(a, it->category);
            r->ls.product = lower_dup(a, it->product);
            r->ls.service = lower_dup(a, it->service);
            if ((it->category && !r->ls.category) || (it->product && !r->ls.product) ||
                (it->service && !r->ls.service))
                e = YG_ENOMEM;
            break;
        case PT_RULE_FAILURE:
            *at = NULL; /* the rule's own position; the message names the pipeline's */
            yg__errmsg_set(why, "pipeline rule_failure (%s:%u:%u): %s", it->file, it->node->line,
                           it->node->col, it->message);
            e = YG_EUNSUPPORTED;
            break;
        case PT_NOOP: break;
        }
        x.applied[i] = true;
    }
    yg_free(x.applied);
    yg_free(x.marks);
    return e;
}
