/*
 * tjson.c - recursive descent JSON parser into an arena tree.
 *
 * Children are first collected on a per-depth scratch list, then copied
 * into an exactly sized array once the container closes, so a container of
 * n members costs O(n) arena bytes whatever its growth pattern.  Recursion
 * depth is bounded by YG_MAX_JSON_DEPTH, the total node count by
 * pp->max_nodes (YG_TAXII_MAX_JSON_NODES unless the caller sets another).
 * Tokens (strings, numbers, whitespace) are read by core/jsonlex.c.
 */
#include "core/tjson.h"

#include "core/jsonlex.h"
#include "core/keyset.h"

#include <stdio.h>

static yg_err bad_at(struct yg_tjp *p, size_t at, const char *msg)
{
    p->err_off = at;
    p->err = msg;
    return YG_ESYNTAX;
}

static yg_err bad(struct yg_tjp *p, const char *msg)
{
    return bad_at(p, p->pos, msg);
}

void yg__tj_ws(struct yg_tjp *p)
{
    p->pos = yg__jlex_ws(p->p, p->pos, p->len);
}

void yg__tj_errpos(const struct yg_tjp *p, unsigned *line, unsigned *col)
{
    yg__jlex_linecol(p->p, p->err_off < p->len ? p->err_off : p->len, line, col);
}

/* p->pos at the opening quote.  The decoded text is never longer than the
 * escaped text, so one allocation of the raw length suffices. */
static yg_err str(struct yg_tjp *p, const char **out, size_t *outn)
{
    size_t st = p->pos + 1, end;
    unsigned flags;
    const char *why;
    if (yg__jlex_str(p->p, st, p->len, &end, &flags, &why))
        return bad_at(p, end, why);
    char *d = yg_arena_alloc(p->a, end - st + 1);
    if (!d)
        return YG_ENOMEM;
    if (flags & YG_JLEX_ESC) {
        *outn = yg__jlex_unescape(p->p + st, end - st, d);
    } else {
        memcpy(d, p->p + st, end - st);
        d[end - st] = 0;
        *outn = end - st;
    }
    *out = d;
    p->pos = end + 1;
    return YG_OK;
}

static yg_err num(struct yg_tjp *p, struct yg_tj *v)
{
    size_t st = p->pos, end;
    if (!yg__jlex_num(p->p, st, p->len, &end)) {
        /* Nothing number-like at all is a missing value. */
        bool none = end == st || (end == st + 1 && p->p[st] == '-');
        return bad_at(p, end,
                      none ? "expected a value (string, number, object, array, true, "
                             "false or null)"
                           : "expected a digit");
    }
    p->pos = end;
    v->type = YG_TJ_NUM;
    v->s = yg_arena_strndup(p->a, p->p + st, end - st);
    v->sn = end - st;
    return v->s ? YG_OK : YG_ENOMEM;
}

/* A growable scratch list of children on the heap, copied into the arena. */
struct kids {
    struct yg_tj **v;
    const char **k;
    size_t n, cap;
};

static yg_err kids_push(struct kids *k, struct yg_tj *v, const char *key)
{
    if (k->n == k->cap) {
        size_t nc = k->cap ? k->cap * 2 : 8;
        struct yg_tj **nv = yg_realloc(k->v, nc * sizeof *nv);
        if (!nv)
            return YG_ENOMEM;
        k->v = nv;
        const char **nk = yg_realloc(k->k, nc * sizeof *nk);
        if (!nk)
            return YG_ENOMEM;
        k->k = nk;
        k->cap = nc;
    }
    k->v[k->n] = v;
    k->k[k->n] = key;
    k->n++;
    return YG_OK;
}

static yg_err value(struct yg_tjp *p, unsigned depth, struct yg_tj **out);

/* A message with a name or number in it, kept in the arena like the tree. */
static char *arena_msg(struct yg_tjp *p)
{
    return yg_arena_alloc(p->a, 100);
}

/* A member name seen before in the same object: refused (core/keyset.h),
 * reported at the repeated name. */
static yg_err dup_key(struct yg_tjp *p, size_t at, const char *key, size_t kn)
{
    char *m = arena_msg(p);
    if (!m)
        return YG_ENOMEM;
    yg__keyset_dup_msg(m, 100, key, kn);
    return bad_at(p, at, m);
}

static yg_err container(struct yg_tjp *p, unsigned depth, struct yg_tj *v, bool obj)
{
    struct kids k = {0};
    struct yg_keyset seen;
    yg__keyset_init(&seen);
    yg_err err = YG_OK;
    char close = obj ? '}' : ']';
    p->pos++;
    yg__tj_ws(p);
    if (p->pos < p->len && p->p[p->pos] == close) {
        p->pos++;
        goto fill;
    }
    for (;;) {
        const char *key = NULL;
        size_t kn;
        yg__tj_ws(p);
        if (obj) {
            if (p->pos >= p->len || p->p[p->pos] != '"') {
                err = bad(p, "expected a member name (a string)");
                goto done;
            }
            size_t at = p->pos;
            if ((err = str(p, &key, &kn)))
                goto done;
            bool dup;
            if ((err = yg__keyset_add(&seen, key, kn, &dup)))
                goto done;
            if (dup) {
                err = dup_key(p, at, key, kn);
                goto done;
            }
            yg__tj_ws(p);
            if (p->pos >= p->len || p->p[p->pos] != ':') {
                err = bad(p, "expected ':' after a member name");
                goto done;
            }
            p->pos++;
        }
        struct yg_tj *c;
        if ((err = value(p, depth + 1, &c)) || (err = kids_push(&k, c, key)))
            goto done;
        yg__tj_ws(p);
        if (p->pos < p->len && p->p[p->pos] == ',') {
            p->pos++;
            continue;
        }
        if (p->pos < p->len && p->p[p->pos] == close) {
            p->pos++;
            break;
        }
        err = bad(p, obj ? "expected ',' or '}'" : "expected ',' or ']'");
        goto done;
    }
fill:
    v->n = k.n;
    if (k.n) {
        v->kids = yg_arena_alloc(p->a, k.n * sizeof *v->kids);
        if (!v->kids) {
            err = YG_ENOMEM;
            goto done;
        }
        memcpy(v->kids, k.v, k.n * sizeof *v->kids);
        if (obj) {
            v->keys = yg_arena_alloc(p->a, k.n * sizeof *v->keys);
            if (!v->keys) {
                err = YG_ENOMEM;
                goto done;
            }
            memcpy(v->keys, k.k, k.n * sizeof *v->keys);
        }
    }
done:
    yg__keyset_free(&seen);
    yg_free(k.v);
    yg_free(k.k);
    return err;
}

/* Past a limit: YG_ELIMIT with the limit named. */
static yg_err limit(struct yg_tjp *p, const char *what, size_t max)
{
    char *m = arena_msg(p);
    if (!m)
        return YG_ENOMEM;
    snprintf(m, 100, "%s (the limit is %zu)", what, max);
    bad(p, m);
    return YG_ELIMIT;
}

static yg_err value(struct yg_tjp *p, unsigned depth, struct yg_tj **out)
{
    size_t max = p->max_nodes ? p->max_nodes : YG_TAXII_MAX_JSON_NODES;
    if (depth > YG_MAX_JSON_DEPTH)
        return limit(p, "JSON nested deeper than YG_MAX_JSON_DEPTH", YG_MAX_JSON_DEPTH);
    if (++p->nodes > max)
        return limit(p, "more JSON values than allowed", max);
    yg__tj_ws(p);
    if (p->pos >= p->len)
        return bad(p, "expected a value, found the end of the input");
    struct yg_tj *v = yg_arena_alloc(p->a, sizeof *v);
    if (!v)
        return YG_ENOMEM;
    memset(v, 0, sizeof *v);
    v->start = p->pos;
    yg_err err = YG_OK;
    switch (p->p[p->pos]) {
    case '{':
        v->type = YG_TJ_OBJ;
        err = container(p, depth, v, true);
        break;
    case '[':
        v->type = YG_TJ_ARR;
        err = container(p, depth, v, false);
        break;
    case '"':
        v->type = YG_TJ_STR;
        err = str(p, &v->s, &v->sn);
        break;
    case 't':
    case 'f':
    case 'n': {
        size_t l = yg__jlex_lit(p->p, p->pos, p->len);
        if (!l)
            return bad(p, "expected a value (string, number, object, array, true, false or null)");
        v->type = p->p[p->pos] == 'n' ? YG_TJ_NULL : YG_TJ_BOOL;
        v->b = p->p[p->pos] == 't';
        p->pos += l;
        break;
    }
    default: err = num(p, v); break;
    }
    if (err)
        return err;
    v->end = p->pos;
    *out = v;
    return YG_OK;
}

yg_err yg__tj_value(struct yg_tjp *pp, struct yg_tj **out)
{
    pp->err = NULL;
    yg_err err = value(pp, 0, out);
    if (err == YG_ENOMEM) {
        pp->err = "out of memory";
        pp->err_off = pp->pos;
    }
    return err;
}

yg_err yg__tj_parse(const char *buf, size_t len, struct yg_arena *a, struct yg_tj **out,
                    size_t *eoff, const char **emsg)
{
    struct yg_tjp p = {.p = buf, .len = len, .a = a};
    yg_err err = yg__tj_value(&p, out);
    if (!err) {
        yg__tj_ws(&p);
        if (p.pos != p.len)
            err = bad(&p, "content after the JSON value");
    }
    if (err) {
        *out = NULL;
        if (eoff)
            *eoff = p.err_off;
        if (emsg)
            *emsg = p.err;
    }
    return err;
}

const struct yg_tj *yg__tj_get(const struct yg_tj *o, const char *key)
{
    if (!o || o->type != YG_TJ_OBJ)
        return NULL;
    for (size_t i = 0; i < o->n; i++)
        if (strcmp(o->keys[i], key) == 0)
            return o->kids[i];
    return NULL;
}

const char *yg__tj_str(const struct yg_tj *o, const char *key)
{
    const struct yg_tj *v = yg__tj_get(o, key);
    return v && v->type == YG_TJ_STR ? v->s : NULL;
}
