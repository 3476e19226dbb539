/*
 * cmd_campaigns.c - `yagura campaigns`: incidents of many organisations
 * linked into campaigns and cut into phases (docs/campaigns.md).  The
 * analysis is src/campaign; this file reads the arguments and prints.
 *
 * Exit status: 0 no campaign found, 1 at least one campaign, 2 error.
 */
#include "cli/cmd_campaigns.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "campaign/campaign.h"
#include "cli/cmd_share.h"
#include "cli/rulesets.h"
#include "store/store.h"
#include "taxii/taxii.h"
#include "watch/config.h"

#define EXIT_FOUND 1
#define EXIT_ERR 2
#define MAX_ATTR 64

static void usage(FILE *f)
{
    fprintf(
        f,
        "Usage: yagura campaigns [--db FILE] [-c CONFIG [--pull]] [--orgs FILE] [--json]\n"
        "                        [--stix FILE [--tlp LEVEL] [--identity NAME]\n"
        "                         [--attribute CAMPAIGN=ACTOR]...] [--links N] [tuning]\n"
        "                        [BUNDLE|FOLDER]...\n"
        "\n"
        "Link incidents of many organisations into campaigns by shared infrastructure,\n"
        "malware and intelligence, scored by ATT&CK technique overlap and time, and cut\n"
        "each campaign into phases where sectors, the way in or the tooling change\n"
        "(docs/campaigns.md).\n"
        "\n"
        "Inputs:\n"
        "  BUNDLE|FOLDER          partners' STIX 2.1 bundles (a folder: every *.json under it)\n"
        "      --db FILE          the incidents of this state database (yagura incidents)\n"
        "  -c, --config FILE      its `state` database, and the bundles `yagura intel pull`\n"
        "                         wrote to taxii.pull_dir; identity_name and export_tlp\n"
        "      --pull             first pull partners' TAXII collections (yagura intel pull -c)\n"
        "      --orgs FILE        the organisation inventory (default: the data folder's\n"
        "                         mappings/organisations.yml)\n"
        "\n"
        "Output:\n"
        "      --json             the whole result as one JSON document\n"
        "      --links N          links printed per campaign (default 5; 0: all)\n"
        "      --stix FILE        write the campaigns as a STIX 2.1 bundle ('-': standard output)\n"
        "      --tlp LEVEL        its marking: clear, green, amber (default), amber+strict, red\n"
        "      --identity NAME    our identity (default Yagura; also names local incidents'\n"
        "                         STIX ids as yagura incidents export does)\n"
        "      --attribute C=A    the operator confirms campaign C (id or unique prefix) is the\n"
        "                         work of intrusion set A: only then is attributed-to written\n"
        "\n"
        "Tuning (defaults in docs/campaigns.md):\n"
        "      --threshold X      score a link needs (0.35)\n"
        "      --tau DAYS         time scale of the time factor (365)\n"
        "      --phase-penalty X  penalty per phase, times ln(incidents) (6)\n"
        "      --min-phase N      incidents of the smallest phase (3)\n"
        "  -h, --help             this text\n"
        "\n"
        "Exit status: 0 no campaign found, 1 at least one campaign, 2 error.\n");
}

struct args {
    const char *db, *config, *orgs, *stix, *identity, *tlp;
    char identity_buf[512]; /* the configuration's identity_name */
    bool json, pull;
    int first_input; /* argv index of the first bundle (optind moves when --pull parses) */
    size_t links;
    struct yg_cmp_opts o;
    struct yg_cmp_attribution attr[MAX_ATTR];
    size_t nattr;
};

static bool num(const char *s, double lo, double hi, double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || !(v >= lo && v <= hi))
        return false;
    *out = v;
    return true;
}

static int numopt(const char *arg, double lo, double hi, double *out, const char *what)
{
    if (num(arg, lo, hi, out))
        return 0;
    fprintf(stderr, "yagura campaigns: %s expected, got '%s'\n", what, arg);
    return EXIT_ERR;
}

enum {
    O_DB = 256,
    O_ORGS,
    O_JSON,
    O_STIX,
    O_TLP,
    O_IDENT,
    O_ATTR,
    O_LINKS,
    O_THR,
    O_TAU,
    O_PEN,
    O_MINP,
    O_PULL
};

static int opt(struct args *a, int c, char *arg)
{
    double v;
    char *eq;
    switch (c) {
    case O_DB: a->db = arg; return 0;
    case 'c': a->config = arg; return 0;
    case O_PULL: a->pull = true; return 0;
    case O_ORGS: a->orgs = arg; return 0;
    case O_JSON: a->json = true; return 0;
    case O_STIX: a->stix = arg; return 0;
    case O_TLP: a->tlp = arg; return 0;
    case O_IDENT: a->identity = arg; return 0;
    case O_ATTR:
        eq = strchr(arg, '=');
        if (!eq || eq == arg || !eq[1] || a->nattr == MAX_ATTR) {
            fprintf(stderr, "yagura campaigns: --attribute: expected CAMPAIGN=ACTOR (at most %d)\n",
                    MAX_ATTR);
            return EXIT_ERR;
        }
        *eq = 0;
        a->attr[a->nattr++] = (struct yg_cmp_attribution){arg, eq + 1};
        return 0;
    case O_LINKS:
        if (!num(arg, 0, 1e9, &v))
            break;
        a->links = (size_t)v;
        return 0;
    case O_THR: return numopt(arg, 0, 1e9, &a->o.threshold, "--threshold: a number >= 0");
    case O_TAU: return numopt(arg, 1e-3, 1e6, &a->o.tau_days, "--tau: days > 0");
    case O_PEN: return numopt(arg, 0, 1e6, &a->o.phase_pen, "--phase-penalty: a number >= 0");
    case O_MINP:
        if (!num(arg, 1, 1e6, &v))
            break;
        a->o.min_phase = (size_t)v;
        return 0;
    case 'h': usage(stdout); return -1;
    default: usage(stderr); return EXIT_ERR;
    }
    fprintf(stderr, "yagura campaigns: expected a whole number, got '%s'\n", arg);
    return EXIT_ERR;
}

static int parse(struct args *a, int argc, char **argv)
{
    static const struct option lo[] = {{"db", required_argument, 0, O_DB},
                                       {"config", required_argument, 0, 'c'},
                                       {"pull", no_argument, 0, O_PULL},
                                       {"orgs", required_argument, 0, O_ORGS},
                                       {"json", no_argument, 0, O_JSON},
                                       {"stix", required_argument, 0, O_STIX},
                                       {"tlp", required_argument, 0, O_TLP},
                                       {"identity", required_argument, 0, O_IDENT},
                                       {"attribute", required_argument, 0, O_ATTR},
                                       {"links", required_argument, 0, O_LINKS},
                                       {"threshold", required_argument, 0, O_THR},
                                       {"tau", required_argument, 0, O_TAU},
                                       {"phase-penalty", required_argument, 0, O_PEN},
                                       {"min-phase", required_argument, 0, O_MINP},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
    memset(a, 0, sizeof *a);
    a->links = 5;
    yg__cmp_opts_default(&a->o);
    int c;
    optind = 0;
    while ((c = getopt_long(argc, argv, "c:h", lo, NULL)) != -1) {
        int r = opt(a, c, optarg);
        if (r)
            return r;
    }
    a->first_input = optind;
    if (a->json && a->stix && !strcmp(a->stix, "-")) {
        fprintf(stderr, "yagura campaigns: --json and --stix - both write to standard output\n");
        return EXIT_ERR;
    }
    if (a->pull && !a->config) {
        fprintf(stderr, "yagura campaigns: --pull needs -c CONFIG (its taxii.partners)\n");
        return EXIT_ERR;
    }
    if (!a->db && !a->config && optind >= argc) {
        fprintf(stderr, "yagura campaigns: no incidents: give bundles, --db FILE or -c CONFIG\n");
        usage(stderr);
        return EXIT_ERR;
    }
    return 0;
}

/* -c CONFIG: the state database, the pulled bundles, our identity and TLP. */
static int load_config(struct args *a, struct yg_cmp_set *s, char **db)
{
    struct yg_errmsg why = {""};
    struct yg_taxii_cfg *cfg = NULL;
    yg_err e = yg__taxii_cfg_load(a->config, &cfg, &why);
    if (e && e != YG_ENOTFOUND) {
        fprintf(stderr, "yagura campaigns: %s\n", why.msg);
        return EXIT_ERR;
    }
    if (e == YG_ENOTFOUND) {
        /* No taxii: section: the configuration of yagura watch, for its state database. */
        struct yg_config *wc = NULL;
        if (yg__config_load(a->config, &wc, &why)) {
            fprintf(stderr, "yagura campaigns: %s\n", why.msg);
            return EXIT_ERR;
        }
        int rc = !a->db && wc->state && !(*db = strdup(wc->state)) ? EXIT_ERR : 0;
        yg__config_free(wc);
        return rc;
    }
    int rc = 0;
    if (cfg) {
        if (!a->db && cfg->state && !(*db = strdup(cfg->state)))
            rc = EXIT_ERR;
        if (!a->identity && cfg->identity_name)
            a->identity = snprintf(a->identity_buf, sizeof a->identity_buf, "%s",
                                   cfg->identity_name) < (int)sizeof a->identity_buf
                              ? a->identity_buf
                              : NULL;
        if (!a->tlp)
            a->tlp = yg__tlp_name(cfg->export_tlp);
        if (!rc && cfg->pull_dir && access(cfg->pull_dir, F_OK) == 0 &&
            yg__cmp_load_bundle(s, cfg->pull_dir)) {
            fprintf(stderr, "yagura campaigns: %s\n", yg__cmp_errmsg(s));
            rc = EXIT_ERR;
        }
    }
    yg__taxii_cfg_free(cfg);
    return rc;
}

static int load_db(struct yg_cmp_set *s, const char *db, const char *identity)
{
    struct yg_store *st = NULL;
    if (access(db, F_OK) != 0) {
        fprintf(stderr, "yagura campaigns: %s: no such database\n", db);
        return EXIT_ERR;
    }
    if (yg__store_open(db, &st)) {
        fprintf(stderr, "yagura campaigns: %s\n", yg__store_errmsg(st));
        yg__store_close(st);
        return EXIT_ERR;
    }
    int rc = 0;
    if (yg__cmp_load_store(s, st, identity)) {
        fprintf(stderr, "yagura campaigns: %s: %s\n", db, yg__cmp_errmsg(s));
        rc = EXIT_ERR;
    }
    yg__store_close(st);
    return rc;
}

/* The inventory, then every input. */
static int load(struct args *a, struct yg_cmp_set *s, int argc, char **argv)
{
    char def[4096], *db = NULL;
    const char *orgs = a->orgs;
    if (!orgs) {
        snprintf(def, sizeof def, "%s/mappings/organisations.yml", yg_cli_data_dir());
        orgs = access(def, R_OK) == 0 ? def : NULL;
    }
    if (orgs && yg__cmp_load_orgs(s, orgs)) {
        fprintf(stderr, "yagura campaigns: %s\n", yg__cmp_errmsg(s));
        return EXIT_ERR;
    }
    if (a->pull) {
        char *pargv[] = {"pull", "-c", (char *)a->config, NULL};
        optind = 0;
        /* A partner that fails is reported by the pull; what was pulled before is analysed. */
        if (yg_cli_intel_pull(3, pargv) == EXIT_ERR)
            return EXIT_ERR;
    }
    int rc = a->config ? load_config(a, s, &db) : 0;
    /* The configuration's state database holds local incidents once watch or a pull made it. */
    const char *dbp = a->db ? a->db : db && access(db, F_OK) == 0 ? db : NULL;
    if (!rc && dbp)
        rc = load_db(s, dbp, a->identity);
    free(db);
    for (int i = a->first_input; !rc && i < argc; i++)
        if (yg__cmp_load_bundle(s, argv[i])) {
            fprintf(stderr, "yagura campaigns: %s\n", yg__cmp_errmsg(s));
            rc = EXIT_ERR;
        }
    fputs(yg__cmp_warnings(s), stderr);
    return rc;
}

static void print_counts(const char *label, const struct yg_cmp_counts *c)
{
    printf("      %-15s", label);
    if (!c->n)
        printf(" -");
    for (size_t i = 0; i < c->n; i++)
        printf("%s %s (%zu)", i ? "," : "", c->v[i].name, c->v[i].n);
    printf("\n");
}

static void print_link(const struct yg_cmp_result *r, const struct yg_cmp_link *l)
{
    const struct yg_cmp_inc *a = &r->inc[l->a], *b = &r->inc[l->b];
    printf("    %.3f  %s (%s) - %s (%s), %.0f days apart\n", l->score, a->id, a->org ? a->org : "?",
           b->id, b->org ? b->org : "?", (double)l->gap_ms / 86400000.0);
    printf("           shared:");
    for (size_t i = 0; i < l->nev; i++) {
        const struct yg_cmp_evidence *e = &l->ev[i];
        printf("%s %s %s (%zu incidents", i ? "," : "", yg__cmp_kind_name(e->kind), e->value,
               e->df);
        if (e->net_df)
            printf(", %zu in its network", e->net_df);
        printf(", weight %.2f)", e->weight);
    }
    printf("\n           techniques in common (overlap %.2f):", l->tech_overlap);
    for (size_t i = 0; i < l->tech.n; i++)
        printf(" %s", l->tech.v[i]);
    printf("%s\n", l->tech.n ? "" : " none");
}

static void print_summary(const struct yg_cmp_result *r, size_t links)
{
    printf("%zu campaign%s from %zu incidents (%zu in no campaign); %zu pairs scored, %zu links\n",
           r->nc, r->nc == 1 ? "" : "s", r->ninc, r->unlinked, r->links_considered, r->links_kept);
    for (size_t i = 0; i < r->nc; i++) {
        const struct yg_cmp_campaign *c = &r->c[i];
        char d1[16], d2[16];
        yg__cmp_day(c->first_ms, d1), yg__cmp_day(c->last_ms, d2);
        printf("\n%s  %s .. %s  %zu incidents, %zu phase%s\n", c->id, d1, d2, c->ninc, c->nphases,
               c->nphases == 1 ? "" : "s");
        for (size_t k = 0; k < c->nphases; k++) {
            const struct yg_cmp_phase *p = &c->phases[k];
            yg__cmp_day(p->first_ms, d1), yg__cmp_day(p->last_ms, d2);
            printf("  phase %zu  %s .. %s  %zu incidents, %zu organisations\n", k + 1, d1, d2,
                   p->ninc, p->orgs.n);
            print_counts("sectors", &p->sectors);
            print_counts("initial access", &p->initial);
            print_counts("CVEs", &p->cve);
            print_counts("malware, tools", &p->malware);
        }
        size_t n = links && links < c->nlinks ? links : c->nlinks;
        printf("  links (strongest first, %zu of %zu):\n", n, c->nlinks);
        for (size_t k = 0; k < n; k++)
            print_link(r, &c->links[k]);
    }
}

static int write_stix(struct args *a, const struct yg_cmp_result *r)
{
    struct yg_cmp_stix_opts so = {a->identity, YG_TLP_AMBER, a->attr, a->nattr};
    if (a->tlp && !yg__tlp_parse(a->tlp, &so.tlp)) {
        fprintf(stderr,
                "yagura campaigns: --tlp: expected clear, green, amber, amber+strict or red\n");
        return EXIT_ERR;
    }
    struct yg_buf out;
    struct yg_errmsg why = {""};
    yg_buf_init(&out, 0);
    int rc = 0;
    if (yg__cmp_stix(r, &so, &out, &why)) {
        fprintf(stderr, "yagura campaigns: %s\n", why.msg);
        rc = EXIT_ERR;
    } else {
        FILE *f = strcmp(a->stix, "-") ? fopen(a->stix, "w") : stdout;
        if (!f || fwrite(out.p, 1, out.n, f) != out.n || (f != stdout && fclose(f) != 0)) {
            fprintf(stderr, "yagura campaigns: %s: cannot write\n", a->stix);
            rc = EXIT_ERR;
        }
    }
    yg_buf_free(&out);
    return rc;
}

int yg_cli_campaigns(int argc, char **argv)
{
    struct args a;
    int rc = parse(&a, argc, argv);
    if (rc)
        return rc < 0 ? 0 : rc;
    struct yg_cmp_set *s = NULL;
    struct yg_cmp_result *r = NULL;
    if (yg__cmp_new(&s)) {
        fprintf(stderr, "yagura campaigns: out of memory\n");
        return EXIT_ERR;
    }
    rc = load(&a, s, argc, argv);
    if (!rc && yg__cmp_analyse(s, &a.o, &r)) {
        fprintf(stderr, "yagura campaigns: %s\n", yg__cmp_errmsg(s));
        rc = EXIT_ERR;
    }
    if (!rc && a.stix)
        rc = write_stix(&a, r);
    if (!rc && a.json) {
        struct yg_buf out;
        yg_buf_init(&out, 0);
        if (yg__cmp_json(r, &out) || fwrite(out.p, 1, out.n, stdout) != out.n)
            rc = EXIT_ERR;
        yg_buf_free(&out);
    } else if (!rc && !(a.stix && !strcmp(a.stix, "-"))) {
        print_summary(r, a.links);
    }
    if (!rc && r->nc)
        rc = EXIT_FOUND;
    yg__cmp_result_free(r);
    yg__cmp_free(s);
    return rc;
}
