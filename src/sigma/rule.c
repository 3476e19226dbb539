/*
 * rule.c - one YAML document to a yg_rule, with structural validation.
 *
 * Validation here is about shape (is `detection` a map, is `condition`
 * present, is a correlation's `timespan` well-formed); whether a modifier or
 * placeholder is supported is decided when the rule is compiled.  Every
 * problem names the node's line and column.
 */
#include "sigma/rule.h"

#include <stdio.h>

static const char *const level_names[] = {"", "informational", "low", "medium", "high", "critical"};

const char *yg__level_name(enum yg_level l)
{
    return (unsigned)l < sizeof level_names / sizeof *level_names ? level_names[l] : "";
}

bool yg__level_parse(const char *s, enum yg_level *out)
{
    for (unsigned i = 1; i < sizeof level_names / sizeof *level_names; i++)
        if (strcmp(s, level_names[i]) == 0) {
            *out = (enum yg_level)i;
            return true;
        }
    return false;
}

yg_err yg__ynode_to_json(const struct yg_ynode *n, struct yg_buf *b)
{
    yg_err err = YG_OK;
    if (!n)
        return yg_buf_add(b, "null", 4);
    switch (n->type) {
    case YG_Y_SCALAR:
        switch (n->skind) {
        case YG_S_NULL: return yg_buf_add(b, "null", 4);
        case YG_S_BOOL:
            return (n->s[0] == 't' || n->s[0] == 'T') ? yg_buf_add(b, "true", 4)
                                                      : yg_buf_add(b, "false", 5);
        case YG_S_INT:
            /* Plain decimal ints are valid JSON; hex/octal stay strings. */
            if (!strpbrk(n->s, "xXoO+"))
                return yg_buf_add(b, n->s, n->slen);
            return yg_buf_add_json_str(b, n->s, n->slen);
        default: return yg_buf_add_json_str(b, n->s, n->slen);
        }
    case YG_Y_SEQ:
        YG_TRY(yg_buf_addc(b, '['));
        for (size_t i = 0; i < n->n; i++) {
            if (i)
                YG_TRY(yg_buf_addc(b, ','));
            YG_TRY(yg__ynode_to_json(n->items[i], b));
        }
        return yg_buf_addc(b, ']');
    case YG_Y_MAP:
        YG_TRY(yg_buf_addc(b, '{'));
        for (size_t i = 0; i < n->n; i++) {
            const struct yg_ynode *k = n->items[2 * i];
            if (i)
                YG_TRY(yg_buf_addc(b, ','));
            if (k->type == YG_Y_SCALAR)
                YG_TRY(yg_buf_add_json_str(b, k->s, k->slen));
            else
                YG_TRY(yg_buf_add_json_str(b, "?", 1));
            YG_TRY(yg_buf_addc(b, ':'));
            YG_TRY(yg__ynode_to_json(n->items[2 * i + 1], b));
        }
        return yg_buf_addc(b, '}');
    }
done:
    return err;
}

struct ctx {
    const char *file;
    yg__diag_fn diag;
    void *ud;
    struct yg_rule *r;
    int errors;
};

static void report(struct ctx *c, const struct yg_ynode *at, unsigned line, yg_err e,
                   const char *fmt, ...) YG_PRINTF(5, 6);

#include <stdarg.h>
static void report(struct ctx *c, const struct yg_ynode *at, unsigned line, yg_err e,
                   const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    struct yg_diag d = {c->file,
                        at ? at->line : line,
                        at ? at->col : 1,
                        c->r ? c->r->id : NULL,
                        c->r ? c->r->title : NULL,
                        e,
                        msg};
    c->errors++;
    if (c->diag)
        c->diag(c->ud, &d);
}

static const char *scalar_of(struct ctx *c, const struct yg_ynode *map, const char *key,
                             bool required, unsigned docline)
{
    const struct yg_ynode *v = yg__ymap_get(map, key);
    if (!v) {
        if (required)
            report(c, map, docline, YG_ESYNTAX, "missing required field '%s'", key);
        return NULL;
    }
    if (v->type != YG_Y_SCALAR) {
        report(c, v, docline, YG_ESYNTAX, "field '%s' must be a single value", key);
        return NULL;
    }
    return v->s;
}

/* Lowercased copy for logsource matching (SigmaHQ uses lowercase). */
static const char *lc_dup(struct yg_arena *a, const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s);
    char *d = yg_arena_alloc(a, n + 1);
    if (!d)
        return NULL;
    for (size_t i = 0; i < n; i++)
        d[i] = (char)yg_lc((unsigned char)s[i]);
    d[n] = 0;
    return d;
}

static bool valid_timespan(const char *s)
{
    size_t n = strlen(s);
    if (n < 2)
        return false;
    for (size_t i = 0; i + 1 < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return strchr("smhdwMy", s[n - 1]) != NULL;
}

static void validate_correlation(struct ctx *c, const struct yg_ynode *cor, unsigned docline)
{
    static const char *const types[] = {
        "event_count", "value_count",      "temporal",         "temporal_ordered", "value_sum",
        "value_avg",   "value_percentile", "yagura_new_value", "yagura_travel",    NULL};
    if (cor->type != YG_Y_MAP) {
        report(c, cor, docline, YG_ESYNTAX, "'correlation' must be a map");
        return;
    }
    const char *type = scalar_of(c, cor, "type", true, docline);
    bool known = false;
    for (int i = 0; type && types[i]; i++)
        known |= strcmp(type, types[i]) == 0;
    if (type && !known)
        report(c, yg__ymap_get(cor, "type"), docline, YG_ESYNTAX,
               "unknown correlation type '%s' (expected event_count, value_count, temporal, "
               "temporal_ordered, value_sum, value_avg, value_percentile, or the Yagura "
               "extensions yagura_new_value and yagura_travel)",
               type);
    /* Yagura's analytics (docs/analytics.md): timespan has a default, the
     * condition holds options instead of a comparison. */
    bool ext = type && strncmp(type, "yagura_", 7) == 0 && known;
    const struct yg_ynode *rules = yg__ymap_get(cor, "rules");
    if (!rules)
        report(c, cor, docline, YG_ESYNTAX, "correlation: missing 'rules'");
    else if (rules->type == YG_Y_MAP)
        report(c, rules, docline, YG_ESYNTAX, "correlation: 'rules' must be a list");
    const char *ts = scalar_of(c, cor, "timespan", !ext, docline);
    if (!ts)
        ts = scalar_of(c, cor, "timeframe", false, docline);
    if (ts && !valid_timespan(ts))
        report(c, yg__ymap_get(cor, "timespan"), docline, YG_ESYNTAX,
               "correlation: timespan '%s' is not a number followed by s, m, h, d, w, M or y", ts);
    const struct yg_ynode *gb = yg__ymap_get(cor, "group-by");
    if (gb && gb->type == YG_Y_MAP)
        report(c, gb, docline, YG_ESYNTAX, "correlation: 'group-by' must be a list");
    bool temporal = type && strncmp(type, "temporal", 8) == 0;
    const struct yg_ynode *cond = yg__ymap_get(cor, "condition");
    if (!cond && !temporal)
        report(c, cor, docline, YG_ESYNTAX, "correlation: missing 'condition'");
    if (ext && cond && cond->type == YG_Y_MAP) {
        bool nv = strcmp(type, "yagura_new_value") == 0;
        for (size_t i = 0; i < cond->n; i++) {
            const struct yg_ynode *k = cond->items[2 * i], *v = cond->items[2 * i + 1];
            const char *key = k->type == YG_Y_SCALAR ? k->s : "?";
            bool num = (nv && strcmp(key, "min_history") == 0) ||
                       (!nv && (strcmp(key, "min_km") == 0 || strcmp(key, "max_kmh") == 0));
            if (num && (v->type != YG_Y_SCALAR ||
                        (v->skind != YG_S_INT && v->skind != YG_S_FLOAT) || v->s[0] == '-'))
                report(c, v, docline, YG_ESYNTAX,
                       "correlation condition: '%s' of %s needs a number >= 0", key, type);
            else if (nv && strcmp(key, "geo") == 0 &&
                     !(v->type == YG_Y_SCALAR &&
                       (strcmp(v->s, "country") == 0 || strcmp(v->s, "asn") == 0)))
                report(c, v, docline, YG_ESYNTAX,
                       "correlation condition: 'geo' of yagura_new_value must be country or asn");
            else if (!num && strcmp(key, "field") != 0 && !(nv && strcmp(key, "geo") == 0))
                report(c, k, docline, YG_ESYNTAX,
                       "correlation condition: unknown key '%s' for %s (it takes %s)", key, type,
                       nv ? "field, geo, min_history" : "field, min_km, max_kmh");
        }
        if (!yg__ymap_get(cond, "field"))
            report(c, cond, docline, YG_ESYNTAX, "correlation: %s needs condition.field", type);
    } else if (cond && cond->type == YG_Y_MAP) {
        for (size_t i = 0; i < cond->n; i++) {
            const struct yg_ynode *k = cond->items[2 * i], *v = cond->items[2 * i + 1];
            static const char *const ops[] = {"gt",  "gte",   "lt",         "lte", "eq",
                                              "neq", "field", "percentile", NULL};
            bool ok = false;
            for (int j = 0; ops[j]; j++)
                ok |= k->type == YG_Y_SCALAR && strcmp(k->s, ops[j]) == 0;
            if (!ok)
                report(c, k, docline, YG_ESYNTAX, "correlation condition: unknown operator '%s'",
                       k->type == YG_Y_SCALAR ? k->s : "?");
            else if (strcmp(k->s, "field") != 0 &&
                     (v->type != YG_Y_SCALAR || (v->skind != YG_S_INT && v->skind != YG_S_FLOAT)))
                report(c, v, docline, YG_ESYNTAX, "correlation condition: '%s' needs a number",
                       k->s);
        }
        bool needs_field = type && strncmp(type, "value_", 6) == 0;
        if (needs_field && !yg__ymap_get(cond, "field"))
            report(c, cond, docline, YG_ESYNTAX, "correlation: %s needs condition.field", type);
    } else if (cond) {
        report(c, cond, docline, YG_ESYNTAX, "correlation: 'condition' must be a map");
    }
    const struct yg_ynode *al = yg__ymap_get(cor, "aliases");
    if (al && al->type != YG_Y_MAP)
        report(c, al, docline, YG_ESYNTAX, "correlation: 'aliases' must be a map");
}

static yg_err string_list(struct ctx *c, struct yg_arena *a, const struct yg_ynode *n,
                          const char *what, const char ***out, size_t *nout, unsigned docline)
{
    *out = NULL;
    *nout = 0;
    if (!n)
        return YG_OK;
    if (n->type == YG_Y_SCALAR) {
        *out = yg_arena_alloc(a, sizeof(char *));
        if (!*out)
            return YG_ENOMEM;
        (*out)[0] = n->s;
        *nout = 1;
        return YG_OK;
    }
    if (n->type != YG_Y_SEQ) {
        report(c, n, docline, YG_ESYNTAX, "'%s' must be a list of strings", what);
        return YG_OK;
    }
    *out = yg_arena_alloc(a, (n->n + 1) * sizeof(char *));
    if (!*out)
        return YG_ENOMEM;
    for (size_t i = 0; i < n->n; i++) {
        if (n->items[i]->type != YG_Y_SCALAR) {
            report(c, n->items[i], docline, YG_ESYNTAX, "'%s' must be a list of strings", what);
            continue;
        }
        (*out)[(*nout)++] = n->items[i]->s;
    }
    return YG_OK;
}

/* Correlation, filter or detection, and the node holding its condition. */
static yg_err rule_kind(struct ctx *c, struct yg_arena *a, struct yg_rule *r,
                        const struct yg_ynode *root, unsigned line,
                        const struct yg_ynode **condnode)
{
    yg_err err = YG_OK;
    const struct yg_ynode *ls = yg__ymap_get(root, "logsource");
    const struct yg_ynode *cor = yg__ymap_get(root, "correlation");
    const struct yg_ynode *flt = yg__ymap_get(root, "filter");
    const struct yg_ynode *det = yg__ymap_get(root, "detection");
    *condnode = NULL;
    if (cor) {
        r->kind = YG_RULE_CORRELATION;
        r->correlation = cor;
        validate_correlation(c, cor, line);
        return YG_OK;
    }
    if (flt) {
        r->kind = YG_RULE_FILTER;
        if (flt->type != YG_Y_MAP) {
            report(c, flt, line, YG_ESYNTAX, "'filter' must be a map");
        } else {
            YG_TRY(string_list(c, a, yg__ymap_get(flt, "rules"), "filter.rules", &r->filter_rules,
                               &r->nfilter_rules, line));
            if (!r->nfilter_rules)
                report(c, flt, line, YG_ESYNTAX, "filter: missing 'rules'");
            r->detection = flt;
            *condnode = yg__ymap_get(flt, "condition");
            if (!*condnode)
                report(c, flt, line, YG_ESYNTAX, "filter: missing 'condition'");
        }
    } else {
        r->kind = YG_RULE_DETECTION;
        if (!det) {
            report(c, root, line, YG_ESYNTAX, "missing required field 'detection'");
        } else if (det->type != YG_Y_MAP) {
            report(c, det, line, YG_ESYNTAX, "'detection' must be a map");
        } else {
            r->detection = det;
            *condnode = yg__ymap_get(det, "condition");
            if (!*condnode)
                report(c, det, line, YG_ESYNTAX, "detection: missing 'condition'");
        }
    }
    if (!ls)
        report(c, root, line, YG_ESYNTAX, "missing required field 'logsource'");
done:
    return err;
}

/* The condition: one string or a list of them. */
static yg_err rule_conditions(struct ctx *c, struct yg_arena *a, struct yg_rule *r,
                              const struct yg_ynode *condnode, unsigned line)
{
    if (condnode->type == YG_Y_SCALAR) {
        r->conditions = yg_arena_alloc(a, sizeof *r->conditions);
        if (!r->conditions)
            return YG_ENOMEM;
        r->conditions[0] = condnode;
        r->nconditions = 1;
    } else if (condnode->type == YG_Y_SEQ && condnode->n) {
        r->conditions = yg_arena_alloc(a, condnode->n * sizeof *r->conditions);
        if (!r->conditions)
            return YG_ENOMEM;
        for (size_t i = 0; i < condnode->n; i++) {
            if (condnode->items[i]->type != YG_Y_SCALAR)
                report(c, condnode->items[i], line, YG_ESYNTAX, "each condition must be a string");
            else
                r->conditions[r->nconditions++] = condnode->items[i];
        }
    } else {
        report(c, condnode, line, YG_ESYNTAX, "'condition' must be a string or a list of strings");
    }
    return YG_OK;
}

/* Every field but the detection as JSON, for alerts and exports. */
static yg_err rule_meta_json(struct yg_arena *a, struct yg_rule *r, const struct yg_ynode *root)
{
    yg_err err = YG_OK;
    struct yg_buf b;
    yg_buf_init(&b, 1u << 20);
    YG_TRY(yg_buf_addc(&b, '{'));
    bool first = true;
    for (size_t i = 0; i < root->n; i++) {
        const struct yg_ynode *k = root->items[2 * i];
        if (k->type != YG_Y_SCALAR || strcmp(k->s, "detection") == 0)
            continue;
        if (!first)
            YG_TRY(yg_buf_addc(&b, ','));
        first = false;
        YG_TRY(yg_buf_add_json_str(&b, k->s, k->slen));
        YG_TRY(yg_buf_addc(&b, ':'));
        YG_TRY(yg__ynode_to_json(root->items[2 * i + 1], &b));
    }
    YG_TRY(yg_buf_addc(&b, '}'));
    r->meta_json = yg_arena_strndup(a, b.p, b.n);
    if (!r->meta_json)
        err = YG_ENOMEM;
done:
    yg_buf_free(&b);
    return err;
}

yg_err yg__rule_from_doc(const struct yg_ydoc *doc, const char *file, struct yg_arena *a,
                         struct yg_rule **out, yg__diag_fn diag, void *ud)
{
    yg_err err = YG_OK;
    struct ctx c = {file, diag, ud, NULL, 0};
    const struct yg_ynode *root = doc->root;
    *out = NULL;
    if (!root)
        return YG_OK;
    if (root->type != YG_Y_MAP) {
        report(&c, root, doc->line, YG_ESYNTAX, "a Sigma document must be a map");
        return YG_ESYNTAX;
    }
    struct yg_rule *r = yg_arena_alloc(a, sizeof *r);
    if (!r)
        return YG_ENOMEM;
    memset(r, 0, sizeof *r);
    c.r = r;
    r->file = file;
    r->line = root->line;
    r->doc = root;
    r->id = scalar_of(&c, root, "id", false, doc->line);
    r->title = scalar_of(&c, root, "title", true, doc->line);
    r->name = scalar_of(&c, root, "name", false, doc->line);
    r->status = scalar_of(&c, root, "status", false, doc->line);
    r->description = scalar_of(&c, root, "description", false, doc->line);
    r->author = scalar_of(&c, root, "author", false, doc->line);
    r->date = scalar_of(&c, root, "date", false, doc->line);
    r->modified = scalar_of(&c, root, "modified", false, doc->line);
    const char *lv = scalar_of(&c, root, "level", false, doc->line);
    if (lv && !yg__level_parse(lv, &r->level))
        report(&c, yg__ymap_get(root, "level"), doc->line, YG_ESYNTAX,
               "unknown level '%s' (expected informational, low, medium, high or critical)", lv);
    YG_TRY(string_list(&c, a, yg__ymap_get(root, "tags"), "tags", &r->tags, &r->ntags, doc->line));

    const struct yg_ynode *ls = yg__ymap_get(root, "logsource");
    if (ls && ls->type == YG_Y_MAP) {
        r->ls.product = lc_dup(a, scalar_of(&c, ls, "product", false, doc->line));
        r->ls.category = lc_dup(a, scalar_of(&c, ls, "category", false, doc->line));
        r->ls.service = lc_dup(a, scalar_of(&c, ls, "service", false, doc->line));
    } else if (ls) {
        report(&c, ls, doc->line, YG_ESYNTAX, "'logsource' must be a map");
    }
    const struct yg_ynode *condnode;
    YG_TRY(rule_kind(&c, a, r, root, doc->line, &condnode));
    if (condnode)
        YG_TRY(rule_conditions(&c, a, r, condnode, doc->line));
    YG_TRY(rule_meta_json(a, r, root));
    *out = r;
    return c.errors ? YG_ESYNTAX : YG_OK;
done:
    return err;
}
