/*
 * test_campaign.c - src/campaign: the organisation inventory, incidents read
 * from STIX bundles, linking with its evidence and the down-weighting of
 * shared infrastructure, order independence, phases, and attribution only
 * when the operator gives it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "campaign/campaign.h"
#include "tap.h"

struct tinc {
    const char *id, *org, *sector, *day;
    const char *doms[3], *ips[2], *labels[3], *malware;
};

/* One incident as a partner shares it: the victim's identity, the incident
 * (ATT&CK and CVE labels), observed data with the domains and addresses, the
 * malware, and a report on the incident referring to them. */
static void add_inc(struct yg_buf *b, const struct tinc *x)
{
    char refs[512] = "";
    int e = 0;
    e |= yg_buf_addf(b,
                     "{\"type\":\"identity\",\"id\":\"identity--%s\",\"name\":\"%s\","
                     "\"identity_class\":\"organization\"%s%s%s},",
                     x->org, x->org, x->sector ? ",\"sectors\":[\"" : "",
                     x->sector ? x->sector : "", x->sector ? "\"]" : "");
    e |= yg_buf_addf(b,
                     "{\"type\":\"incident\",\"id\":\"incident--%s\",\"name\":\"at %s\","
                     "\"created\":\"%sT00:00:00Z\",\"created_by_ref\":\"identity--%s\","
                     "\"labels\":[\"x\"",
                     x->id, x->org, x->day, x->org);
    for (int i = 0; i < 3 && x->labels[i]; i++)
        e |= yg_buf_addf(b, ",\"%s\"", x->labels[i]);
    e |= yg_buf_addf(b, "]},");
    for (int i = 0; i < 3 && x->doms[i]; i++) {
        e |= yg_buf_addf(b,
                         "{\"type\":\"domain-name\",\"id\":\"domain-name--%s\",\"value\":\"%s\"},",
                         x->doms[i], x->doms[i]);
        snprintf(refs + strlen(refs), sizeof refs - strlen(refs), ",\"domain-name--%s\"",
                 x->doms[i]);
    }
    for (int i = 0; i < 2 && x->ips[i]; i++) {
        e |= yg_buf_addf(b, "{\"type\":\"ipv4-addr\",\"id\":\"ipv4-addr--%s\",\"value\":\"%s\"},",
                         x->ips[i], x->ips[i]);
        snprintf(refs + strlen(refs), sizeof refs - strlen(refs), ",\"ipv4-addr--%s\"", x->ips[i]);
    }
    e |= yg_buf_addf(b,
                     "{\"type\":\"observed-data\",\"id\":\"observed-data--%s\","
                     "\"first_observed\":\"%sT01:00:00Z\",\"last_observed\":\"%sT02:00:00Z\","
                     "\"number_observed\":1,\"object_refs\":[\"x\"%s]},",
                     x->id, x->day, x->day, refs);
    if (x->malware)
        e |= yg_buf_addf(b,
                         "{\"type\":\"malware\",\"id\":\"malware--%s\",\"name\":\"%s\","
                         "\"is_family\":true},",
                         x->malware, x->malware);
    e |= yg_buf_addf(b,
                     "{\"type\":\"report\",\"id\":\"report--%s\",\"object_refs\":"
                     "[\"incident--%s\",\"observed-data--%s\"%s%s%s]}",
                     x->id, x->id, x->id, x->malware ? ",\"malware--" : "",
                     x->malware ? x->malware : "", x->malware ? "\"" : "");
    CHECK(e == 0);
}

static void bundle(struct yg_buf *b, const struct tinc *v, size_t n, bool reverse)
{
    CHECK(yg_buf_addf(b, "{\"type\":\"bundle\",\"id\":\"bundle--1\",\"objects\":[") == 0);
    for (size_t i = 0; i < n; i++) {
        add_inc(b, &v[reverse ? n - 1 - i : i]);
        if (i + 1 < n)
            CHECK(yg_buf_addc(b, ',') == 0);
    }
    CHECK(yg_buf_add(b, "]}", 2) == 0);
}

static const struct yg_cmp_opts *test_opts; /* NULL: the defaults */

static struct yg_cmp_result *analyse(struct yg_cmp_set *s)
{
    struct yg_cmp_opts o;
    struct yg_cmp_result *r = NULL;
    yg__cmp_opts_default(&o);
    if (test_opts)
        o = *test_opts;
    yg_err e = yg__cmp_analyse(s, &o, &r);
    CHECK_MSG(e == YG_OK, "%s", yg__cmp_errmsg(s));
    return r;
}

static void test_orgs(void)
{
    struct yg_cmp_set *s = NULL;
    const char *ok = "organisations:\n"
                     "  - name: Kasumi Policy Institute\n"
                     "    aliases: [KPI]\n"
                     "    sector: think-tanks\n"
                     "    domains: [kasumi.example]\n"
                     "    ranges: [10.1.0.0/16]\n"
                     "shared:\n"
                     "  - name: vpn\n"
                     "    ranges: [91.207.57.0/24]\n"
                     "    weight: 0.1\n";
    CHECK(yg__cmp_new(&s) == YG_OK);
    CHECK_MSG(yg__cmp_load_orgs_mem(s, "o.yml", ok, strlen(ok)) == YG_OK, "%s", yg__cmp_errmsg(s));
    /* The partner calls itself KPI and says no sector: the inventory names it and gives one;
     * its own address (10.1.2.3) and domain are not infrastructure. */
    struct tinc x[] = {
        {"a",
         "KPI",
         NULL,
         "2020-01-01",
         {"evil.example", "mail.kasumi.example"},
         {"10.1.2.3"},
         {"attack.t1566.001"},
         "LODEINFO"},
        {"b", "KPI", NULL, "2020-01-05", {"evil.example"}, {0}, {"attack.t1566.001"}, "LODEINFO"},
        {"c", "Other", "media", "2020-01-05", {"x.example"}, {0}, {0}, NULL},
    };
    struct yg_buf b;
    yg_buf_init(&b, 0);
    bundle(&b, x, 3, false);
    CHECK_MSG(yg__cmp_load_bundle_mem(s, "b.json", b.p, b.n) == YG_OK, "%s", yg__cmp_errmsg(s));
    struct yg_cmp_result *r = analyse(s);
    CHECK(r && r->ninc == 3);
    if (r && r->ninc == 3) {
        const struct yg_cmp_inc *a = &r->inc[0];
        CHECK(a->org && !strcmp(a->org, "Kasumi Policy Institute"));
        CHECK(a->f[YG_CMPF_SECTOR].n == 1 && !strcmp(a->f[YG_CMPF_SECTOR].v[0], "think-tanks"));
        CHECK(a->f[YG_CMPF_DOMAIN].n == 1 && !strcmp(a->f[YG_CMPF_DOMAIN].v[0], "evil.example"));
        CHECK(a->f[YG_CMPF_IP].n == 0);
        CHECK(a->f[YG_CMPF_TECH].n == 1 && !strcmp(a->f[YG_CMPF_TECH].v[0], "T1566.001"));
        CHECK(r->inc[2].f[YG_CMPF_SECTOR].n == 1 &&
              !strcmp(r->inc[2].f[YG_CMPF_SECTOR].v[0], "media"));
    }
    yg__cmp_result_free(r);
    yg_buf_free(&b);
    yg__cmp_free(s);

    /* The most specific range names the victim, whatever the order of the file. */
    const char *nested = "organisations:\n  - name: Wide\n    ranges: [10.0.0.0/8]\n"
                         "  - name: Narrow\n    domains: [narrow.example]\n"
                         "    ranges: [10.1.2.0/24, \"2001:db8:1::/48\"]\n";
    const char *nb = "{\"objects\":[{\"type\":\"incident\",\"id\":\"incident--n\",\"name\":\"n\","
                     "\"created\":\"2021-01-01T00:00:00Z\"},{\"type\":\"relationship\",\"id\":"
                     "\"relationship--n\",\"source_ref\":\"incident--n\",\"target_ref\":"
                     "\"ipv4-addr--n\"},{\"type\":\"ipv4-addr\",\"id\":\"ipv4-addr--n\",\"value\":"
                     "\"10.1.2.3\"},{\"type\":\"incident\",\"id\":\"incident--o\",\"name\":\"o\","
                     "\"created\":\"2021-01-01T00:00:00Z\"},{\"type\":\"relationship\",\"id\":"
                     "\"relationship--o\",\"source_ref\":\"incident--o\",\"target_ref\":"
                     "\"domain-name--o\"},{\"type\":\"domain-name\",\"id\":\"domain-name--o\","
                     "\"value\":\"VPN.Narrow.Example.\"}]}";
    CHECK(yg__cmp_new(&s) == YG_OK);
    CHECK(yg__cmp_load_orgs_mem(s, "o.yml", nested, strlen(nested)) == YG_OK);
    CHECK(yg__cmp_load_bundle_mem(s, "n.json", nb, strlen(nb)) == YG_OK);
    r = analyse(s);
    CHECK(r && r->ninc == 2 && r->inc[0].org && !strcmp(r->inc[0].org, "Narrow") && r->inc[1].org &&
          !strcmp(r->inc[1].org, "Narrow") && r->inc[1].f[YG_CMPF_DOMAIN].n == 0);
    yg__cmp_result_free(r);
    yg__cmp_free(s);

    /* addresses: the console's inventory names the ranges so (taxii.console.organisations):
     * that file serves the campaign pages too. */
    const char *con_inv = "organisations:\n  - name: ACME\n    sector: manufacturing\n"
                          "    domains: [acme.example]\n    addresses: [10.1.2.0/24]\n";
    CHECK(yg__cmp_new(&s) == YG_OK);
    CHECK(yg__cmp_load_orgs_mem(s, "o.yml", con_inv, strlen(con_inv)) == YG_OK);
    CHECK(yg__cmp_load_bundle_mem(s, "n.json", nb, strlen(nb)) == YG_OK);
    r = analyse(s);
    CHECK(r && r->ninc == 2 && r->inc[0].org && !strcmp(r->inc[0].org, "ACME") &&
          !r->inc[0].local_id);
    yg__cmp_result_free(r);
    yg__cmp_free(s);

    /* A key given twice: the last list counts, the first is released (a leak under ASan). */
    const char *twice = "organisations:\n  - name: X\n    ranges: [10.1.0.0/16]\n"
                        "    ranges: [10.2.0.0/16]\n";
    CHECK(yg__cmp_new(&s) == YG_OK);
    CHECK(yg__cmp_load_orgs_mem(s, "o.yml", twice, strlen(twice)) == YG_OK);
    yg__cmp_free(s);

    static const struct {
        const char *text, *msg;
    } bad[] = {
        {"organisations:\n  - name: X\n    sectros: [a]\n", "o.yml:3:5: unknown key"},
        {"organisations:\n  - name: X\n    ranges: [10.0.0.0/33]\n",
         "o.yml:3:14: expected an address"},
        {"organisations:\n  - sector: a\n", "o.yml:2:5: an organisation needs a name"},
        {"organisations:\n  - name: X\n  - name: x\n", "o.yml:3:5: an organisation of this name"},
        {"shared:\n  - ranges: [1.2.3.0/24]\n    weight: 2\n", "o.yml:3:13: weight"},
        {"orgs: []\n", "o.yml:1:1: unknown key"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        CHECK(yg__cmp_new(&s) == YG_OK);
        yg_err e = yg__cmp_load_orgs_mem(s, "o.yml", bad[i].text, strlen(bad[i].text));
        CHECK_MSG(e == YG_ESYNTAX && strstr(yg__cmp_errmsg(s), bad[i].msg), "%zu: %s", i,
                  yg__cmp_errmsg(s));
        yg__cmp_free(s);
    }
}

/* Two incidents sharing a C2 domain link, with the domain as evidence; twenty
 * more sharing only a VPN exit address (and each other's nothing) stay
 * apart: an address in most incidents weighs almost nothing. */
static void test_links(void)
{
    struct tinc x[22];
    char ids[22][8], doms[22][32], orgs[22][16];
    memset(x, 0, sizeof x);
    for (int i = 0; i < 22; i++) {
        snprintf(ids[i], sizeof ids[i], "i%02d", i);
        snprintf(orgs[i], sizeof orgs[i], "org%02d", i);
        snprintf(doms[i], sizeof doms[i], "c2-%02d.example", i);
        x[i] = (struct tinc){ids[i],
                             orgs[i],
                             "media",
                             "2021-03-01",
                             {doms[i]},
                             {"91.207.57.10"},
                             {"attack.t1566.001"},
                             NULL};
    }
    x[0].doms[0] = x[1].doms[0] = "shared-c2.example";
    x[0].ips[0] = x[1].ips[0] = NULL;
    struct yg_cmp_set *s = NULL;
    struct yg_buf b;
    yg_buf_init(&b, 0);
    bundle(&b, x, 22, false);
    CHECK(yg__cmp_new(&s) == YG_OK);
    CHECK(yg__cmp_load_bundle_mem(s, "b.json", b.p, b.n) == YG_OK);
    struct yg_cmp_result *r = analyse(s);
    CHECK(r && r->nc == 1 && r->unlinked == 20);
    if (r && r->nc == 1) {
        const struct yg_cmp_campaign *c = &r->c[0];
        CHECK(c->ninc == 2 && c->nlinks == 1);
        CHECK(!strcmp(r->inc[c->inc[0]].id, "incident--i00") &&
              !strcmp(r->inc[c->inc[1]].id, "incident--i01"));
        const struct yg_cmp_link *l = &c->links[0];
        CHECK(l->nev == 1 && l->ev[0].kind == YG_CMPF_DOMAIN &&
              !strcmp(l->ev[0].value, "shared-c2.example") && l->ev[0].df == 2);
        CHECK(l->tech.n == 1 && !strcmp(l->tech.v[0], "T1566.001") && l->tech_overlap == 1);
        CHECK(!strncmp(c->id, "campaign--", 10));
    }
    yg__cmp_result_free(r);
    yg__cmp_free(s);

    /* The same address shared by only two of them would have linked them. */
    x[2].ips[0] = x[3].ips[0] = "45.32.1.1";
    for (int i = 4; i < 22; i++)
        x[i].ips[0] = NULL;
    yg_buf_reset(&b);
    bundle(&b, x, 22, false);
    CHECK(yg__cmp_new(&s) == YG_OK);
    CHECK(yg__cmp_load_bundle_mem(s, "b.json", b.p, b.n) == YG_OK);
    r = analyse(s);
    CHECK(r && r->nc == 2);
    yg__cmp_result_free(r);
    yg__cmp_free(s);
    yg_buf_free(&b);
}

/* A chain of incidents: each shares a domain with the next.  The first n1
 * are spear-phishing of government with LODEINFO, the rest exploitation of
 * FortiOS at semiconductor makers with NOOPDOOR (or, with noise, the same
 * way of working throughout, sectors alternating). */
static struct yg_cmp_result *chain(int n, int n1, bool noise, bool reverse, struct yg_cmp_set **sp)
{
    static char ids[128][8], orgs[128][16], doms[128][3][32], days[128][16];
    struct tinc x[128];
    memset(x, 0, sizeof x);
    for (int i = 0; i < n; i++) {
        bool late = !noise && i >= n1;
        snprintf(ids[i], sizeof ids[i], "p%03d", i);
        snprintf(orgs[i], sizeof orgs[i], "org%03d", noise ? i : i % 7 + (late ? 10 : 0));
        snprintf(doms[i][0], 32, "c2-%03d.example", i);
        snprintf(doms[i][1], 32, "c2-%03d.example", i + 1);
        snprintf(days[i], sizeof days[i], "%d-%02d-%02d", 2022 + i / 336, 1 + i / 28 % 12,
                 1 + i % 28);
        x[i] = (struct tinc){
            ids[i],
            orgs[i],
            late                  ? "semiconductors"
            : noise && i % 3 == 1 ? "media"
                                  : "government",
            days[i],
            {doms[i][0], doms[i][1]},
            {0},
            {late ? "attack.t1190" : "attack.t1566.001", late ? "cve.2023-27997" : NULL},
            late ? "NOOPDOOR" : "LODEINFO"};
    }
    struct yg_buf b;
    yg_buf_init(&b, 0);
    bundle(&b, x, (size_t)n, reverse);
    CHECK(yg__cmp_new(sp) == YG_OK);
    CHECK(yg__cmp_load_bundle_mem(*sp, "chain.json", b.p, b.n) == YG_OK);
    yg_buf_free(&b);
    return analyse(*sp);
}

static void test_phases(void)
{
    struct yg_cmp_set *s = NULL;
    struct yg_cmp_result *r = chain(24, 14, false, false, &s);
    CHECK(r && r->nc == 1);
    if (r && r->nc == 1) {
        const struct yg_cmp_campaign *c = &r->c[0];
        CHECK_MSG(c->ninc == 24 && c->nphases == 2, "%zu incidents, %zu phases", c->ninc,
                  c->nphases);
        if (c->nphases == 2) {
            CHECK(c->phases[0].ninc == 14 && c->phases[1].ninc == 10);
            CHECK(c->phases[1].cve.n == 1 && !strcmp(c->phases[1].cve.v[0].name, "CVE-2023-27997"));
            CHECK(c->phases[1].initial.n == 1 && !strcmp(c->phases[1].initial.v[0].name, "T1190"));
            CHECK(c->phases[0].sectors.n == 1 &&
                  !strcmp(c->phases[0].sectors.v[0].name, "government"));
        }
    }
    yg__cmp_result_free(r);
    yg__cmp_free(s);
    /* Sectors varying within one way of working do not pay the penalty of a phase. */
    r = chain(24, 0, true, false, &s);
    CHECK(r && r->nc == 1 && r->c[0].nphases == 1);
    yg__cmp_result_free(r);
    yg__cmp_free(s);
    /* Without a penalty every change of sector is a phase: more than 64 of them, covering every
     * incident once, in order. */
    struct yg_cmp_opts o;
    yg__cmp_opts_default(&o);
    o.phase_pen = 0, o.min_phase = 1;
    test_opts = &o;
    r = chain(120, 0, true, false, &s);
    test_opts = NULL;
    CHECK(r && r->nc == 1);
    if (r && r->nc == 1) {
        size_t tot = 0;
        bool order = true;
        for (size_t i = 0; i < r->c[0].nphases; i++) {
            order = order && r->c[0].phases[i].inc == r->c[0].inc + tot;
            tot += r->c[0].phases[i].ninc;
        }
        CHECK_MSG(r->c[0].nphases > 64 && tot == 120 && order, "%zu phases, %zu incidents",
                  r->c[0].nphases, tot);
    }
    yg__cmp_result_free(r);
    yg__cmp_free(s);
}

static char *json_of(struct yg_cmp_result *r)
{
    struct yg_buf b;
    yg_buf_init(&b, 0);
    CHECK(yg__cmp_json(r, &b) == YG_OK);
    CHECK(yg_buf_addc(&b, 0) == YG_OK);
    size_t n;
    return yg_buf_take(&b, &n);
}

static void test_order(void)
{
    struct yg_cmp_set *s1 = NULL, *s2 = NULL;
    struct yg_cmp_result *r1 = chain(24, 14, false, false, &s1);
    struct yg_cmp_result *r2 = chain(24, 14, false, true, &s2);
    char *j1 = json_of(r1), *j2 = json_of(r2);
    CHECK(j1 && j2 && !strcmp(j1, j2));
    CHECK(j1 && strstr(j1, "\"evidence\":[{\"kind\":\"domain\""));
    yg_free(j1), yg_free(j2);
    yg__cmp_result_free(r1), yg__cmp_result_free(r2);
    yg__cmp_free(s1), yg__cmp_free(s2);
}

/* Two copies of one identity with the same version but different sectors: whichever comes
 * first in the bundle, the same one counts. */
static void test_versions(void)
{
    static const char *const objs[] = {
        "{\"type\":\"identity\",\"id\":\"identity--v\",\"name\":\"V\",\"sectors\":[\"media\"]}",
        "{\"type\":\"identity\",\"id\":\"identity--v\",\"name\":\"V\",\"sectors\":[\"government\"]"
        "}",
        "{\"type\":\"incident\",\"id\":\"incident--v\",\"name\":\"n\","
        "\"created\":\"2021-01-01T00:00:00Z\",\"created_by_ref\":\"identity--v\"}",
    };
    const char *got[2] = {NULL, NULL};
    for (int k = 0; k < 2; k++) {
        char buf[1024];
        snprintf(buf, sizeof buf, "{\"objects\":[%s,%s,%s]}", objs[k], objs[1 - k], objs[2]);
        struct yg_cmp_set *s = NULL;
        CHECK(yg__cmp_new(&s) == YG_OK);
        CHECK(yg__cmp_load_bundle_mem(s, "v.json", buf, strlen(buf)) == YG_OK);
        struct yg_cmp_result *r = analyse(s);
        if (r && r->ninc == 1 && r->inc[0].f[YG_CMPF_SECTOR].n == 1)
            got[k] = !strcmp(r->inc[0].f[YG_CMPF_SECTOR].v[0], "media") ? "media" : "government";
        yg__cmp_result_free(r);
        yg__cmp_free(s);
    }
    CHECK(got[0] && got[1] && got[0] == got[1]);
}

static void test_stix(void)
{
    struct yg_cmp_set *s = NULL;
    struct yg_cmp_result *r = chain(24, 14, false, false, &s);
    struct yg_cmp_stix_opts o = {"Test CERT", 1, NULL, 0};
    struct yg_buf b;
    struct yg_errmsg why = {""};
    yg_buf_init(&b, 0);
    CHECK(r && yg__cmp_stix(r, &o, &b, &why) == YG_OK);
    CHECK(yg_buf_addc(&b, 0) == YG_OK);
    CHECK(strstr(b.p, "\"type\":\"campaign\"") && strstr(b.p, "\"relationship_type\":\"uses\""));
    CHECK(!strstr(b.p, "attributed-to") && !strstr(b.p, "intrusion-set"));
    struct yg_cmp_attribution at = {r ? r->c[0].id : "", "Earth Kasha"};
    o.attr = &at, o.nattr = 1;
    yg_buf_reset(&b);
    CHECK(yg__cmp_stix(r, &o, &b, &why) == YG_OK);
    CHECK(yg_buf_addc(&b, 0) == YG_OK);
    CHECK(strstr(b.p, "\"relationship_type\":\"attributed-to\"") && strstr(b.p, "Earth Kasha"));
    at.campaign = "campaign--ffffffff";
    yg_buf_reset(&b);
    CHECK(yg__cmp_stix(r, &o, &b, &why) == YG_ENOTFOUND);
    CHECK_MSG(
        strcmp(why.msg, "--attribute campaign--ffffffff: names no campaign of this analysis") == 0,
        "%s", why.msg);
    yg_buf_free(&b);
    yg__cmp_result_free(r);
    yg__cmp_free(s);
}

static void test_bad_bundle(void)
{
    struct yg_cmp_set *s = NULL;
    static const struct {
        const char *text, *msg;
    } bad[] = {
        {"{\"type\":\"bundle\",\n\"objects\":[,]}", "x.json:2:"},
        {"[1,2]", "x.json: not a STIX bundle"},
        {"{\"objects\":[]} x", "x.json:1:16: content after the bundle"},
        {"{\"objects\":[{\"type\":\"incident\",\"id\":\"a\",\"id\":\"b\"}]}", "duplicate key"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        CHECK(yg__cmp_new(&s) == YG_OK);
        yg_err e = yg__cmp_load_bundle_mem(s, "x.json", bad[i].text, strlen(bad[i].text));
        CHECK_MSG(e != YG_OK && strstr(yg__cmp_errmsg(s), bad[i].msg), "%zu: %s", i,
                  yg__cmp_errmsg(s));
        yg__cmp_free(s);
    }
    /* An incident without any time is left out, with a warning. */
    const char *nt =
        "{\"objects\":[{\"type\":\"incident\",\"id\":\"incident--x\",\"name\":\"n\"}]}";
    CHECK(yg__cmp_new(&s) == YG_OK);
    CHECK(yg__cmp_load_bundle_mem(s, "t.json", nt, strlen(nt)) == YG_OK);
    CHECK(yg__cmp_count(s) == 0 && strstr(yg__cmp_warnings(s), "incident--x: no time"));
    yg__cmp_free(s);
}

int main(void)
{
    test_orgs();
    test_links();
    test_phases();
    test_order();
    test_versions();
    test_stix();
    test_bad_bundle();
    TAP_DONE();
}
