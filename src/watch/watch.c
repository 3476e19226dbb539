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
#include "detector/corr_json.h"
#include "detector/detector.h"
#include "detector/alertjson.h"
#include "decode/json.h"
#include "detector/linedec.h"
#include "geo/geo.h"
#include "http/http.h"
#include "incident/incident.h"
#include "ingest/input.h"
#include "match/program.h"
#include "output/sink.h"
#include "core/yaml.h"
#include "store/store.h"
#include "taxii/taxii.h"
#include "console/console.h"
#include "watch/kafka.h"
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
    bool alerts;                  /* format: alerts: each record an alert, taken as it is */
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

/* One alert of the current batch (strings in the batch arena): its row for
 * the sinks and the state database, and its fields for the incident
 * builder (when incidents are built). */
struct pending {
    struct yg_alert_row row;
    struct yg_incident_alert inc;
    bool taken; /* an alert read from an input of format alerts: incidents read its JSON */
};

struct watch {
    const struct yg_watch_opts *o;
    struct yg_config *cfg;
    /* the running rules, geolocation of the analytics, the incident builder */
    struct yg_detector *detector;
    yg_scanner *scanner;
    struct yg_linedec ld;
    struct yg_store *store;
    struct yg_sink **sinks;
    size_t nsinks;
    struct winput *inputs;
    size_t ninputs;
    struct yg_http *http;
    struct yg_taxii_server *taxii; /* the TAXII server of the taxii: section, or NULL */
    struct yg_taxii_http *taxii_http;
    struct yg_console *console; /* taxii.console: the web console, on the TAXII listener */
    struct yg_metrics *metrics;
    /* Kafka (docs/kafka.md): the client of the kafka: section, or NULL */
    struct yg_kafka *kafka;
    enum yg_kafka_role role;
    struct yg_cfg_input det_input; /* a correlate watch's input: the detections topic */
    size_t inputs_alloc;           /* entries of inputs (opened or not) */
    bool kafka_failed;             /* a Kafka commit failed: stop, restart resumes */
    struct yg_arena karena;        /* a detection message being read (correlate) */
    /* the batch */
    struct yg_arena arena;
    struct pending *pend;
    size_t npend, pendcap;
    size_t batch_records;
    size_t batch_max; /* records per batch: BATCH_RECORDS, or kafka.batch_records */
    uint64_t batch_start_ms;
    /* the record being matched */
    const struct yg_record *rec;
    struct winput *win;
    struct yg_buf json;
    struct yg_buf corr_obj; /* the correlation object of a correlation alert */
    bool replaying;         /* rebuilding correlation state: alerts only dedupe */
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
        const char *rid = yg_rules_rule_id(w->detector->rules, (uint32_t)i);
        rid = rid ? rid : "";
        if (!w->re_seen[i])
            yg__log(YG_LOG_WARNING,
                    "rule %s (%s): a regex reached its PCRE2 step limit; such records count as "
                    "no match for it (yagura_regex_limit_total)",
                    rid, yg_rules_rule_title(w->detector->rules, (uint32_t)i));
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
                          size_t jn, const struct yg_incident_alert *inc)
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
    w->pend[w->npend].taken = !inc;
    if (w->detector->incidents && inc) {
        struct yg_incident_alert *ia = &w->pend[w->npend].inc;
        /* The JSON is the row's (already in the arena). */
        struct yg_incident_alert src = *inc;
        src.json = NULL;
        src.json_len = 0;
        if (yg__incident_alert_copy(&w->arena, &src, ia))
            return YG_ENOMEM;
        ia->json = r->json;
        ia->json_len = jn;
    }
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

/* Alerts of the batch that a sink has not taken yet go to it. */
static yg_err deliver_batch(struct watch *w)
{
    yg_err err = YG_OK;
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
                return err;
        if ((err = k->ops->flush(k)) && !best_effort)
            return err;
        *flushed = w->npend;
    }
    return YG_OK;
}

/* Incidents are derived from the alerts in the same transaction, so that
 * neither commits without the other.  An alert the builder cannot read is
 * logged and left out of incidents; a failure to write them fails the
 * batch like any other. */
static yg_err store_incidents(struct watch *w)
{
    for (size_t i = 0; w->detector->incidents && i < w->npend; i++) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        const struct yg_alert_row *r = &w->pend[i].row;
        int64_t now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
        yg_err ie = w->pend[i].taken ? yg__incident_feed(w->detector->incidents, r->id, r->json,
                                                         strlen(r->json), now, NULL)
                                     : yg__incident_feed_alert(w->detector->incidents,
                                                               &w->pend[i].inc, now, NULL);
        if (ie == YG_ESYNTAX || ie == YG_ELIMIT) {
            w->errors++;
            yg__log(YG_LOG_WARNING, "incidents: alert %s: %s", r->id,
                    yg__incident_errmsg(w->detector->incidents));
        } else if (ie) {
            return ie;
        }
    }
    return YG_OK;
}

/* Alerts, detections, checkpoints and incidents of the batch, inside the
 * open transaction; *what names the step that failed. */
static yg_err store_batch(struct watch *w, const char **what, uint64_t *fresh, uint64_t *replayed)
{
    yg_err err;
    *what = "storing alerts";
    for (size_t i = 0; i < w->npend; i++) {
        bool inserted = false;
        if ((err = yg__store_alert(w->store, &w->pend[i].row, &inserted)))
            return err;
        ++*(inserted ? fresh : replayed);
    }
    *what = "storing detections";
    for (size_t i = 0; i < w->ndet; i++)
        if ((err = yg__store_det_put(w->store, &w->det[i])))
            return err;
    if (w->ndet && w->max_timespan_ms) {
        int64_t before = w->det[w->ndet - 1].t_ms - w->max_timespan_ms -
                         (int64_t)w->cfg->correlation.lateness_ms;
        if ((err = yg__store_det_prune(w->store, before)))
            return err;
    }
    *what = "storing checkpoints";
    for (size_t i = 0; i < w->ninputs; i++) {
        struct winput *in = &w->inputs[i];
        if (!in->ckpt_dirty || !in->ckpt_key)
            continue;
        if ((err = yg__store_ckpt_put(w->store, in->ckpt_key, in->ckpt_val)))
            return err;
    }
    *what = "storing incidents";
    return store_incidents(w);
}

/* The batch is committed: count it, and end a stall. */
static void batch_stored(struct watch *w, uint64_t fresh, uint64_t replayed)
{
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
}

static void batch_reset(struct watch *w)
{
    w->npend = 0;
    w->ndet = 0;
    w->batch_records = 0;
    for (size_t s = 0; s < 2 * w->nsinks; s++)
        w->sent[s] = 0;
    yg_arena_reset(&w->arena);
    w->batch_start_ms = now_ms();
}

/* The sink keeps what it could not deliver (a webhook spools it); the
 * batch is tried again, from the first alert this sink has not taken. */
static yg_err sink_failed(struct watch *w, yg_err err)
{
    char cause[600] = "a sink";
    for (size_t s = 0; s < w->nsinks; s++)
        if (w->sent[w->nsinks + s] < w->npend) {
            snprintf(cause, sizeof cause, "%s: %s", w->sinks[s]->name,
                     *yg__sink_errmsg(w->sinks[s]) ? yg__sink_errmsg(w->sinks[s])
                                                   : yg_strerror(err));
            break;
        }
    batch_failed(w, cause, "delivering to a sink");
    return err;
}

/* Kafka offsets are the checkpoints of kafka inputs: committed (with the
 * transaction of what was produced) once the batch is everywhere else.  A
 * failure here cannot be retried in place (docs/kafka.md): the service stops
 * and resumes from the committed offsets. */
static void kafka_commit_batch(struct watch *w)
{
    if (!w->kafka || w->kafka_failed)
        return;
    if (!yg__kafka_commit(w->kafka))
        return;
    const char *kwhy = yg__kafka_errmsg(w->kafka);
    if (yg__kafka_transactional(w->kafka) || yg__kafka_fatal(w->kafka)) {
        yg__log(YG_LOG_ERROR, "%s; stopping (a restart resumes from the committed offsets)", kwhy);
        w->kafka_failed = true;
    } else {
        yg__log(YG_LOG_WARNING, "%s; the offsets are committed with the next batch", kwhy);
    }
}

/* Write the batch to the sinks, then commit alerts and checkpoints. */
static yg_err flush_batch(struct watch *w)
{
    yg_err err = YG_OK;
    const char *what = "beginning a transaction";
    bool any_ckpt = false;
    for (size_t i = 0; i < w->ninputs; i++)
        any_ckpt |= w->inputs[i].ckpt_dirty;
    if (w->kafka)
        any_ckpt |= yg__kafka_pending(w->kafka);
    if (!w->npend && !any_ckpt && !w->ndet) {
        batch_reset(w);
        return YG_OK;
    }
    if ((err = deliver_batch(w)))
        return sink_failed(w, err);
    uint64_t fresh = 0, replayed = 0;
    if ((err = yg__store_begin(w->store)))
        goto fail;
    if ((err = store_batch(w, &what, &fresh, &replayed)))
        goto fail_tx;
    what = "committing";
    if ((err = yg__store_commit(w->store)))
        goto fail_tx;
    kafka_commit_batch(w);
    batch_stored(w, fresh, replayed);
    batch_reset(w);
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
    const struct yg_corr_set *cs = w->detector->rules->corr;
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

/* ---- Kafka stages (docs/kafka.md) ------------------------------------------ */

/* A detection as the match stage publishes it: one JSON object naming the
 * detection rule, the correlation it is for, the event time, the fields the
 * correlation needs and the evidence (record, source, timestamp, line).
 * The key is the correlation's id and group-by values (those of the outer
 * correlation for an inner one of a chain, yg__corr_partition_key), so
 * every detection of one group lands on one partition, hence one correlate
 * instance, whatever topics and keys its events came from.  A detection
 * whose correlation feeds several outer chains is published once per chain
 * ("chain": k, keyed by chain k's group, yg__corr_ncopies): each chain's
 * instance then holds every detection it needs. */
static yg_err publish_detection(struct watch *w, const yg_alert *a, int64_t t, const char *ts,
                                const struct yg_str *vals, size_t nf, const struct yg_record *rec)
{
    const struct yg_corr_set *cs = w->detector->rules->corr;
    struct yg_buf msg, key;
    yg_buf_init(&msg, 1u << 22);
    yg_buf_init(&key, 1u << 20);
    yg_err err = YG_OK;
    for (size_t s = 0, copy = 0; s < yg__corr_nfeeds(cs, a->rule_index) && !err;) {
        size_t ncopies = yg__corr_ncopies(cs, a->rule_index, s);
        const struct yg_rule *cr = yg__corr_rule(cs, yg__corr_feed_target(cs, a->rule_index, s));
        const char *cid = cr->id ? cr->id : cr->title ? cr->title : "";
        yg_buf_reset(&msg);
        yg_buf_reset(&key);
        YG_TRY(yg__corr_partition_key_copy(cs, a->rule_index, s, copy, vals, &key));
        YG_TRY(yg_buf_add(&msg, "{\"rule\":", 8));
        YG_TRY(yg_buf_add_json_str(&msg, a->rule_id, strlen(a->rule_id)));
        YG_TRY(yg_buf_add(&msg, ",\"correlation\":", 15));
        YG_TRY(yg_buf_add_json_str(&msg, cid, strlen(cid)));
        if (ncopies > 1)
            YG_TRY(yg_buf_addf(&msg, ",\"chain\":%zu", copy));
        YG_TRY(yg_buf_addf(&msg, ",\"t\":%lld,\"line\":%llu,\"timestamp\":", (long long)t,
                           (unsigned long long)rec->line));
        YG_TRY(yg_buf_add_json_str(&msg, ts, strlen(ts)));
        YG_TRY(yg_buf_add(&msg, ",\"record\":", 10));
        YG_TRY(yg_buf_add_json_str(&msg, rec->record_id, strlen(rec->record_id)));
        YG_TRY(yg_buf_add(&msg, ",\"source\":", 10));
        YG_TRY(yg_buf_add_json_str(&msg, rec->source, strlen(rec->source)));
        YG_TRY(yg_buf_add(&msg, ",\"fields\":{", 11));
        bool first = true;
        for (size_t k = 0; k < nf; k++) {
            if (!vals[k].p)
                continue;
            const char *name = yg__corr_field(cs, a->rule_index, k);
            if (!first)
                YG_TRY(yg_buf_addc(&msg, ','));
            first = false;
            YG_TRY(yg_buf_add_json_str(&msg, name, strlen(name)));
            YG_TRY(yg_buf_addc(&msg, ':'));
            YG_TRY(yg_buf_add_json_str(&msg, vals[k].p, vals[k].n));
        }
        YG_TRY(yg_buf_add(&msg, "}}", 2));
        if ((err = yg__kafka_produce(w->kafka, w->cfg->kafka.detections_topic, key.p, key.n, msg.p,
                                     msg.n))) {
            /* A lost detection would be a lost correlation: stop, and let
             * the restart read the record again. */
            yg__log(YG_LOG_ERROR, "%s; stopping", yg__kafka_errmsg(w->kafka));
            w->kafka_failed = true;
        }
        if (++copy >= ncopies) {
            copy = 0;
            s++;
        }
    }
done:
    yg_buf_free(&msg);
    yg_buf_free(&key);
    return err;
}

/* A detection message read by the correlate stage. */
struct detmsg {
    struct yg_str f[9]; /* rule, correlation, t, line, timestamp, record, source, -, chain */
    struct yg_str names[YG_CORR_MAX_GROUP_BY * 4], values[YG_CORR_MAX_GROUP_BY * 4];
    size_t nfields;
};

enum { DM_RULE, DM_CORR, DM_T, DM_LINE, DM_TS, DM_RECORD, DM_SOURCE, DM_FIELDS, DM_CHAIN };
static const char *const dm_keys[] = {"rule",   "correlation", "t",      "line", "timestamp",
                                      "record", "source",      "fields", "chain"};

static int32_t dm_key(void *ud, int32_t parent, const char *k, size_t kn)
{
    struct detmsg *d = ud;
    if (parent < 0) {
        for (int32_t i = 0; i < 9; i++)
            if (strlen(dm_keys[i]) == kn && memcmp(dm_keys[i], k, kn) == 0)
                return i;
        return -1;
    }
    if (parent != DM_FIELDS || d->nfields >= sizeof d->names / sizeof *d->names)
        return -1;
    d->names[d->nfields] = (struct yg_str){k, kn};
    return 100 + (int32_t)d->nfields++;
}

static void dm_leaf(void *ud, int32_t path, const struct yg_val *v)
{
    struct detmsg *d = ud;
    if (path >= 0 && path <= DM_CHAIN && path != DM_FIELDS)
        d->f[path] = (struct yg_str){v->p, v->n};
    else if (path >= 100 && (size_t)(path - 100) < d->nfields)
        d->values[path - 100] = (struct yg_str){v->p, v->n};
}

static bool dm_parse(struct watch *w, const char *p, size_t n, struct detmsg *d, int64_t *t)
{
    memset(d, 0, sizeof *d);
    yg_arena_reset(&w->karena);
    struct yg_json_sink sink = {d, dm_key, dm_leaf, NULL};
    struct yg_json_err je;
    size_t used;
    if (yg__json_scan(p, n, &used, &sink, &w->karena, &je) || !d->f[DM_RULE].p ||
        !d->f[DM_CORR].p || !d->f[DM_T].p || !d->f[DM_RECORD].p)
        return false;
    char num[32];
    size_t tn = d->f[DM_T].n < sizeof num - 1 ? d->f[DM_T].n : sizeof num - 1;
    memcpy(num, d->f[DM_T].p, tn);
    num[tn] = 0;
    *t = strtoll(num, NULL, 10);
    return true;
}

static void corr_alert(void *ud, const struct yg_corr_alert *a);
static bool rule_index_of(const yg_rules *rs, const char *id, uint32_t *out);

/* Feed one detection message to the correlation it names. */
static void feed_detection(struct watch *w, const char *p, size_t n)
{
    const struct yg_corr_set *cs = w->detector->rules->corr;
    struct detmsg d;
    int64_t t;
    if (!cs || !w->detector->corr || !dm_parse(w, p, n, &d, &t)) {
        w->errors++;
        if (w->win && yg__log_limit_allow(&w->win->skip_log, w->win->cfg->name, now_ms()))
            yg__log(YG_LOG_WARNING, "%s:%llu: not a detection message; skipped",
                    w->rec ? w->rec->source : "kafka",
                    (unsigned long long)(w->rec ? w->rec->line : 0));
        return;
    }
    char rid[512], cid[512];
    snprintf(rid, sizeof rid, "%.*s", (int)d.f[DM_RULE].n, d.f[DM_RULE].p);
    snprintf(cid, sizeof cid, "%.*s", (int)d.f[DM_CORR].n, d.f[DM_CORR].p);
    uint32_t r;
    size_t s = 0, ns = 0;
    if (rule_index_of(w->detector->rules, rid, &r))
        for (ns = yg__corr_nfeeds(cs, r); s < ns; s++) {
            const struct yg_rule *cr = yg__corr_rule(cs, yg__corr_feed_target(cs, r, s));
            const char *c = cr->id ? cr->id : cr->title ? cr->title : "";
            if (strcmp(c, cid) == 0)
                break;
        }
    if (s >= ns) {
        /* The match stage runs other rules than this one: count it. */
        w->errors++;
        if (w->win && yg__log_limit_allow(&w->win->skip_log, w->win->cfg->name, now_ms()))
            yg__log(YG_LOG_WARNING,
                    "detection of rule %s for correlation %s: not in the loaded rules; skipped "
                    "(match and correlate must run the same rule set)",
                    rid, cid);
        return;
    }
    /* The copy for one outer chain of a fan-out; a message without one (a
     * correlation with no fan-out) feeds its correlation as a whole. */
    size_t copy = YG_CORR_EVERY_CHAIN;
    if (d.f[DM_CHAIN].p) {
        char num[32];
        size_t cn = d.f[DM_CHAIN].n < sizeof num - 1 ? d.f[DM_CHAIN].n : sizeof num - 1;
        memcpy(num, d.f[DM_CHAIN].p, cn);
        num[cn] = 0;
        char *end;
        unsigned long long c = strtoull(num, &end, 10);
        if (!cn || *end || c >= yg__corr_ncopies(cs, r, s)) {
            w->errors++;
            if (w->win && yg__log_limit_allow(&w->win->skip_log, w->win->cfg->name, now_ms()))
                yg__log(YG_LOG_WARNING,
                        "detection of rule %s for correlation %s: chain %s is not one of its %zu "
                        "outer chains; skipped (match and correlate must run the same rule set)",
                        rid, cid, num, yg__corr_ncopies(cs, r, s));
            return;
        }
        copy = (size_t)c;
    }
    size_t nf = yg__corr_nfields(cs, r);
    struct yg_str vals[YG_CORR_MAX_GROUP_BY * 4];
    if (nf > sizeof vals / sizeof *vals)
        nf = sizeof vals / sizeof *vals;
    for (size_t k = 0; k < nf; k++) {
        const char *name = yg__corr_field(cs, r, k);
        vals[k] = (struct yg_str){NULL, 0};
        for (size_t j = 0; j < d.nfields; j++)
            if (d.names[j].n == strlen(name) && memcmp(d.names[j].p, name, d.names[j].n) == 0)
                vals[k] = d.values[j];
    }
    struct evid *e = yg_calloc(1, sizeof *e);
    if (!e) {
        w->errors++;
        return;
    }
    e->rule = r;
    e->record_id = yg_strndup(d.f[DM_RECORD].p, d.f[DM_RECORD].n);
    e->source =
        d.f[DM_SOURCE].p ? yg_strndup(d.f[DM_SOURCE].p, d.f[DM_SOURCE].n) : yg_strndup("kafka", 5);
    e->timestamp = d.f[DM_TS].p ? yg_strndup(d.f[DM_TS].p, d.f[DM_TS].n) : yg_strndup("", 0);
    e->line = 0;
    if (d.f[DM_LINE].p) {
        char num[32];
        size_t ln = d.f[DM_LINE].n < sizeof num - 1 ? d.f[DM_LINE].n : sizeof num - 1;
        memcpy(num, d.f[DM_LINE].p, ln);
        num[ln] = 0;
        e->line = strtoull(num, NULL, 10);
    }
    e->refs = 1;
    struct yg_detection det = {
        .rule = r, .t_ms = t, .values = vals, .evidence = e, .one = true, .sub = s, .copy = copy};
    if (!e->record_id || !e->source || !e->timestamp ||
        yg__detector_feed(w->detector, &det, corr_alert, w))
        w->errors++;
    ev_release(w, e);
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
    const struct yg_corr_set *cs = w->detector->rules->corr;
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
        if (w->role == YG_ROLE_MATCH) {
            /* The correlate stage owns the windows: the detection goes to
             * the detections topic, once per correlation it feeds. */
            if (publish_detection(w, a, t, at.text, vals, nf, rec) != YG_OK)
                w->errors++;
            if (yg__corr_suppress(cs, a->rule_index))
                return 0;
            goto alert;
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
            struct yg_detection det = {
                .rule = a->rule_index, .t_ms = t, .values = vals, .evidence = e};
            if (yg__detector_feed(w->detector, &det, corr_alert, w))
                w->errors++;
            ev_release(w, e);
        }
        if (yg__corr_suppress(cs, a->rule_index))
            return 0;
    }
alert:
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
    struct yg_incident_alert ia = {
        .id = id,
        .rule_id = a->rule_id,
        .rule_title = a->rule_title,
        .level = a->level,
        .timed = at.timed,
        .t_ms = at.ms,
        .file = rec->source,
        .line = rec->line,
        .record_id = rec->record_id,
        .logsource_json = a->logsource_json,
        .logsource_len = a->logsource_json ? strlen(a->logsource_json) : 0,
        .matched_json = a->matched_json,
        .matched_len = a->matched_len,
        .event_json = a->event,
        .event_len = a->event_len,
        .extra_json = a->extra_json,
        .extra_len = a->extra_len,
    };
    if (!err)
        err = add_pending(w, id, a->rule_id, a->rule_title, a->level, at.text, at.n, rec->source,
                          rec->record_id, w->json.p, w->json.n, &ia);
    if (err)
        w->errors++;
    return 0;
}

/* A contributing detection of the service: its record id and source. */
static void evid_ref(void *ud, const void *ev, struct yg_corr_evref *out)
{
    const struct watch *w = ud;
    const struct evid *e = ev;
    out->rule_id = yg_rules_rule_id(w->detector->rules, e->rule);
    out->timestamp = e->timestamp;
    out->file = e->source;
    out->record_id = e->record_id;
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
    /* The members of a correlation alert of `yagura hunt` (src/detector/
     * corr_json.c), plus the alert's id and the window in epoch
     * milliseconds. */
    YG_TRY(yg__corr_object_json(&w->corr_obj, a, true, evid_ref, w));
    YG_TRY(yg__corr_alert_json(b, id, a, w->corr_obj.p, w->corr_obj.n));
    {
        const struct evid *last = a->nevidence ? a->evidence[0] : NULL;
        char when[32];
        snprintf(when, sizeof when, "%lld", (long long)a->last_ms);
        struct yg_incident_evidence ev[YG_CORR_MAX_EVIDENCE];
        struct yg_incident_alert ia;
        yg__corr_incident_alert(a, evid_ref, w, ev, &ia);
        ia.id = id;
        YG_TRY(add_pending(w, id, r->id ? r->id : "", r->title ? r->title : "",
                           yg__level_name(r->level), when, strlen(when),
                           last ? last->source : "correlation", id, b->p, b->n, &ia));
    }
    return;
done:
    w->errors++;
}

/* ---- alerts taken as they are (format: alerts) ----------------------------- */

/* An input of format alerts reads alerts as the sinks write them (the alerts
 * topic of the Kafka stages, docs/kafka.md): each is stored under its own id,
 * sent to the sinks and fed to the incident builder (whose alerts TAXII
 * publishing sights), never matched against rules.  The members its row in
 * the state database needs: */
enum { AM_ID, AM_TS, AM_RULE, AM_SOURCE, AM_RULE_ID, AM_TITLE, AM_LEVEL, AM_FILE, AM_RECORD, AM_N };

struct alertmsg {
    struct yg_str f[AM_N];
};

static int32_t am_key(void *ud, int32_t parent, const char *k, size_t kn)
{
    (void)ud;
    static const struct {
        int32_t parent, path;
        const char *k;
    } keys[] = {{-1, AM_ID, "id"},
                {-1, AM_TS, "timestamp"},
                {-1, AM_RULE, "rule"},
                {-1, AM_SOURCE, "source"},
                {AM_RULE, AM_RULE_ID, "id"},
                {AM_RULE, AM_TITLE, "title"},
                {AM_RULE, AM_LEVEL, "level"},
                {AM_SOURCE, AM_FILE, "file"},
                {AM_SOURCE, AM_RECORD, "record"}};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
        if (keys[i].parent == parent && strlen(keys[i].k) == kn && memcmp(keys[i].k, k, kn) == 0)
            return keys[i].path;
    return -1;
}

static void am_leaf(void *ud, int32_t path, const struct yg_val *v)
{
    struct alertmsg *a = ud;
    if (path >= 0 && path < AM_N && v->type == YG_VT_STR)
        a->f[path] = (struct yg_str){v->p, v->n};
}

static bool hex_id(struct yg_str s)
{
    if (s.n != 32)
        return false;
    for (size_t i = 0; i < s.n; i++)
        if (!s.p[i] || !strchr("0123456789abcdef", s.p[i]))
            return false;
    return true;
}

static void take_alert(struct watch *w, struct winput *in, const struct yg_record *rec)
{
    struct alertmsg a;
    memset(&a, 0, sizeof a);
    yg_arena_reset(&w->karena);
    struct yg_json_sink sink = {&a, am_key, am_leaf, NULL};
    struct yg_json_err je = {0};
    size_t used = 0;
    const char *why = NULL;
    enum yg_level lv = YG_LEVEL_NONE;
    char level[16] = "";
    if (yg__json_scan(rec->data, rec->len, &used, &sink, &w->karena, &je))
        why = je.msg ? je.msg : "invalid JSON";
    else if (!hex_id(a.f[AM_ID]))
        why = "no \"id\" of 32 hex digits (a Yagura alert, as its sinks write it, is expected)";
    else if (!a.f[AM_RULE_ID].p || !a.f[AM_TITLE].p)
        why = "no \"rule\" with \"id\" and \"title\"";
    else if (a.f[AM_LEVEL].n >= sizeof level ||
             (snprintf(level, sizeof level, "%.*s", (int)a.f[AM_LEVEL].n, a.f[AM_LEVEL].p),
              !yg__level_parse(level, &lv)))
        why = "\"rule\".\"level\" is not informational, low, medium, high or critical";
    if (why) {
        in->in->errors++;
        w->errors++;
        if (yg__log_limit_allow(&in->skip_log, in->cfg->name, now_ms()))
            yg__log(YG_LOG_WARNING, "%s:%llu: not an alert: %s; record skipped", rec->source,
                    (unsigned long long)rec->line, why);
        return;
    }
    /* min_level applies to what is stored and sent, as for the alerts the
     * service raises itself. */
    if ((int)lv < (int)w->cfg->min_level)
        return;
    char *s[AM_N];
    for (int i = 0; i < AM_N; i++)
        s[i] = a.f[i].p ? yg_arena_strndup(&w->karena, a.f[i].p, a.f[i].n) : NULL;
    if (!s[AM_ID] || !s[AM_RULE_ID] || !s[AM_TITLE] || !s[AM_LEVEL]) {
        w->errors++;
        return;
    }
    /* The event's place as the alert gives it (a correlation alert has
     * none: where it was read from stands in). */
    const char *ts = s[AM_TS] ? s[AM_TS] : "";
    if (add_pending(w, s[AM_ID], s[AM_RULE_ID], s[AM_TITLE], s[AM_LEVEL], ts, strlen(ts),
                    s[AM_FILE] ? s[AM_FILE] : rec->source, s[AM_RECORD] ? s[AM_RECORD] : s[AM_ID],
                    rec->data, rec->len, NULL))
        w->errors++;
}

/* ---- records --------------------------------------------------------------- */

static void process_record(struct watch *w, struct winput *in, const struct yg_record *rec)
{
    w->rec = rec;
    w->win = in;
    w->records++;
    if (w->role == YG_ROLE_CORRELATE) {
        feed_detection(w, rec->data, rec->len);
        w->batch_records++;
        return;
    }
    const char *p = rec->data;
    size_t n = rec->len;
    bool json = in->json;
    /* Records of an input without a format are routed one by one (a JSON
     * record no format claims is scanned as generic JSON by the line
     * decoder): the log source given in the configuration applies to those. */
    if (!json && !in->alerts && (!in->fmt || in->fmt->record_logsrc))
        yg_scanner_set_logsource(w->scanner, in->cfg->product, in->cfg->service, in->cfg->category);
    if (in->alerts) {
        take_alert(w, in, rec);
    } else if (json) {
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
static bool load_intel(const struct yg_config *cfg, yg_intel **out)
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
    ok = ok && yg_intel_freeze(in) == YG_OK;
    if (ok) {
        yg_intel_stats st;
        yg_intel_get_stats(in, &st);
        yg__log(YG_LOG_INFO,
                "intel: %zu indicator(s) from %zu file(s); %zu rejected, %zu unsupported, %zu "
                "expired",
                st.indicators, st.files, st.errors, st.unsupported, st.expired);
        *out = in;
        return true;
    }
    yg_intel_release(in);
    return false;
}

static int open_intel(void *ud, yg_intel **out)
{
    const struct yg_config *cfg = ud;
    *out = NULL;
    if (!cfg->intel.npaths)
        return 0;
    return load_intel(cfg, out) ? 0 : 1;
}

static void cache_warn(void *ud, const char *msg)
{
    (void)ud;
    yg__log(YG_LOG_WARNING, "rules: %s", msg);
}

/* Compile the configured rules; NULL (logged) when the set does not load. */
static yg_rules *compile_rules(const struct yg_config *cfg, size_t *failed)
{
    struct yg_detector_conf conf;
    memset(&conf, 0, sizeof conf);
    conf.data_dir = cfg->data_dir;
    conf.mappings = (const char *const *)cfg->mappings;
    conf.nmappings = cfg->nmappings;
    conf.pipelines = (const char *const *)cfg->pipelines;
    conf.npipelines = cfg->npipelines;
    conf.rule_paths = (const char *const *)cfg->rules;
    conf.nrule_paths = cfg->nrules;
    conf.diag = diag_log;
    conf.ud = (void *)cfg;
    conf.open_intel = open_intel;
    conf.cache_dir = cfg->cache_dir;
    /* Root before the switch to `user:` leaves the cache alone: the folder
     * is the user's, which root would refuse, and one root created would be
     * refused by every reload after the switch.  The reloads use it. */
    conf.no_cache = cfg->no_cache || (cfg->user && geteuid() == 0);
    conf.cache_warn = cache_warn;
    struct yg_detector_rules dr;
    yg_err e = yg__detector_compile(&conf, &dr);
    /* A rule path that exists but holds no rule is not an error here: a
     * folder the operator fills later. */
    if (e || dr.paths_not_found) {
        yg__log(YG_LOG_ERROR, "rules: %s",
                dr.paths_not_found ? "a rule path does not exist" : dr.why);
        yg_rules_release(dr.rules);
        return NULL;
    }
    *failed = dr.stats.failed;
    /* The built-in intel rules are counted apart from the Sigma rules. */
    yg__log(YG_LOG_INFO,
            "rules: %zu detection, %zu correlation, %zu filter(s), %zu built-in (intel); %zu "
            "failed",
            dr.stats.detection - dr.stats.builtin, dr.stats.correlation, dr.stats.filters,
            dr.stats.builtin, dr.stats.failed);
    return dr.rules;
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
    /* A correlate watch has one input of its own: the detections topic. */
    bool det = w->role == YG_ROLE_CORRELATE;
    w->inputs_alloc = w->cfg->ninputs + det;
    w->inputs = yg_calloc(w->inputs_alloc + 1, sizeof *w->inputs);
    if (!w->inputs)
        return YG_ENOMEM;
    if (det) {
        w->det_input.name = "detections";
        w->det_input.type = YG_INPUT_KAFKA;
        w->det_input.topic = w->cfg->kafka.detections_topic;
        w->det_input.format = "json";
        w->det_input.line = w->cfg->kafka.line;
    }
    for (size_t i = 0; i < w->inputs_alloc; i++) {
        const struct yg_cfg_input *ci = i < w->cfg->ninputs ? &w->cfg->inputs[i] : &w->det_input;
        struct winput *wi = &w->inputs[i];
        yg_err e;
        wi->cfg = ci;
        wi->json = ci->format && strcmp(ci->format, "json") == 0;
        wi->alerts = ci->format && strcmp(ci->format, "alerts") == 0;
        wi->fmt = ci->format && !wi->json && !wi->alerts ? yg__format_find(ci->format) : NULL;
        if (ci->format && !wi->json && !wi->alerts && strcmp(ci->format, "auto") != 0 && !wi->fmt) {
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
            if (!e)
                yg__log(YG_LOG_INFO, "inputs: %s: OTLP/HTTP logs on %s (port %d), POST /v1/logs",
                        ci->name, ci->listen, yg__in_otlp_port(wi->in));
            break;
        case YG_INPUT_KAFKA: e = yg__kafka_input_new(w->kafka, ci->name, ci->topic, &wi->in); break;
        default: e = yg__in_stdin_new(ci->name, &wi->in); break;
        }
        if (e) {
            /* A failed constructor hands out a handle holding the reason. */
            const char *why = wi->in ? yg__input_errmsg(wi->in) : "";
            yg__log(YG_LOG_ERROR, "inputs: %s: cannot open: %s", ci->name,
                    *why ? why : yg_strerror(e));
            if (wi->in)
                wi->in->ops->destroy(wi->in);
            wi->in = NULL;
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
        e = yg__out_jsonl_new(name, &o, out);
    } else if (cs->type == YG_SINK_KAFKA) {
        e = yg__kafka_sink_new(w->kafka, name, cs->topic, out);
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
            e = yg__out_syslog_new(name, &o, out);
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
        e = yg__out_webhook_new(name, &o, out);
        for (size_t h = 0; h < cs->nheaders; h++)
            yg_free(owned[h]);
        yg_free(owned);
        yg_free(hdr);
    }
    if (e && *out) {
        /* A failed constructor hands out a handle holding the reason. */
        snprintf(why, sizeof why, "%s", yg__sink_errmsg(*out));
        yg__sink_destroy(*out);
        *out = NULL;
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

static bool healthy(void *ud, struct yg_errmsg *why)
{
    struct watch *w = ud;
    if (!w->scanner) {
        yg__errmsg_set(why, "no rule set loaded");
        return false;
    }
    pthread_mutex_lock(&w->cause_lock);
    bool ok = !w->cause[0];
    if (!ok)
        yg__errmsg_set(why, "%s", w->cause);
    pthread_mutex_unlock(&w->cause_lock);
    return ok;
}

/* ---- publishing sightings to our own TAXII collection ----------------------------- */

/* Rounds of taxii.publish by outcome: "published" (a round ran, whatever it added),
 * "failed", "nothing_new" (a round was due but every stored alert was published already).
 * It tells a monitor, and a test, that the publisher is alive and caught up. */
#define YG_M_PUBLISH_ROUNDS "yagura_taxii_publish_rounds_total" /* counter {outcome} */

static void count_round(struct watch *w, const char *outcome)
{
    if (yg__metrics_declare(w->metrics, YG_M_PUBLISH_ROUNDS, YG_METRIC_COUNTER,
                            "Rounds of taxii.publish, by outcome (published, failed, "
                            "nothing_new)."))
        return;
    yg__metric_inc(yg__metrics_get(w->metrics, YG_M_PUBLISH_ROUNDS,
                                   (const char *[]){"outcome", outcome, NULL}));
}

/* Add the sightings of the alerts stored within taxii.publish.window to the
 * collection taxii.publish.collection (src/taxii/taxii_publish.c). */
static void publish(struct watch *w)
{
    uint64_t added = 0, refused = 0;
    if (yg__taxii_publish(w->taxii, w->cfg->taxii, w->cfg->state, &added, &refused) != YG_OK) {
        yg__log(YG_LOG_WARNING, "taxii publish: %s", yg__taxii_server_errmsg(w->taxii));
        count_round(w, "failed");
        return;
    }
    count_round(w, "published");
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

/* The correlation fields of a stored detection ({"name":"value",...}, as
 * record_detection wrote them), read with the JSON reader. */
struct fields_ctx {
    const struct yg_corr_set *cs;
    uint32_t rule;
    size_t nf;
    struct yg_str *vals;
    struct yg_arena *a;
};

static int32_t fields_key(void *ud, int32_t parent, const char *k, size_t kn)
{
    const struct fields_ctx *x = ud;
    for (size_t i = 0; parent < 0 && i < x->nf; i++) {
        const char *name = yg__corr_field(x->cs, x->rule, i);
        if (strlen(name) == kn && memcmp(name, k, kn) == 0)
            return (int32_t)i;
    }
    return -1;
}

static void fields_leaf(void *ud, int32_t path, const struct yg_val *v)
{
    struct fields_ctx *x = ud;
    if (v->type != YG_VT_STR || x->vals[path].p)
        return;
    const char *c = yg_arena_strndup(x->a, v->p, v->n);
    if (c)
        x->vals[path] = (struct yg_str){c, v->n};
}

/* vals[k] for each of the nf fields (NULL where the detection had none). */
static void fields_read(const char *json, struct fields_ctx *x)
{
    for (size_t k = 0; k < x->nf; k++)
        x->vals[k] = (struct yg_str){NULL, 0};
    struct yg_json_sink sink = {x, fields_key, fields_leaf, NULL};
    struct yg_json_err je;
    size_t used;
    if (yg__json_scan(json, strlen(json), &used, &sink, x->a, &je) != YG_OK)
        return;
    /* A name listed twice gets its value at its first place only. */
    for (size_t k = 0; k < x->nf; k++)
        for (size_t j = 0; !x->vals[k].p && j < k; j++)
            if (!strcmp(yg__corr_field(x->cs, x->rule, j), yg__corr_field(x->cs, x->rule, k)))
                x->vals[k] = x->vals[j];
}

static void replay_one(void *ud, const struct yg_det_row *d)
{
    struct replay_ctx *rc = ud;
    struct watch *w = rc->w;
    const struct yg_corr_set *cs = w->detector->rules->corr;
    uint32_t r;
    if (!rule_index_of(w->detector->rules, d->rule_id, &r) || !yg__corr_references(cs, r)) {
        rc->skipped++;
        return;
    }
    size_t nf = yg__corr_nfields(cs, r);
    struct yg_str vals[YG_CORR_MAX_GROUP_BY * 4];
    if (nf > sizeof vals / sizeof *vals)
        nf = sizeof vals / sizeof *vals;
    struct fields_ctx fx = {cs, r, nf, vals, &w->arena};
    fields_read(d->fields, &fx);
    struct evid *e = yg_calloc(1, sizeof *e);
    if (!e)
        return;
    e->rule = r;
    e->record_id = yg_strndup(d->record_id, strlen(d->record_id));
    e->source = yg_strndup(d->source, strlen(d->source));
    e->timestamp = yg_strndup(d->timestamp, strlen(d->timestamp));
    e->line = d->line;
    e->refs = 1;
    struct yg_detection det = {.rule = r, .t_ms = d->t_ms, .values = vals, .evidence = e};
    if (yg__detector_feed(w->detector, &det, corr_alert, w))
        w->errors++;
    ev_release(w, e);
    rc->n++;
}

/* Rebuild correlation windows from the stored detections of the longest
 * timespan plus lateness. */
static void rebuild_correlation(struct watch *w)
{
    if (!w->detector->corr)
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
static void geo_inactive(void *ud, const struct yg_rule *r, unsigned need, const char *why)
{
    (void)ud;
    (void)need;
    yg__log(YG_LOG_WARNING, "analytic %s inactive: %s (geoip in the configuration)",
            r->name    ? r->name
            : r->id    ? r->id
            : r->title ? r->title
                       : "?",
            why);
}

/* ---- the loop ---------------------------------------------------------------- */

static void kafka_assign(void *ud);

static void reload(struct watch *w)
{
    size_t failed = 0;
    yg__log(YG_LOG_INFO, "SIGHUP: reloading rules");
    yg_rules *nr = compile_rules(w->cfg, &failed);
    yg_scanner *ns = NULL;
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
    /* The new set's correlation state is made here (a match stage has
     * none): the running one keeps its windows until the swap below. */
    struct yg_detector_next next;
    if (!nr || yg_scanner_create(nr, &ns) || yg__detector_prepare_rules(w->detector, nr, &next)) {
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
        yg__detector_drop_rules(&next);
        return;
    }
    export_regex_limits(w);
    yg_scanner_destroy(w->scanner);
    /* The old windows go; the new state's inactive analytics are logged. */
    yg__detector_set_rules(w->detector, &next);
    w->scanner = ns;
    /* The new scanner counts from zero; the exported counters keep their
     * totals. */
    yg_free(w->re_seen);
    w->re_seen = NULL;
    w->re_seen_total = 0;
    w->max_timespan_ms = longest_timespan(nr);
    w->failed = failed;
    if (w->detector->corr) {
        /* A correlate watch keeps its detections in Kafka, not in the
         * state database: its windows come back from the detections
         * topic, up to the offsets the batch above committed. */
        if (w->role == YG_ROLE_CORRELATE) {
            if (yg__kafka_refresh_committed(w->kafka)) {
                yg__log(YG_LOG_ERROR, "%s; stopping", yg__kafka_errmsg(w->kafka));
                w->kafka_failed = true;
            } else {
                kafka_assign(w);
            }
        } else {
            rebuild_correlation(w);
        }
    }
    for (size_t i = 0; i < w->nsinks; i++)
        if (w->sinks[i]->ops->reopen)
            if (w->sinks[i]->ops->reopen(w->sinks[i]))
                yg__log(YG_LOG_WARNING, "%s: reopen failed", w->sinks[i]->name);
    yg__log(YG_LOG_INFO, "reload done (%zu rule(s) failed to load)", failed);
}

/* The configuration, the log, the rules and the geolocation databases:
 * everything `--check` validates.  2 (logged) when one does not load. */
static int watch_load(struct watch *w, const struct yg_watch_opts *o)
{
    struct yg_errmsg why = {""};
    if (yg__config_load(o->config_path, &w->cfg, &why)) {
        fprintf(stderr, "yagura watch: %s\n", why.msg);
        return 2;
    }
    yg__log_setup(w->cfg->log_target, w->cfg->log_level, "yagura");
    if (o->cache_dir) {
        yg_free(w->cfg->cache_dir);
        if (!(w->cfg->cache_dir = yg_strndup(o->cache_dir, strlen(o->cache_dir))))
            return 2;
    }
    w->cfg->no_cache |= o->no_cache;
    if (o->cache_dir && !o->no_cache)
        w->cfg->no_cache = false;
    size_t failed = 0;
    yg_rules *rules = compile_rules(w->cfg, &failed);
    if (!rules)
        return 2;
    if (yg__detector_new(rules, &w->detector)) {
        yg_rules_release(rules);
        return 2;
    }
    w->failed = failed;
    if (yg__detector_open_geo(w->detector, (const char *const *)w->cfg->geoip.city,
                              w->cfg->geoip.ncity, (const char *const *)w->cfg->geoip.asn,
                              w->cfg->geoip.nasn)) {
        yg__log(YG_LOG_ERROR, "geoip: %s", w->detector->why);
        return 2;
    }
    return 0;
}

/* `--check`: what would stop the service at start.  The exit status. */
static int watch_check(struct watch *w)
{
    struct yg_errmsg why = {""};
    if (w->cfg->taxii && w->cfg->taxii->listen &&
        (yg__taxii_tls_check(w->cfg->taxii, &why) ||
         yg__console_check(w->cfg->taxii, w->cfg->state, &why))) {
        yg__log(YG_LOG_ERROR, "%s", why.msg);
        return 2;
    }
    /* A TLS input whose certificate or key cannot be loaded would stop
     * the service at start: --check says so now. */
    for (size_t i = 0; i < w->cfg->ninputs; i++) {
        const struct yg_cfg_input *ci = &w->cfg->inputs[i];
        if (ci->type == YG_INPUT_SYSLOG_TLS && yg__in_tls_check(ci->cert, ci->key, &why)) {
            yg__log(YG_LOG_ERROR, "inputs: %s: %s", ci->name, why.msg);
            return 2;
        }
    }
    if (w->cfg->kafka.present && yg__kafka_check(&w->cfg->kafka, &why)) {
        yg__log(YG_LOG_ERROR, "%s", why.msg);
        return 2;
    }
    return w->failed ? 1 : 0;
}

/* The scanner, the correlation state, the state database and incidents. */
static bool watch_start_matching(struct watch *w)
{
    if (yg_scanner_create(w->detector->rules, &w->scanner))
        return false;
    yg_scanner_set_intel_wallclock(w->scanner, true);
    /* A match stage publishes its detections; the correlate stage owns the
     * windows (docs/kafka.md). */
    if (w->cfg->kafka.role != YG_ROLE_MATCH) {
        struct yg_detector_corr_conf cc = {
            .mem_bytes = w->cfg->correlation.memory_bytes,
            .lateness_ms = (int64_t)w->cfg->correlation.lateness_ms,
            .hold = ev_hold,
            .release = ev_release,
            .inactive = geo_inactive,
            .ud = w,
        };
        if (yg__detector_open_corr(w->detector, &cc))
            return false;
    }
    if (yg__store_open(w->cfg->state, &w->store)) {
        yg__log(YG_LOG_ERROR, "state: %s", yg__store_errmsg(w->store));
        return false;
    }
    if (w->cfg->incidents.enabled) {
        if (yg__detector_open_incidents(w->detector, w->store, NULL, w->cfg->data_dir,
                                        (int64_t)w->cfg->incidents.window_ms)) {
            yg__log(YG_LOG_ERROR, "incidents: %s", w->detector->why);
            return false;
        }
        yg__incident_set_alerts_stored(w->detector->incidents, true);
    }
    return true;
}

static bool kafka_revoke(void *ud);

/* The Kafka client of the kafka: section (docs/kafka.md): a consumer for
 * kafka inputs or the correlate role, a producer for a kafka sink or the
 * match role. */
static bool watch_start_kafka(struct watch *w)
{
    w->role = w->cfg->kafka.role;
    w->batch_max = BATCH_RECORDS;
    if (!w->cfg->kafka.present)
        return true;
    /* With Kafka a batch ends in a commit (a transaction of the offsets
     * and the produced messages), a round trip to the broker that costs more
     * than matching 512 records: Kafka batches are larger (docs/kafka.md). */
    w->batch_max = w->cfg->kafka.batch_records;
    bool consumer = w->role == YG_ROLE_CORRELATE, producer = w->role == YG_ROLE_MATCH;
    for (size_t i = 0; i < w->cfg->ninputs; i++)
        consumer |= w->cfg->inputs[i].type == YG_INPUT_KAFKA;
    for (size_t i = 0; i < w->cfg->nsinks; i++)
        producer |= w->cfg->sinks[i].type == YG_SINK_KAFKA;
    if (yg__kafka_new(&w->cfg->kafka, consumer, producer, &w->kafka)) {
        yg__log(YG_LOG_ERROR, "%s", yg__kafka_errmsg(w->kafka));
        yg__kafka_free(w->kafka);
        w->kafka = NULL;
        return false;
    }
    struct yg_kafka_hooks h = {w, kafka_revoke, kafka_assign};
    yg__kafka_set_hooks(w->kafka, &h);
    return true;
}

/* Metrics, inputs, sinks, checkpoints, the HTTP and TAXII servers, and the
 * privilege drop, in that order. */
/* The TAXII server of the taxii: section, and the console on its listener
 * (taxii.console) over the service's own state database. */
static bool start_taxii(struct watch *w)
{
    if (yg__taxii_server_new(w->cfg->taxii, &w->taxii)) {
        yg__log(YG_LOG_ERROR, "taxii: %s", yg__taxii_server_errmsg(w->taxii));
        return false;
    }
    if (w->cfg->taxii->console && yg__console_new(w->cfg->taxii, w->cfg->state, &w->console)) {
        yg__log(YG_LOG_ERROR, "%s", yg__console_errmsg(w->console));
        return false;
    }
    if (yg__taxii_http_start_app(w->taxii, w->cfg->taxii,
                                 w->console ? yg__console_app(w->console) : NULL, &w->taxii_http)) {
        yg__log(YG_LOG_ERROR, "taxii: %s", yg__taxii_server_errmsg(w->taxii));
        return false;
    }
    return true;
}

static bool watch_start_io(struct watch *w)
{
    if (yg__metrics_new(&w->metrics) || yg__metrics_declare_standard(w->metrics))
        return false;
    if (!watch_start_kafka(w))
        return false;
    if (open_inputs(w) || open_sinks(w))
        return false;
    if (w->kafka && yg__kafka_subscribe(w->kafka)) {
        yg__log(YG_LOG_ERROR, "%s", yg__kafka_errmsg(w->kafka));
        return false;
    }
    if (!(w->sent = yg_calloc(2 * w->nsinks + 1, sizeof *w->sent)))
        return false;
    w->max_timespan_ms = longest_timespan(w->detector->rules);
    rebuild_correlation(w);
    for (size_t i = 0; i < w->ninputs; i++) {
        const char *lab[] = {"input", w->inputs[i].cfg->name, NULL};
        w->inputs[i].m_events = yg__metrics_get(w->metrics, YG_M_EVENTS, lab);
        w->inputs[i].m_lag = yg__metrics_get(w->metrics, YG_M_INPUT_LAG, lab);
    }
    if (yg__store_ckpt_each(w->store, restore_ckpt, w)) {
        yg__log(YG_LOG_ERROR, "state: cannot read checkpoints");
        return false;
    }
    if (w->cfg->http_listen &&
        yg__http_start(w->cfg->http_listen, w->metrics, healthy, w, &w->http)) {
        yg__log(YG_LOG_ERROR, "http: cannot listen on %s", w->cfg->http_listen);
        return false;
    }
    if (w->cfg->taxii && w->cfg->taxii->listen && !start_taxii(w))
        return false;
    if (w->taxii)
        yg__taxii_server_set_metrics(w->taxii, w->metrics);
    struct yg_errmsg why = {""};
    if (w->cfg->user && yg__drop_privileges(w->cfg->user, &why)) {
        yg__log(YG_LOG_ERROR, "user: %s", why.msg);
        return false;
    }
    return true;
}

/* How long the loop may wait in poll, and for which descriptors. */
static int watch_poll(struct watch *w, bool busy)
{
    struct pollfd fds[MAX_POLLFDS];
    int nfds = 0;
    /* While the batch waits for a retry, readable inputs must not wake
     * the loop: it sleeps until the retry is due. */
    for (size_t i = 0; !w->stalled && i < w->ninputs && nfds < MAX_POLLFDS; i++)
        if (w->inputs[i].in->ops->pollfds)
            nfds += w->inputs[i].in->ops->pollfds(w->inputs[i].in, fds + nfds, MAX_POLLFDS - nfds);
    /* Inputs may hold records already read from their descriptors (a TCP
     * framer full of messages): while records keep coming, do not wait. */
    int wait = busy ? 0 : w->npend || w->batch_records ? 20 : 100;
    if (w->stalled) {
        /* Waiting to retry the commit: nothing is read meanwhile. */
        uint64_t t = now_ms();
        wait = w->retry_at_ms > t ? (int)(w->retry_at_ms - t < 100 ? w->retry_at_ms - t : 100) : 0;
    }
    return poll(fds, (nfds_t)nfds, wait);
}

/* Read and match what every input has, up to a batch; true if any record
 * came. */
static bool watch_read_inputs(struct watch *w)
{
    bool got = false;
    for (size_t i = 0; i < w->ninputs && !sig_stop; i++) {
        struct winput *in = &w->inputs[i];
        if (in->in->ops->service(in->in) != YG_OK)
            in->in->errors++;
        struct yg_record rec;
        uint64_t t0 = now_ms(), nrec = 0;
        while (!w->stalled && w->batch_records < w->batch_max &&
               in->in->ops->next(in->in, &rec) == YG_OK) {
            process_record(w, in, &rec);
            in->in->records++;
            in->in->bytes += rec.len;
            nrec++;
            got = true;
        }
        if (nrec) {
            export_regex_limits(w);
            yg__metric_add(in->m_events, (double)nrec);
            yg__metric_add(yg__metrics_get(w->metrics, YG_M_EVAL_SECONDS, NULL),
                           (double)(now_ms() - t0) / 1000.0);
            in->last_record_ms = now_ms();
        }
        yg__metric_set(in->m_lag, in->last_record_ms && !nrec
                                      ? 0.0
                                      : (double)(now_ms() - (in->last_record_ms ? in->last_record_ms
                                                                                : now_ms())) /
                                            1000.0);
    }
    return got;
}

/* Drops of the inputs and of the correlation state, as gauges and logs. */
static void watch_report_drops(struct watch *w, uint64_t now)
{
    for (size_t i = 0; i < w->ninputs; i++) {
        struct yg_input *inp = w->inputs[i].in;
        log_drops(&w->inputs[i], now, false);
        yg__metric_set(yg__metrics_get(w->metrics, YG_M_DROPPED,
                                       (const char *[]){"reason", "input", "input",
                                                        w->inputs[i].cfg->name, NULL}),
                       (double)(inp->dropped + inp->errors));
        yg__log_limit_flush(&w->inputs[i].skip_log, w->inputs[i].cfg->name, now, false);
    }
    struct yg_corr_stats cst;
    if (yg__detector_corr_stats(w->detector, &cst)) {
        yg__metric_set(yg__metrics_get(w->metrics, YG_M_CORR_BYTES, NULL), (double)cst.bytes);
        yg__metric_set(yg__metrics_get(w->metrics, YG_M_DROPPED,
                                       (const char *[]){"reason", "correlation", NULL}),
                       (double)(cst.dropped_late + cst.dropped_mem));
    }
}

/* Publishing runs when new alerts were stored, at most every interval; a round due with
 * nothing new is only counted, at most once an interval (idle_at). */
struct publishing {
    bool on;
    uint64_t published_at, last_publish, idle_at;
};

/* The service loop until a stop signal (or --exit-when-idle), then the
 * drain: what was read is matched and committed before stopping.  The exit
 * status. */
static int watch_loop(struct watch *w, const struct yg_watch_opts *o)
{
    int status = 0;
    w->batch_start_ms = now_ms();
    uint64_t idle_since = now_ms();
    struct publishing pub = {w->taxii && w->cfg->taxii->publish_coll, 0, 0, 0};
    bool busy = false; /* the last round read records: more may be buffered */
    uint64_t lag_at = 0;
    while (!sig_stop) {
        if (w->kafka_failed) {
            status = 1;
            break;
        }
        if (w->kafka && now_ms() - lag_at >= 1000) {
            lag_at = now_ms();
            yg__kafka_export_lag(w->kafka, w->metrics);
        }
        if (sig_reload) {
            sig_reload = 0;
            reload(w);
        }
        if (watch_poll(w, busy) < 0 && errno != EINTR)
            yg__log(YG_LOG_WARNING, "poll: %s", strerror(errno));
        bool got = watch_read_inputs(w);
        uint64_t now = now_ms();
        busy = got;
        if (got)
            idle_since = now;
        watch_report_drops(w, now);
        if (w->stalled
                ? now >= w->retry_at_ms
                : w->batch_records >= w->batch_max || now - w->batch_start_ms >= BATCH_MS || !got)
            (void)flush_batch(w);
        uint64_t every = pub.on ? w->cfg->taxii->publish_interval_ms : 0;
        if (pub.on && w->alerts_new != pub.published_at && now - pub.last_publish >= every) {
            pub.published_at = w->alerts_new;
            pub.last_publish = now;
            publish(w);
        } else if (pub.on && w->alerts_new == pub.published_at && !w->npend && !w->stalled &&
                   now - pub.last_publish >= every && now - pub.idle_at >= every) {
            /* Every alert read so far is stored and published. */
            pub.idle_at = now;
            count_round(w, "nothing_new");
        }
        if (o->exit_when_idle_ms && !got && !w->npend && now - idle_since >= o->exit_when_idle_ms)
            break;
    }
    for (size_t i = 0; i < w->ninputs; i++)
        log_drops(&w->inputs[i], now_ms(), true);
    /* Drain: what was read is matched and committed before stopping (not
     * after a failed Kafka commit: the restart reads those records again). */
    if (!w->kafka_failed && flush_batch(w) != YG_OK)
        status = 1;
    if (pub.on && w->alerts_new != pub.published_at)
        publish(w);
    for (size_t i = 0; i < w->ninputs; i++)
        yg__log_limit_flush(&w->inputs[i].skip_log, w->inputs[i].cfg->name, now_ms(), true);
    yg__log(YG_LOG_INFO, "stopped: %llu record(s), %llu new alert(s), %llu replayed, %llu error(s)",
            (unsigned long long)w->records, (unsigned long long)w->alerts_new,
            (unsigned long long)w->alerts_dup, (unsigned long long)w->errors);
    return status;
}

static void watch_free(struct watch *w)
{
    if (w->http)
        yg__http_stop(w->http);
    yg__taxii_http_stop(w->taxii_http);
    yg__console_free(w->console);
    yg__taxii_server_free(w->taxii);
    if (w->metrics)
        yg__metrics_free(w->metrics);
    yg_free(w->det);
    /* Before the inputs: the consumer leaves the group and their queued
     * messages go back to librdkafka first. */
    yg__kafka_free(w->kafka);
    for (size_t i = 0; w->inputs && i < w->inputs_alloc; i++) { /* inputs not opened are NULL */
        if (w->inputs[i].in)
            w->inputs[i].in->ops->destroy(w->inputs[i].in);
        yg_free(w->inputs[i].ckpt_key);
        yg_free(w->inputs[i].ckpt_val);
    }
    yg_free(w->inputs);
    for (size_t i = 0; i < w->nsinks; i++)
        w->sinks[i]->ops->destroy(w->sinks[i]);
    yg_free(w->sinks);
    /* The builder's statements go before the database they run on. */
    yg__detector_close_incidents(w->detector);
    if (w->store)
        yg__store_close(w->store);
    yg__detector_close_corr(w->detector);
    yg_scanner_destroy(w->scanner);
    yg_free(w->re_seen);
    yg__detector_free(w->detector);
    yg__linedec_free(&w->ld);
    yg_buf_free(&w->json);
    yg_buf_free(&w->corr_obj);
    yg_free(w->pend);
    yg_free(w->sent);
    pthread_mutex_destroy(&w->cause_lock);
    yg_arena_free(&w->arena);
    yg_arena_free(&w->karena);
    yg__config_free(w->cfg);
}

/* ---- Kafka rebalances ------------------------------------------------------------ */

/* Partitions are about to be revoked: the batch read from them is
 * committed now, or their next owner would process it a second time. */
static bool kafka_revoke(void *ud)
{
    struct watch *w = ud;
    return flush_batch(w) == YG_OK && !w->kafka_failed;
}

struct rebuild_item {
    int64_t t;
    char *p;
    size_t n;
};

struct rebuild_ctx {
    struct watch *w;
    struct rebuild_item *v;
    size_t n, cap;
    bool oom;
};

static void rebuild_collect(void *ud, const char *p, size_t n, const char *record_id)
{
    (void)record_id;
    struct rebuild_ctx *c = ud;
    struct detmsg d;
    int64_t t;
    if (!dm_parse(c->w, p, n, &d, &t))
        return;
    if (c->n == c->cap) {
        size_t nc = c->cap ? c->cap * 2 : 256;
        struct rebuild_item *nv = yg_realloc(c->v, nc * sizeof *nv);
        if (!nv) {
            c->oom = true;
            return;
        }
        c->v = nv;
        c->cap = nc;
    }
    char *copy = yg_malloc(n + 1);
    if (!copy) {
        c->oom = true;
        return;
    }
    memcpy(copy, p, n);
    copy[n] = 0;
    c->v[c->n++] = (struct rebuild_item){t, copy, n};
}

static int rebuild_cmp(const void *a, const void *b)
{
    const struct rebuild_item *x = a, *y = b;
    return x->t < y->t ? -1 : x->t > y->t;
}

/* Partitions were assigned to a correlate watch: its windows are rebuilt
 * from the detections topic (Kafka is the changelog).  Every detection of
 * the assigned partitions since now - longest timespan - lateness and
 * before the committed offsets is replayed in event-time order with alerts
 * off (those alerts were published by whoever processed them); the
 * consumer then resumes at the committed offsets. */
static void kafka_assign(void *ud)
{
    struct watch *w = ud;
    if (w->role != YG_ROLE_CORRELATE || !w->detector->rules->corr)
        return;
    if (yg__detector_reset_corr(w->detector)) {
        yg__log(YG_LOG_ERROR, "correlation: out of memory rebuilding state");
        w->kafka_failed = true;
        return;
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t since = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 - w->max_timespan_ms -
                    (int64_t)w->cfg->correlation.lateness_ms;
    struct rebuild_ctx c = {w, NULL, 0, 0, false};
    uint64_t nread = 0;
    if (yg__kafka_read_assigned(w->kafka, since, rebuild_collect, &c, &nread) || c.oom) {
        yg__log(YG_LOG_ERROR, "correlation: rebuilding from %s: %s; stopping",
                w->cfg->kafka.detections_topic,
                c.oom ? "out of memory" : yg__kafka_errmsg(w->kafka));
        w->kafka_failed = true;
    } else {
        if (c.n) /* qsort of no array is undefined */
            qsort(c.v, c.n, sizeof *c.v, rebuild_cmp);
        w->replaying = true;
        const struct yg_record *saved = w->rec;
        w->rec = NULL;
        for (size_t i = 0; i < c.n; i++)
            feed_detection(w, c.v[i].p, c.v[i].n);
        w->rec = saved;
        w->replaying = false;
        yg__log(YG_LOG_INFO, "correlation: %zu detection(s) replayed from %s", c.n,
                w->cfg->kafka.detections_topic);
    }
    for (size_t i = 0; i < c.n; i++)
        yg_free(c.v[i].p);
    yg_free(c.v);
}

int yg__watch_run(const struct yg_watch_opts *o)
{
    struct watch w;
    memset(&w, 0, sizeof w);
    w.o = o;
    pthread_mutex_init(&w.cause_lock, NULL);
    yg_arena_init(&w.arena, 1u << 16, 0);
    yg_arena_init(&w.karena, 1u << 14, 0);
    yg_buf_init(&w.json, YG_MAX_EVENT_BYTES * 4);
    yg_buf_init(&w.corr_obj, YG_MAX_EVENT_BYTES * 4);
    yg__linedec_init(&w.ld);
    int status = watch_load(&w, o);
    if (!status && o->check_only)
        status = watch_check(&w);
    else if (!status && (!watch_start_matching(&w) || !watch_start_io(&w)))
        status = 2;
    else if (!status) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_signal;
        sigaction(SIGHUP, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
        signal(SIGPIPE, SIG_IGN);
        yg__log(YG_LOG_INFO, "watching %zu input(s), %zu sink(s)", w.ninputs, w.nsinks);
        status = watch_loop(&w, o);
    }
    watch_free(&w);
    return status;
}
