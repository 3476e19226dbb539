/*
 * cmp_orgs.c - the organisation inventory, mappings/organisations.yml
 * (docs/campaigns.md, "The organisations file").
 *
 *   organisations:
 *     - name: Example Institute
 *       aliases: [EXI]
 *       sectors: [think-tanks]          # or sector: think-tanks
 *       domains: [example-institute.jp]
 *       ranges: [198.18.10.0/24]
 *   shared:                             # public infrastructure: down-weighted
 *     - name: Example Cloud
 *       ranges: [192.0.2.0/24]
 *       weight: 0.1
 *
 * Partners name their victims differently from the inventory, so a victim is
 * found by name or alias (case-insensitive), by a domain it owns, or by an
 * address in its ranges.  Unknown keys are errors with line and column: a
 * misspelt `sectros:` silently losing every sector would move phases.
 */
#include <stdio.h>
#include <stdlib.h>

#include "campaign/cmp_int.h"
#include "core/yaml.h"

bool yg__cmp_range_parse(const char *s, struct cmp_range *r)
{
    const char *slash = strchr(s, '/');
    size_t n = slash ? (size_t)(slash - s) : strlen(s);
    if (!yg__addr_parse(s, n, YG_ADDR_TRIM | YG_ADDR_UNMAP, &r->net))
        return false;
    unsigned max = r->net.fam == 4 ? 32 : 128;
    r->bits = max;
    if (slash) {
        char *end;
        unsigned long b = strtoul(slash + 1, &end, 10);
        if (end == slash + 1 || *end || b > max)
            return false;
        r->bits = (unsigned)b;
    }
    return true;
}

bool yg__cmp_range_has(const struct cmp_range *r, const struct yg_addr *a)
{
    return r->net.fam == a->fam && yg__addr_prefix_eq(a->b, r->net.b, r->bits);
}

const struct cmp_org *yg__cmp_org_by_name(const struct yg_cmp_set *s, const char *name)
{
    uint32_t v;
    if (name && yg__htab_get(&s->org_by_name, name, strlen(name), &v))
        return &s->orgs[v];
    return NULL;
}

/* A name and each domain above it, most specific first: mail.kasumi.example, kasumi.example,
 * example; one hash probe each. */
const struct cmp_org *yg__cmp_org_by_domain(const struct yg_cmp_set *s, const char *dom)
{
    uint32_t v;
    for (const char *p = dom; p && *p; p = strchr(p, '.'), p = p ? p + 1 : NULL)
        if (yg__htab_get(&s->org_by_domain, p, strlen(p), &v))
            return &s->orgs[v];
    return NULL;
}

/* The lookup key of a range: family, prefix length, the address masked to it. */
static size_t net_key(const struct yg_addr *a, unsigned bits, uint8_t key[18])
{
    memset(key, 0, 18);
    key[0] = a->fam, key[1] = (uint8_t)bits;
    for (unsigned i = 0; i < bits / 8; i++)
        key[2 + i] = a->b[i];
    if (bits % 8)
        key[2 + bits / 8] = (uint8_t)(a->b[bits / 8] & (0xffu << (8 - bits % 8)));
    return 18;
}

/* The most specific range holding a: one probe per prefix length the inventory uses. */
const struct cmp_org *yg__cmp_org_by_addr(const struct yg_cmp_set *s, const struct yg_addr *a)
{
    uint8_t key[18];
    uint32_t v;
    int f = a->fam == 4 ? 0 : 1;
    for (int bits = a->fam == 4 ? 32 : 128; bits >= 0; bits--)
        if (s->plen[f][bits] &&
            yg__htab_get(&s->org_by_net, (const char *)key, net_key(a, (unsigned)bits, key), &v))
            return &s->orgs[v];
    return NULL;
}

yg_err yg__cmp_inventory_sectors(struct yg_cmp_set *s, struct cmp_raw *r)
{
    const struct cmp_org *o = r->f[YG_CMPF_SECTOR].n ? NULL : yg__cmp_org_by_name(s, r->org);
    for (size_t i = 0; o && i < o->sectors.n; i++) {
        yg_err err = yg__cmp_feat(s, r, YG_CMPF_SECTOR, o->sectors.v[i], strlen(o->sectors.v[i]));
        if (err)
            return err;
    }
    return YG_OK;
}

double yg__cmp_shared_weight(const struct yg_cmp_set *s, const char *ip_text)
{
    struct yg_addr a;
    const char *slash = strchr(ip_text, '/');
    if (!yg__addr_parse(ip_text, slash ? (size_t)(slash - ip_text) : strlen(ip_text), 0, &a))
        return 1;
    for (size_t i = 0; i < s->nshared; i++)
        for (size_t j = 0; j < s->shared[i].nranges; j++)
            if (yg__cmp_range_has(&s->shared[i].ranges[j], &a))
                return s->shared[i].weight;
    return 1;
}

static bool key_is(const struct yg_ynode *k, const char *name)
{
    return k->type == YG_Y_SCALAR && k->s && !strcmp(k->s, name);
}

struct ctx {
    struct yg_cmp_set *s;
    const char *file;
};

static yg_err bad(struct ctx *c, const struct yg_ynode *n, const char *what)
{
    yg__cmp_fail(c->s, "%s:%u:%u: %s", c->file, n ? n->line : 1, n ? n->col : 1, what);
    return YG_ESYNTAX;
}

/* A scalar or a sequence of scalars, into l (lowercase when lower). */
static yg_err str_list(struct ctx *c, const struct yg_ynode *v, struct cmp_list *l, bool lower)
{
    size_t n = v->type == YG_Y_SEQ ? v->n : 1;
    for (size_t i = 0; i < n; i++) {
        const struct yg_ynode *e = v->type == YG_Y_SEQ ? v->items[i] : v;
        if (e->type != YG_Y_SCALAR || !e->slen)
            return bad(c, e, "expected a non-empty text or a list of them");
        char buf[512];
        size_t k = e->slen < sizeof buf ? e->slen : sizeof buf - 1;
        for (size_t j = 0; j < k; j++)
            buf[j] = lower ? (char)yg_lc((unsigned char)e->s[j]) : e->s[j];
        buf[k] = 0;
        if (yg__cmp_list_add(&c->s->a, l, buf))
            return YG_ENOMEM;
    }
    return YG_OK;
}

static yg_err ranges(struct ctx *c, const struct yg_ynode *v, struct cmp_range **out, size_t *nout)
{
    if (v->type != YG_Y_SEQ)
        return bad(c, v, "ranges: expected a list of addresses or CIDR ranges");
    /* A key given twice: the last one counts (the first list is not kept). */
    yg_free(*out);
    *nout = 0;
    *out = yg_calloc(v->n ? v->n : 1, sizeof **out);
    if (!*out)
        return YG_ENOMEM;
    for (size_t i = 0; i < v->n; i++)
        if (v->items[i]->type != YG_Y_SCALAR || !yg__cmp_range_parse(v->items[i]->s, &(*out)[i]))
            return bad(c, v->items[i], "expected an address or a CIDR range (192.0.2.0/24)");
    *nout = v->n;
    return YG_OK;
}

static yg_err name_key(struct ctx *c, const char *name, uint32_t idx, const struct yg_ynode *at)
{
    bool added;
    uint32_t v = idx;
    if (yg__htab_add(&c->s->org_by_name, name, strlen(name), &v, &added))
        return YG_ENOMEM;
    return added ? YG_OK : bad(c, at, "an organisation of this name or alias is listed already");
}

/* An organisation's domains and ranges in the lookup tables; a domain or range two
 * organisations claim belongs to the first. */
static yg_err org_index(struct ctx *c, const struct cmp_org *o, uint32_t idx)
{
    struct yg_cmp_set *s = c->s;
    bool added;
    for (size_t i = 0; i < o->domains.n; i++) {
        uint32_t v = idx;
        if (yg__htab_add(&s->org_by_domain, o->domains.v[i], strlen(o->domains.v[i]), &v, &added))
            return YG_ENOMEM;
    }
    for (size_t i = 0; i < o->nranges; i++) {
        uint8_t key[18];
        uint32_t v = idx;
        const struct cmp_range *r = &o->ranges[i];
        char *k = yg_arena_alloc(&s->a, net_key(&r->net, r->bits, key));
        if (!k)
            return YG_ENOMEM;
        memcpy(k, key, 18);
        if (yg__htab_add(&s->org_by_net, k, 18, &v, &added))
            return YG_ENOMEM;
        s->plen[r->net.fam == 4 ? 0 : 1][r->bits] = true;
    }
    return YG_OK;
}

static yg_err org_entry(struct ctx *c, const struct yg_ynode *m)
{
    struct yg_cmp_set *s = c->s;
    if (m->type != YG_Y_MAP)
        return bad(c, m, "expected an organisation: a map with name, sectors, domains, ranges");
    if (s->norgs >= YG_CMP_MAX_ORGS)
        return bad(c, m, "too many organisations (the limit is 100000)");
    if (s->norgs == s->caporgs) {
        size_t cap = s->caporgs ? s->caporgs * 2 : 16;
        struct cmp_org *no = yg_realloc(s->orgs, cap * sizeof *no);
        if (!no)
            return YG_ENOMEM;
        s->orgs = no, s->caporgs = cap;
    }
    struct cmp_org *o = &s->orgs[s->norgs++];
    memset(o, 0, sizeof *o);
    for (size_t i = 0; i < m->n; i++) {
        const struct yg_ynode *k = m->items[2 * i], *v = m->items[2 * i + 1];
        yg_err err = YG_OK;
        if (key_is(k, "name")) {
            if (v->type != YG_Y_SCALAR || !v->slen)
                return bad(c, v, "name: expected a non-empty text");
            o->name = v->s;
        } else if (key_is(k, "aliases"))
            err = str_list(c, v, &o->aliases, false);
        else if (key_is(k, "sector") || key_is(k, "sectors"))
            err = str_list(c, v, &o->sectors, true);
        else if (key_is(k, "domains"))
            err = str_list(c, v, &o->domains, true);
        else if (key_is(k, "ranges") || key_is(k, "addresses"))
            /* addresses: the console's name for them (taxii.console.organisations), so
             * one inventory serves both. */
            err = ranges(c, v, &o->ranges, &o->nranges);
        else
            return bad(c, k, "unknown key (expected name, aliases, sector(s), domains, ranges)");
        if (err)
            return err;
    }
    if (!o->name)
        return bad(c, m, "an organisation needs a name");
    uint32_t idx = (uint32_t)(s->norgs - 1);
    yg_err err = name_key(c, o->name, idx, m);
    for (size_t i = 0; !err && i < o->aliases.n; i++)
        err = name_key(c, o->aliases.v[i], idx, m);
    return err ? err : org_index(c, o, idx);
}

static yg_err shared_entry(struct ctx *c, const struct yg_ynode *m)
{
    struct yg_cmp_set *s = c->s;
    if (m->type != YG_Y_MAP)
        return bad(c, m, "expected shared infrastructure: a map with name, ranges, weight");
    if (s->nshared == s->capshared) {
        size_t cap = s->capshared ? s->capshared * 2 : 8;
        struct cmp_shared *ns = yg_realloc(s->shared, cap * sizeof *ns);
        if (!ns)
            return YG_ENOMEM;
        s->shared = ns, s->capshared = cap;
    }
    struct cmp_shared *h = &s->shared[s->nshared++];
    memset(h, 0, sizeof *h);
    h->weight = 0.1;
    for (size_t i = 0; i < m->n; i++) {
        const struct yg_ynode *k = m->items[2 * i], *v = m->items[2 * i + 1];
        if (key_is(k, "name") && v->type == YG_Y_SCALAR) {
            h->name = v->s;
        } else if (key_is(k, "ranges")) {
            yg_err err = ranges(c, v, &h->ranges, &h->nranges);
            if (err)
                return err;
        } else if (key_is(k, "weight")) {
            char *end;
            double w = v->type == YG_Y_SCALAR ? strtod(v->s, &end) : -1;
            if (v->type != YG_Y_SCALAR || end == v->s || *end || !(w >= 0 && w <= 1))
                return bad(c, v, "weight: expected a number from 0 to 1");
            h->weight = w;
        } else {
            return bad(c, k, "unknown key (expected name, ranges, weight)");
        }
    }
    if (!h->nranges)
        return bad(c, m, "shared infrastructure needs ranges");
    return YG_OK;
}

static yg_err parse_root(struct ctx *c, const struct yg_ynode *root)
{
    if (!root)
        return YG_OK;
    if (root->type != YG_Y_MAP)
        return bad(c, root, "expected a map with organisations and shared");
    for (size_t i = 0; i < root->n; i++) {
        const struct yg_ynode *k = root->items[2 * i], *v = root->items[2 * i + 1];
        bool orgs = key_is(k, "organisations");
        if (!orgs && !key_is(k, "shared"))
            return bad(c, k, "unknown key (expected organisations, shared)");
        if (v->type == YG_Y_SCALAR && v->skind == YG_S_NULL)
            continue;
        if (v->type != YG_Y_SEQ)
            return bad(c, v, "expected a list");
        for (size_t j = 0; j < v->n; j++) {
            yg_err err = orgs ? org_entry(c, v->items[j]) : shared_entry(c, v->items[j]);
            if (err == YG_ENOMEM)
                yg__cmp_fail(c->s, "%s: out of memory", c->file);
            if (err)
                return err;
        }
    }
    return YG_OK;
}

yg_err yg__cmp_load_orgs_mem(struct yg_cmp_set *s, const char *name, const char *buf, size_t n)
{
    struct yg_ydoc *docs = NULL;
    size_t nd = 0;
    unsigned el = 0, ec = 0;
    struct yg_errmsg why = {""};
    struct ctx c = {s, name};
    /* The tree lives in the set's arena: names and lists point into it. */
    yg_err err = yg__yaml_parse(buf, n, &s->a, &docs, &nd, &el, &ec, &why);
    if (err) {
        yg__cmp_fail(s, "%s:%u:%u: %s", name, el, ec, why.msg);
        return err;
    }
    if (nd > 1) {
        yg__cmp_fail(s, "%s:%u:1: expected one YAML document", name, docs[1].line);
        return YG_ESYNTAX;
    }
    return nd ? parse_root(&c, docs[0].root) : YG_OK;
}

yg_err yg__cmp_load_orgs(struct yg_cmp_set *s, const char *path)
{
    char *text = NULL;
    size_t n = 0;
    if (yg_file_read(path, 64u << 20, &text, &n)) {
        yg__cmp_fail(s, "%s: cannot read the organisations file", path);
        return YG_EIO;
    }
    yg_err err = yg__cmp_load_orgs_mem(s, path, text, n);
    yg_free(text);
    return err;
}
