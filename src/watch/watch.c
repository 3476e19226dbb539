/*
 * watch.c - the `yagura watch` service loop (see watch.h).
 *
 * The order of work per batch is what makes delivery at-least-once:
 *
 *   1. records are read and matched; their alerts are collected in memory;
 *   2. every sink receives the alerts and flushes (a file is fsync'ed, a
 *      webhook alert is delivered or spooled to disk);
 *   3. one SQLite transaction inserts the alerts (INSERT OR IGNORE on a
 *      deterministic id), the detections that feed correlations, and the
 *      inputs' new checkpoints.
 *
 * A crash before 3 commits replays the batch from the old checkpoints: the
 * sinks may see an alert twice, the alert table never does.
 *
 * When 3 fails (a full disk, a corrupt page, an I/O error), nothing of the
 * batch is committed: the batch is kept, no further record is read, and the
 * commit is tried again after a delay that doubles per failure
 * (YG_STATE_RETRY_MIN_MS to YG_STATE_RETRY_MAX_MS).  Sinks are not written
 * again on a retry: each sink remembers how many alerts of the batch it
 * already took, so a sink sees an alert once however long the database
 * stays unwritable.  /healthz answers 503 with the cause meanwhile, and the
 * log names it once when it starts, on each retry, and when it ends.  Correlation
 * state is rebuilt on start by replaying the stored detections of the last
 * timespan, so a correlation whose events straddle a restart still fires
 * (and its deterministic id makes a re-fired alert a no-op in the table).
 */
#include "watch/watch.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "core/timeparse.h"
#include "correlate/correlate.h"
#include "engine/alertjson.h"
#include "engine/linedec.h"
#include "geo/geo.h"
#include "http/http.h"
#include "incident/incident.h"
#include "ingest/input.h"
#include "match/program.h"
#include "output/sink.h"
#include "sigma/yaml.h"
#include "store/store.h"
#include "taxii/taxii.h"
#include "watch/privdrop.h"

#define BATCH_RECORDS 512
#define BATCH_MS 200
#define MAX_POLLFDS 256

static volatile sig_atomic_t sig_reload, sig_stop;

static void on_signal(int sig)
{
    if (sig == SIGHUP)
        sig_reload = 1;
    else
        sig_stop = 1;
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

struct winput {
    struct yg_input *in;
    const struct yg_cfg_input *cfg;
    const struct yg_linefmt *fmt; /* forced line format, NULL: detect per line */
    bool json;                    /* format: json */
    char *ckpt_key, *ckpt_val;    /* position after the last record read */
    bool ckpt_dirty;
    uint64_t last_record_ms;
    struct yg_metric *m_events, *m_lag; /* this input's series */
    struct yg_log_limit skip_log;       /* warnings about records skipped */
    uint64_t drops_logged, drop_log_ms; /* dropped records already logged, and when */
};

/* Records an input dropped on purpose (over the event size limit, a
 * truncated datagram, a message cut by a closed connection) are logged
 * with the count since the last line, at most once per
 * YG_DROP_LOG_INTERVAL_MS per input, so a flood of them cannot flood the log. */
#define YG_DROP_LOG_INTERVAL_MS 1000u

static void log_drops(struct winput *in, uint64_t now, bool final)
{
    uint64_t d = in->in->dropped;
    if (d == in->drops_logged ||
        (!final && in->drop_log_ms && now - in->drop_log_ms < YG_DROP_LOG_INTERVAL_MS))
        return;
    yg__log(YG_LOG_WARNING, "inputs: %s: %llu record(s) dropped; the last: %s", in->cfg->name,
            (unsigned long long)(d - in->drops_logged),
            in->in->drop_why[0] ? in->in->drop_why : "(no detail)");
    in->drops_logged = d;
    in->drop_log_ms = now;
}

/* A detection kept for correlation: evidence of correlation alerts. */
struct evid {
    int refs;
    uint32_t rule;
    char *record_id, *source, *timestamp;
    uint64_t line;
};

/* One alert of the current batch (strings in the batch arena). */
struct pending {
    struct yg_alert_row row;
};

struct watch {
    const struct yg_watch_opts *o;
    struct yg_config *cfg;
    struct yg_geo *geo; /* geolocation of the analytics, NULL without geoip */
    yg_rules *rules;
    yg_scanner *scanner;
    struct yg_linedec ld;
    struct yg_corr_state *corr;
    struct yg_store *store;
    struct yg_entity_map *entmap; /* incidents (NULL: disabled) */
    struct yg_incident_builder *incidents;
    struct yg_sink **sinks;
    size_t nsinks;
    struct winput *inputs;
    size_t ninputs;
    struct yg_http *http;
    struct yg_taxii_server *taxii; /* the TAXII server of the taxii: section, or NULL */
    struct yg_taxii_http *taxii_http;
    struct yg_metrics *metrics;
    /* the batch */
    struct yg_arena arena;
    struct pending *pend;
    size_t npend, pendcap;
    size_t batch_records;
    uint64_t batch_start_ms;
    /* the record being matched */
    const struct yg_record *rec;
    struct winput *win;
    struct yg_buf json;
    bool replaying; /* rebuilding correlation state: alerts only dedupe */
    /* detections of this batch that feed correlations (strings in the arena) */
    struct yg_det_row *det;
    size_t ndet, detcap;
    int64_t max_timespan_ms;
    size_t failed; /* rules of the running set that did not load */
    /* regex limits already exported, per rule index of the running scanner */
    uint64_t *re_seen;
    uint64_t re_seen_total;
    /* alerts of the batch each sink has taken: sent[s] written, sent[nsinks
     * + s] also flushed */
    size_t *sent;
    /* the state database failing: the batch waits for its commit */
    bool stalled;
    unsigned failures;    /* consecutive failed commits */
    uint64_t retry_at_ms; /* monotonic time of the next attempt */
    uint64_t stalled_since;
    char cause[512];            /* what failed, for /healthz and the log */
    pthread_mutex_t cause_lock; /* /healthz reads cause from its thread */
    /* totals */
    uint64_t records, alerts_new, alerts_dup, errors, corr_fired;
};

/* ---- evidence reference counting (correlation hooks) --------------------- */

/* A rule whose regex reached its PCRE2 step limit was not decided on that
 * record (it counted as no match): the scanner's counts go to
 * yagura_regex_limit_total{rule}, by difference so the counter only grows
 * across reloads, and a rule's first such record is logged with its id. */
static void export_regex_limits(struct watch *w)
{
    size_t n;
    uint64_t total;
    const uint64_t *lim = yg__scanner_regex_limits(w->scanner, &n, &total);
    if (!lim || total == w->re_seen_total)
        return;
    if (!w->re_seen && !(w->re_seen = yg_calloc(n + 1, sizeof *w->re_seen)))
        return;
    for (size_t i = 0; i < n; i++) {
        if (lim[i] == w->re_seen[i])
            continue;
        const char *rid = yg_rules_rule_id(w->rules, (uint32_t)i);
        rid = rid ? rid : "";
        if (!w->re_seen[i])
            yg__log(YG_LOG_WARNING,
                    "rule %s (%s): a regex reached its PCRE2 step limit; such records count as "
                    "no match for it (yagura_regex_limit_total)",
                    rid, yg_rules_rule_title(w->rules, (uint32_t)i));
        if (w->metrics)
            yg__metric_add(
                yg__metrics_get(w->metrics, YG_M_REGEX_LIMIT, (const char *[]){"rule", rid, NULL}),
                (double)(lim[i] - w->re_seen[i]));
        w->re_seen[i] = lim[i];
    }
    w->re_seen_total = total;
}

static void ev_hold(void *ud, void *e)
{
    (void)ud;
    ((struct evid *)e)->refs++;
}

static void ev_release(void *ud, void *e)
{
    (void)ud;
    struct evid *v = e;
    if (--v->refs > 0)
        return;
    yg_free(v->record_id);
    yg_free(v->source);
    yg_free(v->timestamp);
    yg_free(v);
}

/* ---- batch ---------------------------------------------------------------- */

static yg_err add_pending(struct watch *w, const char *id, const char *rule_id,
                          const char *rule_title, const char *level, const char *event_time,
                          size_t etn, const char *source, const char *record_id, const char *json,
                          size_t jn)
{
    if (w->npend == w->pendcap) {
        size_t nc = w->pendcap ? w->pendcap * 2 : 256;
        struct pending *np = yg_realloc(w->pend, nc * sizeof *np);
        if (!np)
            return YG_ENOMEM;
        w->pend = np;
        w->pendcap = nc;
    }
    struct yg_alert_row *r = &w->pend[w->npend].row;
    r->id = yg_arena_strndup(&w->arena, id, strlen(id));
    r->rule_id = yg_arena_strndup(&w->arena, rule_id, strlen(rule_id));
    r->rule_title = yg_arena_strndup(&w->arena, rule_title, strlen(rule_title));
    r->level = yg_arena_strndup(&w->arena, level, strlen(level));
    r->event_time = yg_arena_strndup(&w->arena, event_time, etn);
    r->source = yg_arena_strndup(&w->arena, source, strlen(source));
    r->record_id = yg_arena_strndup(&w->arena, record_id, strlen(record_id));
    r->json = yg_arena_strndup(&w->arena, json, jn);
    if (!r->id || !r->rule_id || !r->rule_title || !r->level || !r->event_time || !r->source ||
        !r->record_id || !r->json)
        return YG_ENOMEM;
    w->npend++;
    if (w->metrics && !w->replaying)
        yg__metric_inc(yg__metrics_get(w->metrics, YG_M_ALERTS,
                                       (const char *[]){"rule", rule_id, "level", level, NULL}));
    return YG_OK;
}

/* The batch could not be delivered or stored: keep it, stop reading, and
 * try again later.  cause: what failed ("state database: disk full: PATH",
 * "sinks[0]: ..."); what: the step. */
static void batch_failed(struct watch *w, const char *cause, const char *what)
{
    uint64_t delay = YG_STATE_RETRY_MIN_MS;
    for (unsigned i = 0; i < w->failures && delay < YG_STATE_RETRY_MAX_MS; i++)
        delay *= 2;
    if (delay > YG_STATE_RETRY_MAX_MS)
        delay = YG_STATE_RETRY_MAX_MS;
    uint64_t now = now_ms();
    if (!w->stalled)
        w->stalled_since = now;
    w->stalled = true;
    w->failures++;
    w->retry_at_ms = now + delay;
    w->errors++;
    pthread_mutex_lock(&w->cause_lock);
    snprintf(w->cause, sizeof w->cause, "%s (%s); %u failed attempt(s), retrying", cause, what,
             w->failures);
    pthread_mutex_unlock(&w->cause_lock);
    /* One line per attempt, and attempts are at least YG_STATE_RETRY_MIN_MS
     * apart and soon YG_STATE_RETRY_MAX_MS: the log cannot flood. */
    yg__log(YG_LOG_ERROR,
            "storing a batch of %zu alert(s) failed: %s (%s); input paused, attempt %u, next in "
            "%llu ms",
            w->npend, cause, what, w->failures, (unsigned long long)delay);
}

/* Write the batch to the sinks, then commit alerts and checkpoints. */
static yg_err flush_batch(struct watch *w)
{
    yg_err err = YG_OK;
    const char *what = "sink";
    bool any_ckpt = false;
    for (size_t i = 0; i < w->ninputs; i++)
        any_ckpt |= w->inputs[i].ckpt_dirty;
    if (!w->npend && !any_ckpt && !w->ndet)
        goto reset;
    for (size_t s = 0; s < w->nsinks; s++) {
        struct yg_sink *k = w->sinks[s];
        /* Syslog forwarding is best effort (the protocol has no
         * acknowledgement); its drops are counted, not retried. */
        bool best_effort = strcmp(k->ops->kind, "syslog") == 0;
        /* Alerts a previous attempt already handed to this sink are not
         * sent again when only the commit (or a later sink) failed. */
        size_t *written = &w->sent[s], *flushed = &w->sent[w->nsinks + s];
        if (*flushed >= w->npend)
            continue;
        for (; *written < w->npend; ++*written)
            if ((err = k->ops->write(k, &w->pend[*written].row)) && !best_effort)
                goto fail_sink;
        if ((err = k->ops->flush(k)) && !best_effort)
            goto fail_sink;
        *flushed = w->npend;
        err = YG_OK;
    }
    uint64_t fresh = 0, replayed = 0;
    what = "beginning a transaction";
    if ((err = yg__store_begin(w->store)))
        goto fail;
    what = "storing alerts";
    for (size_t i = 0; i < w->npend; i++) {
        bool inserted = false;
        if ((err = yg__store_alert(w->store, &w->pend[i].row, &inserted)))
            goto fail_tx;
        if (inserted)
            fresh++;
        else
            replayed++;
    }
    what = "storing detections";
    for (size_t i = 0; i < w->ndet; i++)
        if ((err = yg__store_det_put(w->store, &w->det[i])))
            goto fail_tx;
    if (w->ndet && w->max_timespan_ms) {
        int64_t before = w->det[w->ndet - 1].t_ms - w->max_timespan_ms -
                         (int64_t)w->cfg->correlation.lateness_ms;
        if ((err = yg__store_det_prune(w->store, before)))
            goto fail_tx;
    }
    what = "storing checkpoints";
    for (size_t i = 0; i < w->ninputs; i++) {
        struct winput *in = &w->inputs[i];
        if (!in->ckpt_dirty || !in->ckpt_key)
            continue;
        if ((err = yg__store_ckpt_put(w->store, in->ckpt_key, in->ckpt_val)))
            goto fail_tx;
    }
    /* Incidents are derived from the alerts in the same transaction, so
     * that neither commits without the other.  An alert the builder cannot
     * read is logged and left out of incidents; a failure to write them
     * fails the batch like any other. */
    what = "storing incidents";
    for (size_t i = 0; w->incidents && i < w->npend; i++) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        const struct yg_alert_row *r = &w->pend[i].row;
        yg_err ie = yg__incident_feed(w->incidents, r->id, r->json, strlen(r->json),
                                      (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000, NULL);
        if (ie == YG_ESYNTAX || ie == YG_ELIMIT) {
            w->errors++;
            yg__log(YG_LOG_WARNING, "incidents: alert %s: %s", r->id,
                    yg__incident_errmsg(w->incidents));
        } else if (ie) {
            err = ie;
            goto fail_tx;
        }
    }
    what = "committing";
    if ((err = yg__store_commit(w->store)))
        goto fail_tx;
    w->alerts_new += fresh;
    w->alerts_dup += replayed;
    for (size_t i = 0; i < w->ninputs; i++)
        w->inputs[i].ckpt_dirty = false;
    if (w->stalled) {
        yg__log(YG_LOG_INFO,
                "state: the batch is stored after %u failed attempt(s) over %llu ms; "
                "input resumed",
                w->failures, (unsigned long long)(now_ms() - w->stalled_since));
        pthread_mutex_lock(&w->cause_lock);
        w->cause[0] = 0;
        pthread_mutex_unlock(&w->cause_lock);
    }
    w->stalled = false;
    w->failures = 0;
reset:
    w->npend = 0;
    w->ndet = 0;
    w->batch_records = 0;
    for (size_t s = 0; s < 2 * w->nsinks; s++)
        w->sent[s] = 0;
    yg_arena_reset(&w->arena);
    w->batch_start_ms = now_ms();
    return YG_OK;
fail_tx:
    yg__store_rollback(w->store);
fail:
    /* Nothing advanced: the records are read again after a restart, and
     * the service keeps the batch and tries again. */
    {
        char cause[600];
        const char *c = yg__store_cause(w->store);
        snprintf(cause, sizeof cause, "state database: %s", c[0] ? c : yg_strerror(err));
        batch_failed(w, cause, what);
    }
    return err;
fail_sink:
    /* The sink keeps what it could not deliver (a webhook spools it); the
     * batch is tried again, from the first alert this sink has not taken. */
    {
        char cause[600] = "a sink";
        for (size_t s = 0; s < w->nsinks; s++)
            if (w->sent[w->nsinks + s] < w->npend) {
                snprintf(cause, sizeof cause, "%s: %s", w->sinks[s]->name,
                         w->sinks[s]->why[0] ? w->sinks[s]->why : yg_strerror(err));
                break;
            }
        batch_failed(w, cause, "delivering to a sink");
    }
    return err;
}

/* ---- alerts ---------------------------------------------------------------- */

static void corr_alert(void *ud, const struct yg_corr_alert *a);

/* Keep a detection for the state database, so that a restart can rebuild
 * the correlation windows it belongs to. */
/* The record id of the event being scanned: the input's, or for one event of
 * a record that holds several (an OpenTelemetry request) the input's with
 * the event's ordinal, so that every event's alerts and detections are its
 * own. */
static const char *event_record_id(const struct watch *w, char *buf, size_t n)
{
    if (!w->ld.in_records)
        return w->rec->record_id;
    snprintf(buf, n, "%s#%zu", w->rec->record_id, w->ld.record_index);
    return buf;
}

static yg_err record_detection(struct watch *w, const yg_alert *a, int64_t t, const char *ts,
                               const struct yg_str *vals, size_t nf)
{
    const struct yg_corr_set *cs = w->rules->corr;
    struct yg_buf f;
    yg_buf_init(&f, 1u << 20);
    yg_err err = yg_buf_addc(&f, '{');
    for (size_t k = 0; k < nf && !err; k++) {
        const char *name = yg__corr_field(cs, a->rule_index, k);
        if (!vals[k].p)
            continue;
        if (f.n > 1)
            err = yg_buf_addc(&f, ',');
        if (!err)
            err = yg_buf_add_json_str(&f, name, strlen(name));
        if (!err)
            err = yg_buf_addc(&f, ':');
        if (!err)
            err = yg_buf_add_json_str(&f, vals[k].p, vals[k].n);
    }
    if (!err)
        err = yg_buf_addc(&f, '}');
    if (!err && w->ndet == w->detcap) {
        size_t nc = w->detcap ? w->detcap * 2 : 256;
        struct yg_det_row *nd = yg_realloc(w->det, nc * sizeof *nd);
        if (!nd)
            err = YG_ENOMEM;
        else {
            w->det = nd;
            w->detcap = nc;
        }
    }
    if (!err) {
        struct yg_det_row *d = &w->det[w->ndet];
        d->rule_id = yg_arena_strndup(&w->arena, a->rule_id, strlen(a->rule_id));
        d->t_ms = t;
        d->fields = yg_arena_strndup(&w->arena, f.p, f.n);
        char sub_id[640];
        const char *rid = event_record_id(w, sub_id, sizeof sub_id);
        d->record_id = yg_arena_strndup(&w->arena, rid, strlen(rid));
        d->source = yg_arena_strndup(&w->arena, w->rec->source, strlen(w->rec->source));
        d->timestamp = yg_arena_strndup(&w->arena, ts, strlen(ts));
        d->line = w->rec->line;
        if (!d->rule_id || !d->fields || !d->record_id || !d->source || !d->timestamp)
            err = YG_ENOMEM;
        else
            w->ndet++;
    }
    yg_buf_free(&f);
    return err;
}

static int on_alert(void *ud, const yg_alert *a)
{
    struct watch *w = ud;
    const struct yg_record *rec = w->rec;
    /* One OpenTelemetry request holds many events: each its own record id,
     * or the alerts of two of them for one rule would share an id. */
    struct yg_record sub;
    char sub_id[640];
    if (w->ld.in_records) {
        sub = *rec;
        sub.record_id = event_record_id(w, sub_id, sizeof sub_id);
        rec = &sub;
    }
    const struct yg_corr_set *cs = w->rules->corr;
    /* The event's time in the one form alerts carry (zone-less times are
     * UTC here; year-less ones placed by the current time), for the alert,
     * its correlation and what is stored. */
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct yg_alert_time at;
    yg__alert_time(a, NULL, (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000, &at);
    if (cs && yg__corr_references(cs, a->rule_index)) {
        int64_t t = at.ms;
        bool timed = at.timed;
        if (!timed) {
            /* No usable event time: the arrival time stands in for it. */
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            t = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
        }
        size_t nf = yg__corr_nfields(cs, a->rule_index);
        struct yg_str vals[YG_CORR_MAX_GROUP_BY * 4];
        if (nf > sizeof vals / sizeof *vals)
            nf = sizeof vals / sizeof *vals;
        for (size_t k = 0; k < nf; k++) {
            const char *v;
            size_t vn;
            vals[k] = yg_scanner_field(w->scanner, yg__corr_field(cs, a->rule_index, k), &v, &vn)
                          ? (struct yg_str){v, vn}
                          : (struct yg_str){NULL, 0};
        }
        if (!w->replaying && record_detection(w, a, t, at.text, vals, nf) != YG_OK)
            w->errors++;
        struct evid *e = yg_calloc(1, sizeof *e);
        if (e) {
            e->rule = a->rule_index;
            e->record_id = yg_strndup(rec->record_id, strlen(rec->record_id));
            e->source = yg_strndup(rec->source, strlen(rec->source));
            e->timestamp = yg_strndup(at.text, at.n);
            e->line = rec->line;
            e->refs = 1;
            if (yg__corr_feed(w->corr, a->rule_index, t, vals, e, corr_alert, w))
                w->errors++;
            ev_release(w, e);
        }
        if (yg__corr_suppress(cs, a->rule_index))
            return 0;
    }
    if (w->replaying || a->level_num < (int)w->cfg->min_level)
        return 0;
    yg_buf_reset(&w->json);
    yg_err err = yg__alert_json_head_at(&w->json, a, &at);
    if (!err)
        err = yg_buf_add(&w->json, "{\"input\":", 9);
    if (!err)
        err = yg_buf_add_json_str(&w->json, w->win->cfg->name, strlen(w->win->cfg->name));
    if (!err)
        err = yg_buf_add(&w->json, ",\"file\":", 8);
    if (!err)
        err = yg_buf_add_json_str(&w->json, rec->source, strlen(rec->source));
    if (!err)
        err = yg_buf_addf(&w->json, ",\"line\":%llu,\"record\":", (unsigned long long)rec->line);
    if (!err)
        err = yg_buf_add_json_str(&w->json, rec->record_id, strlen(rec->record_id));
    if (!err)
        err = yg_buf_addc(&w->json, '}');
    if (!err)
        err = yg__alert_json_tail(&w->json, a, true);
    char id[33];
    yg__alert_id(a->rule_id, rec->record_id, id);
    if (!err)
        err = add_pending(w, id, a->rule_id, a->rule_title, a->level, at.text, at.n, rec->source,
                          rec->record_id, w->json.p, w->json.n);
    if (err)
        w->errors++;
    return 0;
}

static void corr_alert(void *ud, const struct yg_corr_alert *a)
{
    struct watch *w = ud;
    const struct yg_rule *r = a->rule;
    struct yg_buf *b = &w->json;
    yg_err err = YG_OK;
    /* While rebuilding state, alerts that fire were stored before the
     * restart (in the same transaction as their detections). */
    if (w->replaying)
        return;
    w->corr_fired++;
    /* min_level filters what is stored and sent, never what correlations see. */
    if ((int)r->level < (int)w->cfg->min_level)
        return;
    /* The id: the correlation rule and the detections that completed it, so
     * the same events give the same alert after a restart. */
    struct yg_buf key;
    yg_buf_init(&key, 1u << 20);
    for (size_t i = 0; i < a->nevidence && !err; i++) {
        const struct evid *e = a->evidence[i];
        if (e)
            err = yg_buf_addf(&key, "%s|", e->record_id);
    }
    char id[33];
    yg__alert_id(r->id ? r->id : r->title, key.p ? key.p : "", id);
    yg_buf_free(&key);
    yg_buf_reset(b);
    /* The same members as a correlation alert of `yagura hunt` (timestamp:
     * the time of the detection that completed it; the rule's tags and
     * file), plus the window in epoch milliseconds. */
    char first[40], last[40];
    yg__incident_iso(a->first_ms, first, sizeof first);
    yg__incident_iso(a->last_ms, last, sizeof last);
    YG_TRY(yg_buf_addf(b, "{\"id\":\"%s\",\"timestamp\":\"%s\",\"rule\":{\"id\":", id, last));
    YG_TRY(yg_buf_add_json_str(b, r->id ? r->id : "", r->id ? strlen(r->id) : 0));
    YG_TRY(yg_buf_add(b, ",\"title\":", 9));
    YG_TRY(yg_buf_add_json_str(b, r->title ? r->title : "", r->title ? strlen(r->title) : 0));
    YG_TRY(yg_buf_addf(b, ",\"level\":\"%s\",\"tags\":[", yg__level_name(r->level)));
    for (size_t i = 0; i < r->ntags; i++) {
        if (i)
            YG_TRY(yg_buf_addc(b, ','));
        YG_TRY(yg_buf_add_json_str(b, r->tags[i], strlen(r->tags[i])));
    }
    YG_TRY(yg_buf_add(b, "],\"file\":", 9));
    YG_TRY(yg_buf_add_json_str(b, r->file ? r->file : "", r->file ? strlen(r->file) : 0));
    YG_TRY(yg_buf_addf(b,
                       "},\"correlation\":{\"type\":\"%s\",\"value\":%.17g,"
                       "\"first\":\"%s\",\"last\":\"%s\",\"first_ms\":%lld,\"last_ms\":%lld,"
                       "\"group\":{",
                       a->type, a->value, first, last, (long long)a->first_ms,
                       (long long)a->last_ms));
    for (size_t i = 0; i < a->ngroup; i++) {
        if (i)
            YG_TRY(yg_buf_addc(b, ','));
        YG_TRY(yg_buf_add_json_str(b, a->group_names[i], strlen(a->group_names[i])));
        YG_TRY(yg_buf_addc(b, ':'));
        YG_TRY(yg_buf_add_json_str(b, a->group_values[i], strlen(a->group_values[i])));
    }
    YG_TRY(yg_buf_addc(b, '}'));
    if (a->detail) {
        YG_TRY(yg_buf_add(b, ",\"finding\":", 11));
        YG_TRY(yg_buf_add(b, a->detail, a->detail_len));
    }
    YG_TRY(yg_buf_add(b, ",\"events\":[", 11));
    for (size_t i = 0; i < a->nevidence; i++) {
        const struct evid *e = a->evidence[i];
        if (i)
            YG_TRY(yg_buf_addc(b, ','));
        if (!e) {
            YG_TRY(yg_buf_add(b, "null", 4));
            continue;
        }
        YG_TRY(yg_buf_add(b, "{\"rule\":", 8));
        const char *rid = yg_rules_rule_id(w->rules, e->rule);
        YG_TRY(yg_buf_add_json_str(b, rid, strlen(rid)));
        YG_TRY(yg_buf_add(b, ",\"record\":", 10));
        YG_TRY(yg_buf_add_json_str(b, e->record_id, strlen(e->record_id)));
        YG_TRY(yg_buf_add(b, ",\"file\":", 8));
        YG_TRY(yg_buf_add_json_str(b, e->source, strlen(e->source)));
        YG_TRY(yg_buf_add(b, ",\"timestamp\":", 13));
        YG_TRY(yg_buf_add_json_str(b, e->timestamp, strlen(e->timestamp)));
        YG_TRY(yg_buf_addc(b, '}'));
    }
    YG_TRY(yg_buf_add(b, "]}}", 3));
    {
        const struct evid *last = a->nevidence ? a->evidence[0] : NULL;
        char when[32];
        snprintf(when, sizeof when, "%lld", (long long)a->last_ms);
        YG_TRY(add_pending(w, id, r->id ? r->id : "", r->title ? r->title : "",
                           yg__level_name(r->level), when, strlen(when),
                           last ? last->source : "correlation", id, b->p, b->n));
    }
    return;
done:
    w->errors++;
}

/* ---- records --------------------------------------------------------------- */

static void process_record(struct watch *w, struct winput *in, const struct yg_record *rec)
{
    w->rec = rec;
    w->win = in;
    w->records++;
    const char *p = rec->data;
    size_t n = rec->len;
    bool json = in->json;
    /* Records of an input without a format are routed one by one (a JSON
     * record no format claims is scanned as generic JSON by the line
     * decoder): the log source given in the configuration applies to those. */
    if (!json && (!in->fmt || in->fmt->record_logsrc))
        yg_scanner_set_logsource(w->scanner, in->cfg->product, in->cfg->service, in->cfg->category);
    if (json) {
        yg_scanner_set_logsource(w->scanner, in->cfg->product, in->cfg->service, in->cfg->category);
        if (yg_scanner_scan_json(w->scanner, p, n, on_alert, w) != YG_OK) {
            in->in->errors++;
            if (yg__log_limit_allow(&in->skip_log, in->cfg->name, now_ms()))
                yg__log(YG_LOG_WARNING, "%s:%llu: invalid JSON: %s; record skipped", rec->source,
                        (unsigned long long)rec->line, yg_scanner_last_error(w->scanner, NULL));
        }
    } else {
        struct yg_line_result r;
        yg__linedec_scan(&w->ld, w->scanner, in->fmt, !in->fmt, p, n, on_alert, w, &r);
        if (r.err != YG_OK && r.err != YG_EOF) {
            in->in->errors++;
            if (yg__log_limit_allow(&in->skip_log, in->cfg->name, now_ms()))
                yg__log(YG_LOG_WARNING, "%s:%llu:%zu: %s: %s; record skipped", rec->source,
                        (unsigned long long)rec->line, r.de.col ? r.de.col : (size_t)1,
                        r.fmt ? r.fmt->name : "unrecognised format",
                        r.de.msg ? r.de.msg : yg_strerror(r.err));
        }
    }
    if (rec->ckpt_key) {
        if (!in->ckpt_key || strcmp(in->ckpt_key, rec->ckpt_key) != 0) {
            yg_free(in->ckpt_key);
            in->ckpt_key = yg_strndup(rec->ckpt_key, strlen(rec->ckpt_key));
        }
        yg_free(in->ckpt_val);
        in->ckpt_val = yg_strndup(rec->ckpt_val, strlen(rec->ckpt_val));
        in->ckpt_dirty = in->ckpt_key && in->ckpt_val;
    }
    w->batch_records++;
}

/* Title and level of a detection rule of the running set, for the
 * contributing detections of correlation alerts in incident timelines. */
static bool incident_rule(void *ud, const char *rule_id, const char **title, const char **level)
{
    const struct watch *w = ud;
    for (size_t i = 0; w->rules && i < w->rules->nrules; i++) {
        const struct yg_rule *r = w->rules->rules[i].rule;
        if (r && r->id && strcmp(r->id, rule_id) == 0) {
            *title = r->title;
            *level = yg__level_name(r->level);
            return true;
        }
    }
    return false;
}

/* ---- set-up ------------------------------------------------------------------ */

static void diag_log(void *ud, const yg_diagnostic *d)
{
    (void)ud;
    yg__log(YG_LOG_WARNING, "%s:%u:%u: %s: %s%s", d->file, d->line, d->col,
            d->rule_id ? d->rule_id : "-", d->err == YG_EUNSUPPORTED ? "unsupported: " : "",
            d->message);
}

static void intel_diag_log(void *ud, const yg_intel_diag *d)
{
    (void)ud;
    yg__log(YG_LOG_WARNING, "intel: %s:%u:%u: %s%s%s%s%s", d->file, d->line, d->col,
            d->err == YG_EUNSUPPORTED ? "unsupported: " : "", d->object_id ? d->object_id : "",
            d->object_id ? ": " : "", d->message, d->pattern ? " (pattern given)" : "");
}

/* The configured intelligence into the compiler: loaded again with every
 * rule load, so SIGHUP picks up changed feeds.  A path that cannot be read
 * fails the load like a missing rule path; bad indicators are logged. */
static bool load_intel(const struct yg_config *cfg, yg_compiler *c)
{
    yg_intel *in;
    if (yg_intel_create(&in))
        return false;
    yg_intel_set_diag(in, intel_diag_log, NULL);
    bool ok = (!cfg->intel.tlp_default ||
               yg_intel_set_default_tlp(in, cfg->intel.tlp_default) == YG_OK) &&
              (!cfg->intel.levels || yg_intel_set_level_map(in, cfg->intel.levels) == YG_OK);
    for (size_t i = 0; ok && i < cfg->intel.npaths; i++) {
        yg_err e = yg_intel_load_path(in, cfg->intel.paths[i], NULL);
        if (e) {
            yg__log(YG_LOG_ERROR, "intel: %s: %s", cfg->intel.paths[i], yg_strerror(e));
            ok = false;
        }
    }
    ok = ok && yg_intel_freeze(in) == YG_OK && yg_compiler_add_intel(c, in) == YG_OK;
    if (ok) {
        yg_intel_stats st;
        yg_intel_get_stats(in, &st);
        yg__log(YG_LOG_INFO,
                "intel: %zu indicator(s) from %zu file(s); %zu rejected, %zu unsupported, %zu "
                "expired",
                st.indicators, st.files, st.errors, st.unsupported, st.expired);
    }
    yg_intel_release(in);
    return ok;
}

/* Compile the configured rules; NULL (logged) when the set does not load. */
static yg_rules *compile_rules(const struct yg_config *cfg, size_t *failed)
{
    yg_compiler *c;
    yg_rules *r = NULL;
    if (yg_compiler_create(&c, cfg->data_dir))
        return NULL;
    yg_compiler_set_diag(c, diag_log, NULL);
    for (size_t i = 0; i < cfg->nmappings; i++)
        if (yg_compiler_add_mapping(c, cfg->mappings[i])) {
            yg_compiler_destroy(c);
            return NULL;
        }
    for (size_t i = 0; i < cfg->npipelines; i++)
        if (yg_compiler_add_pipeline(c, cfg->pipelines[i])) {
            yg_compiler_destroy(c);
            return NULL;
        }
    bool missing = false;
    for (size_t i = 0; i < cfg->nrules; i++)
        if (yg_compiler_add_path(c, cfg->rules[i]) == YG_ENOTFOUND)
            missing = true;
    if (cfg->intel.npaths && !missing && !load_intel(cfg, c)) {
        yg_compiler_destroy(c);
        return NULL;
    }
    yg_err e = yg_compiler_get_rules(c, &r);
    yg_compiler_destroy(c);
    if (e || missing) {
        yg__log(YG_LOG_ERROR, "rules: %s", missing ? "a rule path does not exist" : yg_strerror(e));
        yg_rules_release(r);
        return NULL;
    }
    yg_rules_stats st;
    yg_rules_get_stats(r, &st);
    *failed = st.failed;
    /* The built-in intel rules are counted apart from the Sigma rules. */
    yg__log(YG_LOG_INFO,
            "rules: %zu detection, %zu correlation, %zu filter(s), %zu built-in (intel); %zu "
            "failed",
            st.detection - st.builtin, st.correlation, st.filters, st.builtin, st.failed);
    return r;
}

struct restore_ctx {
    struct watch *w;
};

static void restore_ckpt(void *ud, const char *key, const char *val)
{
    struct watch *w = ud;
    /* Each input takes the keys it owns and ignores the others. */
    for (size_t i = 0; i < w->ninputs; i++) {
        struct yg_input *in = w->inputs[i].in;
        if (in->ops->restore)
            (void)in->ops->restore(in, key, val);
    }
}

static yg_err open_inputs(struct watch *w)
{
    w->inputs = yg_calloc(w->cfg->ninputs, sizeof *w->inputs);
    if (!w->inputs)
        return YG_ENOMEM;
    for (size_t i = 0; i < w->cfg->ninputs; i++) {
        const struct yg_cfg_input *ci = &w->cfg->inputs[i];
        struct winput *wi = &w->inputs[i];
        yg_err e;
        wi->cfg = ci;
        wi->json = ci->format && strcmp(ci->format, "json") == 0;
        wi->fmt = ci->format && !wi->json ? yg__format_find(ci->format) : NULL;
        if (ci->format && !wi->json && strcmp(ci->format, "auto") != 0 && !wi->fmt) {
            yg__log(YG_LOG_ERROR, "inputs: %s: unknown format '%s'", ci->name, ci->format);
            return YG_EINVAL;
        }
        switch (ci->type) {
        case YG_INPUT_FILE:
            e = yg__in_file_new(ci->name, ci->path, ci->start_at_end, &wi->in);
            break;
        case YG_INPUT_SYSLOG_UDP:
            e = yg__in_syslog_udp_new(ci->name, ci->listen, &wi->in);
            if (!e && ci->receive_buffer) {
                uint64_t got = 0;
                if (yg__in_syslog_set_rcvbuf(wi->in, ci->receive_buffer, &got) != YG_OK)
                    yg__log(YG_LOG_WARNING, "inputs: %s: cannot set receive_buffer: %s", ci->name,
                            strerror(errno));
                else if (got < ci->receive_buffer)
                    yg__log(YG_LOG_WARNING,
                            "inputs: %s: receive_buffer %llu bytes asked, the kernel gave %llu "
                            "(raise net.core.rmem_max, or run with CAP_NET_ADMIN)",
                            ci->name, (unsigned long long)ci->receive_buffer,
                            (unsigned long long)got);
            }
            break;
        case YG_INPUT_SYSLOG_TCP: e = yg__in_syslog_tcp_new(ci->name, ci->listen, &wi->in); break;
        case YG_INPUT_SYSLOG_TLS:
            e = yg__in_syslog_tls_new(ci->name, ci->listen, ci->cert, ci->key, &wi->in);
            break;
        case YG_INPUT_OTLP_HTTP:
            e = yg__in_otlp_new(ci->name, ci->listen, &wi->in);
            if (e) {
                yg__log(YG_LOG_ERROR, "inputs: %s: cannot open: %s", ci->name,
                        *yg__in_otlp_last_error() ? yg__in_otlp_last_error() : yg_strerror(e));
                return e;
            }
            yg__log(YG_LOG_INFO, "inputs: %s: OTLP/HTTP logs on %s (port %d), POST /v1/logs",
                    ci->name, ci->listen, yg__in_otlp_port(wi->in));
            break;
        default: e = yg__in_stdin_new(ci->name, &wi->in); break;
        }
        if (e) {
            const char *why = yg__in_last_error();
            yg__log(YG_LOG_ERROR, "inputs: %s: cannot open: %s", ci->name,
                    *why ? why : yg_strerror(e));
            return e;
        }
        /* The port actually bound: the one asked for, or the kernel's pick for port 0. */
        if (yg__in_syslog_port(wi->in) > 0)
            yg__log(YG_LOG_INFO, "inputs: %s: listening on %s (port %d)", ci->name, ci->listen,
                    yg__in_syslog_port(wi->in));
        w->ninputs = i + 1;
    }
    return YG_OK;
}

/* One configured sink.  Defaults the sink modules leave to the caller are
 * set here: a webhook spool beside the state database, the syslog host and
 * port split from `address`. */
static yg_err sink_from_config(struct watch *w, size_t i, struct yg_sink **out)
{
    const struct yg_cfg_sink *cs = &w->cfg->sinks[i];
    char why[512] = "", name[32];
    yg_err e = YG_EINVAL;
    snprintf(name, sizeof name, "sinks[%zu]", i);
    if (cs->type == YG_SINK_JSONL) {
        struct yg_jsonl_opts o = {cs->path, cs->rotate, cs->keep};
        e = yg__out_jsonl_new(name, &o, out, why, sizeof why);
    } else if (cs->type == YG_SINK_SYSLOG) {
        char host[256];
        unsigned port = 0;
        char ports[16];
        if (!yg__parse_hostport(cs->address, host, sizeof host, &port, false)) {
            snprintf(why, sizeof why, "address '%s' is not host:port", cs->address);
        } else {
            snprintf(ports, sizeof ports, "%u", port);
            struct yg_syslog_opts o;
            memset(&o, 0, sizeof o);
            o.host = host;
            o.port = ports;
            o.tcp = cs->protocol == YG_PROTO_TCP;
            e = yg__out_syslog_new(name, &o, out, why, sizeof why);
        }
    } else {
        char spool[4096];
        const char *sp = cs->spool;
        if (!sp) {
            snprintf(spool, sizeof spool, "%s.spool.%zu", w->cfg->state, i);
            sp = spool;
        }
        const char **hdr = yg_calloc(cs->nheaders + 1, sizeof *hdr);
        char **owned = yg_calloc(cs->nheaders + 1, sizeof *owned);
        if (!hdr || !owned) {
            yg_free(hdr);
            yg_free(owned);
            return YG_ENOMEM;
        }
        for (size_t h = 0; h < cs->nheaders; h++) {
            size_t n = strlen(cs->headers[h].name) + strlen(cs->headers[h].value) + 3;
            owned[h] = yg_malloc(n);
            if (owned[h])
                snprintf(owned[h], n, "%s: %s", cs->headers[h].name, cs->headers[h].value);
            hdr[h] = owned[h];
        }
        struct yg_webhook_opts o;
        memset(&o, 0, sizeof o);
        o.url = cs->url;
        o.spool_dir = sp;
        o.headers = hdr;
        o.timeout_ms = (unsigned)cs->timeout_ms;
        e = yg__out_webhook_new(name, &o, out, why, sizeof why);
        for (size_t h = 0; h < cs->nheaders; h++)
            yg_free(owned[h]);
        yg_free(owned);
        yg_free(hdr);
    }
    if (e)
        /* The reason never includes the URL or header values. */
        yg__log(YG_LOG_ERROR, "%s (line %u): cannot open: %s", name, cs->line,
                why[0] ? why : yg_strerror(e));
    return e;
}

static yg_err open_sinks(struct watch *w)
{
    w->sinks = yg_calloc(w->cfg->nsinks + 1, sizeof *w->sinks);
    if (!w->sinks)
        return YG_ENOMEM;
    for (size_t i = 0; i < w->cfg->nsinks; i++) {
        yg_err e = sink_from_config(w, i, &w->sinks[w->nsinks]);
        if (e)
            return e;
        w->nsinks++;
    }
    return YG_OK;
}

static bool healthy(void *ud, char *why, size_t wl)
{
    struct watch *w = ud;
    if (!w->scanner) {
        snprintf(why, wl, "no rule set loaded");
        return false;
    }
    pthread_mutex_lock(&w->cause_lock);
    bool ok = !w->cause[0];
    if (!ok)
        snprintf(why, wl, "%s", w->cause);
    pthread_mutex_unlock(&w->cause_lock);
    return ok;
}

/* ---- publishing sightings to our own TAXII collection ----------------------------- */

/* Add the sightings of the alerts stored within taxii.publish.window to the
 * collection taxii.publish.collection (src/taxii/taxii_publish.c). */
static void publish(struct watch *w)
{
    uint64_t added = 0, refused = 0;
    char why[512];
    if (yg__taxii_publish(w->taxii, w->cfg->taxii, w->cfg->state, &added, &refused, why,
                          sizeof why) != YG_OK) {
        yg__log(YG_LOG_WARNING, "taxii publish: %s", why);
        return;
    }
    if (added)
        yg__log(YG_LOG_INFO, "taxii publish: %llu new object(s) or version(s) in %s",
                (unsigned long long)added, w->cfg->taxii->publish_coll);
    if (refused)
        yg__log(YG_LOG_WARNING,
                "taxii publish: %llu object(s) refused by %s (marked above its TLP ceiling: "
                "lower taxii.export_tlp or raise the collection's tlp_ceiling)",
                (unsigned long long)refused, w->cfg->taxii->publish_coll);
}

/* ---- correlation state after a restart ---------------------------------------- */

struct replay_ctx {
    struct watch *w;
    uint64_t n, skipped;
};

/* Find a rule index by id (rule indexes change between rule sets). */
static bool rule_index_of(const yg_rules *rs, const char *id, uint32_t *out)
{
    for (size_t i = 0; i < rs->nrules; i++)
        if (rs->rules[i].rule->id && strcmp(rs->rules[i].rule->id, id) == 0) {
            *out = (uint32_t)i;
            return true;
        }
    return false;
}

/* The value of "name" in a flat JSON object of strings written by
 * record_detection (keys and values JSON-escaped). */
static bool fields_get(const char *json, const char *name, struct yg_arena *a, struct yg_str *out)
{
    struct yg_buf key;
    yg_buf_init(&key, 1u << 16);
    if (yg_buf_add_json_str(&key, name, strlen(name)) || yg_buf_addc(&key, ':')) {
        yg_buf_free(&key);
        return false;
    }
    const char *p = strstr(json, key.p);
    size_t kl = key.n;
    yg_buf_free(&key);
    if (!p)
        return false;
    p += kl;
    if (*p != '"')
        return false;
    const char *q = ++p;
    struct yg_buf v;
    yg_buf_init(&v, 1u << 20);
    while (*q && *q != '"') {
        char c = *q++;
        if (c == '\\' && *q) {
            char x = *q++;
            c = x == 'n' ? '\n' : x == 't' ? '\t' : x == 'r' ? '\r' : x;
            if (x == 'u' && q[0] && q[1] && q[2] && q[3]) {
                c = (char)strtol((char[]){q[2], q[3], 0}, NULL, 16);
                q += 4;
            }
        }
        if (yg_buf_addc(&v, c)) {
            yg_buf_free(&v);
            return false;
        }
    }
    out->p = yg_arena_strndup(a, v.p ? v.p : "", v.n);
    out->n = v.n;
    yg_buf_free(&v);
    return out->p != NULL;
}

static void replay_one(void *ud, const struct yg_det_row *d)
{
    struct replay_ctx *rc = ud;
    struct watch *w = rc->w;
    const struct yg_corr_set *cs = w->rules->corr;
    uint32_t r;
    if (!rule_index_of(w->rules, d->rule_id, &r) || !yg__corr_references(cs, r)) {
        rc->skipped++;
        return;
    }
    size_t nf = yg__corr_nfields(cs, r);
    struct yg_str vals[YG_CORR_MAX_GROUP_BY * 4];
    if (nf > sizeof vals / sizeof *vals)
        nf = sizeof vals / sizeof *vals;
    for (size_t k = 0; k < nf; k++)
        if (!fields_get(d->fields, yg__corr_field(cs, r, k), &w->arena, &vals[k]))
            vals[k] = (struct yg_str){NULL, 0};
    struct evid *e = yg_calloc(1, sizeof *e);
    if (!e)
        return;
    e->rule = r;
    e->record_id = yg_strndup(d->record_id, strlen(d->record_id));
    e->source = yg_strndup(d->source, strlen(d->source));
    e->timestamp = yg_strndup(d->timestamp, strlen(d->timestamp));
    e->line = d->line;
    e->refs = 1;
    if (yg__corr_feed(w->corr, r, d->t_ms, vals, e, corr_alert, w))
        w->errors++;
    ev_release(w, e);
    rc->n++;
}

/* Rebuild correlation windows from the stored detections of the longest
 * timespan plus lateness. */
static void rebuild_correlation(struct watch *w)
{
    if (!w->corr)
        return;
    struct replay_ctx rc = {w, 0, 0};
    w->replaying = true;
    int64_t since = INT64_MIN;
    if (yg__store_det_each(w->store, since, replay_one, &rc))
        yg__log(YG_LOG_ERROR, "state: cannot read stored detections: %s",
                yg__store_errmsg(w->store));
    w->replaying = false;
    yg_arena_reset(&w->arena);
    if (rc.n || rc.skipped)
        yg__log(YG_LOG_INFO,
                "correlation: %llu stored detection(s) replayed, %llu of rules no "
                "longer loaded",
                (unsigned long long)rc.n, (unsigned long long)rc.skipped);
}

/* The longest timespan of the loaded correlations (to prune stored detections). */
static int64_t longest_timespan(const yg_rules *rs)
{
    int64_t best = 0;
    for (size_t i = 0; rs->corr && i < yg__corr_count(rs->corr); i++)
        if (yg__corr_timespan_ms(rs->corr, i) > best)
            best = yg__corr_timespan_ms(rs->corr, i);
    return best;
}

/* Analytics whose geolocation database is not configured: said once per
 * load, and the rest runs. */
static void geo_inactive(void *ud, const struct yg_rule *r, const char *why)
{
    (void)ud;
    yg__log(YG_LOG_WARNING, "analytic %s inactive: %s (geoip in the configuration)",
            r->name    ? r->name
            : r->id    ? r->id
            : r->title ? r->title
                       : "?",
            why);
}

/* ---- the loop ---------------------------------------------------------------- */

static void reload(struct watch *w)
{
    size_t failed = 0;
    yg__log(YG_LOG_INFO, "SIGHUP: reloading rules");
    yg_rules *nr = compile_rules(w->cfg, &failed);
    yg_scanner *ns = NULL;
    struct yg_corr_state *nc = NULL;
    /* A set with more rules that do not load than the running one is a
     * broken edit: keep the running rules rather than lose detections. */
    if (nr && failed > w->failed) {
        yg__log(YG_LOG_ERROR,
                "reload rejected: %zu rule(s) of the new set do not load (the "
                "running set has %zu); the running rules stay in force",
                failed, w->failed);
        yg_rules_release(nr);
        return;
    }
    if (!nr || yg_scanner_create(nr, &ns) ||
        (nr->corr && yg__corr_state_new(nr->corr, w->cfg->correlation.memory_bytes, &nc))) {
        yg__log(YG_LOG_ERROR, "reload rejected: the new rule set does not load; the running "
                              "rules stay in force");
        yg_scanner_destroy(ns);
        yg_rules_release(nr);
        return;
    }
    yg_scanner_set_intel_wallclock(ns, true);
    /* Between batches: everything before this point was matched by the old
     * rules, everything after by the new; no record is read twice. */
    if (flush_batch(w) != YG_OK) {
        yg_scanner_destroy(ns);
        yg_rules_release(nr);
        if (nc)
            yg__corr_state_free(nc);
        return;
    }
    export_regex_limits(w);
    yg_scanner_destroy(w->scanner);
    if (w->corr)
        yg__corr_state_free(w->corr);
    yg_rules_release(w->rules);
    w->rules = nr;
    w->scanner = ns;
    /* The new scanner counts from zero; the exported counters keep their
     * totals. */
    yg_free(w->re_seen);
    w->re_seen = NULL;
    w->re_seen_total = 0;
    w->corr = nc;
    w->max_timespan_ms = longest_timespan(nr);
    w->failed = failed;
    if (w->corr) {
        yg__corr_set_lateness(w->corr, (int64_t)w->cfg->correlation.lateness_ms);
        yg__corr_set_evidence_hooks(w->corr, ev_hold, ev_release, w);
        yg__corr_set_geo(w->corr, w->geo, geo_inactive, NULL);
        rebuild_correlation(w);
    }
    for (size_t i = 0; i < w->nsinks; i++)
        if (w->sinks[i]->ops->reopen)
            if (w->sinks[i]->ops->reopen(w->sinks[i]))
                yg__log(YG_LOG_WARNING, "%s: reopen failed", w->sinks[i]->name);
    yg__log(YG_LOG_INFO, "reload done (%zu rule(s) failed to load)", failed);
}

int yg__watch_run(const struct yg_watch_opts *o)
{
    struct watch w;
    char why[1024];
    int status = 2;
    memset(&w, 0, sizeof w);
    w.o = o;
    pthread_mutex_init(&w.cause_lock, NULL);
    yg_arena_init(&w.arena, 1u << 16, 0);
    yg_buf_init(&w.json, YG_MAX_EVENT_BYTES * 4);
    yg__linedec_init(&w.ld);
    if (yg__config_load(o->config_path, &w.cfg, why, sizeof why)) {
        fprintf(stderr, "yagura watch: %s\n", why);
        goto out;
    }
    yg__log_setup(w.cfg->log_target, w.cfg->log_level, "yagura");
    size_t failed = 0;
    if (!(w.rules = compile_rules(w.cfg, &failed)))
        goto out;
    w.failed = failed;
    if (w.cfg->geoip.ncity || w.cfg->geoip.nasn) {
        if (yg__geo_open((const char *const *)w.cfg->geoip.city, w.cfg->geoip.ncity,
                         (const char *const *)w.cfg->geoip.asn, w.cfg->geoip.nasn, &w.geo, why,
                         sizeof why)) {
            yg__log(YG_LOG_ERROR, "geoip: %s", why);
            goto out;
        }
    }
    if (o->check_only) {
        if (w.cfg->taxii && w.cfg->taxii->listen &&
            yg__taxii_tls_check(w.cfg->taxii, why, sizeof why)) {
            yg__log(YG_LOG_ERROR, "%s", why);
            goto out;
        }
        /* A TLS input whose certificate or key cannot be loaded would stop
         * the service at start: --check says so now. */
        for (size_t i = 0; i < w.cfg->ninputs; i++) {
            const struct yg_cfg_input *ci = &w.cfg->inputs[i];
            if (ci->type == YG_INPUT_SYSLOG_TLS &&
                yg__in_tls_check(ci->cert, ci->key, why, sizeof why)) {
                yg__log(YG_LOG_ERROR, "inputs: %s: %s", ci->name, why);
                goto out;
            }
        }
        status = failed ? 1 : 0;
        goto out;
    }
    if (yg_scanner_create(w.rules, &w.scanner))
        goto out;
    yg_scanner_set_intel_wallclock(w.scanner, true);
    if (w.rules->corr) {
        if (yg__corr_state_new(w.rules->corr, w.cfg->correlation.memory_bytes, &w.corr))
            goto out;
        yg__corr_set_lateness(w.corr, (int64_t)w.cfg->correlation.lateness_ms);
        yg__corr_set_evidence_hooks(w.corr, ev_hold, ev_release, &w);
        yg__corr_set_geo(w.corr, w.geo, geo_inactive, NULL);
    }
    if (yg__store_open(w.cfg->state, &w.store, why, sizeof why)) {
        yg__log(YG_LOG_ERROR, "state: %s", why);
        goto out;
    }
    if (w.cfg->incidents.enabled) {
        if (yg__entity_map_load_default(w.cfg->data_dir, &w.entmap, why, sizeof why)) {
            yg__log(YG_LOG_ERROR, "incidents: %s", why);
            goto out;
        }
        if (yg__incident_builder_new(w.store, w.entmap, (int64_t)w.cfg->incidents.window_ms,
                                     &w.incidents))
            goto out;
        yg__incident_set_rule_lookup(w.incidents, incident_rule, &w);
        yg__incident_set_alerts_stored(w.incidents, true);
    }
    if (yg__metrics_new(&w.metrics) || yg__metrics_declare_standard(w.metrics))
        goto out;
    if (open_inputs(&w) || open_sinks(&w))
        goto out;
    if (!(w.sent = yg_calloc(2 * w.nsinks + 1, sizeof *w.sent)))
        goto out;
    w.max_timespan_ms = longest_timespan(w.rules);
    rebuild_correlation(&w);
    for (size_t i = 0; i < w.ninputs; i++) {
        const char *lab[] = {"input", w.inputs[i].cfg->name, NULL};
        w.inputs[i].m_events = yg__metrics_get(w.metrics, YG_M_EVENTS, lab);
        w.inputs[i].m_lag = yg__metrics_get(w.metrics, YG_M_INPUT_LAG, lab);
    }
    if (yg__store_ckpt_each(w.store, restore_ckpt, &w)) {
        yg__log(YG_LOG_ERROR, "state: cannot read checkpoints");
        goto out;
    }
    if (w.cfg->http_listen && yg__http_start(w.cfg->http_listen, w.metrics, healthy, &w, &w.http)) {
        yg__log(YG_LOG_ERROR, "http: cannot listen on %s", w.cfg->http_listen);
        goto out;
    }
    if (w.cfg->taxii && w.cfg->taxii->listen &&
        (yg__taxii_server_new(w.cfg->taxii, &w.taxii, why, sizeof why) ||
         yg__taxii_http_start(w.taxii, w.cfg->taxii, &w.taxii_http, why, sizeof why))) {
        yg__log(YG_LOG_ERROR, "taxii: %s", why);
        goto out;
    }
    if (w.taxii)
        yg__taxii_server_set_metrics(w.taxii, w.metrics);
    if (w.cfg->user && yg__drop_privileges(w.cfg->user, why, sizeof why)) {
        yg__log(YG_LOG_ERROR, "user: %s", why);
        goto out;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    yg__log(YG_LOG_INFO, "watching %zu input(s), %zu sink(s)", w.ninputs, w.nsinks);
    w.batch_start_ms = now_ms();
    uint64_t idle_since = now_ms();
    /* Publishing runs when new alerts were stored, at most every interval. */
    bool publishing = w.taxii && w.cfg->taxii->publish_coll;
    uint64_t published_at = 0, last_publish = 0;
    bool busy = false; /* the last round read records: more may be buffered */
    status = 0;
    while (!sig_stop) {
        if (sig_reload) {
            sig_reload = 0;
            reload(&w);
        }
        struct pollfd fds[MAX_POLLFDS];
        int nfds = 0;
        /* While the batch waits for a retry, readable inputs must not wake
         * the loop: it sleeps until the retry is due. */
        for (size_t i = 0; !w.stalled && i < w.ninputs && nfds < MAX_POLLFDS; i++)
            if (w.inputs[i].in->ops->pollfds)
                nfds +=
                    w.inputs[i].in->ops->pollfds(w.inputs[i].in, fds + nfds, MAX_POLLFDS - nfds);
        /* Inputs may hold records already read from their descriptors (a TCP
         * framer full of messages): while records keep coming, do not wait. */
        int wait = busy ? 0 : w.npend || w.batch_records ? 20 : 100;
        if (w.stalled) {
            /* Waiting to retry the commit: nothing is read meanwhile. */
            uint64_t t = now_ms();
            wait = w.retry_at_ms > t ? (int)(w.retry_at_ms - t < 100 ? w.retry_at_ms - t : 100) : 0;
        }
        if (poll(fds, (nfds_t)nfds, wait) < 0 && errno != EINTR)
            yg__log(YG_LOG_WARNING, "poll: %s", strerror(errno));
        bool got = false;
        for (size_t i = 0; i < w.ninputs && !sig_stop; i++) {
            struct winput *in = &w.inputs[i];
            if (in->in->ops->service(in->in) != YG_OK)
                in->in->errors++;
            struct yg_record rec;
            uint64_t t0 = now_ms(), nrec = 0;
            while (!w.stalled && w.batch_records < BATCH_RECORDS &&
                   in->in->ops->next(in->in, &rec) == YG_OK) {
                process_record(&w, in, &rec);
                in->in->records++;
                in->in->bytes += rec.len;
                nrec++;
                got = true;
            }
            if (nrec) {
                export_regex_limits(&w);
                yg__metric_add(in->m_events, (double)nrec);
                yg__metric_add(yg__metrics_get(w.metrics, YG_M_EVAL_SECONDS, NULL),
                               (double)(now_ms() - t0) / 1000.0);
                in->last_record_ms = now_ms();
            }
            yg__metric_set(
                in->m_lag,
                in->last_record_ms && !nrec
                    ? 0.0
                    : (double)(now_ms() - (in->last_record_ms ? in->last_record_ms : now_ms())) /
                          1000.0);
        }
        uint64_t now = now_ms();
        busy = got;
        if (got)
            idle_since = now;
        for (size_t i = 0; i < w.ninputs; i++) {
            struct yg_input *inp = w.inputs[i].in;
            log_drops(&w.inputs[i], now, false);
            yg__metric_set(yg__metrics_get(w.metrics, YG_M_DROPPED,
                                           (const char *[]){"reason", "input", "input",
                                                            w.inputs[i].cfg->name, NULL}),
                           (double)(inp->dropped + inp->errors));
            yg__log_limit_flush(&w.inputs[i].skip_log, w.inputs[i].cfg->name, now, false);
        }
        if (w.corr) {
            struct yg_corr_stats cst;
            yg__corr_stats(w.corr, &cst);
            yg__metric_set(yg__metrics_get(w.metrics, YG_M_CORR_BYTES, NULL), (double)cst.bytes);
            yg__metric_set(yg__metrics_get(w.metrics, YG_M_DROPPED,
                                           (const char *[]){"reason", "correlation", NULL}),
                           (double)(cst.dropped_late + cst.dropped_mem));
        }
        if (w.stalled
                ? now >= w.retry_at_ms
                : w.batch_records >= BATCH_RECORDS || now - w.batch_start_ms >= BATCH_MS || !got)
            (void)flush_batch(&w);
        if (publishing && w.alerts_new != published_at &&
            now - last_publish >= w.cfg->taxii->publish_interval_ms) {
            published_at = w.alerts_new;
            last_publish = now;
            publish(&w);
        }
        if (o->exit_when_idle_ms && !got && !w.npend && now - idle_since >= o->exit_when_idle_ms)
            break;
    }
    for (size_t i = 0; i < w.ninputs; i++)
        log_drops(&w.inputs[i], now_ms(), true);
    /* Drain: what was read is matched and committed before stopping. */
    if (flush_batch(&w) != YG_OK)
        status = 1;
    if (publishing && w.alerts_new != published_at)
        publish(&w);
    for (size_t i = 0; i < w.ninputs; i++)
        yg__log_limit_flush(&w.inputs[i].skip_log, w.inputs[i].cfg->name, now_ms(), true);
    yg__log(YG_LOG_INFO, "stopped: %llu record(s), %llu new alert(s), %llu replayed, %llu error(s)",
            (unsigned long long)w.records, (unsigned long long)w.alerts_new,
            (unsigned long long)w.alerts_dup, (unsigned long long)w.errors);
out:
    if (w.http)
        yg__http_stop(w.http);
    yg__taxii_http_stop(w.taxii_http);
    yg__taxii_server_free(w.taxii);
    if (w.metrics)
        yg__metrics_free(w.metrics);
    yg_free(w.det);
    for (size_t i = 0; w.inputs && i < w.cfg->ninputs; i++) { /* inputs not opened are NULL */
        if (w.inputs[i].in)
            w.inputs[i].in->ops->destroy(w.inputs[i].in);
        yg_free(w.inputs[i].ckpt_key);
        yg_free(w.inputs[i].ckpt_val);
    }
    yg_free(w.inputs);
    for (size_t i = 0; i < w.nsinks; i++)
        w.sinks[i]->ops->destroy(w.sinks[i]);
    yg_free(w.sinks);
    yg__incident_builder_free(w.incidents);
    yg__entity_map_free(w.entmap);
    if (w.store)
        yg__store_close(w.store);
    if (w.corr)
        yg__corr_state_free(w.corr);
    yg_scanner_destroy(w.scanner);
    yg_free(w.re_seen);
    yg_rules_release(w.rules);
    yg__geo_free(w.geo);
    yg__linedec_free(&w.ld);
    yg_buf_free(&w.json);
    yg_free(w.pend);
    yg_free(w.sent);
    pthread_mutex_destroy(&w.cause_lock);
    yg_arena_free(&w.arena);
    yg__config_free(w.cfg);
    return status;
}
