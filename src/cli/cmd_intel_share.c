/*
 * cmd_intel_share.c - `yagura intel pull` and `yagura intel export`
 * (docs/yagura-intel.md).  Argument parsing only; the work is in
 * src/taxii (taxii_client.c, stix_export.c).
 */
#include <curl/curl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd_share.h"
#include "taxii/stix.h"
#include "core/log.h"

static void usage_pull(FILE *f)
{
    fprintf(f, "Usage: yagura intel pull -c CONFIG [options]\n"
               "\n"
               "Fetch new STIX objects from the TAXII 2.1 collections of taxii.partners,\n"
               "incrementally: each partner's cursor (the date added of the last object\n"
               "received) is kept in the state database, so a run fetches only what was added\n"
               "since the last one and a failed run resumes where it stopped.  Each page is\n"
               "written as a STIX bundle file to PULL_DIR/<partner>/, which `yagura intel`\n"
               "loads like any bundle.\n"
               "\n"
               "Options:\n"
               "  -c, --config FILE   configuration with a taxii: section (partners, pull_dir)\n"
               "  -p, --partner NAME  only this partner (repeatable; default: all)\n"
               "      --state FILE    state database for the cursors (default: the file's state:)\n"
               "  -o, --out DIR       where bundles go (default: taxii.pull_dir)\n"
               "  -q, --quiet         no summary on standard error\n"
               "  -h, --help          this text\n"
               "\n"
               "Exit status: 0 every partner pulled, 1 some partner failed (the others were\n"
               "pulled; the failed one resumes next time), 2 configuration error.\n");
}

static void usage_export(FILE *f)
{
    fprintf(f, "Usage: yagura intel export [options] ALERTS\n"
               "\n"
               "Write the alerts of ALERTS (a state database of `yagura watch`, or JSON lines of\n"
               "alerts from `yagura hunt`; - for standard input) as a STIX 2.1 bundle: our\n"
               "identity, one sighting per indicator (sighting_of_ref, where_sighted_refs,\n"
               "count, first_seen, last_seen, observed_data_refs), the observed-data and SCOs\n"
               "of each alert, indicators derived from the Sigma rules that fired (pattern_type\n"
               "sigma) and from intel hits, all marked with a TLP 2.0 marking.  Ids are UUID v5\n"
               "of the content: exporting the same alerts again gives the same bundle.\n"
               "\n"
               "Options:\n"
               "  -c, --config FILE      take identity_name and export_tlp from its taxii:\n"
               "  -o, --output FILE      write the bundle to FILE (default: standard output)\n"
               "      --tlp LEVEL        clear, green, amber (default), amber+strict or red; an\n"
               "                         intel hit's sighting is never marked below the\n"
               "                         indicator's own TLP\n"
               "      --identity NAME    the name of our identity (default: Yagura)\n"
               "      --rules-base DIR   folder that relative rule paths of alerts are under\n"
               "                         (the rule text becomes the indicator's pattern)\n"
               "      --min-level LEVEL  only alerts of rules at or above LEVEL\n"
               "      --push URL COLL    also POST the bundle to TAXII collection COLL of the\n"
               "                         API root URL; credentials from the environment:\n"
               "                         YG_TAXII_USER and YG_TAXII_PASSWORD, or YG_TAXII_TOKEN\n"
               "      --ca FILE          CA bundle to verify the TAXII server with\n"
               "      --insecure         do not verify the TAXII server's certificate\n"
               "  -h, --help             this text\n"
               "\n"
               "Exit status: 0 bundle written (and pushed), 1 the push failed or the server\n"
               "refused some objects, 2 error (unreadable input, bad arguments).\n");
}

int yg_cli_intel_pull(int argc, char **argv)
{
    static const struct option opts[] = {{"config", required_argument, 0, 'c'},
                                         {"partner", required_argument, 0, 'p'},
                                         {"state", required_argument, 0, 's'},
                                         {"out", required_argument, 0, 'o'},
                                         {"quiet", no_argument, 0, 'q'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *config = NULL, *state = NULL, *out = NULL;
    const char *only[64];
    size_t nonly = 0;
    bool quiet = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:p:o:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 'p':
            if (nonly < 64)
                only[nonly++] = optarg;
            break;
        case 's': state = optarg; break;
        case 'o': out = optarg; break;
        case 'q': quiet = true; break;
        case 'h': usage_pull(stdout); return 0;
        default: usage_pull(stderr); return 2;
        }
    }
    if (!config || optind != argc) {
        fprintf(stderr, "yagura intel pull: -c CONFIG is required and takes no arguments\n");
        return 2;
    }
    yg__log_setup(YG_LOG_STDERR, quiet ? YG_LOG_ERROR : YG_LOG_INFO, "yagura");
    struct yg_errmsg why = {""};
    struct yg_taxii_cfg *cfg = NULL;
    if (yg__taxii_cfg_load(config, &cfg, &why) != YG_OK) {
        fprintf(stderr, "yagura intel pull: %s\n", why.msg);
        return 2;
    }
    int rc = 2;
    if (!state)
        state = cfg->state;
    if (!out)
        out = cfg->pull_dir;
    if (!state || !out || !cfg->npartners) {
        fprintf(stderr,
                "yagura intel pull: %s: needs state (or --state), taxii.pull_dir (or --out) and "
                "taxii.partners\n",
                config);
        goto done;
    }
    for (size_t k = 0; k < nonly; k++) {
        bool found = false;
        for (size_t i = 0; i < cfg->npartners; i++)
            found |= !strcmp(cfg->partners[i].name, only[k]);
        if (!found) {
            fprintf(stderr, "yagura intel pull: no partner named '%s' in %s\n", only[k], config);
            goto done;
        }
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    rc = 0;
    for (size_t i = 0; i < cfg->npartners; i++) {
        const struct yg_taxii_partner *p = &cfg->partners[i];
        bool want = nonly == 0;
        for (size_t k = 0; k < nonly; k++)
            want |= !strcmp(p->name, only[k]);
        if (!want)
            continue;
        struct yg_taxii_pull_stats st;
        struct yg_errmsg pwhy = {""};
        if (yg__taxii_pull(p, state, out, &st, &pwhy) != YG_OK) {
            fprintf(stderr, "yagura intel pull: %s: %s (%llu objects stored before the failure)\n",
                    p->name, pwhy.msg, (unsigned long long)st.objects);
            rc = 1;
            continue;
        }
        if (!quiet)
            fprintf(stderr,
                    "yagura intel pull: %s: %llu objects in %llu pages (%llu requests, %llu "
                    "retries)\n",
                    p->name, (unsigned long long)st.objects, (unsigned long long)st.pages,
                    (unsigned long long)st.requests, (unsigned long long)st.retries);
    }
    curl_global_cleanup();
done:
    yg__taxii_cfg_free(cfg);
    return rc;
}

/* Write a bundle to output (NULL: standard output) and, with push_url, POST
 * it to that TAXII collection.  0 done, 1 the push failed or objects were
 * refused, 2 the bundle could not be written. */
int yg_cli_bundle_out(const char *cmd, const struct yg_buf *out, const char *output,
                      const char *push_url, const char *push_coll, const char *ca, bool insecure)
{
    FILE *f = output ? fopen(output, "w") : stdout;
    if (!f || fwrite(out->p, 1, out->n, f) != out->n || (output && fclose(f) != 0)) {
        fprintf(stderr, "%s: cannot write %s\n", cmd, output ? output : "output");
        return 2;
    }
    if (!output)
        fflush(stdout);
    if (!push_url)
        return 0;
    int rc = 0;
    struct yg_errmsg why = {""};
    struct yg_taxii_partner to = {.name = (char *)push_url,
                                  .url = (char *)push_url,
                                  .collection = (char *)push_coll,
                                  .user = getenv("YG_TAXII_USER"),
                                  .password = getenv("YG_TAXII_PASSWORD"),
                                  .token = getenv("YG_TAXII_TOKEN"),
                                  .ca = (char *)ca,
                                  .verify = !insecure};
    if (!to.user || !to.password)
        to.user = to.password = NULL;
    char *status = NULL;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (yg__taxii_push(&to, out->p, out->n, &status, &why) != YG_OK) {
        fprintf(stderr, "%s: --push: %s\n", cmd, why.msg);
        rc = 1;
    } else {
        fprintf(stderr, "%s: pushed; status: %s\n", cmd, status ? status : "");
        if (yg__taxii_status_failures(status) != 0)
            rc = 1;
    }
    yg_free(status);
    curl_global_cleanup();
    return rc;
}

int yg_cli_intel_export(int argc, char **argv)
{
    enum { O_TLP = 256, O_IDENT, O_RULES, O_LEVEL, O_PUSH, O_CA, O_INSECURE };
    static const struct option opts[] = {{"config", required_argument, 0, 'c'},
                                         {"output", required_argument, 0, 'o'},
                                         {"tlp", required_argument, 0, O_TLP},
                                         {"identity", required_argument, 0, O_IDENT},
                                         {"rules-base", required_argument, 0, O_RULES},
                                         {"min-level", required_argument, 0, O_LEVEL},
                                         {"push", required_argument, 0, O_PUSH},
                                         {"ca", required_argument, 0, O_CA},
                                         {"insecure", no_argument, 0, O_INSECURE},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    struct yg_stix_export_opts o = {.tlp = YG_TLP_AMBER};
    const char *config = NULL, *output = NULL, *push_url = NULL, *push_coll = NULL, *ca = NULL;
    const char *tlp = NULL, *ident = NULL;
    bool insecure = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 'o': output = optarg; break;
        case O_TLP: tlp = optarg; break;
        case O_IDENT: ident = optarg; break;
        case O_RULES: o.rules_base = optarg; break;
        case O_LEVEL: o.min_level = optarg; break;
        case O_PUSH:
            push_url = optarg;
            if (optind >= argc) {
                fprintf(stderr, "yagura intel export: --push URL COLLECTION\n");
                return 2;
            }
            push_coll = argv[optind++];
            break;
        case O_CA: ca = optarg; break;
        case O_INSECURE: insecure = true; break;
        case 'h': usage_export(stdout); return 0;
        default: usage_export(stderr); return 2;
        }
    }
    if (optind + 1 != argc) {
        fprintf(stderr, "yagura intel export: one ALERTS input is required (see --help)\n");
        return 2;
    }
    struct yg_errmsg why = {""};
    struct yg_taxii_cfg *cfg = NULL;
    if (config) {
        if (yg__taxii_cfg_load(config, &cfg, &why) != YG_OK) {
            fprintf(stderr, "yagura intel export: %s\n", why.msg);
            return 2;
        }
        o.identity_name = cfg->identity_name;
        o.tlp = cfg->export_tlp;
    }
    if (ident)
        o.identity_name = ident;
    if (tlp && !yg__tlp_parse(tlp, &o.tlp)) {
        fprintf(stderr, "yagura intel export: --tlp: expected clear, green, amber, amber+strict "
                        "or red\n");
        yg__taxii_cfg_free(cfg);
        return 2;
    }
    static const char *const lv[] = {"informational", "low", "medium", "high", "critical", NULL};
    if (o.min_level) {
        bool ok = false;
        for (int i = 0; lv[i]; i++)
            ok |= !strcmp(lv[i], o.min_level);
        if (!ok) {
            fprintf(stderr, "yagura intel export: --min-level: expected informational, low, "
                            "medium, high or critical\n");
            yg__taxii_cfg_free(cfg);
            return 2;
        }
    }
    struct yg_buf out;
    yg_buf_init(&out, (size_t)4 << 30);
    struct yg_stix_export_stats st;
    int rc = 2;
    struct yg_errmsg ewhy = {""};
    if (yg__stix_export(&o, argv[optind], &out, &st, &ewhy) != YG_OK) {
        fprintf(stderr, "yagura intel export: %s\n", ewhy.msg);
        goto done;
    }
    fprintf(stderr,
            "yagura intel export: %llu alerts, %llu sightings, %llu indicators derived, %llu "
            "alerts skipped (no time, or below --min-level)\n",
            (unsigned long long)st.alerts, (unsigned long long)st.sightings,
            (unsigned long long)st.indicators, (unsigned long long)st.skipped);
    rc = yg_cli_bundle_out("yagura intel export", &out, output, push_url, push_coll, ca, insecure);
done:
    yg_buf_free(&out);
    yg__taxii_cfg_free(cfg);
    return rc;
}
