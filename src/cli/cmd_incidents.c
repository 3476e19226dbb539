/*
 * cmd_incidents.c - `yagura incidents list|show|close` (docs/incidents.md)
 * and the incident step of `yagura hunt --incidents FILE`.
 *
 * Exit status: 0 done, 1 the incident was not found (or is not open, for
 * close), 2 error.
 */
#include "cli/cmd_incidents.h"

#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cmd_report.h"
#include "cli/cmd_share.h"
#include "core/core.h"
#include "detector/detector.h"
#include "incident/incident.h"
#include "match/program.h"
#include "sigma/rule.h"
#include "store/store.h"
#include "taxii/stix.h"
#include "watch/config.h"

#define EXIT_NOTFOUND 1
#define EXIT_ERR 2
#define DEFAULT_CONFIG "/etc/yagura/yagura.yaml"

static void usage(FILE *f, const char *sub)
{
    if (!sub || !strcmp(sub, "list"))
        fprintf(f,
                "Usage: yagura incidents list [--db FILE | -c CONFIG] [--status open|closed|all]\n"
                "                             [--min-level LEVEL] [--json]\n");
    if (!sub || !strcmp(sub, "show"))
        fprintf(f,
                "Usage: yagura incidents show ID [--db FILE | -c CONFIG] [--evidence] [--json]\n");
    if (!sub || !strcmp(sub, "close"))
        fprintf(f, "Usage: yagura incidents close ID --reason TEXT [--db FILE | -c CONFIG]\n"
                   "                              [--by NAME]\n");
    if (!sub || !strcmp(sub, "export"))
        fprintf(f, "Usage: yagura incidents export ID [--db FILE | -c CONFIG] [-o FILE]\n"
                   "                               [--tlp LEVEL] [--identity NAME]\n"
                   "                               [--rules-base DIR] [--derive-addresses]\n"
                   "                               [--push URL COLLECTION]\n");
    if (!sub || !strcmp(sub, "report"))
        fprintf(f, "Usage: yagura incidents report ID --html FILE [--db FILE | -c CONFIG]\n");
    if (!sub) {
        fprintf(f, "\nAlerts grouped into incidents per account, host and source address, with a\n"
                   "timeline of every step (docs/incidents.md).\n");
    }
    fprintf(f, "\nOptions:\n"
               "      --db FILE          the state database (as written by yagura watch or\n"
               "                         yagura hunt --incidents FILE)\n"
               "  -c, --config FILE      take the database from this yagura watch configuration\n"
               "                         (its `state` key); default " DEFAULT_CONFIG "\n");
    if (!sub || !strcmp(sub, "list"))
        fprintf(f,
                "      --status S         open (default), closed or all\n"
                "  -l, --min-level LEVEL  only incidents at or above LEVEL (informational, low,\n"
                "                         medium, high, critical)\n");
    if (!sub || !strcmp(sub, "show"))
        fprintf(f, "      --evidence         print each step's evidence (the event, or the\n"
                   "                         contributing detection of a correlation)\n");
    if (!sub || !strcmp(sub, "list") || !strcmp(sub, "show"))
        fprintf(f, "      --json             JSON instead of a readable table (list: one object\n"
                   "                         per line; show: one object with its timeline)\n");
    if (!sub || !strcmp(sub, "report"))
        fprintf(f,
                "      --html FILE        report: write the incident as one self-contained HTML\n"
                "                         page (timeline, alerts and their events, computers,\n"
                "                         accounts) to hand over\n");
    if (!sub || !strcmp(sub, "close"))
        fprintf(f, "      --reason TEXT      why the incident is closed (required)\n"
                   "      --by NAME          who closes it (default: the login name)\n");
    if (!sub || !strcmp(sub, "export"))
        fprintf(
            f, "  -o, --output FILE      export: write the STIX 2.1 bundle to FILE (default:\n"
               "                         standard output): our identity, the incident, a report\n"
               "                         on it referring to everything, and the sightings,\n"
               "                         observed data and indicators of its alerts\n"
               "      --tlp LEVEL        clear, green, amber (default), amber+strict or red\n"
               "      --identity NAME    the name of our identity (default: Yagura)\n"
               "      --rules-base DIR   folder that relative rule paths of alerts are under\n"
               "      --push URL COLL    also POST the bundle to TAXII collection COLL of the API\n"
               "                         root URL (credentials: YG_TAXII_USER and\n"
               "                         YG_TAXII_PASSWORD, or YG_TAXII_TOKEN)\n");
    fprintf(f, "  -h, --help             this text\n"
               "\nExit status: 0 done, 1 no such incident (close: or not open), 2 error.\n");
}

static int level_of(const char *s)
{
    static const char *const names[] = {"informational", "low", "medium", "high", "critical"};
    for (int i = 0; i < 5; i++)
        if (!strcmp(s, names[i]))
            return i + 1;
    return -1;
}

/* The database: --db, else the `state` of the configuration. */
static int open_db(const char *db, const char *config, struct yg_store **st)
{
    struct yg_errmsg why = {""};
    char *state = NULL;
    if (!db) {
        const char *cpath = config ? config : DEFAULT_CONFIG;
        if (!config && access(cpath, R_OK) != 0) {
            fprintf(stderr, "yagura incidents: no database: give --db FILE or -c CONFIG\n");
            return EXIT_ERR;
        }
        struct yg_config *cfg = NULL;
        if (yg__config_load(cpath, &cfg, &why)) {
            fprintf(stderr, "yagura incidents: %s\n", why.msg);
            return EXIT_ERR;
        }
        state = strdup(cfg->state);
        yg__config_free(cfg);
        if (!state) {
            fprintf(stderr, "yagura incidents: out of memory\n");
            return EXIT_ERR;
        }
        db = state;
    }
    if (access(db, F_OK) != 0) {
        fprintf(stderr, "yagura incidents: %s: %s\n", db, strerror(errno));
        free(state);
        return EXIT_ERR;
    }
    yg_err e = yg__store_open(db, st);
    free(state);
    if (e) {
        fprintf(stderr, "yagura incidents: %s\n", yg__store_errmsg(*st));
        yg__store_close(*st);
        *st = NULL;
        return EXIT_ERR;
    }
    return 0;
}

/* The store and the full id of the incident the one operand names (an id
 * or a unique prefix of one), for the commands on one incident; else the
 * message and exit code of `yagura incidents cmd` (the store is then
 * closed). */
static int open_incident(const char *cmd, int argc, char **argv, const char *db, const char *config,
                         struct yg_store **st, char id[40])
{
    if (optind + 1 != argc) {
        fprintf(stderr, "yagura incidents %s: give one incident id\n", cmd);
        usage(stderr, cmd);
        return EXIT_ERR;
    }
    const char *arg = argv[optind];
    int rc = open_db(db, config, st);
    if (rc)
        return rc;
    yg_err e = yg__incident_resolve(*st, arg, id);
    if (!e)
        return 0;
    if (e == YG_ENOTFOUND || e == YG_EINVAL)
        fprintf(stderr, "yagura incidents %s: %s: %s\n", cmd, arg,
                e == YG_EINVAL ? "more than one incident starts so" : "no such incident");
    else
        fprintf(stderr, "yagura incidents %s: %s\n", cmd, yg_strerror(e));
    yg__store_close(*st);
    *st = NULL;
    return e == YG_ENOTFOUND || e == YG_EINVAL ? EXIT_NOTFOUND : EXIT_ERR;
}

static void put_json_str(FILE *f, const char *s)
{
    struct yg_buf b;
    yg_buf_init(&b, 0);
    if (yg_buf_add_json_str(&b, s ? s : "", s ? strlen(s) : 0) == YG_OK)
        fwrite(b.p, 1, b.n, f);
    yg_buf_free(&b);
}

static void put_row_json(FILE *f, const struct yg_incident_row *r)
{
    char first[40], last[40];
    yg__incident_iso(r->first_ms, first, sizeof first);
    yg__incident_iso(r->last_ms, last, sizeof last);
    fputs("{\"id\":", f);
    put_json_str(f, r->id);
    fputs(",\"title\":", f);
    put_json_str(f, r->title);
    fprintf(f,
            ",\"severity\":\"%s\",\"status\":\"%s\",\"first_seen\":\"%s\",\"last_seen\":\"%s\","
            "\"alerts\":%lld,\"main_entity\":",
            r->level, r->status, first, last, (long long)r->alert_count);
    put_json_str(f, r->main_entity);
    fprintf(f, ",\"entities\":%s", r->entities);
    if (r->close_reason) {
        char at[40];
        yg__incident_iso(r->closed_at, at, sizeof at);
        fputs(",\"closed\":{\"reason\":", f);
        put_json_str(f, r->close_reason);
        fputs(",\"by\":", f);
        put_json_str(f, r->closed_by);
        fprintf(f, ",\"at\":\"%s\"}", at);
    }
}

/* "account:alice, address:203.0.113.7 (+3)": the kinds that link first; at
 * most max characters. */
static void entity_summary(const struct yg_incident_entity *e, size_t ne, char *out, size_t max)
{
    out[0] = 0;
    size_t n = 0, shown = 0;
    for (size_t i = 0; i < ne; i++) {
        if (!strcmp(e[i].kind, "observer"))
            continue;
        char item[300];
        int il = snprintf(item, sizeof item, "%s%s:%s", shown ? ", " : "", e[i].kind, e[i].value);
        if (il > 0 && (size_t)il < sizeof item && n + (size_t)il + 8 < max) {
            memcpy(out + n, item, (size_t)il + 1);
            n += (size_t)il;
            shown++;
        }
    }
    if (ne > shown && n + 12 < max)
        snprintf(out + n, max - n, " (+%zu)", ne - shown);
}

struct list_ctx {
    bool json;
    size_t n;
};

static void list_row(void *ud, const struct yg_incident_row *r)
{
    struct list_ctx *c = ud;
    if (c->json) {
        put_row_json(stdout, r);
        fputs("}\n", stdout);
    } else {
        char first[40], last[40], ents[200];
        yg__incident_iso(r->first_ms, first, sizeof first);
        yg__incident_iso(r->last_ms, last, sizeof last);
        first[19] = last[19] = 0; /* to the second */
        entity_summary(r->ents, r->nents, ents, sizeof ents);
        if (!c->n)
            printf("%-20s  %-13s  %-6s  %-19s  %-19s  %6s  %-40s  %s\n", "ID", "SEVERITY", "STATUS",
                   "FIRST SEEN", "LAST SEEN", "ALERTS", "ENTITIES", "TITLE");
        printf("%-20s  %-13s  %-6s  %-19s  %-19s  %6lld  %-40s  %s\n", r->id, r->level, r->status,
               first, last, (long long)r->alert_count, ents, r->title);
    }
    c->n++;
}

static int cmd_list(int argc, char **argv)
{
    enum { O_DB = 256, O_STATUS, O_JSON };
    static const struct option opts[] = {{"db", required_argument, 0, O_DB},
                                         {"config", required_argument, 0, 'c'},
                                         {"status", required_argument, 0, O_STATUS},
                                         {"min-level", required_argument, 0, 'l'},
                                         {"json", no_argument, 0, O_JSON},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *db = NULL, *config = NULL;
    enum yg_incident_status status = YG_INC_OPEN;
    int min_level = 0, c;
    bool json = false;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:l:h", opts, NULL)) != -1) {
        switch (c) {
        case O_DB: db = optarg; break;
        case 'c': config = optarg; break;
        case O_STATUS:
            if (!strcmp(optarg, "open"))
                status = YG_INC_OPEN;
            else if (!strcmp(optarg, "closed"))
                status = YG_INC_CLOSED;
            else if (!strcmp(optarg, "all"))
                status = YG_INC_ALL;
            else {
                fprintf(stderr,
                        "yagura incidents list: --status: '%s' is not open, closed or all\n",
                        optarg);
                return EXIT_ERR;
            }
            break;
        case 'l':
            if ((min_level = level_of(optarg)) < 0) {
                fprintf(stderr,
                        "yagura incidents list: --min-level: unknown level '%s' (informational, "
                        "low, medium, high, critical)\n",
                        optarg);
                return EXIT_ERR;
            }
            break;
        case O_JSON: json = true; break;
        case 'h': usage(stdout, "list"); return 0;
        default: usage(stderr, "list"); return EXIT_ERR;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "yagura incidents list: unexpected argument '%s'\n", argv[optind]);
        return EXIT_ERR;
    }
    struct yg_store *st = NULL;
    int rc = open_db(db, config, &st);
    if (rc)
        return rc;
    struct list_ctx lc = {json, 0};
    yg_err e = yg__incident_list(st, status, min_level, list_row, &lc);
    if (e)
        fprintf(stderr, "yagura incidents list: %s\n", yg_strerror(e));
    else if (!json && !lc.n)
        fprintf(stderr, "no incident\n");
    yg__store_close(st);
    return e ? EXIT_ERR : 0;
}

struct show_ctx {
    bool json, evidence;
    size_t n;
    /* Text: a run of contributing detections of one rule is one line. */
    char run_rule[256], run_title[512], run_level[32], run_ents[200], run_first[40], run_last[40],
        run_src[512];
    size_t run_n;
};

static void flush_run(struct show_ctx *c)
{
    if (!c->run_n)
        return;
    char title[600];
    if (c->run_n > 1)
        snprintf(title, sizeof title, "%s (x%zu, to %s)", c->run_title, c->run_n, c->run_last);
    else
        snprintf(title, sizeof title, "%s", c->run_title);
    printf("  %-24s  %-13s  %-11s  %s\n", c->run_first, c->run_level, "  step", title);
    printf("  %-24s  %-13s  %-11s  %s%s%s\n", "", "", "", c->run_ents[0] ? c->run_ents : "-",
           c->run_src[0] ? "  at " : "", c->run_src);
    c->run_n = 0;
}

static void show_head(void *ud, const struct yg_incident_row *r)
{
    struct show_ctx *c = ud;
    if (c->json) {
        put_row_json(stdout, r);
        fputs(",\"timeline\":[", stdout);
        return;
    }
    char first[40], last[40];
    yg__incident_iso(r->first_ms, first, sizeof first);
    yg__incident_iso(r->last_ms, last, sizeof last);
    printf("Incident %s: %s\n", r->id, r->title);
    printf("  severity:  %s\n  status:    %s\n", r->level, r->status);
    if (r->close_reason) {
        char at[40];
        yg__incident_iso(r->closed_at, at, sizeof at);
        printf("  closed:    %s by %s: %s\n", at, r->closed_by ? r->closed_by : "-",
               r->close_reason);
    }
    printf("  seen:      %s .. %s\n  alerts:    %lld\n  entities:  ", first, last,
           (long long)r->alert_count);
    /* entities, one kind:value (alerts) after the other */
    bool any = false;
    for (size_t i = 0; i < r->nents; i++) {
        printf("%s%s:%s (%lld)", any ? ", " : "", r->ents[i].kind, r->ents[i].value,
               (long long)r->ents[i].alerts);
        any = true;
    }
    printf("%s\n\nTimeline:\n", any ? "" : "-");
}

static void show_step(void *ud, const struct yg_incident_step *s)
{
    struct show_ctx *c = ud;
    if (c->json) {
        fputs(c->n ? "," : "", stdout);
        fputs("{\"alert_id\":", stdout);
        put_json_str(stdout, s->alert_id);
        fputs(",\"time\":", stdout);
        put_json_str(stdout, s->event_time);
        fputs(",\"kind\":", stdout);
        put_json_str(stdout, s->kind);
        fputs(",\"rule\":{\"id\":", stdout);
        put_json_str(stdout, s->rule_id);
        fputs(",\"title\":", stdout);
        put_json_str(stdout, s->rule_title);
        fputs(",\"level\":", stdout);
        put_json_str(stdout, s->level);
        fputs("},\"source\":", stdout);
        put_json_str(stdout, s->source);
        fprintf(stdout, ",\"entities\":%s", s->entities);
        if (s->parent) {
            fputs(",\"correlation\":", stdout);
            put_json_str(stdout, s->parent);
        }
        fprintf(stdout, ",\"evidence\":%s}", s->json);
        c->n++;
        return;
    }
    char ents[200];
    entity_summary(s->ents, s->nents, ents, sizeof ents);
    if (!strcmp(s->kind, "detection") && !c->evidence) {
        if (c->run_n && !strcmp(c->run_rule, s->rule_id) && !strcmp(c->run_ents, ents)) {
            snprintf(c->run_last, sizeof c->run_last, "%s", s->event_time);
            c->run_n++;
            return;
        }
        flush_run(c);
        snprintf(c->run_rule, sizeof c->run_rule, "%s", s->rule_id);
        snprintf(c->run_title, sizeof c->run_title, "%s", s->rule_title);
        snprintf(c->run_level, sizeof c->run_level, "%s", s->level);
        snprintf(c->run_ents, sizeof c->run_ents, "%s", ents);
        snprintf(c->run_first, sizeof c->run_first, "%s", s->event_time);
        snprintf(c->run_last, sizeof c->run_last, "%s", s->event_time);
        snprintf(c->run_src, sizeof c->run_src, "%s", s->source);
        c->run_n = 1;
        c->n++;
        return;
    }
    flush_run(c);
    const char *kind = !strcmp(s->kind, "detection") ? "  step" : s->kind;
    printf("  %-24s  %-13s  %-11s  %s\n", s->event_time, s->level, kind, s->rule_title);
    printf("  %-24s  %-13s  %-11s  %s%s%s\n", "", "", "", ents[0] ? ents : "-",
           s->source[0] ? "  at " : "", s->source);
    if (c->evidence)
        printf("  %-24s  %-13s  %-11s  evidence: %s\n", "", "", "", s->json);
    c->n++;
}

static int cmd_show(int argc, char **argv)
{
    enum { O_DB = 256, O_JSON, O_EVIDENCE };
    static const struct option opts[] = {
        {"db", required_argument, 0, O_DB}, {"config", required_argument, 0, 'c'},
        {"json", no_argument, 0, O_JSON},   {"evidence", no_argument, 0, O_EVIDENCE},
        {"help", no_argument, 0, 'h'},      {0, 0, 0, 0}};
    const char *db = NULL, *config = NULL;
    bool json = false, evidence = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        switch (c) {
        case O_DB: db = optarg; break;
        case 'c': config = optarg; break;
        case O_JSON: json = true; break;
        case O_EVIDENCE: evidence = true; break;
        case 'h': usage(stdout, "show"); return 0;
        default: usage(stderr, "show"); return EXIT_ERR;
        }
    }
    struct yg_store *st = NULL;
    char id[40];
    int rc = open_incident("show", argc, argv, db, config, &st, id);
    if (rc)
        return rc;
    yg_err e = YG_OK;
    struct show_ctx *sc = calloc(1, sizeof *sc);
    if (!sc) {
        yg__store_close(st);
        fprintf(stderr, "yagura incidents show: out of memory\n");
        return EXIT_ERR;
    }
    sc->json = json;
    sc->evidence = evidence;
    if (!e)
        e = yg__incident_show(st, id, show_head, show_step, sc);
    if (!e && !json)
        flush_run(sc);
    free(sc);
    yg__store_close(st);
    if (e == YG_ENOTFOUND) {
        fprintf(stderr, "yagura incidents show: %s: no such incident\n", argv[optind]);
        return EXIT_NOTFOUND;
    }
    if (e) {
        fprintf(stderr, "yagura incidents show: %s\n", yg_strerror(e));
        return EXIT_ERR;
    }
    if (json)
        fputs("]}\n", stdout);
    return 0;
}

static int cmd_close(int argc, char **argv)
{
    enum { O_DB = 256, O_REASON, O_BY };
    static const struct option opts[] = {{"db", required_argument, 0, O_DB},
                                         {"config", required_argument, 0, 'c'},
                                         {"reason", required_argument, 0, O_REASON},
                                         {"by", required_argument, 0, O_BY},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *db = NULL, *config = NULL, *reason = NULL, *by = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        switch (c) {
        case O_DB: db = optarg; break;
        case 'c': config = optarg; break;
        case O_REASON: reason = optarg; break;
        case O_BY: by = optarg; break;
        case 'h': usage(stdout, "close"); return 0;
        default: usage(stderr, "close"); return EXIT_ERR;
        }
    }
    if (optind + 1 != argc || !reason || !*reason) {
        fprintf(stderr, "yagura incidents close: give one incident id and --reason TEXT\n");
        usage(stderr, "close");
        return EXIT_ERR;
    }
    if (!by) {
        struct passwd *pw = getpwuid(getuid());
        by = getenv("SUDO_USER") ? getenv("SUDO_USER") : pw ? pw->pw_name : "unknown";
    }
    struct yg_store *st = NULL;
    int rc = open_db(db, config, &st);
    if (rc)
        return rc;
    char id[40];
    yg_err e = yg__incident_resolve(st, argv[optind], id);
    if (!e)
        e = yg__incident_close(st, id, reason, by);
    yg__store_close(st);
    switch (e) {
    case YG_OK: printf("closed %s\n", id); return 0;
    case YG_ENOTFOUND:
        fprintf(stderr, "yagura incidents close: %s: no such incident\n", argv[optind]);
        return EXIT_NOTFOUND;
    case YG_EINVAL:
        fprintf(stderr, "yagura incidents close: %s: more than one incident starts so\n",
                argv[optind]);
        return EXIT_NOTFOUND;
    case YG_ESTATE:
        fprintf(stderr, "yagura incidents close: %s: not open\n", id);
        return EXIT_NOTFOUND;
    default: fprintf(stderr, "yagura incidents close: %s\n", yg_strerror(e)); return EXIT_ERR;
    }
}

/* ---- export: the incident as a STIX 2.1 bundle ---------------------------- */

struct export_ctx {
    struct yg_stix_incident inc;
    char *strs[6]; /* owned copies of the head's strings */
    char **alerts;
    size_t n, cap;
    bool oom;
};

static void export_head(void *ud, const struct yg_incident_row *r)
{
    struct export_ctx *x = ud;
    const char *src[6] = {r->id, r->title, r->level, r->status, r->entities, NULL};
    for (int i = 0; i < 5; i++)
        if (src[i] && !(x->strs[i] = strdup(src[i])))
            x->oom = true;
    x->inc.id = x->strs[0];
    x->inc.title = x->strs[1];
    x->inc.level = x->strs[2];
    x->inc.status = x->strs[3];
    x->inc.entities = x->strs[4];
    x->inc.first_ms = r->first_ms;
    x->inc.last_ms = r->last_ms;
    x->inc.nalerts_total = (long long)r->alert_count;
}

static void export_step(void *ud, const struct yg_incident_step *s)
{
    struct export_ctx *x = ud;
    /* A correlation's contributing detection carries only a reference; the
     * correlation alert itself is exported. */
    if (x->oom || !strcmp(s->kind, "detection"))
        return;
    if (x->n == x->cap) {
        size_t nc = x->cap ? x->cap * 2 : 16;
        char **nv = realloc(x->alerts, nc * sizeof *nv);
        if (!nv) {
            x->oom = true;
            return;
        }
        x->alerts = nv;
        x->cap = nc;
    }
    if (!(x->alerts[x->n] = strdup(s->json)))
        x->oom = true;
    else
        x->n++;
}

static int cmd_export(int argc, char **argv)
{
    enum { O_DB = 256, O_TLP, O_IDENT, O_RULES, O_PUSH, O_DERIVE };
    static const struct option opts[] = {{"db", required_argument, 0, O_DB},
                                         {"config", required_argument, 0, 'c'},
                                         {"output", required_argument, 0, 'o'},
                                         {"tlp", required_argument, 0, O_TLP},
                                         {"identity", required_argument, 0, O_IDENT},
                                         {"rules-base", required_argument, 0, O_RULES},
                                         {"push", required_argument, 0, O_PUSH},
                                         {"derive-addresses", no_argument, 0, O_DERIVE},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *db = NULL, *config = NULL, *output = NULL, *push_url = NULL, *push_coll = NULL;
    bool derive = false;
    struct yg_stix_export_opts o = {.tlp = YG_TLP_AMBER};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:o:h", opts, NULL)) != -1) {
        switch (c) {
        case O_DB: db = optarg; break;
        case 'c': config = optarg; break;
        case 'o': output = optarg; break;
        case O_TLP:
            if (!yg__tlp_parse(optarg, &o.tlp)) {
                fprintf(stderr, "yagura incidents export: --tlp: expected clear, green, amber, "
                                "amber+strict or red\n");
                return EXIT_ERR;
            }
            break;
        case O_IDENT: o.identity_name = optarg; break;
        case O_RULES: o.rules_base = optarg; break;
        case O_DERIVE: derive = true; break;
        case O_PUSH:
            push_url = optarg;
            if (optind >= argc) {
                fprintf(stderr, "yagura incidents export: --push URL COLLECTION\n");
                return EXIT_ERR;
            }
            push_coll = argv[optind++];
            break;
        case 'h': usage(stdout, "export"); return 0;
        default: usage(stderr, "export"); return EXIT_ERR;
        }
    }
    struct yg_store *st = NULL;
    char id[40];
    int rc = open_incident("export", argc, argv, db, config, &st, id);
    if (rc)
        return rc;
    yg_err e = YG_OK;
    struct export_ctx x;
    memset(&x, 0, sizeof x);
    if (!e)
        e = yg__incident_show(st, id, export_head, export_step, &x);
    yg__store_close(st);
    if (!e && x.oom)
        e = YG_ENOMEM;
    struct yg_buf out;
    yg_buf_init(&out, (size_t)4 << 30);
    struct yg_stix_export_stats sst;
    struct yg_errmsg why = {""};
    rc = EXIT_ERR;
    if (e) {
        fprintf(stderr, "yagura incidents export: %s\n", yg_strerror(e));
    } else {
        x.inc.alerts = (const char *const *)x.alerts;
        x.inc.nalerts = x.n;
        x.inc.derive_addresses = derive;
        if (yg__stix_export_incident(&o, &x.inc, &out, &sst, &why)) {
            fprintf(stderr, "yagura incidents export: %s\n", why.msg);
        } else {
            fprintf(stderr,
                    "yagura incidents export: %s: %llu alert(s), %llu sighting(s), %llu "
                    "indicator(s)\n",
                    id, (unsigned long long)sst.alerts, (unsigned long long)sst.sightings,
                    (unsigned long long)sst.indicators);
            rc = yg_cli_bundle_out("yagura incidents export", &out, output, push_url, push_coll,
                                   NULL, false);
        }
    }
    yg_buf_free(&out);
    for (size_t i = 0; i < x.n; i++)
        free(x.alerts[i]);
    free(x.alerts);
    for (int i = 0; i < 6; i++)
        free(x.strs[i]);
    return rc;
}

static int cmd_report(int argc, char **argv)
{
    enum { O_DB = 256, O_HTML };
    static const struct option opts[] = {{"db", required_argument, 0, O_DB},
                                         {"config", required_argument, 0, 'c'},
                                         {"html", required_argument, 0, O_HTML},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *db = NULL, *config = NULL, *html = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        switch (c) {
        case O_DB: db = optarg; break;
        case 'c': config = optarg; break;
        case O_HTML: html = optarg; break;
        case 'h': usage(stdout, "report"); return 0;
        default: usage(stderr, "report"); return EXIT_ERR;
        }
    }
    if (optind + 1 != argc || !html) {
        fprintf(stderr, "yagura incidents report: give one incident id and --html FILE\n");
        usage(stderr, "report");
        return EXIT_ERR;
    }
    struct yg_store *st = NULL;
    char id[40];
    int rc = open_incident("report", argc, argv, db, config, &st, id);
    if (rc)
        return rc;
    rc = yg_cli_incident_report(st, db ? db : config, id, html);
    yg__store_close(st);
    return rc;
}

int yg_cli_incidents(int argc, char **argv)
{
    /* argv[0] is "incidents" */
    if (argc < 2) {
        usage(stderr, NULL);
        return EXIT_ERR;
    }
    const char *sub = argv[1];
    if (!strcmp(sub, "list"))
        return cmd_list(argc - 1, argv + 1);
    if (!strcmp(sub, "show"))
        return cmd_show(argc - 1, argv + 1);
    if (!strcmp(sub, "close"))
        return cmd_close(argc - 1, argv + 1);
    if (!strcmp(sub, "export"))
        return cmd_export(argc - 1, argv + 1);
    if (!strcmp(sub, "report"))
        return cmd_report(argc - 1, argv + 1);
    if (!strcmp(sub, "--help") || !strcmp(sub, "-h") || !strcmp(sub, "help")) {
        usage(stdout, NULL);
        return 0;
    }
    fprintf(stderr,
            "yagura incidents: unknown subcommand '%s' (list, show, close, export, report)\n", sub);
    return EXIT_ERR;
}

/* ---- yagura hunt --incidents FILE ----------------------------------------------- */

struct yg_hunt_incidents {
    char *path;
    struct yg_incident_batch *batch; /* the hunt's alerts, as structs */
};

static yg_err take_alert(void *ud, const struct yg_incident_alert *a)
{
    return yg__incident_batch_add(ud, a);
}

int yg_cli_hunt_incidents_begin(const char *path, struct yg_detector *det,
                                struct yg_hunt_incidents **out, struct yg_hunt_opts *o)
{
    struct yg_hunt_incidents *hi = calloc(1, sizeof *hi);
    if (!hi || !(hi->path = strdup(path)) || yg__incident_batch_new(&hi->batch)) {
        if (hi)
            free(hi->path);
        free(hi);
        fprintf(stderr, "yagura hunt: out of memory\n");
        return EXIT_ERR;
    }
    if (yg__detector_open_incidents(det, NULL, path, NULL, 0)) {
        fprintf(stderr, "yagura hunt: --incidents: %s\n", det->why);
        yg__incident_batch_free(hi->batch);
        free(hi->path);
        free(hi);
        return EXIT_ERR;
    }
    o->incident_hook = take_alert;
    o->incident_ud = hi->batch;
    *out = hi;
    return 0;
}

struct summary_ctx {
    size_t n, shown;
};

static void summary_row(void *ud, const struct yg_incident_row *r)
{
    struct summary_ctx *c = ud;
    c->n++;
    if (c->shown < 10) {
        fprintf(stderr, "    %-20s  %-8s  %4lld alert(s)  %s\n", r->id, r->level,
                (long long)r->alert_count, r->title);
        c->shown++;
    }
}

int yg_cli_hunt_incidents_end(struct yg_hunt_incidents *hi, struct yg_detector *det, bool quiet)
{
    int rc = 0;
    struct yg_incident_builder *b = det->incidents;
    yg_err e = yg__incident_feed_batch(b, hi->batch);
    if (e) {
        fprintf(stderr, "yagura hunt: --incidents: %s: %s\n", hi->path,
                yg__incident_errmsg(b)[0] ? yg__incident_errmsg(b) : yg_strerror(e));
        rc = EXIT_ERR;
        goto done;
    }
    if (!quiet) {
        struct yg_incident_stats s;
        yg__incident_stats(b, &s);
        fprintf(stderr,
                "  incidents: %llu alert(s) grouped into %s (%llu new incident(s), %llu merge(s), "
                "%llu already there, %llu without an event time)\n",
                (unsigned long long)(s.fed - s.skipped - s.duplicates), hi->path,
                (unsigned long long)s.created, (unsigned long long)s.merged,
                (unsigned long long)s.duplicates, (unsigned long long)s.skipped);
        struct summary_ctx sc = {0, 0};
        fprintf(stderr, "  open incidents of medium severity and above, most recent first:\n");
        if (yg__incident_list(det->store, YG_INC_OPEN, 3, summary_row, &sc) == YG_OK) {
            if (!sc.n)
                fprintf(stderr, "    none\n");
            else if (sc.n > sc.shown)
                fprintf(stderr, "    ... %zu more: yagura incidents list --db %s\n",
                        sc.n - sc.shown, hi->path);
        }
    }
done:
    yg__incident_batch_free(hi->batch);
    free(hi->path);
    free(hi);
    return rc;
}
