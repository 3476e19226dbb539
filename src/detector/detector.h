/*
 * detector.h - the detection pipeline that `yagura hunt` and `yagura watch`
 * both drive: the compiled rule set (Sigma rules, correlations, the
 * built-in intelligence rules), the geolocation databases of the
 * analytics, the incident builder and its state database, and the one
 * JSON form of a correlation alert (corr_json.h).
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

struct yg_detector {
    yg_rules *rules;    /* the running set (a reference) */
    struct yg_geo *geo; /* NULL: analytics that need it are inactive */
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
/* Replace the running rule set (the reference is taken; the old one is
 * released). */
void yg__detector_set_rules(struct yg_detector *d, yg_rules *rules);
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
