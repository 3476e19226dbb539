/*
 * cmp_local.c - incidents of the local state database (`yagura incidents`).
 *
 * A local incident's features: its address entities (the sources of the
 * attack; the inventory's own ranges and reserved addresses are left out),
 * and per alert of its timeline the ATT&CK and CVE tags of the rule
 * (`rule.tags`) and an intelligence hit's indicator (`intel`: its value,
 * and its id as the intelligence source).  The victim is found in the
 * inventory by the domain of a host or account (`pc1.corp.example`,
 * `alice@corp.example`); the STIX id is the one `yagura incidents export
 * --identity NAME` gives the incident.
 */
#include <stdio.h>
#include <stdlib.h>

#include "campaign/cmp_int.h"
#include "core/tjson.h"
#include "core/uuid.h"
#include "incident/incident.h"

/* src/taxii/stix_export.c's namespace (UUID v5 of "yagura-stix-export"), so
 * the ids here are those of `yagura incidents export`. */
static const unsigned char ns_export[16] = {0x6b, 0x2f, 0x0e, 0x61, 0x3a, 0x8d, 0x5c, 0x1e,
                                            0x9a, 0x47, 0x0b, 0x52, 0xd3, 0x6e, 0x74, 0x19};

struct lctx {
    struct yg_cmp_set *s;
    struct cmp_raw *r;
    struct cmp_list ids;
    struct yg_arena pa;
    yg_err err;
};

static void list_fn(void *ud, const struct yg_incident_row *row)
{
    struct lctx *c = ud;
    if (!c->err)
        c->err = yg__cmp_list_add(&c->s->a, &c->ids, row->id);
}

static void entity(struct lctx *c, const char *kind, const char *value)
{
    if (c->err || !value)
        return;
    if (!strcmp(kind, "address")) {
        c->err = yg__cmp_feat(c->s, c->r, YG_CMPF_IP, value, strlen(value));
        return;
    }
    const char *at = strrchr(value, '@');
    const char *dom = at ? at + 1 : !strcmp(kind, "host") ? strchr(value, '.') : NULL;
    if (dom && *dom == '.')
        dom++;
    const struct cmp_org *o = dom && *dom ? yg__cmp_org_by_domain(c->s, dom) : NULL;
    if (o && !c->r->org)
        c->r->org = o->name;
}

static void head_fn(void *ud, const struct yg_incident_row *row)
{
    struct lctx *c = ud;
    struct cmp_raw *r = c->r;
    if (c->err)
        return;
    r->name = yg_arena_strndup(&c->s->a, row->title, strlen(row->title));
    yg__cmp_span(r, row->first_ms, row->last_ms);
    for (size_t i = 0; i < row->nents; i++)
        entity(c, row->ents[i].kind, row->ents[i].value);
}

static void step_fn(void *ud, const struct yg_incident_step *st)
{
    struct lctx *c = ud;
    struct yg_tj *root = NULL;
    size_t eoff;
    const char *emsg;
    if (c->err || !st->json || !*st->json)
        return;
    yg_arena_reset(&c->pa);
    if (yg__tj_parse(st->json, strlen(st->json), &c->pa, &root, &eoff, &emsg))
        return; /* a detection's reference, not an alert: nothing to add */
    const struct yg_tj *tags = yg__tj_get(yg__tj_get(root, "rule"), "tags"), *t;
    for (size_t i = 0; !c->err && (t = yg__tj_kid(tags, YG_TJ_ARR, i)); i++)
        if (t->type == YG_TJ_STR)
            c->err = yg__cmp_tag(c->s, c->r, t->s);
    const struct yg_tj *in = yg__tj_get(root, "intel");
    const char *type = yg__tj_str(in, "type"), *v = yg__tj_str(in, "value");
    const char *iid = yg__tj_str(in, "indicator_id");
    static const struct {
        const char *name;
        enum yg_cmp_kind k;
    } kinds[] = {{"ip", YG_CMPF_IP},
                 {"domain", YG_CMPF_DOMAIN},
                 {"url", YG_CMPF_URL},
                 {"hash", YG_CMPF_HASH},
                 {"email", YG_CMPF_EMAIL}};
    for (size_t i = 0; type && v && !c->err && i < sizeof kinds / sizeof *kinds; i++)
        if (!strcmp(type, kinds[i].name))
            c->err = yg__cmp_feat(c->s, c->r, kinds[i].k, v, strlen(v));
    if (iid && !c->err)
        c->err = yg__cmp_feat(c->s, c->r, YG_CMPF_INTEL, iid, strlen(iid));
}

static yg_err stix_id(struct lctx *c, const char *identity, const char *id)
{
    char name[512], u[37], out[64];
    snprintf(name, sizeof name, "incident|%s|%s", identity, id);
    yg_err err = yg__uuid5(ns_export, name, strlen(name), u);
    if (err)
        return err;
    snprintf(out, sizeof out, "incident--%s", u);
    c->r->id = yg_arena_strndup(&c->s->a, out, strlen(out));
    return c->r->id ? YG_OK : YG_ENOMEM;
}

yg_err yg__cmp_load_store(struct yg_cmp_set *s, struct yg_store *st, const char *identity)
{
    struct lctx c = {.s = s};
    yg_arena_init(&c.pa, 1u << 16, 0);
    yg_err err = yg__incident_list(st, YG_INC_ALL, 0, list_fn, &c);
    if (!err)
        err = c.err;
    for (size_t i = 0; !err && i < c.ids.n; i++) {
        c.r = yg__cmp_raw_new(s, c.ids.v[i], "local");
        if (!c.r) {
            yg_free(c.ids.v);
            yg_arena_free(&c.pa);
            return YG_ELIMIT;
        }
        /* Local incidents are named by the ids `yagura incidents` shows; exports refer to the
         * STIX id of `yagura incidents export`. */
        err = stix_id(&c, identity ? identity : "Yagura", c.ids.v[i]);
        if (!err)
            err = yg__incident_show(st, c.ids.v[i], head_fn, step_fn, &c);
        if (!err)
            err = c.err;
        if (!err)
            err = yg__cmp_inventory_sectors(s, c.r);
        if (!err)
            c.r->name = c.r->name ? c.r->name : c.ids.v[i];
        c.r->origin = c.r->local_id = c.ids.v[i];
    }
    if (err)
        yg__cmp_fail(s, "the state database: %s",
                     err == YG_ENOMEM ? "out of memory" : yg__store_errmsg(st));
    yg_free(c.ids.v);
    yg_arena_free(&c.pa);
    return err;
}
