/*
 * entities.c - the entity mapping of incidents (mappings/entities.yml):
 * which event fields hold an account, a host, a source address (or the
 * observing appliance), per log source, and which values name nobody.
 */
#include "incident/entity.h"

#include <stdio.h>
#include <stdlib.h>

#include "core/addr.h"
#include "core/yaml.h"

static const char *const kind_names[YG_ENT_N] = {"account", "host", "address", "observer"};

const char *yg__entity_kind_name(enum yg_entity_kind k)
{
    return (unsigned)k < YG_ENT_N ? kind_names[k] : "?";
}

static int kind_of(const char *s)
{
    for (int k = 0; k < YG_ENT_N; k++)
        if (strcmp(s, kind_names[k]) == 0)
            return k;
    return -1;
}

void yg__entity_map_free(struct yg_entity_map *m)
{
    if (!m)
        return;
    yg_arena_free(&m->arena);
    yg_free(m);
}

static char *dup_lower(struct yg_arena *a, const char *s, size_t n)
{
    char *d = yg_arena_strndup(a, s, n);
    if (d)
        for (size_t i = 0; i < n; i++)
            d[i] = (char)yg_lc((unsigned char)d[i]);
    return d;
}

/* A list of scalars (or one scalar) into an arena array of lowercase strings. */
static bool scalars(struct yg_entity_map *m, const struct yg_ynode *n, const char *what,
                    char ***out, size_t *nout, const char *path)
{
    char *why = m->errmsg;
    size_t wl = sizeof m->errmsg;
    size_t cnt = n->type == YG_Y_SCALAR ? 1 : n->type == YG_Y_SEQ ? n->n : 0;
    if (n->type == YG_Y_MAP) {
        snprintf(why, wl, "%s:%u:%u: %s: expected a list of names", path, n->line, n->col, what);
        return false;
    }
    char **v = yg_arena_alloc(&m->arena, (cnt + *nout + 1) * sizeof *v);
    if (!v) {
        snprintf(why, wl, "%s: out of memory", path);
        return false;
    }
    if (*nout)
        memcpy(v, *out, *nout * sizeof *v);
    for (size_t i = 0; i < cnt; i++) {
        const struct yg_ynode *s = n->type == YG_Y_SCALAR ? n : n->items[i];
        if (s->type != YG_Y_SCALAR) {
            snprintf(why, wl, "%s:%u:%u: %s: expected a name", path, s->line, s->col, what);
            return false;
        }
        if (!(v[*nout + i] = dup_lower(&m->arena, s->s, s->slen))) {
            snprintf(why, wl, "%s: out of memory", path);
            return false;
        }
    }
    *out = v;
    *nout += cnt;
    return true;
}

/* Where an entity map's problem is reported. */
struct ectx {
    struct yg_entity_map *m;
    const char *path;
    char *why;
    size_t wl;
};

/* link: the kinds that join alerts into one incident. */
static yg_err parse_link(struct ectx *x, const struct yg_ynode *val)
{
    char **v = NULL;
    size_t nv = 0;
    if (!scalars(x->m, val, "link", &v, &nv, x->path))
        return YG_ESYNTAX;
    for (int k = 0; k < YG_ENT_N; k++)
        x->m->link[k] = false;
    for (size_t j = 0; j < nv; j++) {
        int k = kind_of(v[j]);
        if (k < 0) {
            snprintf(x->why, x->wl, "%s:%u:%u: link: unknown entity kind '%s'", x->path, val->line,
                     val->col, v[j]);
            return YG_ESYNTAX;
        }
        x->m->link[k] = true;
    }
    return YG_OK;
}

/* ignore (values per kind) and correlation (group-by names per kind): a
 * mapping of kind to a list of strings. */
static yg_err parse_by_kind(struct ectx *x, const struct yg_ynode *val, const char *what,
                            char **lists[YG_ENT_N], size_t counts[YG_ENT_N])
{
    if (val->type != YG_Y_MAP) {
        snprintf(x->why, x->wl, "%s:%u:%u: %s: expected a mapping of kind to %s", x->path,
                 val->line, val->col, what, strcmp(what, "ignore") == 0 ? "values" : "names");
        return YG_ESYNTAX;
    }
    for (size_t j = 0; j < val->n; j++) {
        const struct yg_ynode *kk = val->items[2 * j];
        int k = kind_of(kk->s);
        if (k < 0) {
            snprintf(x->why, x->wl, "%s:%u:%u: %s: unknown entity kind '%s'", x->path, kk->line,
                     kk->col, what, kk->s);
            return YG_ESYNTAX;
        }
        if (!scalars(x->m, val->items[2 * j + 1], what, &lists[k], &counts[k], x->path))
            return YG_ESYNTAX;
    }
    return YG_OK;
}

/* A source's logsource: product, service, category. */
static yg_err parse_source_ls(struct ectx *x, struct yg_entity_source *es,
                              const struct yg_ynode *sv)
{
    if (sv->type != YG_Y_MAP) {
        snprintf(x->why, x->wl, "%s:%u:%u: logsource: expected a mapping", x->path, sv->line,
                 sv->col);
        return YG_ESYNTAX;
    }
    for (size_t r = 0; r < sv->n; r++) {
        const struct yg_ynode *lk = sv->items[2 * r], *lv = sv->items[2 * r + 1];
        char **slot = strcmp(lk->s, "product") == 0    ? &es->product
                      : strcmp(lk->s, "service") == 0  ? &es->service
                      : strcmp(lk->s, "category") == 0 ? &es->category
                                                       : NULL;
        if (!slot || lv->type != YG_Y_SCALAR) {
            snprintf(x->why, x->wl,
                     "%s:%u:%u: logsource: expected product, service or category with a value",
                     x->path, lk->line, lk->col);
            return YG_ESYNTAX;
        }
        if (!(*slot = dup_lower(&x->m->arena, lv->s, lv->slen)))
            return YG_ENOMEM;
    }
    return YG_OK;
}

/* One source: its logsource and the fields of each entity kind. */
static yg_err parse_source(struct ectx *x, struct yg_entity_source *es, const struct yg_ynode *s)
{
    if (s->type != YG_Y_MAP) {
        snprintf(x->why, x->wl, "%s:%u:%u: sources: expected a mapping", x->path, s->line, s->col);
        return YG_ESYNTAX;
    }
    for (size_t q = 0; q < s->n; q++) {
        const struct yg_ynode *sk = s->items[2 * q], *sv = s->items[2 * q + 1];
        yg_err e;
        if (strcmp(sk->s, "logsource") == 0) {
            if ((e = parse_source_ls(x, es, sv)))
                return e;
            continue;
        }
        int k = kind_of(sk->s);
        if (k < 0) {
            snprintf(x->why, x->wl,
                     "%s:%u:%u: unknown key '%s' (expected logsource, account, host, "
                     "address or observer)",
                     x->path, sk->line, sk->col, sk->s);
            return YG_ESYNTAX;
        }
        if (!scalars(x->m, sv, sk->s, &es->fields[k], &es->nfields[k], x->path))
            return YG_ESYNTAX;
    }
    return YG_OK;
}

static yg_err parse_sources(struct ectx *x, const struct yg_ynode *key, const struct yg_ynode *val)
{
    struct yg_entity_map *m = x->m;
    if (val->type != YG_Y_SEQ) {
        snprintf(x->why, x->wl, "%s:%u:%u: sources: expected a list", x->path, val->line, val->col);
        return YG_ESYNTAX;
    }
    if (m->src) {
        snprintf(x->why, x->wl, "%s:%u:%u: sources: given twice", x->path, key->line, key->col);
        return YG_ESYNTAX;
    }
    m->src = yg_arena_alloc(&m->arena, (val->n + 1) * sizeof *m->src);
    if (!m->src)
        return YG_ENOMEM;
    memset(m->src, 0, (val->n + 1) * sizeof *m->src);
    for (size_t j = 0; j < val->n; j++) {
        yg_err e = parse_source(x, &m->src[m->nsrc++], val->items[j]);
        if (e)
            return e;
    }
    return YG_OK;
}

static yg_err parse(struct yg_entity_map *m, const struct yg_ynode *root, const char *path)
{
    char *why = m->errmsg;
    size_t wl = sizeof m->errmsg;
    if (!root || root->type != YG_Y_MAP) {
        snprintf(why, wl, "%s: expected a mapping with link, ignore and sources", path);
        return YG_ESYNTAX;
    }
    struct ectx x = {m, path, why, wl};
    for (int k = 0; k < YG_ENT_N; k++)
        m->link[k] = k != YG_ENT_OBSERVER;
    for (size_t i = 0; i < root->n; i++) {
        const struct yg_ynode *key = root->items[2 * i], *val = root->items[2 * i + 1];
        yg_err e;
        if (strcmp(key->s, "link") == 0)
            e = parse_link(&x, val);
        else if (strcmp(key->s, "ignore") == 0)
            e = parse_by_kind(&x, val, "ignore", m->ignore, m->nignore);
        else if (strcmp(key->s, "sources") == 0)
            e = parse_sources(&x, key, val);
        else if (strcmp(key->s, "correlation") == 0)
            /* Group-by names of correlation rules, by kind. */
            e = parse_by_kind(&x, val, "correlation", m->corr, m->ncorr);
        else {
            snprintf(why, wl,
                     "%s:%u:%u: unknown key '%s' (expected link, ignore, sources or correlation)",
                     path, key->line, key->col, key->s);
            e = YG_ESYNTAX;
        }
        if (e)
            return e;
    }
    return YG_OK;
}

yg_err yg__entity_map_load(const char *path, struct yg_entity_map **out)
{
    char *text = NULL;
    size_t n = 0;
    struct yg_entity_map *m = yg_calloc(1, sizeof *m);
    *out = m; /* a failure below leaves its message on the map */
    if (!m)
        return YG_ENOMEM;
    yg_arena_init(&m->arena, 16384, 0);
    char *why = m->errmsg;
    size_t wl = sizeof m->errmsg;
    yg_err err = yg_file_read(path, 1u << 20, &text, &n);
    if (err) {
        snprintf(why, wl, "%s: %s", path, yg_strerror(err));
        return err;
    }
    struct yg_ydoc *docs = NULL;
    size_t nd = 0;
    unsigned el = 0, ec = 0;
    struct yg_errmsg ywhy = {""};
    err = yg__yaml_parse(text, n, &m->arena, &docs, &nd, &el, &ec, &ywhy);
    if (err) {
        snprintf(why, wl, "%s:%u:%u: %s", path, el, ec, ywhy.msg);
    } else if (nd != 1) {
        snprintf(why, wl, "%s: expected one YAML document", path);
        err = YG_ESYNTAX;
    } else {
        err = parse(m, docs[0].root, path);
    }
    yg_free(text);
    return err;
}

const char *yg__entity_map_errmsg(const struct yg_entity_map *m)
{
    /* Only a failed allocation of the map itself leaves no handle. */
    return m ? m->errmsg : "out of memory";
}

yg_err yg__entity_map_load_default(const char *data_dir, struct yg_entity_map **out)
{
    if (!data_dir)
        data_dir = getenv("YAGURA_DATA_DIR");
#ifdef YG_SOURCE_DIR
    if (!data_dir)
        data_dir = YG_SOURCE_DIR;
#endif
    if (!data_dir)
        data_dir = ".";
    char path[4096];
    snprintf(path, sizeof path, "%s/mappings/entities.yml", data_dir);
    return yg__entity_map_load(path, out);
}

/* ---- matching ----------------------------------------------------------- */

static bool eq_opt(const char *want, const char *have, size_t hn)
{
    return !want || (have && yg_str_ieq(want, strlen(want), have, hn));
}

int yg__entity_field_kind(const struct yg_entity_map *m, const struct yg_str ls[3],
                          const char *name, size_t nn)
{
    /* Entries naming a log source first; the generic entries (empty
     * logsource) only for events no specific entry describes. */
    bool specific = false;
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1 && specific)
            break;
        for (size_t i = 0; i < m->nsrc; i++) {
            const struct yg_entity_source *s = &m->src[i];
            bool generic = !s->product && !s->service && !s->category;
            if (generic != (pass == 1))
                continue;
            if (!eq_opt(s->product, ls[0].p, ls[0].n) || !eq_opt(s->service, ls[1].p, ls[1].n) ||
                !eq_opt(s->category, ls[2].p, ls[2].n))
                continue;
            specific |= !generic;
            for (int k = 0; k < YG_ENT_N; k++)
                for (size_t j = 0; j < s->nfields[k]; j++)
                    if (yg_str_ieq(s->fields[k][j], strlen(s->fields[k][j]), name, nn))
                        return k;
        }
    }
    return -1;
}

int yg__entity_group_kind(const struct yg_entity_map *m, const char *name, size_t nn)
{
    for (int k = 0; k < YG_ENT_N; k++)
        for (size_t j = 0; j < m->ncorr[k]; j++)
            if (yg_str_ieq(m->corr[k][j], strlen(m->corr[k][j]), name, nn))
                return k;
    /* A group-by field named like an event field of any source. */
    for (size_t i = 0; i < m->nsrc; i++)
        for (int k = 0; k < YG_ENT_N; k++)
            for (size_t j = 0; j < m->src[i].nfields[k]; j++)
                if (yg_str_ieq(m->src[i].fields[k][j], strlen(m->src[i].fields[k][j]), name, nn))
                    return k;
    return -1;
}

/* Glob with '*' only, on lowercase text. */
static bool glob(const char *pat, const char *s)
{
    if (!*pat)
        return !*s;
    if (*pat == '*') {
        for (;; s++) {
            if (glob(pat + 1, s))
                return true;
            if (!*s)
                return false;
        }
    }
    return *s && *pat == *s && glob(pat + 1, s + 1);
}

size_t yg__entity_normalise(const struct yg_entity_map *m, int kind, const char *v, size_t n,
                            char *out, size_t cap)
{
    while (n && (*v == ' ' || *v == '\t'))
        v++, n--;
    while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
        n--;
    if (kind == YG_ENT_ACCOUNT) {
        /* DOMAIN\user -> user */
        const char *bs = memchr(v, '\\', n);
        if (bs && !memchr(v, '@', n)) {
            size_t skip = (size_t)(bs - v) + 1;
            v += skip;
            n -= skip;
        }
    }
    /* An address is named by its canonical text (core/addr.h), whatever the
     * spelling: [v6]:port, a.b.c.d:port, a zone, upper-case hex,
     * ::ffff:10.0.0.5 and ::ffff:a00:5 all become one entity. */
    char canon[64];
    struct yg_addr ad;
    if (kind == YG_ENT_ADDRESS &&
        yg__addr_parse(v, n, YG_ADDR_BRACKET | YG_ADDR_PORT | YG_ADDR_ZONE | YG_ADDR_UNMAP, &ad)) {
        n = yg__addr_format(&ad, canon, sizeof canon);
        v = canon;
    }
    if (!n || n >= cap)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)v[i];
        if (c < 0x20)
            return 0;
        out[i] = (char)yg_lc(c);
    }
    out[n] = 0;
    for (size_t i = 0; i < m->nignore[kind]; i++)
        if (glob(m->ignore[kind][i], out))
            return 0;
    return n;
}
