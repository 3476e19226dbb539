/*
 * detector.c - the detection pipeline both drivers run (see detector.h).
 */
#include "detector/detector.h"

#include <string.h>
#include <time.h>

#include "geo/geo.h"
#include "incident/incident.h"
#include "match/program.h"
#include "sigma/rule.h"
#include "store/store.h"

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Mappings and processing pipelines first: they shape how every rule
 * compiles. */
static yg_err add_mappings(const struct yg_detector_conf *c, yg_compiler *comp)
{
    for (size_t i = 0; i < c->nmappings; i++)
        if (yg_compiler_add_mapping(comp, c->mappings[i]))
            return YG_ENOMEM;
    for (size_t i = 0; i < c->npipelines; i++)
        if (yg_compiler_add_pipeline(comp, c->pipelines[i]))
            return YG_ENOMEM;
    return YG_OK;
}

/* Every rule path; one that loads no rule is counted (a wrong path or an
 * empty archive would otherwise hunt with fewer rules than the user
 * believes). */
static void add_rule_paths(const struct yg_detector_conf *c, yg_compiler *comp,
                           struct yg_detector_rules *out)
{
    for (size_t i = 0; i < c->nrule_paths; i++) {
        size_t before = yg_compiler_rule_count(comp);
        yg_err e = yg_compiler_add_path(comp, c->rule_paths[i]);
        bool not_found = e == YG_ENOTFOUND;
        if (!not_found && yg_compiler_rule_count(comp) != before)
            continue;
        if (not_found)
            out->paths_not_found++;
        else
            out->paths_empty++;
        if (c->path_empty)
            c->path_empty(c->ud, c->rule_paths[i], not_found);
    }
    if (c->extra_yaml)
        out->extra_err = yg_compiler_add_string(comp, c->extra_name ? c->extra_name : "generated",
                                                c->extra_yaml, strlen(c->extra_yaml));
}

static yg_err add_intel(const struct yg_detector_conf *c, yg_compiler *comp,
                        struct yg_detector_rules *out)
{
    yg_intel *intel = NULL;
    if (!c->open_intel)
        return YG_OK;
    if (c->open_intel(c->ud, &intel)) {
        snprintf(out->why, sizeof out->why, "intelligence did not load");
        out->intel_failed = out->reported = true;
        return YG_EINVAL;
    }
    if (!intel)
        return YG_OK;
    yg_err e = yg_compiler_add_intel(comp, intel);
    yg_intel_release(intel);
    if (e) {
        snprintf(out->why, sizeof out->why, "intelligence: %s", yg_strerror(e));
        out->intel_failed = true;
    }
    return e;
}

/* The compiled-database cache of the configuration, or NULL for none (also
 * when it cannot be allocated: the compile is the same without it). */
static struct yg_dbcache *open_cache(const struct yg_detector_conf *c)
{
    char buf[4096];
    const char *dir = c->no_cache    ? NULL
                      : c->cache_dir ? c->cache_dir
                                     : yg__dbcache_default_dir(buf, sizeof buf);
    return dir ? yg__dbcache_new(dir, c->cache_warn, c->ud) : NULL;
}

yg_err yg__detector_compile(const struct yg_detector_conf *c, struct yg_detector_rules *out)
{
    memset(out, 0, sizeof *out);
    yg_compiler *comp;
    if (yg_compiler_create(&comp, c->data_dir)) {
        snprintf(out->why, sizeof out->why, "out of memory");
        return YG_ENOMEM;
    }
    struct yg_dbcache *cache = open_cache(c);
    yg__compiler_set_dbcache(comp, cache);
    if (c->diag)
        yg_compiler_set_diag(comp, c->diag, c->diag_ud);
    yg_err e = add_mappings(c, comp);
    if (e) {
        snprintf(out->why, sizeof out->why, "out of memory");
        goto done;
    }
    if (c->before_rules && !c->before_rules(c->ud, comp)) {
        e = YG_EINVAL;
        snprintf(out->why, sizeof out->why, "rule tuning did not load");
        out->reported = true;
        goto done;
    }
    double t0 = mono_s();
    add_rule_paths(c, comp, out);
    if (c->after_rules)
        c->after_rules(c->ud, comp);
    if ((e = add_intel(c, comp, out)))
        goto done;
    if ((e = yg_compiler_get_rules(comp, &out->rules))) {
        snprintf(out->why, sizeof out->why, "cannot compile rules: %s", yg_strerror(e));
        goto done;
    }
    out->seconds = mono_s() - t0;
    yg_rules_get_stats(out->rules, &out->stats);
done:
    yg_compiler_destroy(comp);
    yg__dbcache_get_stats(cache, &out->cache);
    if (!e && out->rules) {
        yg__rules_keep_dbcache(out->rules, cache); /* each log source's databases */
        cache = NULL;
    }
    yg__dbcache_free(cache);
    return e;
}

yg_err yg__detector_new(yg_rules *rules, struct yg_detector **out)
{
    struct yg_detector *d = yg_calloc(1, sizeof *d);
    if (!d)
        return YG_ENOMEM;
    d->rules = rules;
    *out = d;
    return YG_OK;
}

/* ---- correlation state ------------------------------------------------- */

/* The inactive analytics of a new state, for the driver's callback (which
 * also wants to know which database is missing). */
struct inactive_ctx {
    const struct yg_detector_corr_conf *conf;
    const struct yg_corr_set *cs;
};

static void on_inactive(void *ud, const struct yg_rule *r, const char *why)
{
    const struct inactive_ctx *x = ud;
    unsigned need = 0;
    for (size_t i = 0; i < yg__corr_count(x->cs) && !need; i++)
        if (yg__corr_rule(x->cs, i) == r)
            need = yg__corr_geo_needs(x->cs, i);
    x->conf->inactive(x->conf->ud, r, need, why);
}

/* A state for the correlations of rs (NULL when not correlating or rs has
 * none). */
static yg_err corr_new(struct yg_detector *d, const yg_rules *rs, struct yg_corr_state **out)
{
    *out = NULL;
    if (!d->corr_open || !rs || !rs->corr)
        return YG_OK;
    if (yg__corr_state_new(rs->corr, d->corr_conf.mem_bytes, out)) {
        snprintf(d->why, sizeof d->why, "out of memory for the correlation state");
        return YG_ENOMEM;
    }
    return YG_OK;
}

/* Put st (a state of the correlations of cs) in place of the running one,
 * configured, its inactive analytics reported. */
static void corr_install(struct yg_detector *d, struct yg_corr_state *st,
                         const struct yg_corr_set *cs)
{
    yg__corr_state_free(d->corr);
    d->corr = st;
    if (!st)
        return;
    const struct yg_detector_corr_conf *c = &d->corr_conf;
    yg__corr_set_lateness(st, c->lateness_ms);
    if (c->hold || c->release)
        yg__corr_set_evidence_hooks(st, c->hold, c->release, c->ud);
    struct inactive_ctx x = {c, cs};
    yg__corr_set_geo(st, d->geo, c->inactive ? on_inactive : NULL, &x);
}

yg_err yg__detector_open_corr(struct yg_detector *d, const struct yg_detector_corr_conf *conf)
{
    d->corr_conf = *conf;
    d->corr_open = true;
    struct yg_corr_state *st;
    yg_err e = corr_new(d, d->rules, &st);
    if (e) {
        d->corr_open = false;
        return e;
    }
    corr_install(d, st, d->rules->corr);
    return YG_OK;
}

void yg__detector_close_corr(struct yg_detector *d)
{
    if (!d)
        return;
    yg__corr_state_free(d->corr);
    d->corr = NULL;
    d->corr_open = false;
}

yg_err yg__detector_reset_corr(struct yg_detector *d)
{
    struct yg_corr_state *st;
    yg_err e = corr_new(d, d->rules, &st);
    if (!e && st)
        corr_install(d, st, d->rules->corr);
    return e;
}

yg_err yg__detector_feed(struct yg_detector *d, const struct yg_detection *det,
                         yg_corr_fire_fn fire, void *ud)
{
    if (!d->corr)
        return YG_OK;
    if (det->one)
        return yg__corr_feed_copy(d->corr, det->rule, det->sub, det->copy, det->t_ms, det->values,
                                  det->evidence, fire, ud);
    return yg__corr_feed(d->corr, det->rule, det->t_ms, det->values, det->evidence, fire, ud);
}

bool yg__detector_corr_stats(const struct yg_detector *d, struct yg_corr_stats *out)
{
    memset(out, 0, sizeof *out);
    if (!d->corr)
        return false;
    yg__corr_stats(d->corr, out);
    return true;
}

yg_err yg__detector_prepare_rules(struct yg_detector *d, yg_rules *rules,
                                  struct yg_detector_next *next)
{
    yg_err e = corr_new(d, rules, &next->corr);
    next->rules = e ? NULL : rules;
    return e;
}

void yg__detector_drop_rules(struct yg_detector_next *next)
{
    yg__corr_state_free(next->corr);
    yg_rules_release(next->rules);
    next->corr = NULL;
    next->rules = NULL;
}

/* The old state goes before the old set: its windows point into the set's
 * correlations. */
void yg__detector_set_rules(struct yg_detector *d, struct yg_detector_next *next)
{
    yg__corr_state_free(d->corr);
    d->corr = NULL;
    yg_rules_release(d->rules);
    d->rules = next->rules;
    corr_install(d, next->corr, next->rules ? next->rules->corr : NULL);
    next->rules = NULL;
    next->corr = NULL;
}

void yg__detector_close_incidents(struct yg_detector *d)
{
    if (!d)
        return;
    yg__incident_builder_free(d->incidents);
    d->incidents = NULL;
    yg__entity_map_free(d->entmap);
    d->entmap = NULL;
    if (d->own_store && d->store)
        yg__store_close(d->store);
    d->store = NULL;
}

void yg__detector_free(struct yg_detector *d)
{
    if (!d)
        return;
    yg__detector_close_incidents(d);
    yg__detector_close_corr(d);
    yg__geo_free(d->geo);
    yg_rules_release(d->rules);
    yg_free(d);
}

yg_err yg__detector_open_geo(struct yg_detector *d, const char *const *city, size_t ncity,
                             const char *const *asn, size_t nasn)
{
    if (!ncity && !nasn)
        return YG_OK;
    yg_err e = yg__geo_open(city, ncity, asn, nasn, &d->geo);
    if (e) {
        snprintf(d->why, sizeof d->why, "%s", yg__geo_errmsg(d->geo));
        yg__geo_free(d->geo);
        d->geo = NULL;
    }
    return e;
}

/* Title and level of a detection rule of the running set, for the
 * contributing detections of correlation alerts in incident timelines. */
static bool rule_lookup(void *ud, const char *rule_id, const char **title, const char **level)
{
    const struct yg_detector *d = ud;
    for (size_t i = 0; d->rules && i < d->rules->nrules; i++) {
        const struct yg_rule *r = d->rules->rules[i].rule;
        if (r && r->id && strcmp(r->id, rule_id) == 0) {
            *title = r->title;
            *level = yg__level_name(r->level);
            return true;
        }
    }
    return false;
}

yg_err yg__detector_open_incidents(struct yg_detector *d, struct yg_store *st, const char *path,
                                   const char *data_dir, int64_t window_ms)
{
    yg_err e = yg__entity_map_load_default(data_dir, &d->entmap);
    if (e) {
        snprintf(d->why, sizeof d->why, "%s", yg__entity_map_errmsg(d->entmap));
        yg__entity_map_free(d->entmap);
        d->entmap = NULL;
        return e;
    }
    if (!st) {
        if ((e = yg__store_open(path, &st))) {
            snprintf(d->why, sizeof d->why, "%s", yg__store_errmsg(st));
            yg__store_close(st);
            return e;
        }
        d->own_store = true;
    }
    d->store = st;
    if ((e = yg__incident_builder_new(st, d->entmap, window_ms, &d->incidents))) {
        snprintf(d->why, sizeof d->why, "%s: %s", path ? path : "state",
                 yg__incident_errmsg(d->incidents));
        yg__incident_builder_free(d->incidents);
        d->incidents = NULL;
        return e;
    }
    yg__incident_set_rule_lookup(d->incidents, rule_lookup, d);
    return YG_OK;
}
