/*
 * cmp_stix_out.c - campaigns as STIX 2.1 (`yagura campaigns --stix FILE`,
 * docs/campaigns.md "STIX").
 *
 * Per campaign: a `campaign` object (first_seen, last_seen, a description
 * of its incidents and phases); one `attack-pattern`, `vulnerability` and
 * `malware` object per technique, CVE and malware or tool name of its
 * incidents, each joined to it by a `uses` relationship; one `report`
 * (report_types campaign) per phase, whose object_refs are the campaign,
 * what the phase used and its incidents.  An `intrusion-set` and an
 * `attributed-to` relationship only for an attribution the operator gave:
 * linking says the incidents belong together, never who did them.
 *
 * Ids are UUID v5 of their content and timestamps come from the incidents,
 * so the same campaigns give the same bytes.
 */
#include <stdio.h>

#include "campaign/cmp_int.h"
#include "core/timeparse.h"
#include "core/uuid.h"

/* UUID v5 of "yagura-campaign-stix" in the URL namespace, fixed forever. */
static const unsigned char ns_out[16] = {0x91, 0x4e, 0x27, 0x0b, 0xd5, 0x3a, 0x5f, 0x60,
                                         0x8c, 0x12, 0x4f, 0xe9, 0x70, 0x2b, 0xa6, 0x35};

/* The TLP 2.0 marking definitions (cti-stix-common-objects). */
static const struct {
    const char *id, *name, *word;
} tlp[] = {
    {"marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487", "TLP:CLEAR", "clear"},
    {"marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb", "TLP:GREEN", "green"},
    {"marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421", "TLP:AMBER", "amber"},
    {"marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003", "TLP:AMBER+STRICT",
     "amber+strict"},
    {"marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1", "TLP:RED", "red"},
};

#define FIXED_TIME "2020-01-01T00:00:00.000Z"

struct sx {
    const struct yg_cmp_result *r;
    const struct yg_cmp_stix_opts *o;
    struct yg_buf *out;
    struct yg_htab done; /* ids written */
    size_t nobj;
    char us[96];
    const char *mark;
};

static yg_err sid(const char *type, const char *name, char out[96])
{
    char u[37];
    yg_err err = yg__uuid5(ns_out, name, strlen(name), u);
    if (!err)
        snprintf(out, 96, "%s--%s", type, u);
    return err;
}

/* Start an object unless its id was written: *skip then. */
static yg_err begin(struct sx *x, const char *type, const char *id, bool *skip)
{
    uint32_t v = 0;
    bool added;
    char *k = yg_strndup(id, strlen(id));
    /* The key must outlive the table: it is freed with it (sx_free). */
    if (!k || yg__htab_add(&x->done, k, strlen(k), &v, &added)) {
        yg_free(k);
        return YG_ENOMEM;
    }
    if (!added)
        yg_free(k);
    *skip = !added;
    if (!added)
        return YG_OK;
    return yg_buf_addf(x->out,
                       "%s\n  {\"type\":\"%s\",\"spec_version\":\"2.1\",\"id\":\"%s\","
                       "\"created_by_ref\":\"%s\",\"object_marking_refs\":[\"%s\"]",
                       x->nobj++ ? "," : "", type, id, x->us, x->mark);
}

static yg_err str_member(struct yg_buf *b, const char *key, const char *v)
{
    yg_err err = yg_buf_addf(b, ",\"%s\":", key);
    return err ? err : yg_buf_add_json_str(b, v, strlen(v));
}

/* One attack-pattern, vulnerability or malware object, and the campaign's
 * `uses` relationship to it; ref gets the object's id. */
static yg_err used(struct sx *x, const struct yg_cmp_campaign *c, const char *ctime,
                   enum yg_cmp_kind k, const char *v, char ref[96])
{
    static const char *const type[] = {"attack-pattern", "vulnerability", "malware"};
    int t = k == YG_CMPF_TECH ? 0 : k == YG_CMPF_CVE ? 1 : 2;
    char name[600], rid[96];
    bool skip;
    snprintf(name, sizeof name, "%s|%s", type[t], v);
    yg_err err = sid(type[t], name, ref);
    if (!err)
        err = begin(x, type[t], ref, &skip);
    if (!err && !skip) {
        err =
            yg_buf_addf(x->out, ",\"created\":\"" FIXED_TIME "\",\"modified\":\"" FIXED_TIME "\"");
        if (!err)
            err = str_member(x->out, "name", v);
        if (!err && t == 0) {
            char url[64];
            snprintf(url, sizeof url, "https://attack.mitre.org/techniques/%.5s%s%.3s/", v,
                     v[5] ? "/" : "", v[5] ? v + 6 : "");
            err = yg_buf_addf(x->out,
                              ",\"external_references\":[{\"source_name\":\"mitre-attack\","
                              "\"external_id\":\"%s\",\"url\":\"%s\"}]",
                              v, url);
        } else if (!err && t == 1) {
            err = yg_buf_addf(x->out,
                              ",\"external_references\":[{\"source_name\":\"cve\","
                              "\"external_id\":\"%s\"}]",
                              v);
        } else if (!err) {
            err = yg_buf_add(x->out, ",\"is_family\":true", 17);
        }
        if (!err)
            err = yg_buf_addc(x->out, '}');
    }
    snprintf(name, sizeof name, "uses|%s|%s", c->id, ref);
    if (!err)
        err = sid("relationship", name, rid);
    if (!err)
        err = begin(x, "relationship", rid, &skip);
    if (!err && !skip)
        err = yg_buf_addf(x->out,
                          ",\"created\":\"%s\",\"modified\":\"%s\",\"relationship_type\":\"uses\","
                          "\"source_ref\":\"%s\",\"target_ref\":\"%s\"}",
                          ctime, ctime, c->id, ref);
    return err;
}

static yg_err counts_text(struct yg_buf *b, const char *label, const struct yg_cmp_counts *c)
{
    yg_err err = c->n ? yg_buf_addf(b, " %s:", label) : YG_OK;
    for (size_t i = 0; !err && i < c->n && i < 12; i++)
        err = yg_buf_addf(b, "%s %s (%zu)", i ? "," : "", c->v[i].name, c->v[i].n);
    return err ? err : c->n ? yg_buf_addc(b, '.') : YG_OK;
}

/* The report of phase i: its period, what it targeted and used, its incidents. */
static yg_err phase_report(struct sx *x, const struct yg_cmp_campaign *c, size_t i)
{
    const struct yg_cmp_phase *p = &c->phases[i];
    const struct yg_cmp_counts *lists[3] = {&p->tech, &p->cve, &p->malware};
    static const enum yg_cmp_kind kinds[3] = {YG_CMPF_TECH, YG_CMPF_CVE, YG_CMPF_MALWARE};
    char name[256], rid[96], ref[96], d1[16], d2[16], pub[YG_TIME_TEXT];
    struct yg_buf desc, refs;
    bool skip;
    yg_buf_init(&desc, 0), yg_buf_init(&refs, 0);
    snprintf(name, sizeof name, "phase|%s|%zu|%s", c->id, i, x->r->inc[p->inc[0]].id);
    yg_err err = sid("report", name, rid);
    yg__cmp_day(p->first_ms, d1), yg__cmp_day(p->last_ms, d2);
    yg__time_format(p->last_ms, pub);
    if (!err)
        err = yg_buf_addf(&desc, "Phase %zu of %zu: %zu incidents from %s to %s.", i + 1,
                          c->nphases, p->ninc, d1, d2);
    if (!err)
        err = counts_text(&desc, "Sectors", &p->sectors);
    if (!err)
        err = counts_text(&desc, "Initial access", &p->initial);
    if (!err)
        err = counts_text(&desc, "CVEs", &p->cve);
    if (!err)
        err = counts_text(&desc, "Malware and tools", &p->malware);
    if (!err)
        err = yg_buf_addf(&refs, "\"%s\"", c->id);
    for (int l = 0; !err && l < 3; l++)
        for (size_t k = 0; !err && k < lists[l]->n; k++) {
            err = used(x, c, pub, kinds[l], lists[l]->v[k].name, ref);
            if (!err)
                err = yg_buf_addf(&refs, ",\"%s\"", ref);
        }
    for (size_t k = 0; !err && k < p->ninc; k++)
        err = yg_buf_addf(&refs, ",\"%s\"", x->r->inc[p->inc[k]].stix_id);
    if (!err)
        err = begin(x, "report", rid, &skip);
    snprintf(name, sizeof name, "Phase %zu of %s: %s to %s", i + 1, c->id, d1, d2);
    if (!err && !skip)
        err = yg_buf_addf(x->out, ",\"created\":\"%s\",\"modified\":\"%s\",\"published\":\"%s\"",
                          pub, pub, pub);
    if (!err && !skip)
        err = str_member(x->out, "name", name);
    if (!err && !skip && desc.n)
        err = yg_buf_addc(&desc, 0) ? YG_ENOMEM : str_member(x->out, "description", desc.p);
    if (!err && !skip && refs.n)
        err = yg_buf_addc(&refs, 0) ? YG_ENOMEM
                                    : yg_buf_addf(x->out,
                                                  ",\"report_types\":[\"campaign\"],"
                                                  "\"object_refs\":[%s]}",
                                                  refs.p);
    yg_buf_free(&desc), yg_buf_free(&refs);
    return err;
}

static yg_err attribution(struct sx *x, const struct yg_cmp_campaign *c, const char *ctime)
{
    for (size_t i = 0; i < x->o->nattr; i++) {
        const struct yg_cmp_attribution *a = &x->o->attr[i];
        if (strncmp(c->id, a->campaign, strlen(a->campaign)))
            continue;
        char name[600], iid[96], rid[96];
        bool skip;
        snprintf(name, sizeof name, "intrusion-set|%s", a->actor);
        yg_err err = sid("intrusion-set", name, iid);
        if (!err)
            err = begin(x, "intrusion-set", iid, &skip);
        if (!err && !skip) {
            err = yg_buf_addf(x->out,
                              ",\"created\":\"" FIXED_TIME "\",\"modified\":\"" FIXED_TIME "\"");
            if (!err)
                err = str_member(x->out, "name", a->actor);
            if (!err)
                err = yg_buf_addc(x->out, '}');
        }
        snprintf(name, sizeof name, "attributed-to|%s|%s", c->id, iid);
        if (!err)
            err = sid("relationship", name, rid);
        if (!err)
            err = begin(x, "relationship", rid, &skip);
        if (!err && !skip)
            err =
                yg_buf_addf(x->out,
                            ",\"created\":\"%s\",\"modified\":\"%s\","
                            "\"relationship_type\":\"attributed-to\",\"source_ref\":\"%s\","
                            "\"target_ref\":\"%s\",\"description\":\"confirmed by the operator\"}",
                            ctime, ctime, c->id, iid);
        if (err)
            return err;
    }
    return YG_OK;
}

static yg_err campaign(struct sx *x, const struct yg_cmp_campaign *c)
{
    char t1[YG_TIME_TEXT], t2[YG_TIME_TEXT], d1[16], d2[16], name[128];
    bool skip;
    yg__time_format(c->first_ms, t1), yg__time_format(c->last_ms, t2);
    yg__cmp_day(c->first_ms, d1), yg__cmp_day(c->last_ms, d2);
    yg_err err = begin(x, "campaign", c->id, &skip);
    snprintf(name, sizeof name, "Campaign of %zu incidents, %s to %s", c->ninc, d1, d2);
    if (!err && !skip)
        err = yg_buf_addf(x->out,
                          ",\"created\":\"%s\",\"modified\":\"%s\",\"first_seen\":\"%s\","
                          "\"last_seen\":\"%s\"",
                          t2, t2, t1, t2);
    if (!err && !skip)
        err = str_member(x->out, "name", name);
    if (!err && !skip)
        err = yg_buf_addf(x->out,
                          ",\"description\":\"%zu incidents linked by shared infrastructure, "
                          "malware or intelligence, in %zu phases (yagura campaigns).\"}",
                          c->ninc, c->nphases);
    for (size_t i = 0; !err && i < c->nphases; i++)
        err = phase_report(x, c, i);
    if (!err)
        err = attribution(x, c, t2);
    return err;
}

static void sx_free(struct sx *x)
{
    for (size_t i = 0; i < x->done.cap; i++)
        yg_free((void *)x->done.slot[i].k);
    yg__htab_free(&x->done);
}

yg_err yg__cmp_stix(const struct yg_cmp_result *r, const struct yg_cmp_stix_opts *o,
                    struct yg_buf *out, struct yg_errmsg *why)
{
    return yg__cmp_stix_one(r, o, NULL, out, why);
}

yg_err yg__cmp_stix_one(const struct yg_cmp_result *r, const struct yg_cmp_stix_opts *o,
                        const char *only, struct yg_buf *out, struct yg_errmsg *why)
{
    for (size_t i = 0; i < o->nattr; i++) {
        size_t hits = 0, n = strlen(o->attr[i].campaign);
        for (size_t c = 0; c < r->nc; c++)
            hits += n >= 8 && !strncmp(r->c[c].id, o->attr[i].campaign, n);
        if (hits != 1) {
            yg__errmsg_set(why, "--attribute %s: %s", o->attr[i].campaign,
                           hits ? "names several campaigns" : "names no campaign of this analysis");
            return YG_ENOTFOUND;
        }
    }
    struct sx x = {.r = r, .o = o, .out = out};
    int t = o->tlp >= 0 && o->tlp <= 4 ? o->tlp : 2;
    const char *us = o->identity ? o->identity : "Yagura";
    char name[600], bid[96];
    x.mark = tlp[t].id;
    snprintf(name, sizeof name, "identity|%s", us);
    yg_err err = sid("identity", name, x.us);
    struct yg_buf ids;
    yg_buf_init(&ids, 0);
    for (size_t i = 0; !err && i < r->nc; i++)
        if (!only || !strcmp(only, r->c[i].id))
            err = yg_buf_addf(&ids, "%s\n", r->c[i].id);
    if (!err)
        err = yg__uuid5(ns_out, ids.p ? ids.p : "", ids.n, name);
    yg_buf_free(&ids);
    snprintf(bid, sizeof bid, "bundle--%s", name);
    if (!err)
        err = yg_buf_addf(out,
                          "{\"type\":\"bundle\",\"id\":\"%s\",\"objects\":[\n  "
                          "{\"type\":\"marking-definition\",\"spec_version\":\"2.1\",\"id\":\"%s\","
                          "\"created\":\"2022-10-01T00:00:00.000Z\",\"name\":\"%s\",\"extensions\":"
                          "{\"extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d\":"
                          "{\"extension_type\":\"property-extension\",\"tlp_2_0\":\"%s\"}}},\n  "
                          "{\"type\":\"identity\",\"spec_version\":\"2.1\",\"id\":\"%s\","
                          "\"created\":\"" FIXED_TIME "\",\"modified\":\"" FIXED_TIME "\","
                          "\"identity_class\":\"organization\"",
                          bid, tlp[t].id, tlp[t].name, tlp[t].word, x.us);
    if (!err)
        err = str_member(out, "name", us);
    if (!err)
        err = yg_buf_addc(out, '}');
    x.nobj = 2;
    for (size_t i = 0; !err && i < r->nc; i++)
        if (!only || !strcmp(only, r->c[i].id))
            err = campaign(&x, &r->c[i]);
    if (!err)
        err = yg_buf_add(out, "\n]}\n", 4);
    sx_free(&x);
    if (err)
        yg__errmsg_set(why, "%s", err == YG_ENOMEM ? "out of memory" : "cannot make an id");
    return err;
}
