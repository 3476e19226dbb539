/*
 * analyst.h - the analyst's tables over a hunt: `yagura metrics` (events per
 * log source, channel and event id, computer, input file), `yagura logons`
 * (successful and failed logons from Windows, VPN appliances, Entra ID and
 * Microsoft 365), `yagura search` (a query compiled as one Sigma rule) and
 * `hunt --pivots` (the entities of alerts, per level).
 *
 * None of these decodes or routes anything itself: each is a set of
 * generated Sigma rules, or none, run by yg_hunt_run, whose alerts reach a
 * hook (yg_hunt_opts.alert_hook) from the worker threads.  The hooks take
 * a mutex: the tables are small next to the decoding.
 */
#ifndef YG_ENGINE_ANALYST_H
#define YG_ENGINE_ANALYST_H

#include <pthread.h>
#include <stdio.h>

#include "core/core.h"
#include "core/errmsg.h"
#include "core/htab.h"
#include "detector/alertjson.h"
#include "engine/columns.h"
#include "engine/hunt.h"

/* Most distinct keys one table keeps; past it new keys count as "(other)". */
#define YG_AN_MAX_KEYS 200000

enum yg_an_format { YG_AN_TABLE, YG_AN_CSV, YG_AN_JSON };

/* A row of a table: its key cells (joined by '\t' in key) and counts. */
struct yg_an_row {
    char *key;
    uint64_t n[2];    /* metrics: events; logons: success, failure */
    int64_t first_ms; /* INT64_MAX: no timed event yet */
    int64_t last_ms;  /* INT64_MIN: none */
    uint64_t untimed; /* events without a usable time */
    uint64_t size;    /* metrics' file table: bytes on disk */
};

struct yg_an_table {
    struct yg_an_row *rows;
    size_t n, cap;
    struct yg_htab index; /* key -> row */
    bool oom;
};

struct yg_an_row *yg__an_get(struct yg_an_table *t, const char *key, size_t kn);
/* Most events first (n[0] + n[1]), then by key. */
void yg__an_sort(struct yg_an_table *t);
void yg__an_free(struct yg_an_table *t);
void yg__an_time(struct yg_an_row *r, const struct yg_alert_time *t);

/* The value of the first leaf of the event named name (its own key, as
 * columns.c names leaves), else of the first whose dotted name ends in
 * ".name", or an empty view. */
struct yg_str yg__an_leaf(const struct yg_cols *c, const char *name);

/* ---- metrics ----------------------------------------------------------- */

struct yg_evmetrics {
    pthread_mutex_t mu;
    struct yg_cols cols;
    struct yg_an_table lsrc, chan, host, file;
    uint64_t events;
    yg_err err;
};

/* The one rule that selects every routed event. */
extern const char yg__evmetrics_rule[];
void yg__evmetrics_init(struct yg_evmetrics *m);
void yg__evmetrics_free(struct yg_evmetrics *m);
void yg__evmetrics_hook(void *ud, const yg_alert *a, const struct yg_alert_time *t,
                        const char *file);
/* The usual name of a Windows or Sysmon event id in channel, or NULL. */
const char *yg__event_name(const char *channel, size_t cn, const char *id, size_t idn);
/* Sort, add file sizes, and print; unrouted: events routed to no log source. */
yg_err yg__evmetrics_print(struct yg_evmetrics *m, enum yg_an_format f, uint64_t unrouted,
                           FILE *out);

/* ---- logons ------------------------------------------------------------ */

struct yg_geo;
struct yg_logons {
    pthread_mutex_t mu;
    struct yg_cols cols;
    struct yg_an_table rows;
    uint64_t success, failure;
    const struct yg_geo *geo; /* NULL: no location column */
    yg_err err;
};

/* The generated rules (one YAML stream of several documents). */
extern const char yg__logons_rules[];
void yg__logons_init(struct yg_logons *l, const struct yg_geo *geo);
void yg__logons_free(struct yg_logons *l);
void yg__logons_hook(void *ud, const yg_alert *a, const struct yg_alert_time *t, const char *file);
yg_err yg__logons_print(struct yg_logons *l, enum yg_an_format f, FILE *out);

/* ---- search ------------------------------------------------------------ */

enum yg_search_kind { YG_SEARCH_KEYWORD, YG_SEARCH_REGEX, YG_SEARCH_FIELD };
struct yg_search_term {
    enum yg_search_kind kind;
    const char *text; /* keyword, pattern, or FIELD[|modifier...]=VALUE */
};
/* The Sigma rule that selects events matching every term, into yaml.
 * YG_EINVAL with why filled for a field term without '=' or field name. */
YG_NODISCARD yg_err yg__search_rule(const struct yg_search_term *t, size_t n, struct yg_buf *yaml,
                                    struct yg_errmsg *why);

/* ---- pivots ------------------------------------------------------------ */

struct yg_pivots {
    pthread_mutex_t mu;
    struct yg_cols cols;
    /* key: "level\tkind\tvalue" */
    struct yg_an_table rows;
    yg_err err;
};
void yg__pivots_init(struct yg_pivots *p);
void yg__pivots_free(struct yg_pivots *p);
void yg__pivots_hook(void *ud, const yg_alert *a, const struct yg_alert_time *t, const char *file);
/* Per level (critical first), per kind: each value once, with its alert count. */
yg_err yg__pivots_write(struct yg_pivots *p, FILE *out);

#endif
