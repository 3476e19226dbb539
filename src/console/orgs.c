/*
 * orgs.c - the organisation inventory (orgs.h).
 *
 *     organisations:
 *       - name: Example University
 *         sector: academia
 *         domains: [example.ac.jp]
 *         addresses: [192.0.2.0/24, "2001:db8:1::/48"]
 */
#include "console/orgs.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/addr.h"
#include "core/yaml.h"

struct range {
    struct yg_addr net;
    unsigned bits;
};

struct org {
    const char *name, *sector;
    const char **domains;
    size_t ndomains;
    struct range *ranges;
    size_t nranges;
};

struct yg_orgs {
    struct yg_arena a;
    struct org *v;
    size_t n;
    char errmsg[768]; /* why the load failed (yg__orgs_errmsg) */
};

static bool bad(struct yg_orgs *o, const char *path, const struct yg_ynode *n, const char *what)
{
    snprintf(o->errmsg, sizeof o->errmsg, "%s: line %u, column %u: %s", path, n ? n->line : 0,
             n ? n->col : 0, what);
    return false;
}

static bool read_range(const char *s, struct range *r)
{
    const char *slash = strchr(s, '/');
    size_t n = slash ? (size_t)(slash - s) : strlen(s);
    if (!yg__addr_parse(s, n, 0, &r->net))
        return false;
    unsigned max = r->net.fam == 4 ? 32 : 128;
    r->bits = max;
    if (slash) {
        char *end;
        unsigned long b = strtoul(slash + 1, &end, 10);
        if (*end || !slash[1] || b > max)
            return false;
        r->bits = (unsigned)b;
    }
    return true;
}

/* One list of scalars of an organisation (domains or addresses). */
static bool read_list(struct yg_orgs *o, const char *path, const struct yg_ynode *org,
                      const char *key, struct org *g)
{
    const struct yg_ynode *l = yg__ymap_get(org, key);
    if (!l)
        return true;
    if (l->type != YG_Y_SEQ)
        return bad(o, path, l, "expected a list");
    bool dom = key[0] == 'd';
    void *v =
        yg_arena_alloc(&o->a, (l->n ? l->n : 1) * (dom ? sizeof(char *) : sizeof(struct range)));
    if (!v)
        return bad(o, path, l, "out of memory");
    for (size_t k = 0; k < l->n; k++) {
        const struct yg_ynode *x = l->items[k];
        if (x->type != YG_Y_SCALAR || !x->slen)
            return bad(o, path, x, "expected a domain or an address range");
        if (dom) {
            char *d = yg_arena_strndup(&o->a, x->s, x->slen);
            if (!d)
                return bad(o, path, x, "out of memory");
            for (char *p = d; *p; p++)
                if (*p >= 'A' && *p <= 'Z')
                    *p = (char)(*p - 'A' + 'a');
            ((const char **)v)[g->ndomains++] = d;
        } else if (!read_range(x->s, &((struct range *)v)[g->nranges++])) {
            return bad(o, path, x, "expected an address or a range (192.0.2.0/24)");
        }
    }
    if (dom)
        g->domains = v;
    else
        g->ranges = v;
    return true;
}

static bool read_orgs(struct yg_orgs *o, const char *path, const struct yg_ynode *root)
{
    const struct yg_ynode *l = root ? yg__ymap_get(root, "organisations") : NULL;
    if (!l || l->type != YG_Y_SEQ)
        return bad(o, path, root, "expected a mapping with a list organisations");
    if (l->n > YG_ORGS_MAX)
        return bad(o, path, l, "more than 4096 organisations");
    o->v = yg_arena_alloc(&o->a, (l->n ? l->n : 1) * sizeof *o->v);
    if (!o->v)
        return bad(o, path, l, "out of memory");
    for (size_t i = 0; i < l->n; i++) {
        const struct yg_ynode *g = l->items[i];
        static const char *const keys[] = {"name", "sector", "domains", "addresses"};
        if (g->type != YG_Y_MAP)
            return bad(o, path, g, "expected a mapping (name, sector, domains, addresses)");
        for (size_t k = 0; k < g->n; k++) {
            const struct yg_ynode *key = g->items[2 * k];
            bool known = false;
            for (size_t j = 0; j < 4; j++)
                known |= key->type == YG_Y_SCALAR && strcmp(key->s, keys[j]) == 0;
            if (!known)
                return bad(o, path, key,
                           "unknown key (expected name, sector, domains or addresses)");
        }
        struct org *x = &o->v[o->n];
        memset(x, 0, sizeof *x);
        const struct yg_ynode *nm = yg__ymap_get(g, "name"), *sc = yg__ymap_get(g, "sector");
        if (!nm || nm->type != YG_Y_SCALAR || !nm->slen)
            return bad(o, path, nm ? nm : g, "name: expected a name");
        x->name = nm->s;
        x->sector = sc && sc->type == YG_Y_SCALAR ? sc->s : "";
        if (!read_list(o, path, g, "domains", x) || !read_list(o, path, g, "addresses", x))
            return false;
        o->n++;
    }
    return true;
}

yg_err yg__orgs_load(const char *path, struct yg_orgs **out)
{
    char *text = NULL;
    size_t len = 0;
    struct yg_orgs *o = *out = yg_calloc(1, sizeof *o);
    if (!o)
        return YG_ENOMEM;
    yg_arena_init(&o->a, 1u << 14, 0);
    if (yg_file_read(path, 16u << 20, &text, &len) != YG_OK) {
        snprintf(o->errmsg, sizeof o->errmsg, "%s: cannot read it", path);
        return YG_EIO;
    }
    struct yg_ydoc *docs = NULL;
    size_t nd = 0;
    unsigned el = 0, ec = 0;
    struct yg_errmsg ywhy = {""};
    yg_err e = yg__yaml_parse(text, len, &o->a, &docs, &nd, &el, &ec, &ywhy);
    yg_free(text);
    bool ok;
    if (e) {
        snprintf(o->errmsg, sizeof o->errmsg, "%s: line %u, column %u: %s", path, el, ec, ywhy.msg);
        ok = false;
    } else {
        ok = read_orgs(o, path, nd ? docs[0].root : NULL);
    }
    /* A failed load keeps its handle, holding the reason (orgs.h). */
    return ok ? YG_OK : YG_EINVAL;
}

const char *yg__orgs_errmsg(const struct yg_orgs *o)
{
    return o ? o->errmsg : "out of memory";
}

void yg__orgs_free(struct yg_orgs *o)
{
    if (!o)
        return;
    yg_arena_free(&o->a);
    yg_free(o);
}

size_t yg__orgs_count(const struct yg_orgs *o)
{
    return o ? o->n : 0;
}

const char *yg__orgs_name(const struct yg_orgs *o, size_t i)
{
    return o && i < o->n ? o->v[i].name : "";
}

/* Whether name is dom or a subdomain of it. */
static bool in_domain(const char *name, const char *dom)
{
    size_t n = strlen(name), d = strlen(dom);
    if (n < d || strcasecmp(name + n - d, dom) != 0)
        return false;
    return n == d || name[n - d - 1] == '.';
}

bool yg__orgs_match(const struct yg_orgs *o, size_t i, const char *kind, const char *value)
{
    if (!o || i >= o->n)
        return false;
    const struct org *g = &o->v[i];
    if (strcmp(kind, "address") == 0) {
        struct yg_addr a;
        if (!yg__addr_parse(value, strlen(value), YG_ADDR_UNMAP, &a))
            return false;
        for (size_t k = 0; k < g->nranges; k++) {
            /* read_range keeps a prefix within its address (prefix_eq reads that far). */
            assert(g->ranges[k].bits <= (g->ranges[k].net.fam == 4 ? 32u : 128u));
            if (g->ranges[k].net.fam == a.fam &&
                yg__addr_prefix_eq(a.b, g->ranges[k].net.b, g->ranges[k].bits))
                return true;
        }
        return false;
    }
    const char *at = strcmp(kind, "account") == 0 ? strrchr(value, '@') : NULL;
    const char *name = at ? at + 1 : value;
    if (strcmp(kind, "account") == 0 && !at)
        return false;
    for (size_t k = 0; k < g->ndomains; k++)
        if (in_domain(name, g->domains[k]))
            return true;
    return false;
}

bool yg__orgs_row(const struct yg_orgs *o, size_t i, const struct yg_incident_row *r)
{
    for (size_t k = 0; k < r->nents; k++)
        if (yg__orgs_match(o, i, r->ents[k].kind, r->ents[k].value))
            return true;
    return false;
}
