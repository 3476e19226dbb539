/*
 * cmp_phase.c - a campaign's timeline cut into phases (docs/campaigns.md,
 * "Phases").
 *
 * The campaign's incidents, in time order, are described by four groups of
 * categorical features: the victim's sectors, the initial-access
 * techniques (ATT&CK tactic TA0001), the CVEs, and the malware and tools.
 * The cost of a segment is, per group, the negative log-likelihood of its
 * feature counts under their own frequencies (a multinomial fitted to the
 * segment):
 *
 *     C(segment) = sum over groups g of  n_g ln n_g - sum_v c_v ln c_v
 *
 * (n_g the count of group g's features in the segment, c_v of value v), so
 * a segment whose incidents look alike costs little and one mixing two ways
 * of working costs a lot.  The partition minimising the sum of its segments'
 * costs plus a penalty beta per segment, beta = phase_pen x ln(n), is found
 * exactly by optimal partitioning with PELT's pruning (Killick, Fearnhead
 * and Eckley 2012: this cost satisfies C(a,b) + C(b,c) <= C(a,c), so a
 * candidate start whose cost already exceeds the best can never win again).
 * Each phase holds at least min_phase incidents.  A split must pay beta:
 * the scatter of sectors within one way of working does not.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "campaign/cmp_int.h"

#define NGROUP 4

static const char *const initial_access[] = {"T1078", "T1091", "T1133", "T1189", "T1190", "T1195",
                                             "T1199", "T1200", "T1566", "T1659", "T1669"};

bool yg__cmp_initial_access(const char *tech)
{
    for (size_t i = 0; i < sizeof initial_access / sizeof *initial_access; i++)
        if (!strncmp(tech, initial_access[i], 5) && (tech[5] == 0 || tech[5] == '.'))
            return true;
    return false;
}

struct seg {
    size_t n, V;      /* incidents, vocabulary */
    uint32_t *P;      /* (n + 1) x V prefix counts */
    uint32_t *G;      /* (n + 1) x NGROUP prefix totals */
    uint8_t *grp;     /* group of each value */
    double *F;        /* best cost of the first t incidents */
    size_t *last;     /* where the last segment of that best starts */
    size_t *cand, nc; /* PELT's candidate starts */
};

static double xlogx(double x)
{
    return x > 0 ? x * log(x) : 0;
}

static double cost(const struct seg *S, size_t a, size_t b)
{
    double c = 0;
    const uint32_t *pa = S->P + a * S->V, *pb = S->P + b * S->V;
    for (int g = 0; g < NGROUP; g++)
        c += xlogx((double)(S->G[b * NGROUP + g] - S->G[a * NGROUP + g]));
    for (size_t v = 0; v < S->V; v++)
        c -= xlogx((double)(pb[v] - pa[v]));
    return c;
}

/* The features of incident x in group g (NULL-terminated walk by index). */
static const struct yg_cmp_strs *group_list(const struct yg_cmp_inc *x, int g)
{
    static const enum yg_cmp_kind k[NGROUP] = {YG_CMPF_SECTOR, YG_CMPF_TECH, YG_CMPF_CVE,
                                               YG_CMPF_MALWARE};
    return &x->f[k[g]];
}

/* The vocabulary and prefix counts of the campaign's incidents. */
static yg_err build(struct yg_cmp_result *r, const struct yg_cmp_campaign *c, struct seg *S)
{
    struct yg_htab voc = {0};
    char key[1100];
    yg_err err = YG_OK;
    size_t n = c->ninc, cap = 64;
    uint32_t **col = yg_calloc(n * NGROUP, sizeof *col);
    size_t *ncol = yg_calloc(n * NGROUP, sizeof *ncol);
    S->grp = yg_calloc(cap, 1);
    if (!col || !ncol || !S->grp)
        err = YG_ENOMEM;
    for (size_t i = 0; !err && i < n; i++)
        for (int g = 0; !err && g < NGROUP; g++) {
            const struct yg_cmp_strs *l = group_list(&r->inc[c->inc[i]], g);
            if (!(col[i * NGROUP + g] = yg_calloc(l->n + 1, sizeof **col))) {
                err = YG_ENOMEM;
                break;
            }
            for (size_t q = 0; !err && q < l->n; q++) {
                if (g == 1 && !yg__cmp_initial_access(l->v[q]))
                    continue;
                int kn = snprintf(key, sizeof key, "%d|%s", g, l->v[q]);
                char *kc = yg_arena_strndup(&r->a, key, (size_t)kn);
                uint32_t v = (uint32_t)S->V;
                bool added;
                if (!kc || yg__htab_add(&voc, kc, (size_t)kn, &v, &added)) {
                    err = YG_ENOMEM;
                    break;
                }
                if (added && S->V++ == cap) {
                    uint8_t *ng = yg_realloc(S->grp, cap * 2);
                    if (!ng) {
                        err = YG_ENOMEM;
                        break;
                    }
                    S->grp = ng, cap *= 2;
                }
                S->grp[v] = (uint8_t)g;
                col[i * NGROUP + g][ncol[i * NGROUP + g]++] = v;
            }
        }
    S->n = n;
    S->P = err ? NULL : yg_calloc((n + 1) * (S->V ? S->V : 1), sizeof *S->P);
    S->G = err ? NULL : yg_calloc((n + 1) * NGROUP, sizeof *S->G);
    if (!err && (!S->P || !S->G))
        err = YG_ENOMEM;
    for (size_t i = 0; !err && i < n; i++) {
        memcpy(S->P + (i + 1) * S->V, S->P + i * S->V, S->V * sizeof *S->P);
        memcpy(S->G + (i + 1) * NGROUP, S->G + i * NGROUP, NGROUP * sizeof *S->G);
        for (int g = 0; g < NGROUP; g++)
            for (size_t q = 0; q < ncol[i * NGROUP + g]; q++) {
                S->P[(i + 1) * S->V + col[i * NGROUP + g][q]]++;
                S->G[(i + 1) * NGROUP + g]++;
            }
    }
    for (size_t i = 0; col && i < n * NGROUP; i++)
        yg_free(col[i]);
    yg_free(col);
    yg_free(ncol);
    yg__htab_free(&voc);
    return err;
}

/* PELT: F[t] = min over candidate starts s of F[s] + C(s, t) + beta. */
static yg_err pelt(struct seg *S, double beta, size_t m)
{
    size_t n = S->n;
    S->F = yg_calloc(n + 1, sizeof *S->F);
    S->last = yg_calloc(n + 1, sizeof *S->last);
    S->cand = yg_calloc(n + 1, sizeof *S->cand);
    double *val = yg_calloc(n + 1, sizeof *val);
    if (!S->F || !S->last || !S->cand || !val) {
        yg_free(val);
        return YG_ENOMEM;
    }
    S->F[0] = -beta;
    for (size_t t = 1; t <= n; t++)
        S->F[t] = INFINITY;
    S->nc = 0;
    for (size_t t = m; t <= n; t++) {
        /* The start t - m becomes a candidate once a segment from it can be m long. */
        size_t s0 = t - m;
        if (s0 == 0 || s0 >= m)
            S->cand[S->nc++] = s0;
        double best = INFINITY;
        size_t arg = 0;
        for (size_t i = 0; i < S->nc; i++) {
            size_t s = S->cand[i];
            val[i] = S->F[s] + cost(S, s, t);
            /* Ties go to the earliest start: one answer whatever the arithmetic order. */
            if (val[i] + beta < best || (val[i] + beta == best && s < arg))
                best = val[i] + beta, arg = s;
        }
        S->F[t] = best, S->last[t] = arg;
        size_t k = 0;
        for (size_t i = 0; i < S->nc; i++)
            if (val[i] <= best)
                S->cand[k++] = S->cand[i];
        S->nc = k;
    }
    yg_free(val);
    return YG_OK;
}

static int count_cmp(const void *x, const void *y)
{
    const struct yg_cmp_count *a = x, *b = y;
    if (a->n != b->n)
        return a->n > b->n ? -1 : 1;
    return strcmp(a->name, b->name);
}

yg_err yg__cmp_counts(struct yg_cmp_result *r, const size_t *inc, size_t n, enum yg_cmp_kind k,
                      bool initial_only, struct yg_cmp_counts *out)
{
    struct yg_htab h = {0};
    size_t tot = 0;
    for (size_t i = 0; i < n; i++)
        tot += k == YG_CMPF_N ? 1 : r->inc[inc[i]].f[k].n;
    out->n = 0;
    out->v = yg_arena_alloc(&r->a, (tot ? tot : 1) * sizeof *out->v);
    if (!out->v)
        return YG_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        const struct yg_cmp_inc *x = &r->inc[inc[i]];
        const char *one[1] = {x->org};
        const char *const *v = k == YG_CMPF_N ? one : x->f[k].v;
        size_t nv = k == YG_CMPF_N ? (x->org ? 1 : 0) : x->f[k].n;
        for (size_t q = 0; q < nv; q++) {
            if (initial_only && !yg__cmp_initial_access(v[q]))
                continue;
            uint32_t idx = (uint32_t)out->n;
            bool added;
            if (yg__htab_add(&h, v[q], strlen(v[q]), &idx, &added)) {
                yg__htab_free(&h);
                return YG_ENOMEM;
            }
            if (added)
                out->v[out->n++] = (struct yg_cmp_count){v[q], 0};
            out->v[idx].n++;
        }
    }
    yg__htab_free(&h);
    if (out->n)
        qsort(out->v, out->n, sizeof *out->v, count_cmp);
    return YG_OK;
}

static yg_err phase(struct yg_cmp_result *r, struct yg_cmp_phase *p)
{
    p->first_ms = r->inc[p->inc[0]].first_ms, p->last_ms = INT64_MIN;
    for (size_t i = 0; i < p->ninc; i++)
        if (r->inc[p->inc[i]].last_ms > p->last_ms)
            p->last_ms = r->inc[p->inc[i]].last_ms;
    yg_err err = yg__cmp_counts(r, p->inc, p->ninc, YG_CMPF_SECTOR, false, &p->sectors);
    if (!err)
        err = yg__cmp_counts(r, p->inc, p->ninc, YG_CMPF_TECH, true, &p->initial);
    if (!err)
        err = yg__cmp_counts(r, p->inc, p->ninc, YG_CMPF_TECH, false, &p->tech);
    if (!err)
        err = yg__cmp_counts(r, p->inc, p->ninc, YG_CMPF_CVE, false, &p->cve);
    if (!err)
        err = yg__cmp_counts(r, p->inc, p->ninc, YG_CMPF_MALWARE, false, &p->malware);
    if (!err)
        err = yg__cmp_counts(r, p->inc, p->ninc, YG_CMPF_N, false, &p->orgs);
    return err;
}

yg_err yg__cmp_phases(struct yg_cmp_result *r, struct yg_cmp_campaign *c,
                      const struct yg_cmp_opts *o)
{
    struct seg S = {0};
    size_t n = c->ninc, m = o->min_phase ? o->min_phase : 1;
    size_t one = 0, *cuts = &one, nk = 0; /* phase starts, last first */
    yg_err err = YG_OK;
    if (n <= YG_CMP_MAX_PHASED && n >= 2 * m) {
        err = build(r, c, &S);
        if (!err)
            err = pelt(&S, o->phase_pen * log((double)n), m);
        /* At most n / m phases: the starts live in the result's arena with the phases. */
        if (!err && !(cuts = yg_arena_alloc(&r->a, (n / m + 1) * sizeof *cuts)))
            err = YG_ENOMEM;
        for (size_t t = n; !err && t > 0; t = S.last[t])
            cuts[nk++] = S.last[t];
        if (!err)
            c->phase_cost = S.F[n];
    } else {
        nk = 1; /* one phase from 0 */
    }
    yg_free(S.P), yg_free(S.G), yg_free(S.grp), yg_free(S.F), yg_free(S.last), yg_free(S.cand);
    if (err)
        return err;
    c->phases = yg_arena_alloc(&r->a, nk * sizeof *c->phases);
    if (!c->phases)
        return YG_ENOMEM;
    c->nphases = nk;
    for (size_t i = 0; i < nk && !err; i++) {
        struct yg_cmp_phase *p = &c->phases[i];
        size_t a = cuts[nk - 1 - i], b = i + 1 < nk ? cuts[nk - 2 - i] : n;
        memset(p, 0, sizeof *p);
        p->inc = c->inc + a, p->ninc = b - a;
        err = phase(r, p);
    }
    return err;
}
