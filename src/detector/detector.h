/*
 * detector.h - the detection pipeline that `yagura hunt` and `yagura watch`
 * both drive: the compiled rule set (Sigma rules, correlations, the
 * built-in intelligence rules), the geolocation databases of the
 * analytics, the correlation state, the incident builder and its state
 * database, and the one JSON form of a correlation alert (corr_json.h).
 *
 * The drivers read records and deliver alerts (the hunt: files, threads,
 * ordered output, src/engine/hunt.c; the service: inputs, batches, sinks,
 * src/watch/watch.c); how the rules, intelligence, GeoIP and incidents are
 * put together is decided here, once.  (src/match/pipeline.c is something
 * else: pySigma processing pipelines that rewrite rules.)
 */
#ifndef YG_DETECTOR_DETECTOR_H
#define YG_DETECTOR_DETECTOR_H

#include <stdbool.h>

#include "core/core.h"
#include "correlate/correlate.h"
#include "match/dbcache.h"
#include "yagura/intel.h"
#include "yagura/yagura.h"

struct yg_geo;
struct yg_store;
struct yg_entity_map;
struct yg_incident_builder;

/* What a rule set is compiled from.  The callbacks (any may be NULL) let the
 * driver report in its own way (standard error, the service log). */
struct yg_detector_conf {
    const char *data_dir; /* mappings; NULL: $YAGURA_DATA_DIR */
    const char *const *mappings;
    size_t nmappings;
    const char *const *pipelines;
    size_t npipelines;
    const char *const *rule_paths;
    size_t nrule_paths;
    /* One generated rule document (`yagura search`), or NULL. */
    const char *extra_name, *extra_yaml;
    yg_diag_cb diag;
    void *diag_ud;
    void *ud; /* for the callbacks below */
    /* Before the rule paths (rule exclusions, level tuning); false stops. */
    bool (*before_rules)(void *ud, yg_compiler *c);
    /* After them (what the tuning did). */
    void (*after_rules)(void *ud, const yg_compiler *c);
    /* A rule path that does not exist (not_found) or loaded no rule. */
    void (*path_empty)(void *ud, const char *path, bool not_found);
    /* The intelligence to add after the rules, or *out NULL for none;
     * nonzero: it failed (and said why). */
    int (*open_intel)(void *ud, yg_intel **out);
    /* The folder where the compiled prefilter databases are kept between
     * runs (src/match/dbcache.c): cache_dir, else the default
     * (yg__dbcache_default_dir: $YAGURA_CACHE_DIR, the XDG cache folder);
     * none with no_cache.  cache_warn (may be NULL) hears once per compile
     * why the folder could not be used; the compile goes on without it. */
    const char *cache_dir;
    bool no_cache;
    void (*cache_warn)(void *ud, const char *msg);
};

/* A compiled rule set and what compiling it found. */
struct yg_detector_rules {
    yg_rules *rules; /* NULL when the set could not be compiled */
    yg_rules_stats stats;
    double seconds;                      /* compile time */
    size_t paths_not_found, paths_empty; /* rule paths that loaded nothing */
    yg_err extra_err;                    /* why the generated rule did not load */
    bool intel_failed;                   /* the intelligence could not be added */
    bool reported;                       /* a callback already said why */
    char why[512];                       /* why rules is NULL */
    struct yg_dbcache_stats cache;       /* what the compile did with the cache */
};

/* Compile a rule set.  YG_OK with out->rules, or an error with out->why
 * ("out of memory", "intelligence did not load", "cannot compile rules:
 * ..."). */
YG_NODISCARD yg_err yg__detector_compile(const struct yg_detector_conf *c,
                                         struct yg_detector_rules *out);

/*
 * How the correlation state is made (yg__detector_open_corr), kept for
 * every state made later for a new rule set.  The callbacks may be NULL.
 */
struct yg_detector_corr_conf {
    size_t mem_bytes;    /* window memory cap (0: YG_CORR_DEFAULT_MEM) */
    int64_t lateness_ms; /* stragglers accepted (yg__corr_set_lateness) */
    /* Evidence reference counting (yg__corr_set_evidence_hooks); without
     * hooks the driver keeps every evidence handle valid for the state's
     * life. */
    void (*hold)(void *ud, void *ev);
    void (*release)(void *ud, void *ev);
    /* An analytic (yagura_new_value with geo:, yagura_travel) that stays
     * inactive, because the database it needs (need: YG_CORR_NEEDS_CITY or
     * YG_CORR_NEEDS_ASN) is not open: called once per such correlation each
     * time a state is made, in rule order; why says what is missing
     * ("needs a city geolocation database"). */
    void (*inactive)(void *ud, const struct yg_rule *r, unsigned need, const char *why);
    void *ud;
};

struct yg_detector {
    yg_rules *rules;    /* the running set (a reference) */
    struct yg_geo *geo; /* NULL: analytics that need it are inactive */
    /* The windows of the running set's correlations: NULL until
     * yg__detector_open_corr, and while the set has no correlation. */
    struct yg_corr_state *corr;
    bool corr_open;
    struct yg_detector_corr_conf corr_conf;
    /* Incidents (NULL: not built). */
    struct yg_store *store;
    bool own_store;
    struct yg_entity_map *entmap;
    struct yg_incident_builder *incidents;
    char why[1024];
};

/* A detector over a rule set (it takes the reference). */
YG_NODISCARD yg_err yg__detector_new(yg_rules *rules, struct yg_detector **out);
void yg__detector_free(struct yg_detector *d);

/*
 * Correlate: make the state of the running set's correlations (none while
 * the set has none) with conf (copied), reporting its inactive analytics.
 * yg__detector_open_geo comes first: an analytic is inactive when its
 * database is not open then.  YG_ENOMEM with d->why.
 */
YG_NODISCARD yg_err yg__detector_open_corr(struct yg_detector *d,
                                           const struct yg_detector_corr_conf *conf);
/* Free the state (the release hook sees every handle still held) and stop
 * correlating.  d may be NULL. */
void yg__detector_close_corr(struct yg_detector *d);
/* A new, empty state for the running set in place of the running one (a
 * correlate stage rebuilding its windows from the detections topic).  The
 * inactive analytics are reported again.  YG_ENOMEM (d->why): the running
 * state stays. */
YG_NODISCARD yg_err yg__detector_reset_corr(struct yg_detector *d);

/* One detection of a rule that correlations reference. */
struct yg_detection {
    uint32_t rule;               /* the detection rule's index in the running set */
    int64_t t_ms;                /* its event time */
    const struct yg_str *values; /* of yg__corr_field(cs, rule, k), k < yg__corr_nfields */
    void *evidence;              /* the driver's handle, given back in alerts */
    /* one false: every correlation the rule feeds (yg__corr_feed).  one
     * true: only the sub-th, and of a fan-out only outer chain copy
     * (YG_CORR_EVERY_CHAIN: all), as a correlate stage receives it
     * (yg__corr_feed_copy, docs/kafka.md). */
    bool one;
    size_t sub, copy;
};

/*
 * Feed one detection to the correlation state; each correlation alert goes
 * to fire(ud, alert), which must not call back into the detector.  Without
 * a state (not open, or no correlation) the detection is ignored.
 *
 * The feed wants detections in event-time order: a detection older than
 * the newest one fed, by more than the lateness, is dropped and counted
 * (dropped_late).  The drivers guarantee the order: the hunt matches in
 * parallel, collects the detections and feeds them after sorting them by
 * time (src/engine/hunt.c, run_correlation); the service feeds inline as
 * records arrive, which is time order up to the configured lateness, and
 * replays what it rebuilds from in time order (the state database's
 * detections in (time, insertion) order, the detections topic sorted).
 */
YG_NODISCARD yg_err yg__detector_feed(struct yg_detector *d, const struct yg_detection *det,
                                      yg_corr_fire_fn fire, void *ud);
/* The state's counters; false (and zeros) without a state. */
bool yg__detector_corr_stats(const struct yg_detector *d, struct yg_corr_stats *out);

/*
 * Replace the running rule set, in two steps so that the driver can finish
 * work with the running set in between (the service commits the batch
 * matched by the old rules).  yg__detector_prepare_rules takes the
 * reference and, while correlating, makes the new set's state (empty: its
 * windows start again, and the driver rebuilds them from its stored
 * detections); YG_ENOMEM (d->why) changes nothing and leaves the reference
 * with the caller.  yg__detector_set_rules puts next in force: the old state's
 * windows are dropped, the old set released, and the new set's inactive
 * analytics reported; yg__detector_drop_rules gives next up instead.
 */
struct yg_detector_next {
    yg_rules *rules;
    struct yg_corr_state *corr;
};
YG_NODISCARD yg_err yg__detector_prepare_rules(struct yg_detector *d, yg_rules *rules,
                                               struct yg_detector_next *next);
void yg__detector_set_rules(struct yg_detector *d, struct yg_detector_next *next);
void yg__detector_drop_rules(struct yg_detector_next *next);
/* Geolocation databases of the analytics (tried in order); d->why on error. */
YG_NODISCARD yg_err yg__detector_open_geo(struct yg_detector *d, const char *const *city,
                                          size_t ncity, const char *const *asn, size_t nasn);
/*
 * Build incidents into the state database st (kept by reference; or, with st
 * NULL, the database at path, opened and owned), with the entity map of
 * data_dir (NULL: $YAGURA_DATA_DIR) and the grouping window (0: the
 * default).  Contributing detections of correlation alerts are titled from
 * the running rule set.  d->why on error.
 */
YG_NODISCARD yg_err yg__detector_open_incidents(struct yg_detector *d, struct yg_store *st,
                                                const char *path, const char *data_dir,
                                                int64_t window_ms);
/* Free the incident builder (before a state database the caller owns is
 * closed: the builder's statements run on it).  d may be NULL. */
void yg__detector_close_incidents(struct yg_detector *d);

#endif
