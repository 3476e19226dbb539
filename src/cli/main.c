/*
 * main.c - the `yagura` command: argument parsing and dispatch only.
 * Everything it runs lives in the library (src/engine, src/match, ...).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "cli/cmd_share.h"
#include "cli/cmd_incidents.h"
#include "cli/rulesets.h"
#include "cli/cmd_intel.h"
#include "decode/format.h"
#include "engine/hunt.h"
#include "geo/geo.h"
#include "watch/watch.h"
#include "yagura/yagura.h"

/* EXIT_GAPS: no alert, but some events could not be checked (no loaded
 * rule covers their log source, they route to none, or input errors
 * skipped records): "nothing found" would be a claim the run cannot make. */
enum { EXIT_NOALERT = 0, EXIT_ALERTS = 1, EXIT_ERROR = 2, EXIT_GAPS = 3 };

static const char *prog = "yagura";

static void usage_main(FILE *f)
{
    fprintf(f,
            "Usage: yagura <command> [options]\n"
            "\n"
            "Yagura runs Sigma rules over security logs.\n"
            "\n"
            "Commands:\n"
            "  hunt          run rules over log files, folders or standard input\n"
            "  decode        print events as the rules see them (log source and fields)\n"
            "  watch         run as a detection service (files, syslog, stdin; see -c)\n"
            "  rules check   validate rule files and report every unsupported or invalid rule\n"
            "  incidents     list, show, close and export incidents (alerts grouped per entity)\n"
            "  serve         run the TAXII 2.1 server of the configuration (see -c)\n"
            "  intel check   load threat-intelligence files and report what loaded\n"
            "  intel load    the same, with load time and memory\n"
            "  intel pull    fetch STIX objects from partners' TAXII collections\n"
            "  intel export  write alerts as a STIX 2.1 bundle (sightings, indicators)\n"
            "  version       print the version\n"
            "  help          this text; `yagura <command> --help` for a command\n"
            "\n"
            "Documentation: docs/ (yagura-hunt.md, yagura-watch.md, incidents.md, intel.md, "
            "taxii.md, ...).\n");
}

static void usage_hunt(FILE *f)
{
    fprintf(f, "Usage: yagura hunt [options] PATH...\n"
               "\n"
               "Run Sigma rules over logs. PATH is a file, a folder (searched recursively) or -\n"
               "for standard input. JSON lines, JSON arrays, concatenated or pretty-printed JSON\n"
               "documents and EVTX are recognised per file, and every record is routed to its\n"
               "log source on its own (files may mix sources); gzip and zstd are decompressed.\n"
               "\n"
               "Options:\n"
               "  -r, --rules PATH...    rule file, folder or .zip archive (SigmaHQ releases);\n"
               "                         repeatable, and rule folders right after one -r are\n"
               "                         rules too (-r sigma/rules*). Default: the installed\n"
               "                         rule sets (DATA/rules and DATA/rulesets/*), named on\n"
               "                         standard error. A path that loads no rule is an error.\n"
               "  -l, --min-level LEVEL  show only alerts at or above LEVEL (informational, low,\n"
               "                         medium, high, critical); correlations still count all\n"
               "      --exclude-rules FILE  leave out the rules whose ids FILE lists\n"
               "      --level-tuning FILE   new levels per rule id (id,level or id: level lines)\n"
               "  -f, --format FORMAT    jsonl (default), csv or table\n"
               "  -o, --output FILE      write alerts to FILE instead of standard output\n"
               "  -t, --threads N        worker threads (default: all cores)\n"
               "  -i, --input-format F   read every input as F instead of detecting it per file\n"
               "                         and line: json, or a line format (yagura decode --list)\n"
               "      --logsource SPEC   log source of events that carry none, as\n"
               "                         product=P,service=S,category=C (any subset)\n"
               "      --no-event         leave the matched event out of JSON alerts\n"
               "      --strict           stop at the first invalid input or rule (exit 2)\n"
               "      --stats-json FILE  write totals (events, bytes, seconds, ...) as JSON\n"
               "      --geoip-city FILE  MaxMind DB city (or country) database for the analytics\n"
               "                         (-r analytics/); repeatable, tried in order\n"
               "      --geoip-asn FILE   MaxMind DB ASN database for the analytics; repeatable\n"
               "      --incidents FILE   group the alerts into incidents in this SQLite file\n"
               "                         (yagura incidents list --db FILE)\n"
               "      --intel PATH       threat-intelligence file or folder (STIX, MISP, CSV,\n"
               "                         lists; repeatable): indicator hits are alerts too\n"
               "      --intel-tlp-default TLP  TLP of indicators whose source gives none (amber)\n"
               "      --intel-levels MAP alert level by confidence, e.g. 90:critical,60:high,\n"
               "                         0:medium (default: every indicator hit is high)\n"
               "  -q, --quiet            no summary and no progress on standard error\n"
               "  -h, --help             this text\n"
               "\n"
               "Exit status: 0 no alert and every event checked; 1 at least one alert; 2 error\n"
               "(bad arguments, no rules, a rule path that loads nothing, a rule folder given as\n"
               "input, unreadable inputs, or any input error under --strict); 3 no alert, but\n"
               "some events could not be checked (no loaded rule covers their log source, they\n"
               "route to none, or input errors skipped records): see the warnings.\n");
}

static void usage_decode(FILE *f)
{
    fprintf(f,
            "Usage: yagura decode [options] PATH...\n"
            "\n"
            "Print every event as Yagura sees it, one JSON object per line:\n"
            "  {\"logsource\": {...}, \"fields\": {...}, \"source\": \"file:line\"}\n"
            "The log source and field names are what rules match against. Inputs are read as\n"
            "by yagura hunt (files, folders, -, gzip, zstd, EVTX, JSON, the line formats).\n"
            "\n"
            "Options:\n"
            "  -f, --format F         read every input as F (json or a line format)\n"
            "      --list             list the line formats and exit\n"
            "      --logsource SPEC   log source of JSON events that carry none\n"
            "  -o, --output FILE      write to FILE instead of standard output\n"
            "  -t, --threads N        worker threads (default: all cores)\n"
            "      --strict           stop at the first undecodable input (exit 2)\n"
            "  -q, --quiet            no progress on standard error\n"
            "  -h, --help             this text\n"
            "\n"
            "Exit status: 0 every input decoded, 1 some records could not be decoded (reported on\n"
            "standard error with file:line:column), 2 error.\n");
}

static void usage_watch(FILE *f)
{
    fprintf(f,
            "Usage: yagura watch -c CONFIG [options]\n"
            "\n"
            "Run as a detection service: tail files, receive syslog over UDP, TCP and TLS, read\n"
            "standard input; match every record against the configured rules and correlations;\n"
            "store alerts in the state database and the configured sinks. See\n"
            "docs/yagura-watch.md and docs/watch-config.md.\n"
            "\n"
            "Options:\n"
            "  -c, --config FILE        the configuration file (required)\n"
            "      --check              validate the configuration and the rules, then exit\n"
            "      --exit-when-idle MS  stop after every input has been idle for MS ms\n"
            "  -h, --help               this text\n"
            "\n"
            "Signals: SIGHUP reloads the rules (a set that does not load is rejected and the\n"
            "running one stays); SIGTERM and SIGINT finish the current batch and stop.\n"
            "Exit status: 0 clean stop, 1 the last batch could not be stored, 2 configuration\n"
            "or start-up error.\n");
}

static int cmd_watch(int argc, char **argv)
{
    enum { O_CHECK = 256, O_IDLE };
    static const struct option opts[] = {{"config", required_argument, 0, 'c'},
                                         {"check", no_argument, 0, O_CHECK},
                                         {"exit-when-idle", required_argument, 0, O_IDLE},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    struct yg_watch_opts o;
    memset(&o, 0, sizeof o);
    bool check = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c': o.config_path = optarg; break;
        case O_CHECK: check = true; break;
        case O_IDLE: {
            char *end;
            long long v = strtoll(optarg, &end, 10);
            if (*end || v < 1) {
                fprintf(stderr,
                        "%s watch: --exit-when-idle: '%s' is not a positive number of "
                        "milliseconds\n",
                        prog, optarg);
                return EXIT_ERROR;
            }
            o.exit_when_idle_ms = (uint64_t)v;
            break;
        }
        case 'h': usage_watch(stdout); return 0;
        default: usage_watch(stderr); return EXIT_ERROR;
        }
    }
    if (!o.config_path) {
        fprintf(stderr, "%s watch: -c CONFIG is required\n", prog);
        usage_watch(stderr);
        return EXIT_ERROR;
    }
    o.check_only = check;
    return yg__watch_run(&o);
}

static void list_formats(void)
{
    printf("json        JSON documents: lines, arrays, concatenated (Windows, Winlogbeat, any)\n");
    printf("evtx        Windows XML event log files (recognised by their signature)\n");
    for (const struct yg_linefmt *const *f = yg__formats_list(); *f; f++)
        printf("%-11s %s\n", (*f)->name, (*f)->desc ? (*f)->desc : "");
}

static void usage_rules(FILE *f)
{
    fprintf(f,
            "Usage: yagura rules check [options] PATH...\n"
            "\n"
            "Load and compile every rule under PATH (files or folders) and print each rule that\n"
            "is invalid or uses a feature Yagura does not support, as\n"
            "  FILE:LINE:COLUMN: RULE-ID: error|unsupported: REASON\n"
            "\n"
            "Options:\n"
            "  -q, --quiet   print only the problems, no summary\n"
            "  -h, --help    this text\n"
            "\n"
            "Exit status: 0 every rule loads, 1 at least one rule failed, 2 usage error.\n");
}

struct diag_state {
    size_t count;
    FILE *f;
    bool quiet_unsupported;
};

static void on_diag(void *ud, const yg_diagnostic *d)
{
    struct diag_state *st = ud;
    st->count++;
    fprintf(st->f, "%s:%u:%u: %s%s%s: %s\n", d->file, d->line, d->col,
            d->rule_id ? d->rule_id : "-", "",
            d->err == YG_EUNSUPPORTED ? ": unsupported" : ": error", d->message);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool parse_level(const char *s, yg_level_t *out)
{
    static const char *const names[] = {"informational", "low", "medium", "high", "critical"};
    for (int i = 0; i < 5; i++)
        if (strcmp(s, names[i]) == 0) {
            *out = (yg_level_t)(i + 1);
            return true;
        }
    return false;
}

static int cmd_rules_check(int argc, char **argv)
{
    static const struct option opts[] = {
        {"quiet", no_argument, 0, 'q'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    bool quiet = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
        switch (c) {
        case 'q': quiet = true; break;
        case 'h': usage_rules(stdout); return 0;
        default: usage_rules(stderr); return EXIT_ERROR;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "%s rules check: no rule path given\n", prog);
        usage_rules(stderr);
        return EXIT_ERROR;
    }
    yg_compiler *comp;
    if (yg_compiler_create(&comp, NULL)) {
        fprintf(stderr, "%s: out of memory\n", prog);
        return EXIT_ERROR;
    }
    struct diag_state st = {0, stdout, false};
    yg_compiler_set_diag(comp, on_diag, &st);
    double t0 = now_s();
    for (int i = optind; i < argc; i++)
        (void)yg_compiler_add_path(comp, argv[i]);
    yg_rules *rules = NULL;
    yg_err e = yg_compiler_get_rules(comp, &rules);
    double t1 = now_s();
    yg_compiler_destroy(comp);
    if (e) {
        fprintf(stderr, "%s: cannot compile rules: %s\n", prog, yg_strerror(e));
        return EXIT_ERROR;
    }
    yg_rules_stats rs;
    yg_rules_get_stats(rules, &rs);
    yg_rules_release(rules);
    if (!quiet)
        fprintf(stderr,
                "%zu document(s): %zu detection rule(s) compiled, %zu correlation rule(s) "
                "validated, %zu filter(s), %zu failed (%.2f s)\n"
                "prefilter: %zu literals; %zu rule(s) have none and run on every event of their "
                "log source\n",
                rs.documents, rs.detection, rs.correlation, rs.filters, rs.failed, t1 - t0,
                rs.prefilter_atoms, rs.prefilter_always);
    return (rs.failed || st.count) ? 1 : 0;
}

static int hunt_main(int argc, char **argv);

static bool has_quiet(int argc, char **argv)
{
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (strcmp(argv[i], "-q") == 0 || strcmp(argv[i], "--quiet") == 0)
            return true;
    return false;
}

/* Inputs that are rule folders (or rule files) are a mistake, not logs:
 * hunting them would find nothing and say nothing. */
static bool refuse_rule_inputs(char **paths, int n)
{
    bool bad = false;
    for (int i = 0; i < n; i++) {
        size_t nr = 0;
        size_t l = strlen(paths[i]);
        bool yml = (l > 4 && strcasecmp(paths[i] + l - 4, ".yml") == 0) ||
                   (l > 5 && strcasecmp(paths[i] + l - 5, ".yaml") == 0);
        if (yml || yg_cli_is_rule_folder(paths[i], &nr)) {
            fprintf(stderr,
                    "%s hunt: %s looks like a rule %s (%zu Sigma rule file(s), no logs): did you "
                    "mean -r %s?\n",
                    prog, paths[i], yml ? "file" : "folder", yml ? (size_t)1 : nr, paths[i]);
            bad = true;
        }
    }
    return bad;
}

/* Compile every rule path; a path that loads no rule is an error (a wrong
 * path or an empty archive would otherwise hunt with fewer rules than the
 * user believes). */
static bool load_rule_paths(yg_compiler *comp, const char **paths, int n)
{
    bool ok = true;
    for (int i = 0; i < n; i++) {
        size_t before = yg_compiler_rule_count(comp);
        yg_err e = yg_compiler_add_path(comp, paths[i]);
        if (e == YG_ENOTFOUND) {
            fprintf(stderr, "%s hunt: %s: no such rule file or folder\n", prog, paths[i]);
            ok = false;
        } else if (yg_compiler_rule_count(comp) == before) {
            fprintf(stderr,
                    "%s hunt: %s: no rule loaded from this path (no .yml/.yaml rule in it, or "
                    "every one failed: see above)\n",
                    prog, paths[i]);
            ok = false;
        }
    }
    return ok;
}

/* What the noise control files did; one that matched no rule is a warning
 * (a list for other rule ids, or a typo). */
static void report_tuning(const yg_compiler *comp, const char *excl, const char *tune, bool quiet)
{
    size_t ne = 0, nt = 0;
    yg_compiler_tuning_applied(comp, &ne, &nt);
    if (excl && (!quiet || !ne))
        fprintf(stderr, "%s hunt: %s%s: %zu rule(s) left out\n", prog, ne ? "" : "warning: ", excl,
                ne);
    if (tune && (!quiet || !nt))
        fprintf(stderr, "%s hunt: %s%s: %zu rule level(s) changed\n", prog,
                nt ? "" : "warning: ", tune, nt);
}

static int cmd_hunt(int argc, char **argv)
{
    if (argc > 0 && strcmp(argv[0], "decode") == 0)
        return hunt_main(argc, argv);
    char **av = yg_cli_regroup_rules(&argc, argv, stderr, has_quiet(argc, argv));
    if (!av) {
        fprintf(stderr, "%s: out of memory\n", prog);
        return EXIT_ERROR;
    }
    int rc = hunt_main(argc, av);
    free(av);
    return rc;
}

static int hunt_main(int argc, char **argv)
{
    enum {
        O_INCIDENTS = 300,
        O_INTEL,
        O_INTEL_TLP,
        O_INTEL_LEVELS,
        O_LOGSOURCE = 256,
        O_NOEVENT,
        O_STRICT,
        O_STATS,
        O_GEOCITY,
        O_GEOASN,
        O_EXCLUDE,
        O_TUNING
    };
    bool decode = argc > 0 && strcmp(argv[0], "decode") == 0;
    static const struct option opts[] = {{"rules", required_argument, 0, 'r'},
                                         {"min-level", required_argument, 0, 'l'},
                                         {"format", required_argument, 0, 'f'},
                                         {"output", required_argument, 0, 'o'},
                                         {"threads", required_argument, 0, 't'},
                                         {"input-format", required_argument, 0, 'i'},
                                         {"list", no_argument, 0, 'L'},
                                         {"logsource", required_argument, 0, O_LOGSOURCE},
                                         {"no-event", no_argument, 0, O_NOEVENT},
                                         {"strict", no_argument, 0, O_STRICT},
                                         {"stats-json", required_argument, 0, O_STATS},
                                         {"geoip-city", required_argument, 0, O_GEOCITY},
                                         {"geoip-asn", required_argument, 0, O_GEOASN},
                                         {"incidents", required_argument, 0, O_INCIDENTS},
                                         {"intel", required_argument, 0, O_INTEL},
                                         {"intel-tlp-default", required_argument, 0, O_INTEL_TLP},
                                         {"intel-levels", required_argument, 0, O_INTEL_LEVELS},
                                         {"exclude-rules", required_argument, 0, O_EXCLUDE},
                                         {"level-tuning", required_argument, 0, O_TUNING},
                                         {"quiet", no_argument, 0, 'q'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *incidents = NULL;
    struct yg_hunt_incidents *hinc = NULL;
    const char *intel_paths[256];
    size_t nintel = 0;
    const char *intel_tlp = NULL, *intel_levels = NULL;
    const char *exclude_file = NULL, *tuning_file = NULL;
    const char *rule_paths[256];
    int nrules = 0;
    const char *geo_city[YG_GEO_MAX_DBS], *geo_asn[YG_GEO_MAX_DBS];
    size_t ngeo_city = 0, ngeo_asn = 0;
    struct yg_geo *geo = NULL;
    struct yg_hunt_opts o;
    memset(&o, 0, sizeof o);
    o.format = YG_OUT_JSONL;
    o.summary = true;
    o.include_event = true;
    o.err = stderr;
    const char *outpath = NULL;
    char *ls = NULL;
    bool quiet = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "r:l:f:o:t:i:qh", opts, NULL)) != -1) {
        if (decode && c == 'f')
            c = 'i'; /* decode: --format names the input format */
        switch (c) {
        case 'i':
            if (strcmp(optarg, "json") != 0 && !yg__format_find(optarg)) {
                fprintf(stderr, "%s: unknown input format '%s' (yagura decode --list)\n", prog,
                        optarg);
                return EXIT_ERROR;
            }
            o.input_format = optarg;
            break;
        case 'L': list_formats(); return 0;
        case 'r':
            if (nrules == 256) {
                fprintf(stderr, "%s hunt: too many -r options (256 at most)\n", prog);
                return EXIT_ERROR;
            }
            rule_paths[nrules++] = optarg;
            break;
        case 'l':
            if (!parse_level(optarg, &o.min_level)) {
                fprintf(stderr,
                        "%s hunt: --min-level: unknown level '%s' (informational, low, medium, "
                        "high, critical)\n",
                        prog, optarg);
                return EXIT_ERROR;
            }
            break;
        case 'f':
            if (!strcmp(optarg, "jsonl") || !strcmp(optarg, "json"))
                o.format = YG_OUT_JSONL;
            else if (!strcmp(optarg, "csv"))
                o.format = YG_OUT_CSV;
            else if (!strcmp(optarg, "table"))
                o.format = YG_OUT_TABLE;
            else {
                fprintf(stderr, "%s hunt: --format: '%s' is not jsonl, csv or table\n", prog,
                        optarg);
                return EXIT_ERROR;
            }
            break;
        case 'o': outpath = optarg; break;
        case 't': {
            char *end;
            long n = strtol(optarg, &end, 10);
            if (*end || n < 1 || n > 1024) {
                fprintf(stderr, "%s hunt: --threads: '%s' is not a number from 1 to 1024\n", prog,
                        optarg);
                return EXIT_ERROR;
            }
            o.threads = (unsigned)n;
            break;
        }
        case O_LOGSOURCE: {
            ls = strdup(optarg);
            for (char *tok = strtok(ls, ","); tok; tok = strtok(NULL, ",")) {
                char *eq = strchr(tok, '=');
                if (!eq) {
                    fprintf(stderr, "%s hunt: --logsource: '%s' is not key=value\n", prog, tok);
                    return EXIT_ERROR;
                }
                *eq = 0;
                if (!strcmp(tok, "product"))
                    o.product = eq + 1;
                else if (!strcmp(tok, "service"))
                    o.service = eq + 1;
                else if (!strcmp(tok, "category"))
                    o.category = eq + 1;
                else {
                    fprintf(stderr,
                            "%s hunt: --logsource: unknown key '%s' (product, service, category)\n",
                            prog, tok);
                    return EXIT_ERROR;
                }
            }
            break;
        }
        case O_NOEVENT: o.include_event = false; break;
        case O_STRICT: o.strict = true; break;
        case O_STATS: o.stats_json = optarg; break;
        case O_GEOCITY:
        case O_GEOASN:
            if ((c == O_GEOCITY ? ngeo_city : ngeo_asn) == YG_GEO_MAX_DBS) {
                fprintf(stderr, "%s hunt: at most %u --geoip-%s options\n", prog, YG_GEO_MAX_DBS,
                        c == O_GEOCITY ? "city" : "asn");
                return EXIT_ERROR;
            }
            if (c == O_GEOCITY)
                geo_city[ngeo_city++] = optarg;
            else
                geo_asn[ngeo_asn++] = optarg;
            break;
        case O_INCIDENTS: incidents = optarg; break;
        case O_INTEL:
            if (nintel == 256) {
                fprintf(stderr, "%s hunt: too many --intel options (256 at most)\n", prog);
                return EXIT_ERROR;
            }
            intel_paths[nintel++] = optarg;
            break;
        case O_INTEL_TLP: intel_tlp = optarg; break;
        case O_EXCLUDE: exclude_file = optarg; break;
        case O_TUNING: tuning_file = optarg; break;
        case O_INTEL_LEVELS: intel_levels = optarg; break;
        case 'q': quiet = true; break;
        case 'h':
            if (decode)
                usage_decode(stdout);
            else
                usage_hunt(stdout);
            return 0;
        default:
            if (decode)
                usage_decode(stderr);
            else
                usage_hunt(stderr);
            return EXIT_ERROR;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "%s %s: no input given (a file, a folder, or - for standard input)\n", prog,
                decode ? "decode" : "hunt");
        if (decode)
            usage_decode(stderr);
        else
            usage_hunt(stderr);
        return EXIT_ERROR;
    }
    if (decode) {
        /* Decoding needs the mappings, not rules: an empty rule set. */
        nrules = 0;
        o.decode_only = true;
    }
    if (!decode && refuse_rule_inputs(argv + optind, argc - optind))
        return EXIT_ERROR;
    if (!nrules && !decode)
        nrules = (int)yg_cli_default_rules(rule_paths, sizeof rule_paths / sizeof *rule_paths,
                                           stderr, quiet);
    if (!o.threads) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        o.threads = n > 0 ? (unsigned)n : 1;
    }

    yg_compiler *comp;
    if (yg_compiler_create(&comp, yg_cli_data_dir())) {
        fprintf(stderr, "%s: out of memory\n", prog);
        return EXIT_ERROR;
    }
    struct diag_state st = {0, stderr, false};
    yg_compiler_set_diag(comp, on_diag, &st);
    if ((exclude_file && !yg_cli_load_exclusions(comp, exclude_file, stderr)) ||
        (tuning_file && !yg_cli_load_level_tuning(comp, tuning_file, stderr))) {
        yg_compiler_destroy(comp);
        return EXIT_ERROR;
    }
    double t0 = now_s();
    bool rules_missing = !load_rule_paths(comp, rule_paths, nrules);
    report_tuning(comp, exclude_file, tuning_file, quiet);
    if (nintel && !decode) {
        yg_intel *intel = NULL;
        if (yg_cli_intel_open(intel_paths, nintel, intel_tlp, intel_levels, stderr, quiet,
                              &intel)) {
            yg_compiler_destroy(comp);
            return EXIT_ERROR;
        }
        yg_err ie = yg_compiler_add_intel(comp, intel);
        yg_intel_release(intel);
        if (ie) {
            fprintf(stderr, "%s hunt: --intel: %s\n", prog, yg_strerror(ie));
            yg_compiler_destroy(comp);
            return EXIT_ERROR;
        }
    }
    yg_rules *rules = NULL;
    yg_err e = yg_compiler_get_rules(comp, &rules);
    yg_compiler_destroy(comp);
    if (e) {
        fprintf(stderr, "%s: cannot compile rules: %s\n", prog, yg_strerror(e));
        return EXIT_ERROR;
    }
    o.compile_seconds = now_s() - t0;
    yg_rules_stats rs;
    yg_rules_get_stats(rules, &rs);
    o.rules_loaded = rs.detection - rs.builtin;
    bool no_rules = !decode && !rules_missing && rs.detection == 0;
    if (rules_missing || no_rules || (o.strict && st.count)) {
        fprintf(stderr, "%s hunt: %s\n", prog,
                rules_missing ? "a rule path loaded nothing (see above); nothing was hunted"
                : no_rules    ? "no rules loaded: nothing to hunt with (-r names rule files, "
                                "folders or .zip archives)"
                              : "rule errors under --strict");
        yg_rules_release(rules);
        return EXIT_ERROR;
    }
    if (st.count && !quiet)
        fprintf(stderr, "%s hunt: %zu rule problem(s) reported above; those rules are skipped\n",
                prog, st.count);

    if ((ngeo_city || ngeo_asn) && !decode) {
        char why[512];
        if (yg__geo_open(geo_city, ngeo_city, geo_asn, ngeo_asn, &geo, why, sizeof why)) {
            fprintf(stderr, "%s hunt: geolocation database: %s\n", prog, why);
            yg_rules_release(rules);
            return EXIT_ERROR;
        }
        o.geo = geo;
    }

    FILE *out = stdout;
    if (outpath && !(out = fopen(outpath, "w"))) {
        yg__geo_free(geo);
        perror(outpath);
        yg_rules_release(rules);
        return EXIT_ERROR;
    }
    o.out = out;
    o.paths = (const char **)(argv + optind);
    o.npaths = (size_t)(argc - optind);
    o.summary = !quiet && !decode;
    o.progress = !quiet && isatty(2);
    struct yg_hunt_result res;
    if (incidents && !decode && yg_cli_hunt_incidents_begin(incidents, &hinc, &o.tap)) {
        yg_rules_release(rules);
        return EXIT_ERROR;
    }
    e = yg_hunt_run(rules, &o, &res);
    if (hinc && yg_cli_hunt_incidents_end(hinc, rules, quiet) && !e)
        e = YG_EIO;
    yg_rules_release(rules);
    yg__geo_free(geo);
    if (out != stdout && fclose(out) != 0) {
        perror(outpath);
        return EXIT_ERROR;
    }
    free(ls);
    if (e) {
        fprintf(stderr, "%s hunt: %s\n", prog, yg_strerror(e));
        return EXIT_ERROR;
    }
    if (res.errors && o.strict)
        return EXIT_ERROR;
    if (res.errors && res.events == 0)
        return EXIT_ERROR;
    if (decode)
        return res.errors ? EXIT_ALERTS : EXIT_NOALERT;
    if (res.alerts)
        return EXIT_ALERTS;
    return res.uncovered_events || res.unrouted_events || res.errors ? EXIT_GAPS : EXIT_NOALERT;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage_main(stderr);
        return EXIT_ERROR;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "hunt") || !strcmp(cmd, "decode"))
        return cmd_hunt(argc - 1, argv + 1);
    if (!strcmp(cmd, "watch"))
        return cmd_watch(argc - 1, argv + 1);
    if (!strcmp(cmd, "incidents"))
        return yg_cli_incidents(argc - 1, argv + 1);
    if (!strcmp(cmd, "serve"))
        return yg_cli_serve(argc - 1, argv + 1);
    if (!strcmp(cmd, "intel")) {
        /* One line per `intel` subcommand. */
        static const struct {
            const char *name, *what;
            int (*fn)(int, char **);
        } intel_cmds[] = {
            {"check", "load intelligence files and report what loaded, per type and source",
             yg_cli_intel_check},
            {"load", "the same, with load time and memory", yg_cli_intel_load},
            {"pull", "fetch new STIX objects from partners' TAXII 2.1 collections",
             yg_cli_intel_pull},
            {"export", "write alerts as a STIX 2.1 bundle (sightings, indicators)",
             yg_cli_intel_export},
        };
        for (size_t i = 0; argc >= 3 && i < sizeof intel_cmds / sizeof *intel_cmds; i++)
            if (!strcmp(argv[2], intel_cmds[i].name))
                return intel_cmds[i].fn(argc - 2, argv + 2);
        bool help = argc >= 3 && (!strcmp(argv[2], "--help") || !strcmp(argv[2], "-h"));
        FILE *f = help ? stdout : stderr;
        if (argc >= 3 && !help)
            fprintf(f, "yagura intel: unknown subcommand '%s'\n", argv[2]);
        fprintf(f, "Usage: yagura intel <subcommand> [options]\n\nSubcommands:\n");
        for (size_t i = 0; i < sizeof intel_cmds / sizeof *intel_cmds; i++)
            fprintf(f, "  %-8s %s\n", intel_cmds[i].name, intel_cmds[i].what);
        fprintf(f, "\n`yagura intel <subcommand> --help` for its options; docs/intel.md and "
                   "docs/yagura-intel.md.\n");
        return help ? 0 : EXIT_ERROR;
    }
    if (!strcmp(cmd, "rules")) {
        if (argc >= 3 && !strcmp(argv[2], "check"))
            return cmd_rules_check(argc - 2, argv + 2);
        if (argc >= 3 && (!strcmp(argv[2], "--help") || !strcmp(argv[2], "-h"))) {
            usage_rules(stdout);
            return 0;
        }
        usage_rules(stderr);
        return EXIT_ERROR;
    }
    if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
        printf("yagura %s\n", yg_version());
        return 0;
    }
    if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
        usage_main(stdout);
        return 0;
    }
    fprintf(stderr, "%s: unknown command '%s'\n\n", prog, cmd);
    usage_main(stderr);
    return EXIT_ERROR;
}
