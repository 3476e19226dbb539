/*
 * cmp_json.c - the result of an analysis as one JSON document (`yagura
 * campaigns --json`, docs/campaigns.md "JSON").  Numbers are written with
 * four decimals so that the same analysis gives the same bytes.
 */
#include <stdio.h>

#include "campaign/cmp_int.h"
#include "core/timeparse.h"

static yg_err str(struct yg_buf *b, const char *s)
{
    return s ? yg_buf_add_json_str(b, s, strlen(s)) : yg_buf_add(b, "null", 4);
}

static yg_err tm(struct yg_buf *b, int64_t ms)
{
    char t[YG_TIME_TEXT];
    yg__time_format(ms, t);
    return yg_buf_addf(b, "\"%s\"", t);
}

static yg_err counts(struct yg_buf *b, const char *key, const struct yg_cmp_counts *c)
{
    yg_err err = yg_buf_addf(b, ",\"%s\":[", key);
    for (size_t i = 0; !err && i < c->n; i++) {
        err = yg_buf_addf(b, "%s{\"name\":", i ? "," : "");
        if (!err)
            err = str(b, c->v[i].name);
        if (!err)
            err = yg_buf_addf(b, ",\"incidents\":%zu}", c->v[i].n);
    }
    return err ? err : yg_buf_addc(b, ']');
}

static yg_err incident(struct yg_buf *b, const struct yg_cmp_inc *x)
{
    yg_err err = yg_buf_add(b, "{\"id\":", 6);
    if (!err)
        err = str(b, x->id);
    if (!err)
        err = yg_buf_add(b, ",\"name\":", 8);
    if (!err)
        err = str(b, x->name);
    if (!err)
        err = yg_buf_add(b, ",\"organisation\":", 16);
    if (!err)
        err = str(b, x->org);
    if (!err)
        err = yg_buf_add(b, ",\"origin\":", 10);
    if (!err)
        err = str(b, x->origin);
    if (!err)
        err = yg_buf_add(b, ",\"first_seen\":", 14);
    if (!err)
        err = tm(b, x->first_ms);
    if (!err)
        err = yg_buf_add(b, ",\"last_seen\":", 13);
    if (!err)
        err = tm(b, x->last_ms);
    static const struct {
        const char *key;
        enum yg_cmp_kind k;
    } lists[] = {{"sectors", YG_CMPF_SECTOR},
                 {"techniques", YG_CMPF_TECH},
                 {"cves", YG_CMPF_CVE},
                 {"malware", YG_CMPF_MALWARE}};
    for (size_t l = 0; !err && l < sizeof lists / sizeof *lists; l++) {
        err = yg_buf_addf(b, ",\"%s\":[", lists[l].key);
        for (size_t i = 0; !err && i < x->f[lists[l].k].n; i++) {
            if (i)
                err = yg_buf_addc(b, ',');
            if (!err)
                err = str(b, x->f[lists[l].k].v[i]);
        }
        if (!err)
            err = yg_buf_addc(b, ']');
    }
    return err ? err : yg_buf_addc(b, '}');
}

static yg_err link(struct yg_buf *b, const struct yg_cmp_result *r, const struct yg_cmp_link *l)
{
    yg_err err = yg_buf_add(b, "{\"a\":", 5);
    if (!err)
        err = str(b, r->inc[l->a].id);
    if (!err)
        err = yg_buf_add(b, ",\"b\":", 5);
    if (!err)
        err = str(b, r->inc[l->b].id);
    if (!err)
        err = yg_buf_addf(b,
                          ",\"score\":%.4f,\"evidence_weight\":%.4f,\"technique_overlap\":%.4f,"
                          "\"gap_days\":%.1f,\"evidence\":[",
                          l->score, l->evidence, l->tech_overlap, (double)l->gap_ms / 86400000.0);
    for (size_t i = 0; !err && i < l->nev; i++) {
        err = yg_buf_addf(b, "%s{\"kind\":\"%s\",\"value\":", i ? "," : "",
                          yg__cmp_kind_name(l->ev[i].kind));
        if (!err)
            err = str(b, l->ev[i].value);
        if (!err)
            err = yg_buf_addf(b, ",\"incidents\":%zu,\"network_incidents\":%zu,\"weight\":%.4f}",
                              l->ev[i].df, l->ev[i].net_df, l->ev[i].weight);
    }
    if (!err)
        err = yg_buf_add(b, "],\"techniques\":[", 16);
    for (size_t i = 0; !err && i < l->tech.n; i++) {
        if (i)
            err = yg_buf_addc(b, ',');
        if (!err)
            err = str(b, l->tech.v[i]);
    }
    return err ? err : yg_buf_add(b, "]}", 2);
}

static yg_err phase(struct yg_buf *b, const struct yg_cmp_result *r, const struct yg_cmp_phase *p)
{
    yg_err err = yg_buf_add(b, "{\"first_seen\":", 14);
    if (!err)
        err = tm(b, p->first_ms);
    if (!err)
        err = yg_buf_add(b, ",\"last_seen\":", 13);
    if (!err)
        err = tm(b, p->last_ms);
    if (!err)
        err = counts(b, "sectors", &p->sectors);
    if (!err)
        err = counts(b, "initial_access", &p->initial);
    if (!err)
        err = counts(b, "techniques", &p->tech);
    if (!err)
        err = counts(b, "cves", &p->cve);
    if (!err)
        err = counts(b, "malware", &p->malware);
    if (!err)
        err = counts(b, "organisations", &p->orgs);
    if (!err)
        err = yg_buf_add(b, ",\"incidents\":[", 14);
    for (size_t i = 0; !err && i < p->ninc; i++) {
        if (i)
            err = yg_buf_addc(b, ',');
        if (!err)
            err = str(b, r->inc[p->inc[i]].id);
    }
    return err ? err : yg_buf_add(b, "]}", 2);
}

static yg_err campaign(struct yg_buf *b, const struct yg_cmp_result *r,
                       const struct yg_cmp_campaign *c)
{
    yg_err err = yg_buf_addf(b, "{\"id\":\"%s\",\"first_seen\":", c->id);
    if (!err)
        err = tm(b, c->first_ms);
    if (!err)
        err = yg_buf_add(b, ",\"last_seen\":", 13);
    if (!err)
        err = tm(b, c->last_ms);
    if (!err)
        err = yg_buf_add(b, ",\"incidents\":[", 14);
    for (size_t i = 0; !err && i < c->ninc; i++) {
        if (i)
            err = yg_buf_addc(b, ',');
        if (!err)
            err = incident(b, &r->inc[c->inc[i]]);
    }
    if (!err)
        err = yg_buf_add(b, "],\"phases\":[", 12);
    for (size_t i = 0; !err && i < c->nphases; i++) {
        if (i)
            err = yg_buf_addc(b, ',');
        if (!err)
            err = phase(b, r, &c->phases[i]);
    }
    if (!err)
        err = yg_buf_add(b, "],\"links\":[", 11);
    for (size_t i = 0; !err && i < c->nlinks; i++) {
        if (i)
            err = yg_buf_addc(b, ',');
        if (!err)
            err = link(b, r, &c->links[i]);
    }
    return err ? err : yg_buf_add(b, "]}", 2);
}

yg_err yg__cmp_json(const struct yg_cmp_result *r, struct yg_buf *out)
{
    yg_err err = yg_buf_addf(out,
                             "{\"incidents\":%zu,\"unlinked\":%zu,\"pairs_scored\":%zu,"
                             "\"links_kept\":%zu,\"campaigns\":[",
                             r->ninc, r->unlinked, r->links_considered, r->links_kept);
    for (size_t i = 0; !err && i < r->nc; i++) {
        if (i)
            err = yg_buf_addc(out, ',');
        if (!err)
            err = campaign(out, r, &r->c[i]);
    }
    /* The incidents no campaign holds, by id: what an analyst looks at next. */
    bool *in = yg_calloc(r->ninc ? r->ninc : 1, sizeof *in);
    if (!err && !in)
        err = YG_ENOMEM;
    for (size_t i = 0; !err && i < r->nc; i++)
        for (size_t k = 0; k < r->c[i].ninc; k++)
            in[r->c[i].inc[k]] = true;
    if (!err)
        err = yg_buf_add(out, "],\"unlinked_incidents\":[", 24);
    for (size_t i = 0, n = 0; !err && i < r->ninc; i++) {
        if (in[i])
            continue;
        if (n++)
            err = yg_buf_addc(out, ',');
        if (!err)
            err = incident(out, &r->inc[i]);
    }
    yg_free(in);
    return err ? err : yg_buf_add(out, "]}\n", 3);
}
