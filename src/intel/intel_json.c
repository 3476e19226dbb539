/*
 * intel_json.c - a small JSON tree for the intel loaders.
 *
 * The engine's matching scanner (decode/json.c) flattens a document into
 * leaves by path, which loses the boundaries between objects of an array -
 * exactly what a STIX bundle or a MISP event is made of.  The loaders need
 * to walk objects and pick members by name, so this builds a tree: each
 * node knows its first child and next sibling, its member name, its byte
 * offset (for line:column in diagnostics).  Strings are decoded (escapes,
 * surrogate pairs) into the caller's arena.
 *
 * It parses one value at a position and stops there, so a loader can walk
 * the outer layer of a large bundle itself and build a tree per object,
 * resetting its arena between objects: memory stays that of one object.
 * Depth is capped at YG_MAX_JSON_DEPTH and nodes at pp->max_nodes.
 */
#include "intel/intel.h"

#include "core/keyset.h"
#include "core/utf8.h"

void yg__ij_ws(struct yg_ijp *pp)
{
    while (pp->pos < pp->len) {
        char c = pp->p[pp->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            break;
        pp->pos++;
    }
}

static yg_err fail(struct yg_ijp *pp, const char *msg)
{
    pp->err = msg;
    pp->err_off = pp->pos;
    return YG_ESYNTAX;
}

static int hex4(const char *p)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

/* A string at pp->pos (on the quote), decoded into the arena. */
static yg_err parse_str(struct yg_ijp *pp, const char **out, size_t *outn)
{
    const char *p = pp->p;
    size_t i = pp->pos + 1, start = i;
    bool esc = false;
    while (i < pp->len && p[i] != '"') {
        if ((unsigned char)p[i] < 0x20)
            return pp->pos = i, fail(pp, "control character in a string");
        if (p[i] == '\\') {
            esc = true;
            i++;
        }
        i++;
    }
    if (i >= pp->len)
        return fail(pp, "unterminated string");
    size_t raw = i - start;
    char *d = yg_arena_alloc(pp->a, raw + 1);
    if (!d)
        return YG_ENOMEM;
    if (!esc) {
        memcpy(d, p + start, raw);
        d[raw] = 0;
        *out = d;
        *outn = raw;
        pp->pos = i + 1;
        return YG_OK;
    }
    size_t k = 0;
    for (size_t j = start; j < i; j++) {
        if (p[j] != '\\') {
            d[k++] = p[j];
            continue;
        }
        j++;
        switch (p[j]) {
        case '"': d[k++] = '"'; break;
        case '\\': d[k++] = '\\'; break;
        case '/': d[k++] = '/'; break;
        case 'b': d[k++] = '\b'; break;
        case 'f': d[k++] = '\f'; break;
        case 'n': d[k++] = '\n'; break;
        case 'r': d[k++] = '\r'; break;
        case 't': d[k++] = '\t'; break;
        case 'u': {
            int cp = j + 4 < i ? hex4(p + j + 1) : -1;
            if (cp < 0)
                return pp->pos = j, fail(pp, "bad \\u escape");
            j += 4;
            int lo = j + 6 < i && p[j + 1] == '\\' && p[j + 2] == 'u' ? hex4(p + j + 3) : -1;
            unsigned used;
            uint32_t c = yg__utf16_join((uint32_t)cp, lo < 0 ? 0 : (uint32_t)lo, &used);
            if (used == 2)
                j += 6;
            /* \u escapes take 6 bytes and give at most 4. */
            k += yg__utf8_put(d + k, c);
            break;
        }
        default: return pp->pos = j, fail(pp, "bad escape in a string");
        }
    }
    d[k] = 0;
    *out = d;
    *outn = k;
    pp->pos = i + 1;
    return YG_OK;
}

static yg_err parse_value(struct yg_ijp *pp, struct yg_ij **out, unsigned depth);

static struct yg_ij *new_node(struct yg_ijp *pp)
{
    if (pp->max_nodes && ++pp->nodes > pp->max_nodes)
        return NULL;
    struct yg_ij *n = yg_arena_alloc(pp->a, sizeof *n);
    if (n)
        memset(n, 0, sizeof *n);
    return n;
}

/* A member name seen before in the same object, reported at the repeated
 * name; the message lives in the arena like the tree. */
static yg_err dup_key(struct yg_ijp *pp, size_t at, const char *key, size_t keyn)
{
    enum { MSG = 100 };
    char *m = yg_arena_alloc(pp->a, MSG);
    if (!m)
        return YG_ENOMEM;
    yg__keyset_dup_msg(m, MSG, key, keyn);
    pp->err = m;
    pp->err_off = at;
    return YG_ESYNTAX;
}

/* The members of the container n from pp->pos to its closing bracket; in
 * an object, a name given twice is refused (core/keyset.h). */
static yg_err members(struct yg_ijp *pp, struct yg_ij *n, bool obj, unsigned depth,
                      struct yg_keyset *seen)
{
    const char *p = pp->p;
    struct yg_ij **tail = &n->first;
    yg_err err;
    for (;;) {
        const char *key = NULL;
        size_t keyn = 0;
        yg__ij_ws(pp);
        if (obj) {
            if (pp->pos >= pp->len || p[pp->pos] != '"')
                return fail(pp, "a member name (string) expected");
            size_t at = pp->pos;
            if ((err = parse_str(pp, &key, &keyn)))
                return err;
            bool dup;
            if ((err = yg__keyset_add(seen, key, keyn, &dup)))
                return err;
            if (dup)
                return dup_key(pp, at, key, keyn);
            yg__ij_ws(pp);
            if (pp->pos >= pp->len || p[pp->pos] != ':')
                return fail(pp, "':' expected after a member name");
            pp->pos++;
        }
        struct yg_ij *kid;
        if ((err = parse_value(pp, &kid, depth + 1)))
            return err;
        kid->key = key;
        kid->keyn = keyn;
        *tail = kid;
        tail = &kid->next;
        n->n++;
        yg__ij_ws(pp);
        if (pp->pos >= pp->len)
            return fail(pp, obj ? "'}' or ',' expected" : "']' or ',' expected");
        if (p[pp->pos] == ',') {
            pp->pos++;
            continue;
        }
        if (p[pp->pos] == (obj ? '}' : ']')) {
            pp->pos++;
            break;
        }
        return fail(pp, obj ? "'}' or ',' expected" : "']' or ',' expected");
    }
    return YG_OK;
}

static yg_err parse_value(struct yg_ijp *pp, struct yg_ij **out, unsigned depth)
{
    yg__ij_ws(pp);
    if (pp->pos >= pp->len)
        return fail(pp, "a value expected, end of input found");
    if (depth > YG_MAX_JSON_DEPTH)
        return fail(pp, "nesting deeper than YG_MAX_JSON_DEPTH");
    struct yg_ij *n = new_node(pp);
    if (!n) {
        if (pp->max_nodes && pp->nodes > pp->max_nodes) {
            pp->err = "more values than YG_INTEL_MAX_JSON_NODES";
            pp->err_off = pp->pos;
            return YG_ELIMIT;
        }
        return YG_ENOMEM;
    }
    n->off = pp->pos;
    const char *p = pp->p;
    char c = p[pp->pos];
    yg_err err = YG_OK;
    if (c == '{' || c == '[') {
        bool obj = c == '{';
        n->type = obj ? YG_IJ_OBJ : YG_IJ_ARR;
        pp->pos++;
        yg__ij_ws(pp);
        if (pp->pos < pp->len && p[pp->pos] == (obj ? '}' : ']')) {
            pp->pos++;
            *out = n;
            return YG_OK;
        }
        struct yg_keyset seen;
        yg__keyset_init(&seen);
        err = members(pp, n, obj, depth, &seen);
        yg__keyset_free(&seen);
        if (err)
            return err;
    } else if (c == '"') {
        n->type = YG_IJ_STR;
        if ((err = parse_str(pp, &n->s, &n->sn)))
            return err;
    } else if (c == 't' && pp->len - pp->pos >= 4 && !memcmp(p + pp->pos, "true", 4)) {
        n->type = YG_IJ_BOOL;
        n->b = true;
        pp->pos += 4;
    } else if (c == 'f' && pp->len - pp->pos >= 5 && !memcmp(p + pp->pos, "false", 5)) {
        n->type = YG_IJ_BOOL;
        pp->pos += 5;
    } else if (c == 'n' && pp->len - pp->pos >= 4 && !memcmp(p + pp->pos, "null", 4)) {
        n->type = YG_IJ_NULL;
        pp->pos += 4;
    } else if (c == '-' || (c >= '0' && c <= '9')) {
        size_t s = pp->pos;
        if (p[pp->pos] == '-')
            pp->pos++;
        size_t digits = 0;
        while (pp->pos < pp->len && p[pp->pos] >= '0' && p[pp->pos] <= '9') {
            pp->pos++;
            digits++;
        }
        if (!digits)
            return fail(pp, "a digit expected");
        if (pp->pos < pp->len && p[pp->pos] == '.') {
            pp->pos++;
            if (pp->pos >= pp->len || p[pp->pos] < '0' || p[pp->pos] > '9')
                return fail(pp, "a digit expected after '.'");
            while (pp->pos < pp->len && p[pp->pos] >= '0' && p[pp->pos] <= '9')
                pp->pos++;
        }
        if (pp->pos < pp->len && (p[pp->pos] == 'e' || p[pp->pos] == 'E')) {
            pp->pos++;
            if (pp->pos < pp->len && (p[pp->pos] == '+' || p[pp->pos] == '-'))
                pp->pos++;
            if (pp->pos >= pp->len || p[pp->pos] < '0' || p[pp->pos] > '9')
                return fail(pp, "a digit expected in the exponent");
            while (pp->pos < pp->len && p[pp->pos] >= '0' && p[pp->pos] <= '9')
                pp->pos++;
        }
        n->type = YG_IJ_NUM;
        n->s = yg_arena_strndup(pp->a, p + s, pp->pos - s);
        n->sn = pp->pos - s;
        if (!n->s)
            return YG_ENOMEM;
    } else {
        return fail(pp, "a JSON value expected");
    }
    *out = n;
    return YG_OK;
}

yg_err yg__ij_value(struct yg_ijp *pp, struct yg_ij **out)
{
    return parse_value(pp, out, 0);
}

const struct yg_ij *yg__ij_get(const struct yg_ij *o, const char *key)
{
    if (!o || o->type != YG_IJ_OBJ)
        return NULL;
    size_t kn = strlen(key);
    for (const struct yg_ij *k = o->first; k; k = k->next)
        if (k->keyn == kn && !memcmp(k->key, key, kn))
            return k;
    return NULL;
}

const char *yg__ij_str(const struct yg_ij *o, const char *key)
{
    const struct yg_ij *v = yg__ij_get(o, key);
    return v && v->type == YG_IJ_STR ? v->s : NULL;
}
