/*
 * cmd_analyst.c - `yagura metrics` and `yagura logons`: argument parsing
 * and printing; the tables are src/engine/metrics.c and logons.c.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cmd_analyst.h"
#include "cli/rulesets.h"
#include "core/timeparse.h"
#include "detector/detector.h"
#include "engine/analyst.h"
#include "geo/geo.h"

static void usage_metrics(FILE *f)
{
    fprintf(f,
            "Usage: yagura metrics [options] PATH...\n"
            "\n"
            "What the logs hold, before any rule runs: events per log source, per channel\n"
            "and event id (with the event's name for common Windows and Sysmon ids), per\n"
            "computer, and per input file (first and last event time, size, events). PATH\n"
            "is a file, a folder (searched recursively) or -; every format `yagura hunt`\n"
            "reads is read the same way.\n"
            "\n"
            "Options:\n"
            "  -f, --format FORMAT    table (default), csv or json\n"
            "  -o, --output FILE      write the tables to FILE instead of standard output\n"
            "  -t, --threads N        worker threads (default: all cores)\n"
            "  -i, --input-format F   read every input as F (yagura decode --list)\n"
            "      --logsource SPEC   log source of events that carry none\n"
            "                         (product=P,service=S,category=C)\n"
            "      --timezone TZ      zone of event times without one (UTC, +09:00, Asia/Tokyo)\n"
            "  -h, --help             this text\n"
            "\n"
            "Exit status: 0 tables written; 2 error (bad arguments, unreadable inputs and\n"
            "nothing read). Records that could not be decoded are reported on standard error.\n"
            "docs/yagura-metrics.md.\n");
}

static void usage_logons(FILE *f)
{
    fprintf(f,
            "Usage: yagura logons [options] PATH...\n"
            "\n"
            "Successful and failed logons per account, source address, computer, logon type\n"
            "and protocol, with the first and last time, from Windows Security events 4624,\n"
            "4625, 4648, 4768, 4771 and 4776, the VPN appliances Yagura decodes (Ivanti\n"
            "Connect Secure, Cisco ASA, NetScaler, GlobalProtect, FortiGate), Entra ID\n"
            "sign-ins and Microsoft 365 UserLoggedIn/UserLoginFailed, in one table.\n"
            "\n"
            "Options:\n"
            "  -f, --format FORMAT    table (default), csv or json\n"
            "  -o, --output FILE      write the table to FILE instead of standard output\n"
            "      --geoip-city FILE  MaxMind DB city or country database: adds the source\n"
            "                         address's country (repeatable, tried in order)\n"
            "  -t, --threads N        worker threads (default: all cores)\n"
            "  -i, --input-format F   read every input as F (yagura decode --list)\n"
            "      --logsource SPEC   log source of events that carry none\n"
            "      --timezone TZ      zone of event times without one (UTC, +09:00, Asia/Tokyo)\n"
            "  -h, --help             this text\n"
            "\n"
            "Exit status: 0 table written; 2 error. docs/yagura-logons.md.\n");
}

/* product=P,service=S,category=C into the options' three strings (kept in buf). */
static bool parse_logsource(char *spec, struct yg_hunt_opts *o)
{
    for (char *tok = strtok(spec, ","); tok; tok = strtok(NULL, ",")) {
        char *eq = strchr(tok, '=');
        if (!eq)
            return false;
        *eq = 0;
        if (!strcmp(tok, "product"))
            o->product = eq + 1;
        else if (!strcmp(tok, "service"))
            o->service = eq + 1;
        else if (!strcmp(tok, "category"))
            o->category = eq + 1;
        else
            return false;
    }
    return true;
}

/* What `metrics` or `logons` was asked for. */
struct an_args {
    const char *cmd;
    bool logons;
    struct yg_hunt_opts o;
    enum yg_an_format fmt;
    const char *outpath;
    const char *geo_city[YG_GEO_MAX_DBS];
    size_t ngeo;
    struct yg_tz tz;
    char *ls;
};

enum { AN_GO_ON = -1 };

static void an_usage(const struct an_args *a, FILE *f)
{
    a->logons ? usage_logons(f) : usage_metrics(f);
}

static int an_option(struct an_args *a, int c, const char *arg)
{
    char *end;
    struct yg_errmsg why;
    long n;
    switch (c) {
    case 'f':
        if (!strcmp(arg, "table"))
            a->fmt = YG_AN_TABLE;
        else if (!strcmp(arg, "csv"))
            a->fmt = YG_AN_CSV;
        else if (!strcmp(arg, "json"))
            a->fmt = YG_AN_JSON;
        else {
            fprintf(stderr, "yagura %s: --format: expected table, csv or json, not '%s'\n", a->cmd,
                    arg);
            return 2;
        }
        return AN_GO_ON;
    case 'o': a->outpath = arg; return AN_GO_ON;
    case 't':
        n = strtol(arg, &end, 10);
        if (*end || n < 1 || n > 1024) {
            fprintf(stderr, "yagura %s: --threads: expected 1 to 1024, not '%s'\n", a->cmd, arg);
            return 2;
        }
        a->o.threads = (unsigned)n;
        return AN_GO_ON;
    case 'i': a->o.input_format = arg; return AN_GO_ON;
    case 'L':
        free(a->ls);
        a->ls = strdup(arg);
        if (!a->ls || !parse_logsource(a->ls, &a->o)) {
            fprintf(stderr,
                    "yagura %s: --logsource: expected product=P,service=S,category=C, not '%s'\n",
                    a->cmd, arg);
            return 2;
        }
        return AN_GO_ON;
    case 'Z':
        /* %.299s: as long as the message was in its former 300 bytes. */
        if (!yg__tz_parse(arg, &a->tz, &why)) {
            fprintf(stderr, "yagura %s: --timezone: %.299s\n", a->cmd, why.msg);
            return 2;
        }
        a->o.tz = &a->tz;
        return AN_GO_ON;
    case 'G':
        if (!a->logons || a->ngeo == YG_GEO_MAX_DBS) {
            fprintf(stderr, "yagura %s: %s\n", a->cmd,
                    a->logons ? "too many --geoip-city options" : "unknown option --geoip-city");
            return 2;
        }
        a->geo_city[a->ngeo++] = arg;
        return AN_GO_ON;
    case 'h': an_usage(a, stdout); return 0;
    }
    an_usage(a, stderr);
    return 2;
}

static int an_parse(struct an_args *a, int argc, char **argv)
{
    static const struct option lopts[] = {{"format", required_argument, 0, 'f'},
                                          {"output", required_argument, 0, 'o'},
                                          {"threads", required_argument, 0, 't'},
                                          {"input-format", required_argument, 0, 'i'},
                                          {"logsource", required_argument, 0, 'L'},
                                          {"timezone", required_argument, 0, 'Z'},
                                          {"geoip-city", required_argument, 0, 'G'},
                                          {"help", no_argument, 0, 'h'},
                                          {0, 0, 0, 0}};
    int c, rc;
    optind = 1;
    while ((c = getopt_long(argc, argv, "f:o:t:i:h", lopts, NULL)) != -1)
        if ((rc = an_option(a, c, optarg)) != AN_GO_ON)
            return rc;
    if (optind >= argc) {
        fprintf(stderr, "yagura %s: no input (give files, folders or -)\n", a->cmd);
        an_usage(a, stderr);
        return 2;
    }
    if (!a->o.threads) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        a->o.threads = n > 0 ? (unsigned)n : 1;
    }
    return AN_GO_ON;
}

/* The selection rules (generated) and the city database, in a detector. */
static int an_detector(struct an_args *a, struct yg_detector **det)
{
    struct yg_detector_conf conf;
    memset(&conf, 0, sizeof conf);
    conf.data_dir = yg_cli_data_dir();
    conf.extra_name = a->cmd;
    conf.extra_yaml = a->logons ? yg__logons_rules : yg__evmetrics_rule;
    struct yg_detector_rules dr;
    yg_err e = yg__detector_compile(&conf, &dr);
    if (!e && dr.extra_err)
        e = dr.extra_err;
    if (e) {
        fprintf(stderr, "yagura %s: cannot compile the selection rules: %s\n", a->cmd,
                yg_strerror(e));
        yg_rules_release(dr.rules);
        return 2;
    }
    if (yg__detector_new(dr.rules, det)) {
        yg_rules_release(dr.rules);
        fprintf(stderr, "yagura %s: out of memory\n", a->cmd);
        return 2;
    }
    if (yg__detector_open_geo(*det, a->geo_city, a->ngeo, NULL, 0)) {
        fprintf(stderr, "yagura %s: geolocation database: %s\n", a->cmd, (*det)->why);
        return 2;
    }
    return AN_GO_ON;
}

/* Run the selection over the inputs and print the table. */
static int an_run(struct an_args *a, struct yg_detector *det, int argc, char **argv)
{
    struct yg_evmetrics m;
    struct yg_logons l;
    if (a->logons) {
        yg__logons_init(&l, det->geo);
        a->o.alert_hook = yg__logons_hook;
        a->o.hook_ud = &l;
    } else {
        yg__evmetrics_init(&m);
        a->o.alert_hook = yg__evmetrics_hook;
        a->o.hook_ud = &m;
    }
    a->o.hook_only = true;
    a->o.out = stdout;
    int rc = 0;
    /* Opened before the run: an output that cannot be written fails at once. */
    FILE *out = stdout;
    if (a->outpath && !(out = fopen(a->outpath, "w"))) {
        perror(a->outpath);
        rc = 2;
        goto done;
    }
    a->o.paths = (const char **)(argv + optind);
    a->o.npaths = (size_t)(argc - optind);
    struct yg_hunt_result res;
    yg_err e = yg_hunt_run(det, &a->o, &res);
    if (e) {
        fprintf(stderr, "yagura %s: %s\n", a->cmd, yg_strerror(e));
        rc = 2;
    } else if (res.errors && res.events == 0) {
        fprintf(stderr, "yagura %s: nothing could be read\n", a->cmd);
        rc = 2;
    } else if ((e = a->logons ? yg__logons_print(&l, a->fmt, out)
                              : yg__evmetrics_print(&m, a->fmt, res.unrouted_events, out))) {
        fprintf(stderr, "yagura %s: %s\n", a->cmd, yg_strerror(e));
        rc = 2;
    }
    if (out != stdout && fclose(out) != 0) {
        perror(a->outpath);
        rc = 2;
    }
done:
    if (a->logons)
        yg__logons_free(&l);
    else
        yg__evmetrics_free(&m);
    return rc;
}

static int run(int argc, char **argv, bool logons)
{
    struct an_args a;
    memset(&a, 0, sizeof a);
    a.cmd = logons ? "logons" : "metrics";
    a.logons = logons;
    a.o.err = stderr;
    a.o.include_event = true;
    a.fmt = YG_AN_TABLE;
    struct yg_detector *det = NULL;
    int rc = an_parse(&a, argc, argv);
    if (rc == AN_GO_ON)
        rc = an_detector(&a, &det);
    if (rc == AN_GO_ON)
        rc = an_run(&a, det, argc, argv);
    yg__detector_free(det);
    free(a.ls);
    return rc;
}

int yg_cli_metrics(int argc, char **argv)
{
    return run(argc, argv, false);
}

int yg_cli_logons(int argc, char **argv)
{
    return run(argc, argv, true);
}
