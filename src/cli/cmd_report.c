/*
 * cmd_report.c - `yagura hunt --html FILE` and `yagura incidents report ID
 * --html FILE`: what the report shows comes from the hunt's own outputs
 * (every alert as the sinks write it, the --stats-json document) and the
 * incident store, so its numbers are the run's numbers.
 */
#include "cli/cmd_report.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/core.h"
#include "engine/report.h"
#include "incident/incident.h"
#include "store/store.h"
#include "yagura/version.h"

struct yg_hunt_report {
    char *path;
    FILE *html;
    FILE *tap;
    char stats_tmp[4096]; /* our temporary stats file, "" when --stats-json is given */
};

static const char *tmp_dir(void)
{
    const char *d = getenv("TMPDIR");
    return d && *d ? d : "/tmp";
}

int yg_cli_hunt_report_begin(const char *path, struct yg_hunt_opts *o, struct yg_hunt_report **out)
{
    struct yg_hunt_report *r = calloc(1, sizeof *r);
    if (!r || !(r->path = strdup(path))) {
        free(r);
        fprintf(stderr, "yagura hunt: out of memory\n");
        return 2;
    }
    if (!(r->html = fopen(path, "w"))) {
        fprintf(stderr, "yagura hunt: --html: %s: %s\n", path, strerror(errno));
        goto fail;
    }
    if (!(r->tap = tmpfile())) {
        fprintf(stderr, "yagura hunt: --html: temporary file: %s\n", strerror(errno));
        goto fail;
    }
    if (!o->stats_json) {
        int n = snprintf(r->stats_tmp, sizeof r->stats_tmp, "%s/yagura-stats-XXXXXX", tmp_dir());
        int fd = n > 0 && (size_t)n < sizeof r->stats_tmp ? mkstemp(r->stats_tmp) : -1;
        if (fd < 0) {
            fprintf(stderr, "yagura hunt: --html: temporary file in %s: %s\n", tmp_dir(),
                    strerror(errno));
            r->stats_tmp[0] = 0;
            goto fail;
        }
        close(fd);
        o->stats_json = r->stats_tmp;
    }
    o->tap = r->tap;
    *out = r;
    return 0;
fail:
    if (r->html)
        fclose(r->html);
    if (r->tap)
        fclose(r->tap);
    free(r->path);
    free(r);
    return 2;
}

/* The whole file as a NUL-terminated string (NULL on failure). */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    struct yg_buf b;
    yg_buf_init(&b, 0);
    char chunk[8192];
    size_t n;
    bool ok = true;
    while (ok && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
        ok = yg_buf_add(&b, chunk, n) == YG_OK;
    ok = ok && !ferror(f) && yg_buf_addc(&b, 0) == YG_OK;
    fclose(f);
    if (!ok) {
        yg_buf_free(&b);
        return NULL;
    }
    return yg_buf_take(&b, NULL);
}

/* "first a b c" of argv, for the parameters table. */
static char *join(const char *first, int argc, char **argv)
{
    struct yg_buf b;
    yg_buf_init(&b, 0);
    if (first && yg_buf_add(&b, first, strlen(first)))
        argc = 0;
    for (int i = 0; i < argc; i++) {
        if (((i || first) && yg_buf_addc(&b, ' ')) || yg_buf_add(&b, argv[i], strlen(argv[i])))
            break;
    }
    if (yg_buf_addc(&b, 0)) {
        yg_buf_free(&b);
        return NULL;
    }
    return yg_buf_take(&b, NULL);
}

int yg_cli_hunt_report_end(struct yg_hunt_report *r, const struct yg_hunt_opts *o, int argc,
                           char **argv, const char *incidents, bool quiet)
{
    static const char *const levels[6] = {"any",    "informational", "low",
                                          "medium", "high",          "critical"};
    int rc = 0;
    char *stats = slurp(o->stats_json);
    char *cmd = join("yagura", argc, argv);
    char *inputs = join(NULL, (int)o->npaths, (char **)o->paths);
    char threads[32];
    snprintf(threads, sizeof threads, "%u%s", o->threads, o->threads ? "" : " (all cores)");
    struct yg_store *st = NULL;
    struct yg_errmsg why = {""};
    if (incidents && yg__store_open(incidents, &st)) {
        fprintf(stderr, "yagura hunt: --html: %s\n", yg__store_errmsg(st));
        yg__store_close(st);
        st = NULL;
    }
    struct yg_report_param params[] = {
        {"command", cmd ? cmd : ""},
        {"inputs", inputs ? inputs : ""},
        {"minimum level", levels[o->min_level <= 5 ? o->min_level : 0]},
        {"threads", threads},
        {"incidents database", incidents ? incidents : "-"},
        {"yagura", YG_VERSION_STRING},
    };
    struct yg_report_in in = {
        .title = "Yagura hunt report",
        .params = params,
        .nparams = sizeof params / sizeof *params,
        .stats_json = stats,
        .alerts = r->tap,
        .incidents = st,
        .tmp_dir = o->sort_dir,
    };
    if (!stats) {
        fprintf(stderr, "yagura hunt: --html: cannot read the run's stats (%s): %s\n",
                o->stats_json, strerror(errno));
        rc = 2;
    } else if (yg__report_write(&in, r->html, &why)) {
        fprintf(stderr, "yagura hunt: --html: %s: %s\n", r->path, why.msg);
        rc = 2;
    }
    if (fclose(r->html) != 0 && !rc) {
        fprintf(stderr, "yagura hunt: --html: %s: %s\n", r->path, strerror(errno));
        rc = 2;
    }
    if (!rc && !quiet)
        fprintf(stderr, "  report: %s\n", r->path);
    yg__store_close(st);
    fclose(r->tap);
    if (r->stats_tmp[0])
        unlink(r->stats_tmp);
    free(stats);
    free(cmd);
    free(inputs);
    free(r->path);
    free(r);
    return rc;
}

/* ---- one incident ---------------------------------------------------------------- */

struct steps_ctx {
    FILE *f;
    bool failed;
};

static void no_head(void *ud, const struct yg_incident_row *r)
{
    (void)ud, (void)r;
}

/* Alerts of the timeline (not the contributing detections of a
 * correlation, which are references to alerts) as JSON lines. */
static void step_line(void *ud, const struct yg_incident_step *s)
{
    struct steps_ctx *c = ud;
    if (s->parent || !s->json || s->json[0] != '{')
        return;
    if (fputs(s->json, c->f) < 0 || fputc('\n', c->f) < 0)
        c->failed = true;
}

int yg_cli_incident_report(struct yg_store *st, const char *db, const char *id, const char *path)
{
    int rc = 0;
    struct yg_errmsg why = {""};
    struct steps_ctx c = {tmpfile(), false};
    FILE *html = NULL;
    if (!c.f) {
        fprintf(stderr, "yagura incidents report: temporary file: %s\n", strerror(errno));
        return 2;
    }
    yg_err e = yg__incident_show(st, id, no_head, step_line, &c);
    if (e || c.failed) {
        fprintf(stderr, "yagura incidents report: %s: %s\n", id,
                c.failed ? strerror(errno) : yg_strerror(e));
        fclose(c.f);
        return 2;
    }
    if (!(html = fopen(path, "w"))) {
        fprintf(stderr, "yagura incidents report: %s: %s\n", path, strerror(errno));
        fclose(c.f);
        return 2;
    }
    char title[128];
    snprintf(title, sizeof title, "Yagura incident report %s", id);
    struct yg_report_param params[] = {
        {"incident", id},
        {"database", db ? db : "-"},
        {"yagura", YG_VERSION_STRING},
    };
    struct yg_report_in in = {
        .title = title,
        .params = params,
        .nparams = sizeof params / sizeof *params,
        .alerts = c.f,
        .incidents = st,
        .incident = id,
    };
    if (yg__report_write(&in, html, &why)) {
        fprintf(stderr, "yagura incidents report: %s: %s\n", path, why.msg);
        rc = 2;
    }
    if (fclose(html) != 0 && !rc) {
        fprintf(stderr, "yagura incidents report: %s: %s\n", path, strerror(errno));
        rc = 2;
    }
    fclose(c.f);
    return rc;
}
