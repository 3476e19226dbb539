/*
 * cmd_intel.c - `yagura intel load|check PATH...`: load intelligence files
 * and folders and report what loaded (per type, per source), what did not
 * and why (file:line:col), what is expired.  `load` also reports the time
 * and memory it took.  Exit status: 0 everything loaded, 1 some indicators
 * were rejected (malformed or unsupported), 2 a path could not be read or
 * the options are wrong.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "cli/cmd_intel.h"
#include "core/core.h"

enum { EXIT_OK = 0, EXIT_REJECTED = 1, EXIT_ERROR = 2 };

struct diag_out {
    FILE *f;
    bool quiet;
    struct yg_buf *json; /* problems as JSON (--json), or NULL */
    size_t njson;
};

#define MAX_JSON_PROBLEMS 10000u

static void on_diag(void *ud, const yg_intel_diag *d)
{
    struct diag_out *o = ud;
    const char *kind = d->err == YG_EUNSUPPORTED ? "unsupported" : "error";
    if (o->json) {
        if (o->njson++ >= MAX_JSON_PROBLEMS)
            return;
        struct yg_buf *b = o->json;
        bool ok =
            !yg_buf_addf(b, "%s{\"file\":", o->njson > 1 ? "," : "") &&
            !yg_buf_add_json_str(b, d->file, strlen(d->file)) &&
            !yg_buf_addf(b, ",\"line\":%u,\"column\":%u,\"kind\":\"%s\",\"object_id\":", d->line,
                         d->col, kind);
        if (ok && d->object_id)
            ok = !yg_buf_add_json_str(b, d->object_id, strlen(d->object_id));
        else if (ok)
            ok = !yg_buf_add(b, "null", 4);
        ok = ok && !yg_buf_add(b, ",\"message\":", 11) &&
             !yg_buf_add_json_str(b, d->message, strlen(d->message)) &&
             !yg_buf_add(b, ",\"pattern\":", 11);
        if (ok && d->pattern)
            ok = !yg_buf_add_json_str(b, d->pattern, strlen(d->pattern));
        else if (ok)
            ok = !yg_buf_add(b, "null", 4);
        (void)(ok && !yg_buf_addc(b, '}'));
        return;
    }
    if (o->quiet)
        return;
    fprintf(o->f, "%s:%u:%u: %s: ", d->file, d->line, d->col, kind);
    if (d->object_id)
        fprintf(o->f, "%s: ", d->object_id);
    fputs(d->message, o->f);
    if (d->pattern)
        fprintf(o->f, " (pattern: %s)", d->pattern);
    fputc('\n', o->f);
}

static int load_all(const char *const *paths, size_t n, const yg_intel_load_opts *lo,
                    const char *tlp_default, const char *level_map, struct diag_out *dout,
                    FILE *err, yg_intel **out)
{
    yg_intel *in;
    if (yg_intel_create(&in)) {
        fprintf(err, "yagura: out of memory\n");
        return EXIT_ERROR;
    }
    if (tlp_default && yg_intel_set_default_tlp(in, tlp_default)) {
        fprintf(err,
                "yagura: --intel-tlp-default: '%s' is not a TLP (clear, green, amber, "
                "amber+strict, red)\n",
                tlp_default);
        yg_intel_release(in);
        return EXIT_ERROR;
    }
    if (level_map && yg_intel_set_level_map(in, level_map)) {
        fprintf(err,
                "yagura: --intel-levels: '%s' is not CONF:LEVEL,... (e.g. "
                "90:critical,60:high,0:medium)\n",
                level_map);
        yg_intel_release(in);
        return EXIT_ERROR;
    }
    yg_intel_set_diag(in, on_diag, dout);
    int rc = EXIT_OK;
    for (size_t i = 0; i < n; i++) {
        yg_err e = yg_intel_load_path(in, paths[i], lo);
        if (e == YG_EINVAL) {
            fprintf(err, "yagura: %s: invalid options (--type or --tlp)\n", paths[i]);
            rc = EXIT_ERROR;
        } else if (e == YG_ENOMEM) {
            fprintf(err, "yagura: %s: out of memory\n", paths[i]);
            rc = EXIT_ERROR;
        } else if (e) {
            rc = EXIT_ERROR; /* reported through the callback */
        }
    }
    if (yg_intel_freeze(in)) {
        fprintf(err, "yagura: out of memory building the indicator tables\n");
        rc = EXIT_ERROR;
    }
    *out = in;
    return rc;
}

int yg_cli_intel_open(const char *const *paths, size_t n, const char *tlp_default,
                      const char *level_map, FILE *err, bool quiet, yg_intel **out)
{
    static struct diag_out dout;
    dout.f = err;
    dout.quiet = quiet;
    dout.json = NULL;
    int rc = load_all(paths, n, NULL, tlp_default, level_map, &dout, err, out);
    if (rc == EXIT_ERROR) {
        yg_intel_release(*out);
        *out = NULL;
        return rc;
    }
    if (!quiet) {
        yg_intel_stats st;
        yg_intel_get_stats(*out, &st);
        fprintf(err,
                "yagura: %zu indicator(s) loaded from %zu file(s); %zu rejected, %zu "
                "unsupported, %zu not for detection (to_ids false)\n",
                st.indicators, st.files, st.errors, st.unsupported, st.skipped_not_ids);
    }
    return 0;
}

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void usage(FILE *f, const char *sub)
{
    fprintf(f,
            "Usage: yagura intel %s [options] PATH...\n"
            "\n"
            "Load threat-intelligence files and folders (STIX 2.1 bundles, MISP events and\n"
            "feeds, CSV with a header, plain lists) and report what loaded and what did not.\n"
            "\n"
            "Options:\n"
            "      --json             the report as one JSON object on standard output\n"
            "      --type TYPE        plain lists hold this type (ip, domain, url, md5, sha1,\n"
            "                         sha256, hash, email, user_agent)\n"
            "      --source NAME      source of indicators whose file names none\n"
            "      --tlp TLP          TLP of indicators whose file gives none\n"
            "      --tlp-default TLP  the store's default TLP (amber unless given)\n"
            "      --confidence N     confidence (1-100) of indicators that have none\n"
            "      --format FMT       stix, misp, csv or plain instead of detecting it\n"
            "  -q, --quiet            no per-indicator problems, only the summary\n"
            "\n"
            "Exit status: 0 all loaded, 1 some indicators rejected, 2 a path could not be\n"
            "read or an option is wrong.  See docs/intel.md.\n",
            sub);
}

static int cmd(int argc, char **argv, bool timing)
{
    enum { O_JSON = 256, O_TYPE, O_SOURCE, O_TLP, O_TLPDEF, O_CONF, O_FORMAT };
    static const struct option opts[] = {{"json", no_argument, 0, O_JSON},
                                         {"type", required_argument, 0, O_TYPE},
                                         {"source", required_argument, 0, O_SOURCE},
                                         {"tlp", required_argument, 0, O_TLP},
                                         {"tlp-default", required_argument, 0, O_TLPDEF},
                                         {"confidence", required_argument, 0, O_CONF},
                                         {"format", required_argument, 0, O_FORMAT},
                                         {"quiet", no_argument, 0, 'q'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *sub = argv[0];
    yg_intel_load_opts lo;
    memset(&lo, 0, sizeof lo);
    bool json = false, quiet = false;
    const char *tlpdef = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
        switch (c) {
        case O_JSON: json = true; break;
        case O_TYPE: lo.plain_type = optarg; break;
        case O_SOURCE: lo.source = optarg; break;
        case O_TLP: lo.tlp = optarg; break;
        case O_TLPDEF: tlpdef = optarg; break;
        case O_CONF: {
            char *e;
            long v = strtol(optarg, &e, 10);
            if (*e || v < 1 || v > 100) {
                fprintf(stderr, "yagura intel %s: --confidence: '%s' is not 1..100\n", sub, optarg);
                return EXIT_ERROR;
            }
            lo.confidence = (int)v;
            break;
        }
        case O_FORMAT:
            if (strcmp(optarg, "stix") && strcmp(optarg, "misp") && strcmp(optarg, "csv") &&
                strcmp(optarg, "plain")) {
                fprintf(stderr, "yagura intel %s: --format: '%s' is not stix, misp, csv or plain\n",
                        sub, optarg);
                return EXIT_ERROR;
            }
            lo.format = optarg;
            break;
        case 'q': quiet = true; break;
        case 'h': usage(stdout, sub); return EXIT_OK;
        default: usage(stderr, sub); return EXIT_ERROR;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "yagura intel %s: no file or folder given\n", sub);
        usage(stderr, sub);
        return EXIT_ERROR;
    }
    struct yg_buf pj;
    yg_buf_init(&pj, 256u << 20);
    struct diag_out dout = {stderr, quiet, json ? &pj : NULL, 0};
    yg_intel *in = NULL;
    double t0 = mono();
    int rc = load_all((const char *const *)(argv + optind), (size_t)(argc - optind), &lo, tlpdef,
                      NULL, &dout, stderr, &in);
    double secs = mono() - t0;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    if (!in) {
        yg_buf_free(&pj);
        return rc;
    }
    yg_intel_stats st;
    yg_intel_get_stats(in, &st);
    if (rc == EXIT_OK && (st.errors || st.unsupported))
        rc = EXIT_REJECTED;
    if (json) {
        printf("{\"files\":%zu,\"indicators\":%zu,\"by_type\":{", st.files, st.indicators);
        for (int t = 0; t < YG_IOC_NTYPES; t++)
            printf("%s\"%s\":%zu", t ? "," : "", yg_ioc_type_name((yg_ioc_type)t), st.by_type[t]);
        printf("},\"cidr\":%zu,\"by_source\":{", st.cidr);
        for (size_t i = 0; i < yg_intel_source_count(in); i++) {
            size_t cnt;
            const char *name = yg_intel_source_name(in, i, &cnt);
            struct yg_buf nb;
            yg_buf_init(&nb, 1u << 16);
            if (!yg_buf_add_json_str(&nb, name, strlen(name)))
                printf("%s%s:%zu", i ? "," : "", nb.p, cnt);
            yg_buf_free(&nb);
        }
        printf("},\"errors\":%zu,\"unsupported\":%zu,\"skipped_not_ids\":%zu,"
               "\"skipped_other\":%zu,\"expired\":%zu,\"duplicates\":%zu,\"bytes\":%zu,"
               "\"seconds\":%.3f,\"max_rss_kb\":%ld,\"problems\":[%s]}\n",
               st.errors, st.unsupported, st.skipped_not_ids, st.skipped_other, st.expired,
               st.duplicates, st.bytes, secs, ru.ru_maxrss, pj.p ? pj.p : "");
    } else {
        FILE *f = stdout;
        fprintf(f, "%zu indicator(s) from %zu file(s):", st.indicators, st.files);
        for (int t = 0; t < YG_IOC_NTYPES; t++)
            fprintf(f, " %s %zu%s", yg_ioc_type_name((yg_ioc_type)t), st.by_type[t],
                    t + 1 < YG_IOC_NTYPES ? "," : "");
        fprintf(f, " (%zu CIDR ranges)\n", st.cidr);
        for (size_t i = 0; i < yg_intel_source_count(in); i++) {
            size_t cnt;
            const char *name = yg_intel_source_name(in, i, &cnt);
            fprintf(f, "  source %-40s %zu\n", *name ? name : "(none)", cnt);
        }
        fprintf(f,
                "rejected: %zu malformed, %zu unsupported; skipped: %zu not for detection "
                "(MISP to_ids false), %zu not indicators (MISP text, link, ...); %zu expired, "
                "%zu duplicate(s)\n",
                st.errors, st.unsupported, st.skipped_not_ids, st.skipped_other, st.expired,
                st.duplicates);
        if (timing)
            fprintf(f, "loaded in %.3f s, store %.1f MB, peak RSS %.1f MB\n", secs,
                    (double)st.bytes / 1048576.0, (double)ru.ru_maxrss / 1024.0);
    }
    yg_buf_free(&pj);
    yg_intel_release(in);
    return rc;
}

int yg_cli_intel_load(int argc, char **argv)
{
    return cmd(argc, argv, true);
}

int yg_cli_intel_check(int argc, char **argv)
{
    return cmd(argc, argv, false);
}
