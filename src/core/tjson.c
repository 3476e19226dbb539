/*
 * tjson.c - recursive descent JSON parser into an arena tree.
 *
 * Children are first collected on a per-depth scratch list, then copied
 * into an exactly sized array once the container closes, so a container of
 * n members costs O(n) arena bytes whatever its growth pattern.  Recursion
 * depth is bounded by YG_MAX_JSON_DEPTH, the total node count by
 * YG_TAXII_MAX_JSON_NODES.
 */
#include "core/tjson.h"

#include "core/keyset.h"
#include "core/utf8.h"

struct p {
    const char *s;
    size_t n, i;
    struct yg_arena *a;
    size_t nodes;
    size_t eoff;
    const char *emsg;
};

static yg_err bad(struct p *p, const char *msg)
{
    p->eoff = p->i;
    p->emsg = msg;
    return YG_ESYNTAX;
}

static void ws(struct p *p)
{
    while (p->i < p->n &&
           (p->s[p->i] == ' ' || p->s[p->i] == '\t' || p->s[p->i] == '\n' || p->s[p->i] == '\r'))
        p->i++;
}

static int hexv(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static bool hex4(struct p *p, size_t at, unsigned *out)
{
    if (p->n - at < 4)
        return false;
    unsigned v = 0;
    for (size_t k = 0; k < 4; k++) {
        int h = hexv(p->s[at + k]);
        if (h < 0)
            return false;
        v = v * 16 + (unsigned)h;
    }
    *out = v;
    return true;
}

/* p->i at the opening quote.  The decoded text is never longer than the
 * escaped text, so one allocation of the raw length suffices. */
static yg_err str(struct p *p, const char **out, size_t *outn)
{
    size_t st = ++p->i, end = st;
    bool esc = false;
    while (end < p->n && p->s[end] != '"') {
        unsigned char c = (unsigned char)p->s[end];
        if (c < 0x20) {
            p->i = end;
            return bad(p, "control character in string");
        }
        if (c == '\\') {
            esc = true;
            end++;
        }
        end++;
    }
    if (end >= p->n) {
        p->i = p->n;
        return bad(p, "unterminated string");
    }
    char *d = yg_arena_alloc(p->a, end - st + 1);
    if (!d)
        return YG_ENOMEM;
    if (!esc) {
        memcpy(d, p->s + st, end - st);
        d[end - st] = 0;
        *out = d;
        *outn = end - st;
        p->i = end + 1;
        return YG_OK;
    }
    size_t o = 0;
    for (size_t i = st; i < end;) {
        char c = p->s[i];
        if (c != '\\') {
            d[o++] = c;
            i++;
            continue;
        }
        p->i = i;
        char e = p->s[i + 1];
        i += 2;
        switch (e) {
        case '"': d[o++] = '"'; break;
        case '\\': d[o++] = '\\'; break;
        case '/': d[o++] = '/'; break;
        case 'b': d[o++] = '\b'; break;
        case 'f': d[o++] = '\f'; break;
        case 'n': d[o++] = '\n'; break;
        case 'r': d[o++] = '\r'; break;
        case 't': d[o++] = '\t'; break;
        case 'u': {
            unsigned cp, lo = 0, used;
            if (i > end || !hex4(p, i, &cp) || i + 4 > end)
                return bad(p, "bad \\u escape");
            i += 4;
            if (end - i >= 6 && p->s[i] == '\\' && p->s[i + 1] == 'u' && !hex4(p, i + 2, &lo))
                lo = 0;
            cp = yg__utf16_join(cp, lo, &used);
            if (used == 2)
                i += 6;
            /* \uXXXX is 6 bytes; its UTF-8 is at most 3 (4 for a pair of 12). */
            o += yg__utf8_put(d + o, cp);
            break;
        }
        default: return bad(p, "bad escape");
        }
    }
    d[o] = 0;
    *out = d;
    *outn = o;
    p->i = end + 1;
    return YG_OK;
}

static yg_err num(struct p *p, struct yg_tj *v)
{
    size_t st = p->i;
    if (p->i < p->n && p->s[p->i] == '-')
        p->i++;
    if (p->i >= p->n || p->s[p->i] < '0' || p->s[p->i] > '9')
        return bad(p, "expected a value");
    if (p->s[p->i] == '0')
        p->i++;
    else
        while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9')
            p->i++;
    if (p->i < p->n && p->s[p->i] == '.') {
        p->i++;
        if (p->i >= p->n || p->s[p->i] < '0' || p->s[p->i] > '9')
            return bad(p, "expected a digit");
        while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9')
            p->i++;
    }
    if (p->i < p->n && (p->s[p->i] == 'e' || p->s[p->i] == 'E')) {
        p->i++;
        if (p->i < p->n && (p->s[p->i] == '+' || p->s[p->i] == '-'))
            p->i++;
        if (p->i >= p->n || p->s[p->i] < '0' || p->s[p->i] > '9')
            return bad(p, "expected a digit");
        while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9')
            p->i++;
    }
    v->type = YG_TJ_NUM;
    v->s = yg_arena_strndup(p->a, p->s + st, p->i - st);
    v->sn = p->i - st;
    return v->s ? YG_OK : YG_ENOMEM;
}

static bool lit(struct p *p, const char *w, size_t wl)
{
    if (p->n - p->i < wl || memcmp(p->s + p->i, w, wl) != 0)
        return false;
    p->i += wl;
    return true;
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

static yg_err value(struct p *p, unsigned depth, struct yg_tj **out);

/* A member name seen before in the same object: refused (core/keyset.h),
 * reported at the repeated name. */
static yg_err dup_key(struct p *p, size_t at, const char *key, size_t kn)
{
    enum { MSG = 100 };
    char *m = yg_arena_alloc(p->a, MSG);
    if (!m)
        return YG_ENOMEM;
    yg__keyset_dup_msg(m, MSG, key, kn);
    p->eoff = at;
    p->emsg = m;
    return YG_ESYNTAX;
}

static yg_err container(struct p *p, unsigned depth, struct yg_tj *v, bool obj)
{
    struct kids k = {0};
    struct yg_keyset seen;
    yg__keyset_init(&seen);
    yg_err err = YG_OK;
    char close = obj ? '}' : ']';
    p->i++;
    ws(p);
    if (p->i < p->n && p->s[p->i] == close) {
        p->i++;
        goto fill;
    }
    for (;;) {
        const char *key = NULL;
        size_t kn;
        ws(p);
        if (obj) {
            if (p->i >= p->n || p->s[p->i] != '"') {
                err = bad(p, "expected a string key");
                goto done;
            }
            size_t at = p->i;
            if ((err = str(p, &key, &kn)))
                goto done;
            bool dup;
            if ((err = yg__keyset_add(&seen, key, kn, &dup)))
                goto done;
            if (dup) {
                err = dup_key(p, at, key, kn);
                goto done;
            }
            ws(p);
            if (p->i >= p->n || p->s[p->i] != ':') {
                err = bad(p, "expected ':'");
                goto done;
            }
            p->i++;
        }
        struct yg_tj *c;
        if ((err = value(p, depth + 1, &c)) || (err = kids_push(&k, c, key)))
            goto done;
        ws(p);
        if (p->i < p->n && p->s[p->i] == ',') {
            p->i++;
            continue;
        }
        if (p->i < p->n && p->s[p->i] == close) {
            p->i++;
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

static yg_err value(struct p *p, unsigned depth, struct yg_tj **out)
{
    if (depth > YG_MAX_JSON_DEPTH) {
        p->eoff = p->i;
        p->emsg = "nested too deeply";
        return YG_ELIMIT;
    }
    if (++p->nodes > YG_TAXII_MAX_JSON_NODES) {
        p->eoff = p->i;
        p->emsg = "too many values";
        return YG_ELIMIT;
    }
    ws(p);
    if (p->i >= p->n)
        return bad(p, "unexpected end of input");
    struct yg_tj *v = yg_arena_alloc(p->a, sizeof *v);
    if (!v)
        return YG_ENOMEM;
    memset(v, 0, sizeof *v);
    v->start = p->i;
    yg_err err = YG_OK;
    switch (p->s[p->i]) {
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
        if (!lit(p, "true", 4))
            return bad(p, "expected a value");
        v->type = YG_TJ_BOOL;
        v->b = true;
        break;
    case 'f':
        if (!lit(p, "false", 5))
            return bad(p, "expected a value");
        v->type = YG_TJ_BOOL;
        break;
    case 'n':
        if (!lit(p, "null", 4))
            return bad(p, "expected a value");
        v->type = YG_TJ_NULL;
        break;
    default: err = num(p, v); break;
    }
    if (err)
        return err;
    v->end = p->i;
    *out = v;
    return YG_OK;
}

yg_err yg__tj_parse(const char *buf, size_t len, struct yg_arena *a, struct yg_tj **out,
                    size_t *eoff, const char **emsg)
{
    struct p p = {.s = buf, .n = len, .a = a, .emsg = ""};
    yg_err err = value(&p, 0, out);
    if (!err) {
        ws(&p);
        if (p.i != p.n)
            err = bad(&p, "content after the JSON value");
    }
    if (err) {
        *out = NULL;
        if (eoff)
            *eoff = p.eoff;
        if (emsg)
            *emsg = err == YG_ENOMEM ? "out of memory" : p.emsg;
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
