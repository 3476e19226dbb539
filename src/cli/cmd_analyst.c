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

static int run(int argc, char **argv, bool logons)
{
    const char *cmd = logons ? "logons" : "metrics";
    static const struct option lopts[] = {{"format", required_argument, 0, 'f'},
                                          {"output", required_argument, 0, 'o'},
                                          {"threads", required_argument, 0, 't'},
                                          {"input-format", required_argument, 0, 'i'},
                                          {"logsource", required_argument, 0, 'L'},
                                          {"timezone", required_argument, 0, 'Z'},
                                          {"geoip-city", required_argument, 0, 'G'},
                                          {"help", no_argument, 0, 'h'},
                                          {0, 0, 0, 0}};
    struct yg_hunt_opts o;
    memset(&o, 0, sizeof o);
    o.err = stderr;
    o.include_event = true;
    enum yg_an_format fmt = YG_AN_TABLE;
    const char *outpath = NULL;
    const char *geo_city[YG_GEO_MAX_DBS];
    size_t ngeo = 0;
    struct yg_tz tz;
    char *ls = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "f:o:t:i:h", lopts, NULL)) != -1) {
        switch (c) {
        case 'f':
            if (!strcmp(optarg, "table"))
                fmt = YG_AN_TABLE;
            else if (!strcmp(optarg, "csv"))
                fmt = YG_AN_CSV;
            else if (!strcmp(optarg, "json"))
                fmt = YG_AN_JSON;
            else {
                fprintf(stderr, "yagura %s: --format: expected table, csv or json, not '%s'\n", cmd,
                        optarg);
                free(ls);
                return 2;
            }
            break;
        case 'o': outpath = optarg; break;
        case 't': {
            char *end;
            long n = strtol(optarg, &end, 10);
            if (*end || n < 1 || n > 1024) {
                fprintf(stderr, "yagura %s: --threads: expected 1 to 1024, not '%s'\n", cmd,
                        optarg);
                free(ls);
                return 2;
            }
            o.threads = (unsigned)n;
            break;
        }
        case 'i': o.input_format = optarg; break;
        case 'L':
            free(ls);
            ls = strdup(optarg);
            if (!ls || !parse_logsource(ls, &o)) {
                fprintf(stderr,
                        "yagura %s: --logsource: expected product=P,service=S,category=C, not "
                        "'%s'\n",
                        cmd, optarg);
                free(ls);
                return 2;
            }
            break;
        case 'Z': {
            char why[300];
            if (!yg__tz_parse(optarg, &tz, why, sizeof why)) {
                fprintf(stderr, "yagura %s: --timezone: %s\n", cmd, why);
                free(ls);
                return 2;
            }
            o.tz = &tz;
            break;
        }
        case 'G':
            if (!logons || ngeo == YG_GEO_MAX_DBS) {
                fprintf(stderr, "yagura %s: %s\n", cmd,
                        logons ? "too many --geoip-city options" : "unknown option --geoip-city");
                free(ls);
                return 2;
            }
            geo_city[ngeo++] = optarg;
            break;
        case 'h':
            logons ? usage_logons(stdout) : usage_metrics(stdout);
            free(ls);
            return 0;
        default:
            logons ? usage_logons(stderr) : usage_metrics(stderr);
            free(ls);
            return 2;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "yagura %s: no input (give files, folders or -)\n", cmd);
        logons ? usage_logons(stderr) : usage_metrics(stderr);
        free(ls);
        return 2;
    }
    if (!o.threads) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        o.threads = n > 0 ? (unsigned)n : 1;
    }
    yg_compiler *comp;
    yg_rules *rules = NULL;
    if (yg_compiler_create(&comp, yg_cli_data_dir())) {
        fprintf(stderr, "yagura %s: out of memory\n", cmd);
        free(ls);
        return 2;
    }
    const char *text = logons ? yg__logons_rules : yg__evmetrics_rule;
    yg_err e = yg_compiler_add_string(comp, cmd, text, strlen(text));
    if (!e)
        e = yg_compiler_get_rules(comp, &rules);
    yg_compiler_destroy(comp);
    if (e) {
        fprintf(stderr, "yagura %s: cannot compile the selection rules: %s\n", cmd, yg_strerror(e));
        free(ls);
        return 2;
    }
    struct yg_geo *geo = NULL;
    if (ngeo) {
        char why[512];
        if (yg__geo_open(geo_city, ngeo, NULL, 0, &geo, why, sizeof why)) {
            fprintf(stderr, "yagura %s: geolocation database: %s\n", cmd, why);
            yg_rules_release(rules);
            free(ls);
            return 2;
        }
    }
    struct yg_evmetrics m;
    struct yg_logons l;
    if (logons) {
        yg__logons_init(&l, geo);
        o.alert_hook = yg__logons_hook;
        o.hook_ud = &l;
    } else {
        yg__evmetrics_init(&m);
        o.alert_hook = yg__evmetrics_hook;
        o.hook_ud = &m;
    }
    o.hook_only = true;
    o.out = stdout;
    /* Opened before the run: an output that cannot be written fails at once. */
    FILE *out = stdout;
    if (outpath && !(out = fopen(outpath, "w"))) {
        perror(outpath);
        if (logons)
            yg__logons_free(&l);
        else
            yg__evmetrics_free(&m);
        yg_rules_release(rules);
        yg__geo_free(geo);
        free(ls);
        return 2;
    }
    o.paths = (const char **)(argv + optind);
    o.npaths = (size_t)(argc - optind);
    struct yg_hunt_result res;
    e = yg_hunt_run(rules, &o, &res);
    yg_rules_release(rules);
    int rc = 0;
    if (e) {
        fprintf(stderr, "yagura %s: %s\n", cmd, yg_strerror(e));
        rc = 2;
    } else if (res.errors && res.events == 0) {
        fprintf(stderr, "yagura %s: nothing could be read\n", cmd);
        rc = 2;
    } else {
        e = logons ? yg__logons_print(&l, fmt, out)
                   : yg__evmetrics_print(&m, fmt, res.unrouted_events, out);
        if (e) {
            fprintf(stderr, "yagura %s: %s\n", cmd, yg_strerror(e));
            rc = 2;
        }
    }
    if (out != stdout && fclose(out) != 0) {
        perror(outpath);
        rc = 2;
    }
    if (logons)
        yg__logons_free(&l);
    else
        yg__evmetrics_free(&m);
    yg__geo_free(geo);
    free(ls);
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
