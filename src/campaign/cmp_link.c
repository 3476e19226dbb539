/*
 * cmp_link.c - incidents linked into campaigns (docs/campaigns.md,
 * "Linking").
 *
 * The weight of a shared feature f among N incidents is its inverse
 * document frequency, normalised to [0, 1]:
 *
 *     w(f) = ln(N / df(f)) / ln(N)      (times the inventory's weight for
 *                                        addresses of shared infrastructure)
 *
 * so an address a hundred unrelated incidents came from (a VPN exit, a
 * cloud range scanners rent) weighs little, and one only two incidents
 * share weighs nearly 1.  A pair's score is
 *
 *     score = sum of w(f) over shared features
 *             x (floor + (1 - floor) x Jaccard(techniques))
 *             x 1 / (1 + gap / tau)
 *
 * and pairs at or above the threshold are links.  Links are taken strongest
 * first (ties by incident order) into a union-find: each link that joins
 * two groups is kept as evidence (a maximum spanning forest), so every
 * incident of a campaign is explained by the chain of links that brought it
 * in.  Incidents are sorted by id before anything else and features are
 * sorted lists, so the input order changes nothing.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "campaign/cmp_int.h"
#include "core/uuid.h"

/* UUID v5 of "yagura-campaign" in the URL namespace, fixed forever: campaign
 * ids are derived from it. */
static const unsigned char ns_campaign[16] = {0x3c, 0x1f, 0x7a, 0x52, 0x94, 0x0e, 0x5b, 0x8d,
                                              0xa1, 0x66, 0x2e, 0x4b, 0x90, 0xc7, 0x13, 0xf8};

struct feat {
    enum yg_cmp_kind k;
    const char *value;
    uint32_t df;
    uint32_t net; /* addresses: index of its network's count, else UINT32_MAX */
    double w;
    uint32_t *post; /* incidents carrying it, ascending */
    size_t npost;
};

struct edge {
    uint32_t a, b;
    double score;
};

/* Incidents with an address in one network (IPv4 /24, IPv6 /48). */
struct netc {
    uint32_t df;
    uint32_t last; /* the incident counted last, + 1 */
};

struct lk {
    struct yg_cmp_result *r;
    struct netc *net;
    size_t nnet, capnet;
    struct yg_htab netidx;
    const struct yg_cmp_opts *o;
    struct feat *f;
    size_t nf;
    struct yg_htab fidx;
    uint32_t **incf; /* per incident: its link features, ascending */
    size_t *nincf;
    struct edge *e;
    size_t ne, cape;
    uint32_t *parent;
};

static int raw_cmp(const void *x, const void *y)
{
    const struct cmp_raw *a = *(struct cmp_raw *const *)x, *b = *(struct cmp_raw *const *)y;
    int c = strcmp(a->id, b->id);
    return c ? c : strcmp(a->origin, b->origin);
}

static const char *min_str(const char *a, const char *b)
{
    return !a ? b : !b ? a : strcmp(a, b) <= 0 ? a : b;
}

/* Incidents of one id (from several bundles, or versions) merged into one. */
static yg_err merge(struct yg_cmp_set *s, struct yg_cmp_result *r)
{
    struct cmp_raw **p = yg_calloc(s->nraw ? s->nraw : 1, sizeof *p);
    struct yg_cmp_inc *inc = yg_arena_alloc(&r->a, (s->nraw ? s->nraw : 1) * sizeof *inc);
    if (!p || !inc) {
        yg_free(p);
        return YG_ENOMEM;
    }
    for (size_t i = 0; i < s->nraw; i++)
        p[i] = &s->raw[i];
    qsort(p, s->nraw, sizeof *p, raw_cmp);
    size_t n = 0;
    for (size_t i = 0, j; i < s->nraw; i = j) {
        struct yg_cmp_inc *x = &inc[n++];
        memset(x, 0, sizeof *x);
        x->id = x->stix_id = p[i]->id;
        x->origin = p[i]->origin;
        x->first_ms = INT64_MAX, x->last_ms = INT64_MIN;
        for (j = i; j < s->nraw && !strcmp(p[j]->id, p[i]->id); j++) {
            x->name = min_str(x->name, p[j]->name);
            x->org = min_str(x->org, p[j]->org);
            /* Our own export pulled back from a partner is still our incident. */
            x->local_id = min_str(x->local_id, p[j]->local_id);
            x->first_ms = p[j]->first_ms < x->first_ms ? p[j]->first_ms : x->first_ms;
            x->last_ms = p[j]->last_ms > x->last_ms ? p[j]->last_ms : x->last_ms;
        }
        for (int k = 0; k < YG_CMPF_N; k++) {
            size_t tot = 0;
            for (size_t m = i; m < j; m++)
                tot += p[m]->f[k].n;
            const char **v = yg_arena_alloc(&r->a, (tot ? tot : 1) * sizeof *v);
            if (!v) {
                yg_free(p);
                return YG_ENOMEM;
            }
            tot = 0;
            for (size_t m = i; m < j; m++)
                for (size_t q = 0; q < p[m]->f[k].n; q++)
                    v[tot++] = p[m]->f[k].v[q];
            x->f[k].v = v;
            x->f[k].n = yg__cmp_sort_unique(v, tot);
        }
    }
    yg_free(p);
    r->inc = inc, r->ninc = n;
    return YG_OK;
}

static int u32_cmp(const void *x, const void *y)
{
    uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
    return a < b ? -1 : a > b;
}

/* Count incident i in the network of address feature x (once per incident):
 * an address whose neighbours many incidents came from is a provider's pool
 * (VPN exits, a scanner's cloud range), even when each address of the pool
 * is seen only a few times. */
static yg_err networks(struct lk *L, struct feat *x, uint32_t i)
{
    struct yg_addr a;
    char key[64];
    const char *slash = strchr(x->value, '/');
    size_t n = slash ? (size_t)(slash - x->value) : strlen(x->value);
    if (x->net == UINT32_MAX) {
        if (!yg__addr_parse(x->value, n, 0, &a))
            memset(&a, 0, sizeof a), a.fam = 4;
        size_t keep = a.fam == 4 ? 3 : 6; /* /24, /48 */
        memset(a.b + keep, 0, sizeof a.b - keep);
        size_t kn = yg__addr_format(&a, key, sizeof key);
        char *kc = yg_arena_strndup(&L->r->a, key, kn);
        uint32_t v = (uint32_t)L->nnet;
        bool added;
        if (!kc || yg__htab_add(&L->netidx, kc, kn, &v, &added))
            return YG_ENOMEM;
        if (added) {
            if (L->nnet == L->capnet) {
                size_t cap = L->capnet ? L->capnet * 2 : 64;
                struct netc *nn = yg_realloc(L->net, cap * sizeof *nn);
                if (!nn)
                    return YG_ENOMEM;
                L->net = nn, L->capnet = cap;
            }
            L->net[L->nnet++] = (struct netc){0, 0};
        }
        x->net = v;
    }
    if (L->net[x->net].last != i + 1)
        L->net[x->net].df++, L->net[x->net].last = i + 1;
    return YG_OK;
}

/* The table of linking features, their document frequencies and weights. */
static yg_err features(struct yg_cmp_set *s, struct lk *L)
{
    struct yg_cmp_result *r = L->r;
    size_t N = r->ninc;
    char key[1200];
    L->incf = yg_calloc(N ? N : 1, sizeof *L->incf);
    L->nincf = yg_calloc(N ? N : 1, sizeof *L->nincf);
    if (!L->incf || !L->nincf)
        return YG_ENOMEM;
    size_t capf = 0;
    for (size_t i = 0; i < N; i++) {
        size_t tot = 0;
        for (int k = 0; k < YG_CMPF_NLINK; k++)
            tot += r->inc[i].f[k].n;
        L->incf[i] = yg_calloc(tot ? tot : 1, sizeof **L->incf);
        if (!L->incf[i])
            return YG_ENOMEM;
        for (int k = 0; k < YG_CMPF_NLINK; k++)
            for (size_t q = 0; q < r->inc[i].f[k].n; q++) {
                int kn = snprintf(key, sizeof key, "%d|%s", k, r->inc[i].f[k].v[q]);
                char *kc = yg_arena_strndup(&r->a, key, (size_t)kn);
                uint32_t v = (uint32_t)L->nf;
                bool added;
                if (!kc || yg__htab_add(&L->fidx, kc, strlen(kc), &v, &added))
                    return YG_ENOMEM;
                if (added) {
                    if (L->nf == capf) {
                        capf = capf ? capf * 2 : 256;
                        struct feat *nf = yg_realloc(L->f, capf * sizeof *nf);
                        if (!nf)
                            return YG_ENOMEM;
                        L->f = nf;
                    }
                    L->f[L->nf++] = (struct feat){
                        (enum yg_cmp_kind)k, r->inc[i].f[k].v[q], 0, UINT32_MAX, 0, NULL, 0};
                }
                L->f[v].df++;
                L->incf[i][L->nincf[i]++] = v;
                if (k == YG_CMPF_IP && networks(L, &L->f[v], (uint32_t)i))
                    return YG_ENOMEM;
            }
        qsort(L->incf[i], L->nincf[i], sizeof **L->incf, u32_cmp);
    }
    for (size_t f = 0; f < L->nf; f++) {
        struct feat *x = &L->f[f];
        x->w = N > 1 ? log((double)N / x->df) / log((double)N) : 0;
        if (x->k == YG_CMPF_IP)
            x->w *= yg__cmp_shared_weight(s, x->value) *
                    (N > 1 ? log((double)N / L->net[x->net].df) / log((double)N) : 0);
        if (x->df < 2 || x->df > YG_CMP_MAX_POSTING)
            continue;
        if (!(x->post = yg_calloc(x->df, sizeof *x->post)))
            return YG_ENOMEM;
    }
    for (size_t i = 0; i < N; i++)
        for (size_t q = 0; q < L->nincf[i]; q++) {
            struct feat *x = &L->f[L->incf[i][q]];
            if (x->post)
                x->post[x->npost++] = (uint32_t)i;
        }
    return YG_OK;
}

static double jaccard(const struct yg_cmp_strs *a, const struct yg_cmp_strs *b, size_t *common)
{
    size_t i = 0, j = 0, c = 0;
    while (i < a->n && j < b->n) {
        int d = strcmp(a->v[i], b->v[j]);
        if (!d)
            c++, i++, j++;
        else if (d < 0)
            i++;
        else
            j++;
    }
    if (common)
        *common = c;
    size_t u = a->n + b->n - c;
    return u ? (double)c / (double)u : 0;
}

static int64_t gap_of(const struct yg_cmp_inc *a, const struct yg_cmp_inc *b)
{
    if (a->last_ms < b->first_ms)
        return b->first_ms - a->last_ms;
    if (b->last_ms < a->first_ms)
        return a->first_ms - b->last_ms;
    return 0;
}

static double score_of(const struct lk *L, size_t a, size_t b, double ev, double *tech)
{
    const struct yg_cmp_inc *x = &L->r->inc[a], *y = &L->r->inc[b];
    double j = jaccard(&x->f[YG_CMPF_TECH], &y->f[YG_CMPF_TECH], NULL);
    double gap_days = (double)gap_of(x, y) / 86400000.0;
    if (tech)
        *tech = j;
    return ev * (L->o->tech_floor + (1 - L->o->tech_floor) * j) / (1 + gap_days / L->o->tau_days);
}

/* Every pair sharing a feature, scored; those at or above the threshold kept. */
static yg_err pairs(struct lk *L)
{
    size_t N = L->r->ninc;
    double *acc = yg_calloc(N ? N : 1, sizeof *acc);
    uint32_t *touched = yg_calloc(N ? N : 1, sizeof *touched);
    yg_err err = acc && touched ? YG_OK : YG_ENOMEM;
    for (size_t i = 0; !err && i < N; i++) {
        size_t nt = 0;
        for (size_t q = 0; q < L->nincf[i]; q++) {
            const struct feat *x = &L->f[L->incf[i][q]];
            for (size_t m = 0; x->post && m < x->npost; m++) {
                uint32_t j = x->post[m];
                if (j <= i)
                    continue;
                if (acc[j] == 0)
                    touched[nt++] = j;
                acc[j] += x->w > 0 ? x->w : 1e-12;
            }
        }
        qsort(touched, nt, sizeof *touched, u32_cmp);
        for (size_t m = 0; !err && m < nt; m++) {
            uint32_t j = touched[m];
            double sc = score_of(L, i, j, acc[j], NULL);
            acc[j] = 0;
            L->r->links_considered++;
            if (sc < L->o->threshold)
                continue;
            if (L->ne == L->cape) {
                size_t cap = L->cape ? L->cape * 2 : 1024;
                struct edge *ne = yg_realloc(L->e, cap * sizeof *ne);
                if (!ne) {
                    err = YG_ENOMEM;
                    break;
                }
                L->e = ne, L->cape = cap;
            }
            L->e[L->ne++] = (struct edge){(uint32_t)i, j, sc};
        }
    }
    yg_free(acc);
    yg_free(touched);
    L->r->links_kept = L->ne;
    return err;
}

static int edge_cmp(const void *x, const void *y)
{
    const struct edge *a = x, *b = y;
    if (a->score != b->score)
        return a->score > b->score ? -1 : 1;
    if (a->a != b->a)
        return a->a < b->a ? -1 : 1;
    return a->b < b->b ? -1 : a->b > b->b;
}

static uint32_t find(uint32_t *p, uint32_t x)
{
    while (p[x] != x)
        x = p[x] = p[p[x]];
    return x;
}

static int ev_cmp(const void *x, const void *y)
{
    const struct yg_cmp_evidence *a = x, *b = y;
    if (a->weight != b->weight)
        return a->weight > b->weight ? -1 : 1;
    if (a->kind != b->kind)
        return a->kind < b->kind ? -1 : 1;
    return strcmp(a->value, b->value);
}

/* A kept link with its evidence: the shared features and techniques. */
static yg_err evidence(struct lk *L, const struct edge *e, struct yg_cmp_link *out)
{
    struct yg_cmp_result *r = L->r;
    const uint32_t *fa = L->incf[e->a], *fb = L->incf[e->b];
    size_t na = L->nincf[e->a], nb = L->nincf[e->b];
    memset(out, 0, sizeof *out);
    out->a = e->a, out->b = e->b, out->score = e->score;
    out->ev = yg_arena_alloc(&r->a, (na < nb ? na : nb) * sizeof *out->ev + 1);
    if (!out->ev)
        return YG_ENOMEM;
    for (size_t i = 0, j = 0; i < na && j < nb;) {
        if (fa[i] < fb[j]) {
            i++;
        } else if (fb[j] < fa[i]) {
            j++;
        } else {
            const struct feat *x = &L->f[fa[i]];
            if (x->post) {
                out->ev[out->nev++] = (struct yg_cmp_evidence){
                    x->k, x->value, x->df, x->net == UINT32_MAX ? 0 : L->net[x->net].df, x->w};
                out->evidence += x->w;
            }
            i++, j++;
        }
    }
    qsort(out->ev, out->nev, sizeof *out->ev, ev_cmp);
    const struct yg_cmp_strs *ta = &r->inc[e->a].f[YG_CMPF_TECH],
                             *tb = &r->inc[e->b].f[YG_CMPF_TECH];
    size_t common;
    out->tech_overlap = jaccard(ta, tb, &common);
    out->tech.v = yg_arena_alloc(&r->a, (common ? common : 1) * sizeof *out->tech.v);
    if (!out->tech.v)
        return YG_ENOMEM;
    for (size_t i = 0, j = 0; i < ta->n && j < tb->n;) {
        int d = strcmp(ta->v[i], tb->v[j]);
        if (!d)
            out->tech.v[out->tech.n++] = ta->v[i], i++, j++;
        else if (d < 0)
            i++;
        else
            j++;
    }
    out->gap_ms = gap_of(&r->inc[e->a], &r->inc[e->b]);
    return YG_OK;
}

int yg__cmp_time_cmp(const void *x, const void *y, void *ud)
{
    const struct yg_cmp_result *r = ud;
    const struct yg_cmp_inc *a = &r->inc[*(const size_t *)x];
    const struct yg_cmp_inc *b = &r->inc[*(const size_t *)y];
    if (a->first_ms != b->first_ms)
        return a->first_ms < b->first_ms ? -1 : 1;
    return strcmp(a->id, b->id);
}

static int campaign_cmp(const void *x, const void *y)
{
    const struct yg_cmp_campaign *a = x, *b = y;
    if (a->first_ms != b->first_ms)
        return a->first_ms < b->first_ms ? -1 : 1;
    return strcmp(a->id, b->id);
}

/* One campaign from the incidents of one group (ascending = id order). */
static yg_err campaign(struct lk *L, const size_t *mem, size_t n, struct yg_cmp_campaign *c)
{
    struct yg_cmp_result *r = L->r;
    struct yg_buf ids;
    yg_buf_init(&ids, 0);
    memset(c, 0, sizeof *c);
    c->inc = yg_arena_alloc(&r->a, n * sizeof *c->inc);
    if (!c->inc)
        return YG_ENOMEM;
    yg_err err = YG_OK;
    for (size_t i = 0; !err && i < n; i++) {
        c->inc[i] = mem[i];
        err = yg_buf_addf(&ids, "%s\n", r->inc[mem[i]].id);
    }
    char u[37] = "";
    if (!err)
        err = yg__uuid5(ns_campaign, ids.p, ids.n, u);
    yg_buf_free(&ids);
    if (err)
        return err;
    snprintf(c->id, sizeof c->id, "campaign--%s", u);
    qsort_r(c->inc, n, sizeof *c->inc, yg__cmp_time_cmp, r);
    c->ninc = n;
    c->first_ms = r->inc[c->inc[0]].first_ms;
    c->last_ms = INT64_MIN;
    for (size_t i = 0; i < n; i++)
        if (r->inc[c->inc[i]].last_ms > c->last_ms)
            c->last_ms = r->inc[c->inc[i]].last_ms;
    return YG_OK;
}

/* Kruskal over the links, then the campaigns with their evidence. */
static yg_err group(struct lk *L)
{
    struct yg_cmp_result *r = L->r;
    size_t N = r->ninc;
    bool *tree = yg_calloc(L->ne ? L->ne : 1, sizeof *tree);
    size_t *size = yg_calloc(N ? N : 1, sizeof *size), *mem = yg_calloc(N ? N : 1, sizeof *mem);
    size_t *cidx = yg_calloc(N ? N : 1, sizeof *cidx);
    L->parent = yg_calloc(N ? N : 1, sizeof *L->parent);
    yg_err err = tree && size && mem && cidx && L->parent ? YG_OK : YG_ENOMEM;
    for (size_t i = 0; !err && i < N; i++)
        L->parent[i] = (uint32_t)i;
    if (!err && L->ne)
        qsort(L->e, L->ne, sizeof *L->e, edge_cmp);
    for (size_t i = 0; !err && i < L->ne; i++) {
        uint32_t a = find(L->parent, L->e[i].a), b = find(L->parent, L->e[i].b);
        if (a != b)
            L->parent[a < b ? b : a] = a < b ? a : b, tree[i] = true;
    }
    for (size_t i = 0; !err && i < N; i++)
        size[find(L->parent, (uint32_t)i)]++;
    size_t nc = 0;
    for (size_t i = 0; !err && i < N; i++)
        if (size[i] >= L->o->min_campaign && size[i] >= 1 && L->parent[i] == i)
            nc++;
        else if (L->parent[i] == i)
            r->unlinked += size[i];
    r->c = yg_arena_alloc(&r->a, (nc ? nc : 1) * sizeof *r->c);
    if (!err && !r->c)
        err = YG_ENOMEM;
    for (size_t root = 0, k = 0; !err && root < N; root++) {
        if (L->parent[root] != root || size[root] < L->o->min_campaign)
            continue;
        size_t n = 0;
        for (size_t i = root; i < N; i++)
            if (find(L->parent, (uint32_t)i) == root)
                mem[n++] = i;
        err = campaign(L, mem, n, &r->c[k]);
        cidx[root] = k++;
        r->c[cidx[root]].links = yg_arena_alloc(&r->a, n * sizeof(struct yg_cmp_link));
        if (!err && !r->c[cidx[root]].links)
            err = YG_ENOMEM;
    }
    for (size_t i = 0; !err && i < L->ne; i++) {
        uint32_t root = find(L->parent, L->e[i].a);
        if (!tree[i] || size[root] < L->o->min_campaign)
            continue;
        struct yg_cmp_campaign *c = &r->c[cidx[root]];
        err = evidence(L, &L->e[i], &c->links[c->nlinks++]);
    }
    r->nc = err ? 0 : nc;
    yg_free(tree), yg_free(size), yg_free(mem), yg_free(cidx);
    return err;
}

static void lk_free(struct lk *L)
{
    for (size_t f = 0; f < L->nf; f++)
        yg_free(L->f[f].post);
    yg_free(L->f);
    for (size_t i = 0; L->incf && i < L->r->ninc; i++)
        yg_free(L->incf[i]);
    yg_free(L->incf);
    yg_free(L->nincf);
    yg_free(L->e);
    yg_free(L->parent);
    yg_free(L->net);
    yg__htab_free(&L->fidx);
    yg__htab_free(&L->netidx);
}

yg_err yg__cmp_analyse(struct yg_cmp_set *s, const struct yg_cmp_opts *o,
                       struct yg_cmp_result **out)
{
    struct yg_cmp_result *r = yg_calloc(1, sizeof *r);
    *out = r;
    if (!r) {
        yg__cmp_fail(s, "out of memory");
        return YG_ENOMEM;
    }
    yg_arena_init(&r->a, 1u << 16, 0);
    struct lk L = {.r = r, .o = o};
    yg_err err = merge(s, r);
    if (!err)
        err = features(s, &L);
    if (!err)
        err = pairs(&L);
    if (!err)
        err = group(&L);
    if (!err && r->nc)
        qsort(r->c, r->nc, sizeof *r->c, campaign_cmp);
    for (size_t i = 0; !err && i < r->nc; i++)
        err = yg__cmp_phases(r, &r->c[i], o);
    lk_free(&L);
    if (err)
        yg__cmp_fail(s, err == YG_ENOMEM ? "out of memory" : "the analysis failed (%d)", (int)err);
    return err;
}

void yg__cmp_result_free(struct yg_cmp_result *r)
{
    if (!r)
        return;
    yg_arena_free(&r->a);
    yg_free(r);
}
