/*
 * intel_stix.c - indicators from STIX 2.1: a bundle, a TAXII envelope
 * ({"objects":[...]}), a JSON array of objects, or one object.
 *
 * Two passes over the objects: the first collects identities (for
 * created_by_ref -> source name) and marking definitions (for
 * object_marking_refs -> TLP, besides the TLP 1.0 and 2.0 ids every
 * producer uses), the second turns each indicator's pattern into stored
 * indicators.  The objects array is walked one object at a time, each
 * parsed into a tree in an arena reset before the next, so a bundle of any
 * size costs the memory of its largest object.
 *
 * Per indicator: id, confidence, valid_from, valid_until, labels,
 * description (or name), source and TLP.  A revoked indicator is skipped; a
 * pattern_type other than stix, or a pattern that matches nothing on one
 * event, is reported as unsupported with the pattern.
 */
#include <stdio.h>
#include <stdlib.h>

#include "core/keyset.h"
#include "intel/intel.h"

struct kv {
    const char *k, *v;
};

struct stix_ctx {
    struct yg_iload *l;
    struct yg_arena keep; /* identities and markings */
    struct kv *ids, *marks;
    size_t nids, nmarks, capids, capmarks;
    size_t nobj;
    int pass; /* JSON errors are reported by the first pass only */
    /* incremental line:column */
    size_t lc_off;
    unsigned lc_line, lc_col;
};

static void linecol(struct stix_ctx *c, size_t off, unsigned *line, unsigned *col)
{
    if (off < c->lc_off) {
        c->lc_off = 0;
        c->lc_line = 1;
        c->lc_col = 1;
    }
    const char *b = c->l->buf;
    for (size_t i = c->lc_off; i < off && i < c->l->len; i++) {
        if (b[i] == '\n') {
            c->lc_line++;
            c->lc_col = 1;
        } else {
            c->lc_col++;
        }
    }
    c->lc_off = off;
    *line = c->lc_line;
    *col = c->lc_col;
}

static const struct kv tlp_ids[] = {
    /* TLP 2.0 (OASIS cti-stix-common-objects) */
    {"marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487", "TLP:CLEAR"},
    {"marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb", "TLP:GREEN"},
    {"marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421", "TLP:AMBER"},
    {"marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003", "TLP:AMBER+STRICT"},
    {"marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1", "TLP:RED"},
    /* TLP 1.0 (STIX 2.1 section 7.2.1.4) */
    {"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9", "TLP:CLEAR"},
    {"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da", "TLP:GREEN"},
    {"marking-definition--f88d31f6-486f-44da-b317-01333bde0b82", "TLP:AMBER"},
    {"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed", "TLP:RED"},
};

static yg_err kv_add(struct stix_ctx *c, struct kv **arr, size_t *n, size_t *cap, const char *k,
                     const char *v, bool copy_v)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 16;
        struct kv *na = yg_realloc(*arr, nc * sizeof *na);
        if (!na)
            return YG_ENOMEM;
        *arr = na;
        *cap = nc;
    }
    const char *kk = yg_arena_strndup(&c->keep, k, strlen(k));
    const char *vv = copy_v ? yg_arena_strndup(&c->keep, v, strlen(v)) : v;
    if (!kk || !vv)
        return YG_ENOMEM;
    (*arr)[*n].k = kk;
    (*arr)[*n].v = vv;
    (*n)++;
    return YG_OK;
}

static const char *kv_find(const struct kv *a, size_t n, const char *k)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(a[i].k, k))
            return a[i].v;
    return NULL;
}

/* TLP of a marking-definition object, NULL if it is not a TLP marking. */
static const char *marking_tlp(const struct yg_tj *o)
{
    const char *dt = yg__tj_str(o, "definition_type");
    const struct yg_tj *def = yg__tj_get(o, "definition");
    if (dt && !strcmp(dt, "tlp") && def) {
        const char *t = yg__tj_str(def, "tlp");
        if (t)
            return yg__tlp_canon(t, strlen(t));
    }
    const struct yg_tj *ext = yg__tj_get(o, "extensions");
    const struct yg_tj *e;
    for (size_t ei = 0; (e = yg__tj_kid(ext, YG_TJ_OBJ, ei)); ei++) {
        const char *t = yg__tj_str(e, "tlp_2_0");
        if (t)
            return yg__tlp_canon(t, strlen(t));
    }
    const char *name = yg__tj_str(o, "name");
    if (name && !strncmp(name, "TLP:", 4))
        return yg__tlp_canon(name, strlen(name));
    return NULL;
}

static yg_err pass1(struct stix_ctx *c, const struct yg_tj *o)
{
    const char *type = yg__tj_str(o, "type"), *id = yg__tj_str(o, "id");
    if (!type || !id)
        return YG_OK;
    if (!strcmp(type, "identity")) {
        const char *name = yg__tj_str(o, "name");
        if (name)
            return kv_add(c, &c->ids, &c->nids, &c->capids, id, name, true);
    } else if (!strcmp(type, "marking-definition")) {
        const char *t = marking_tlp(o);
        if (t)
            return kv_add(c, &c->marks, &c->nmarks, &c->capmarks, id, t, false);
    }
    return YG_OK;
}

static const char *tlp_of(struct stix_ctx *c, const struct yg_tj *o)
{
    const struct yg_tj *refs = yg__tj_get(o, "object_marking_refs");
    const char *best = NULL;
    static const char *const order[] = {"TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT",
                                        "TLP:RED"};
    int bi = -1;
    const struct yg_tj *r;
    for (size_t ri = 0; (r = yg__tj_kid(refs, YG_TJ_ARR, ri)); ri++) {
        if (r->type != YG_TJ_STR)
            continue;
        const char *t = NULL;
        for (size_t i = 0; i < sizeof tlp_ids / sizeof *tlp_ids && !t; i++)
            if (!strcmp(r->s, tlp_ids[i].k))
                t = tlp_ids[i].v;
        if (!t)
            t = kv_find(c->marks, c->nmarks, r->s);
        /* Several TLP markings: the most restrictive holds. */
        for (int i = 0; t && i < 5; i++)
            if (!strcmp(t, order[i]) && i > bi) {
                bi = i;
                best = order[i];
            }
    }
    return best;
}

static const char *labels_json(struct stix_ctx *c, const struct yg_tj *o, struct yg_arena *a)
{
    const struct yg_tj *lb = yg__tj_get(o, "labels");
    if (!lb || lb->type != YG_TJ_ARR || !lb->n)
        return NULL;
    struct yg_buf b;
    yg_buf_init(&b, 1u << 20);
    bool ok = !yg_buf_addc(&b, '[');
    size_t k = 0;
    for (size_t i = 0; i < lb->n && ok; i++) {
        const struct yg_tj *e = lb->kids[i];
        if (e->type == YG_TJ_STR)
            ok = !(k++ && yg_buf_addc(&b, ',')) && !yg_buf_add_json_str(&b, e->s, e->sn);
    }
    ok = ok && !yg_buf_addc(&b, ']');
    const char *r = ok ? yg_arena_strndup(a, b.p, b.n) : NULL;
    yg_buf_free(&b);
    (void)c;
    return r;
}

static yg_err pass2(struct stix_ctx *c, const struct yg_tj *o, struct yg_arena *a)
{
    struct yg_iload *l = c->l;
    const char *type = yg__tj_str(o, "type");
    if (!type || strcmp(type, "indicator"))
        return YG_OK;
    const char *id = yg__tj_str(o, "id");
    unsigned line, col;
    linecol(c, o->start, &line, &col);
    const struct yg_tj *rv = yg__tj_get(o, "revoked");
    if (rv && rv->type == YG_TJ_BOOL && rv->b)
        return YG_OK;
    const char *ptype = yg__tj_str(o, "pattern_type");
    const char *pattern = yg__tj_str(o, "pattern");
    if (!pattern) {
        yg__intel_diag(l->in, l->file, line, col, id, YG_ESYNTAX, NULL,
                       "indicator without a pattern (a string) ");
        return YG_OK;
    }
    if (ptype && strcmp(ptype, "stix")) {
        yg__intel_diag(l->in, l->file, line, col, id, YG_EUNSUPPORTED, pattern,
                       "pattern_type '%s' is not stix", ptype);
        return YG_OK;
    }
    struct yg_pat_result pr;
    yg_err e = yg__stix_pattern(pattern, strlen(pattern), a, &pr);
    if (e == YG_ENOMEM)
        return e;
    if (e) {
        const struct yg_tj *pn = yg__tj_get(o, "pattern");
        unsigned pl, pc;
        linecol(c, pn->start, &pl, &pc);
        yg__intel_diag(l->in, l->file, pl, pc, id, e, pattern, "pattern column %u: %s", pr.col,
                       pr.why);
        return YG_OK;
    }
    struct yg_ioc_in x;
    yg__ioc_in_init(&x);
    x.id = id;
    x.idn = id ? strlen(id) : 0;
    const char *cb = yg__tj_str(o, "created_by_ref");
    x.source = cb ? kv_find(c->ids, c->nids, cb) : NULL;
    if (!x.source)
        x.source = l->source ? l->source : cb;
    x.tlp = tlp_of(c, o);
    if (!x.tlp)
        x.tlp = l->tlp;
    const struct yg_tj *conf = yg__tj_get(o, "confidence");
    if (conf && conf->type == YG_TJ_NUM) {
        long v = strtol(conf->s, NULL, 10);
        x.confidence = v < 0 ? 0 : v > 100 ? 100 : (int)v;
    } else if (l->o && l->o->confidence > 0) {
        x.confidence = l->o->confidence;
    }
    const char *t;
    if ((t = yg__tj_str(o, "valid_from")))
        (void)yg__intel_time(t, strlen(t), &x.valid_from);
    if ((t = yg__tj_str(o, "valid_until")))
        (void)yg__intel_time(t, strlen(t), &x.valid_until);
    x.description = yg__tj_str(o, "description");
    if (!x.description)
        x.description = yg__tj_str(o, "name");
    x.labels_json = labels_json(c, o, a);
    x.file = l->file;
    for (size_t i = 0; i < pr.n; i++) {
        x.type = pr.iocs[i].type;
        x.value = pr.iocs[i].value;
        x.vn = pr.iocs[i].vn;
        x.hash_kind = pr.iocs[i].hash_kind;
        const char *why;
        e = yg__intel_add(l->in, &x, &why);
        if (e == YG_ENOMEM)
            return e;
        if (e) {
            yg__intel_diag(l->in, l->file, line, col, id, e, pattern, "%s '%.*s': %s",
                           yg_ioc_type_name(x.type), (int)(x.vn > 200 ? 200 : x.vn), x.value,
                           why ? why : yg_strerror(e));
            if (e == YG_ELIMIT)
                return e;
        }
    }
    return YG_OK;
}

typedef yg_err (*obj_fn)(struct stix_ctx *c, const struct yg_tj *o, struct yg_arena *a);

static yg_err pass1_fn(struct stix_ctx *c, const struct yg_tj *o, struct yg_arena *a)
{
    (void)a;
    return pass1(c, o);
}

static yg_err json_err(struct stix_ctx *c, struct yg_tjp *pp, yg_err e)
{
    if (e == YG_ENOMEM)
        return e;
    if (c->pass != 1)
        return YG_ESYNTAX;
    unsigned line, col;
    linecol(c, pp->err_off, &line, &col);
    yg__intel_diag(c->l->in, c->l->file, line, col, NULL, e, NULL, "JSON: %s",
                   pp->err ? pp->err : yg_strerror(e));
    return YG_ESYNTAX;
}

/* Each element of the array at pp->pos, one at a time. */
static yg_err walk_array(struct stix_ctx *c, struct yg_tjp *pp, obj_fn fn, struct yg_arena *a)
{
    yg_err e;
    pp->pos++; /* '[' */
    yg__tj_ws(pp);
    if (pp->pos < pp->len && pp->p[pp->pos] == ']') {
        pp->pos++;
        return YG_OK;
    }
    for (;;) {
        yg_arena_reset(a);
        pp->nodes = 0;
        struct yg_tj *o;
        if ((e = yg__tj_value(pp, &o)))
            return json_err(c, pp, e);
        if (++c->nobj > YG_INTEL_MAX_PER_FILE) {
            yg__intel_diag(c->l->in, c->l->file, 0, 0, NULL, YG_ELIMIT, NULL,
                           "more objects than YG_INTEL_MAX_PER_FILE; the rest is ignored");
            return YG_ELIMIT;
        }
        if (o->type == YG_TJ_OBJ && (e = fn(c, o, a)))
            return e;
        yg__tj_ws(pp);
        if (pp->pos < pp->len && pp->p[pp->pos] == ',') {
            pp->pos++;
            continue;
        }
        if (pp->pos < pp->len && pp->p[pp->pos] == ']') {
            pp->pos++;
            return YG_OK;
        }
        pp->err = "',' or ']' expected";
        pp->err_off = pp->pos;
        return json_err(c, pp, YG_ESYNTAX);
    }
}

/* A syntax error at the parser's position. */
static yg_err walk_syntax(struct stix_ctx *c, struct yg_tjp *pp, const char *msg)
{
    pp->err = msg;
    pp->err_off = pp->pos;
    return json_err(c, pp, YG_ESYNTAX);
}

/* The top object being walked: its members other than "objects" (the
 * object itself when there is no "objects" array). */
struct top_walk {
    struct stix_ctx *c;
    obj_fn fn;
    struct yg_arena *a, *top;
    struct yg_keyset seen;
    struct yg_tj self;
    size_t cap; /* of self.kids and self.keys */
    bool had_objects;
};

/* One member of the top object: "objects" walked in place, anything else
 * kept as a member of self. */
static yg_err top_member(struct top_walk *w, struct yg_tjp *pp)
{
    struct stix_ctx *c = w->c;
    yg_err e;
    yg__tj_ws(pp);
    if (pp->pos >= pp->len || pp->p[pp->pos] != '"')
        return walk_syntax(c, pp, "a member name expected");
    /* Parse the name as a value to reuse the string decoder. */
    struct yg_tjp kp = *pp;
    kp.a = w->top;
    struct yg_tj *kn;
    if ((e = yg__tj_value(&kp, &kn)))
        return json_err(c, &kp, e);
    /* A repeated name (two "objects" arrays, two "type"s) is refused like
     * in every nested object (core/keyset.h). */
    bool dup;
    if ((e = yg__keyset_add(&w->seen, kn->s, kn->sn, &dup)))
        return e;
    if (dup) {
        char *m = yg_arena_alloc(w->top, 100);
        if (!m)
            return YG_ENOMEM;
        yg__keyset_dup_msg(m, 100, kn->s, kn->sn);
        return walk_syntax(c, pp, m); /* still at the repeated name */
    }
    pp->pos = kp.pos;
    yg__tj_ws(pp);
    if (pp->pos >= pp->len || pp->p[pp->pos] != ':')
        return walk_syntax(c, pp, "':' expected");
    pp->pos++;
    yg__tj_ws(pp);
    if (!strcmp(kn->s, "objects") && pp->pos < pp->len && pp->p[pp->pos] == '[') {
        w->had_objects = true;
        return walk_array(c, pp, w->fn, w->a);
    }
    struct yg_tjp vp = *pp;
    vp.a = w->top;
    struct yg_tj *v;
    if ((e = yg__tj_value(&vp, &v)))
        return json_err(c, &vp, e);
    pp->pos = vp.pos;
    /* The members are kept in `top`, which lives until the end. */
    if (w->self.n == w->cap) {
        size_t nc = w->cap ? w->cap * 2 : 16;
        struct yg_tj **kids = yg_arena_alloc(w->top, nc * sizeof *kids);
        const char **keys = yg_arena_alloc(w->top, nc * sizeof *keys);
        if (!kids || !keys)
            return YG_ENOMEM;
        if (w->self.n) {
            memcpy(kids, w->self.kids, w->self.n * sizeof *kids);
            memcpy(keys, w->self.keys, w->self.n * sizeof *keys);
        }
        w->self.kids = kids;
        w->self.keys = keys;
        w->cap = nc;
    }
    w->self.kids[w->self.n] = v;
    w->self.keys[w->self.n++] = kn->s;
    return YG_OK;
}

/* The members of the top object, up to its closing brace. */
static yg_err top_members(struct top_walk *w, struct yg_tjp *pp)
{
    pp->pos++;
    yg__tj_ws(pp);
    if (pp->pos < pp->len && pp->p[pp->pos] == '}') {
        pp->pos++;
        return YG_OK;
    }
    for (;;) {
        yg_err e = top_member(w, pp);
        if (e)
            return e;
        yg__tj_ws(pp);
        if (pp->pos < pp->len && pp->p[pp->pos] == ',') {
            pp->pos++;
            continue;
        }
        if (pp->pos < pp->len && pp->p[pp->pos] == '}') {
            pp->pos++;
            return YG_OK;
        }
        return walk_syntax(w->c, pp, "',' or '}' expected");
    }
}

static yg_err walk(struct stix_ctx *c, obj_fn fn)
{
    struct yg_arena a, top;
    yg_arena_init(&a, 1u << 16, 0);
    yg_arena_init(&top, 1u << 12, 0);
    struct yg_tjp pp = {c->l->buf, c->l->len, 0, &a, 0, YG_INTEL_MAX_JSON_NODES, NULL, 0};
    struct top_walk w;
    memset(&w, 0, sizeof w);
    w.c = c;
    w.fn = fn;
    w.a = &a;
    w.top = &top;
    w.self.type = YG_TJ_OBJ;
    yg__keyset_init(&w.seen);
    yg_err e = YG_OK;
    c->nobj = 0;
    yg__tj_ws(&pp);
    if (pp.pos < pp.len && pp.p[pp.pos] == '[') {
        e = walk_array(c, &pp, fn, &a);
        goto done;
    }
    if (pp.pos >= pp.len || pp.p[pp.pos] != '{') {
        e = walk_syntax(c, &pp, "a JSON object or array expected");
        goto done;
    }
    /* The members of the top object, "objects" walked in place; without
     * one, the top object itself is the STIX object. */
    if ((e = top_members(&w, &pp)))
        goto done;
    yg__tj_ws(&pp);
    if (pp.pos < pp.len) {
        e = walk_syntax(c, &pp, "content after the JSON value");
        goto done;
    }
    if (!w.had_objects)
        e = fn(c, &w.self, &a);
done:
    yg__keyset_free(&w.seen);
    yg_arena_free(&a);
    yg_arena_free(&top);
    return e;
}

yg_err yg__intel_load_stix(struct yg_iload *l)
{
    struct stix_ctx c;
    memset(&c, 0, sizeof c);
    c.l = l;
    c.lc_line = c.lc_col = 1;
    yg_arena_init(&c.keep, 1u << 12, 0);
    c.pass = 1;
    yg_err e = walk(&c, pass1_fn);
    if (e != YG_ENOMEM) {
        c.pass = 2;
        e = walk(&c, pass2);
    }
    yg_arena_free(&c.keep);
    yg_free(c.ids);
    yg_free(c.marks);
    /* Problems were reported; only running out of memory stops the caller. */
    return e == YG_ENOMEM ? e : YG_OK;
}
