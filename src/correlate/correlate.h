/*
 * correlate.h - Sigma correlation rules over a stream of detections.
 *
 * A correlation rule (Sigma correlation specification v2.1.0) does not look
 * at events: it looks at the detections of other rules.  The caller runs the
 * detection rules and, whenever rule r fires on an event, hands that
 * detection to yg__corr_feed() with the event time and the few event fields
 * the correlations need (yg__corr_field).  The module keeps, per correlation
 * and per group-by value tuple, a sliding window of recent detections and
 * reports an alert when the window meets the correlation's condition.
 *
 * Two objects, split like yg_rules / yg_scanner:
 *   yg_corr_set    compiled correlation rules; immutable once built, may be
 *                  shared by any number of states;
 *   yg_corr_state  the windows of one hunt or watch; single-threaded.
 *
 * The full behaviour (window edges, re-arm, missing fields, lateness, the
 * memory cap, chaining) is described in docs/correlation.md and in the block
 * comment of correlate.c.
 */
#ifndef YG_CORRELATE_H
#define YG_CORRELATE_H

#include "core/core.h"
#include "match/program.h"
#include "sigma/rule.h"

/* The engine's caps (YG_CORR_*) are in include/yagura/limits.h. */

/* Defaults of the Yagura extension types (docs/correlation.md, docs/analytics.md). */
#define YG_CORR_NEW_VALUE_SPAN_MS (90ll * 86400 * 1000) /* yagura_new_value history horizon */
#define YG_CORR_NEW_VALUE_MIN_HISTORY 3                 /* earlier detections before alerting */
#define YG_CORR_TRAVEL_SPAN_MS (86400ll * 1000)         /* yagura_travel: longest gap compared */
#define YG_CORR_TRAVEL_MIN_KM 500.0
#define YG_CORR_TRAVEL_MAX_KMH 900.0

struct yg_geo;
struct yg_corr_set;   /* compiled correlation rules, immutable */
struct yg_corr_state; /* windows per correlation and group; one per hunt or watch */

/*
 * Compile every correlation document of docs (documents of other kinds are
 * skipped, so the caller may pass every document it loaded) against the
 * compiled detection rules rs.  Rule references resolve by id or name, to
 * detection rules (by rule index) or to other correlations (chains).  Each
 * problem is reported through diag (file, line, column of the offending
 * node, reason) and that correlation is left out, as is every correlation
 * that references a left-out one; cycles are an error for every correlation
 * on the cycle.  Returns YG_OK with *out set even when some correlations were
 * left out; YG_ENOMEM leaves *out NULL.
 *
 * The set points into docs (rule metadata, YAML nodes) and rs: both must
 * outlive it.  Free with yg__corr_set_free().
 */
YG_NODISCARD yg_err yg__corr_compile(const struct yg_rule *const *docs, size_t ndocs,
                                     const struct yg_rules *rs,
                                     void (*diag)(void *ud, const struct yg_diag *d), void *ud,
                                     struct yg_corr_set **out);
void yg__corr_set_free(struct yg_corr_set *cs);
/* Correlations that compiled, and the i-th of them (0 <= i < count). */
size_t yg__corr_count(const struct yg_corr_set *cs);
const struct yg_rule *yg__corr_rule(const struct yg_corr_set *cs, size_t i);
/* The window length of the i-th correlation, defaults applied. */
int64_t yg__corr_timespan_ms(const struct yg_corr_set *cs, size_t i);

/*
 * For detection rule r (its index in rs): is it referenced by any
 * correlation; must its own alerts be suppressed (it is referenced and no
 * correlation referencing it says `generate: true`); which event fields the
 * caller must extract when it fires (group-by fields after aliases, and
 * value fields), k < nfields.  The strings live as long as the set.
 */
bool yg__corr_references(const struct yg_corr_set *cs, uint32_t r);
bool yg__corr_suppress(const struct yg_corr_set *cs, uint32_t r);
size_t yg__corr_nfields(const struct yg_corr_set *cs, uint32_t r);
const char *yg__corr_field(const struct yg_corr_set *cs, uint32_t r, size_t k);

/* One correlation result.  Every pointer is valid only during the callback. */
struct yg_corr_alert {
    const struct yg_rule *rule;      /* the correlation rule */
    const char *type;                /* "event_count", ... */
    const char *const *group_names;  /* group-by entries as written (aliases unresolved) */
    const char *const *group_values; /* "" for a field the events lacked */
    size_t ngroup;
    int64_t first_ms, last_ms; /* event time span of the contributing events */
    double value; /* the count / distinct count / sum / avg / percentile that met the condition */
    size_t nevidence;
    void *const *evidence; /* the caller's evidence handles, most recent first, capped */
    /* yagura_new_value and yagura_travel: the finding, one JSON object
     * (docs/analytics.md); NULL for the Sigma types. */
    const char *detail;
    size_t detail_len;
};
typedef void (*yg_corr_fire_fn)(void *ud, const struct yg_corr_alert *a);

/*
 * A new state with at most mem_cap_bytes of window memory (0: the default
 * YG_CORR_DEFAULT_MEM).  The set must outlive the state.
 */
YG_NODISCARD yg_err yg__corr_state_new(const struct yg_corr_set *cs, size_t mem_cap_bytes,
                                       struct yg_corr_state **out);
/* Frees every window; the release hook (if any) sees every handle still held. */
void yg__corr_state_free(struct yg_corr_state *st);
/* Accept events up to lateness_ms older than the newest event seen (default 0). */
void yg__corr_set_lateness(struct yg_corr_state *st, int64_t lateness_ms);
/*
 * Evidence handles are opaque.  If the caller needs to know how long one is
 * referenced (to keep an event copy alive), hold() is called each time a
 * window stores the handle and release() each time a window drops it.
 * Without hooks the caller keeps every handle valid for the state's life.
 */
void yg__corr_set_evidence_hooks(struct yg_corr_state *st, void (*hold)(void *ud, void *ev),
                                 void (*release)(void *ud, void *ev), void *ud);

/*
 * Feed one detection of rule r at event time t_ms.  Events come in time
 * order; out-of-order events within the state's lateness are accepted, older
 * ones are counted and dropped.  values[k] is the value of
 * yg__corr_field(cs, r, k) in that event (p == NULL if absent; values may be
 * NULL when nfields is 0).  Correlations that fire call fire(ud, alert);
 * chained correlations are fed internally.  Detections of rules no
 * correlation references are ignored.  fire() must not call back into st.
 *
 * Returns YG_EINVAL for an r out of range, YG_ENOMEM if memory ran out
 * before any alert was delivered (the detection is then dropped and
 * counted).  Once fire() has been called the call returns YG_OK: a later
 * allocation failure in the same call is counted in dropped_mem instead.
 */
YG_NODISCARD yg_err yg__corr_feed(struct yg_corr_state *st, uint32_t r, int64_t t_ms,
                                  const struct yg_str *values, void *evidence, yg_corr_fire_fn fire,
                                  void *ud);

/*
 * One correlation at a time, for a correlate stage that owns only some
 * groups (docs/kafka.md): detection rule r feeds yg__corr_nfeeds(cs, r)
 * correlations; the s-th is correlation yg__corr_feed_target(cs, r, s).
 * yg__corr_partition_key appends the key under which that detection is
 * published: the id of the correlation at the top of its chain (itself, or
 * while a correlation feeds exactly one outer correlation, that one) and
 * the top correlation's group-by values of the event (values as for
 * yg__corr_feed), each after a 0x1f byte.  Every detection of one group,
 * from whichever rule and inner correlation, so shares a key.
 * yg__corr_feed_one feeds the detection to that correlation only (chains
 * fed from it still run).
 */
size_t yg__corr_nfeeds(const struct yg_corr_set *cs, uint32_t r);
size_t yg__corr_feed_target(const struct yg_corr_set *cs, uint32_t r, size_t s);
YG_NODISCARD yg_err yg__corr_partition_key(const struct yg_corr_set *cs, uint32_t r, size_t s,
                                           const struct yg_str *values, struct yg_buf *b);
YG_NODISCARD yg_err yg__corr_feed_one(struct yg_corr_state *st, uint32_t r, size_t s, int64_t t_ms,
                                      const struct yg_str *values, void *evidence,
                                      yg_corr_fire_fn fire, void *ud);

/*
 * Fan-out: when the correlation fed by sub s of rule r feeds, directly or
 * through correlations that each feed one, a correlation F that feeds N > 1
 * outer correlations, yg__corr_ncopies is N (else 1).  The detection is
 * then published N times: copy k keyed by yg__corr_partition_key_copy, the
 * key of outer chain k (F's k-th outer correlation and on up as above,
 * stopping at a second fan-out), and fed with yg__corr_feed_copy(copy k):
 * the windows up to F are copy k's own, F's alerts feed outer chain k only,
 * and only copy 0 raises the alerts of the correlations up to F, so each
 * is raised once.  copy YG_CORR_EVERY_CHAIN (yg__corr_feed_one) feeds
 * every chain from one window, as yg__corr_feed does.  A copy >= N is
 * YG_EINVAL; with N = 1 every copy is fed as a whole.
 * yg__corr_partition_key is yg__corr_partition_key_copy with copy 0.
 */
#define YG_CORR_EVERY_CHAIN ((size_t)-1)
size_t yg__corr_ncopies(const struct yg_corr_set *cs, uint32_t r, size_t s);
YG_NODISCARD yg_err yg__corr_partition_key_copy(const struct yg_corr_set *cs, uint32_t r, size_t s,
                                                size_t copy, const struct yg_str *values,
                                                struct yg_buf *b);
YG_NODISCARD yg_err yg__corr_feed_copy(struct yg_corr_state *st, uint32_t r, size_t s, size_t copy,
                                       int64_t t_ms, const struct yg_str *values, void *evidence,
                                       yg_corr_fire_fn fire, void *ud);

/*
 * Geolocation for yagura_new_value with `geo:` and yagura_travel.
 * yg__corr_geo_needs() tells what correlation i needs: 0, or
 * YG_CORR_NEEDS_CITY (country, coordinates), or YG_CORR_NEEDS_ASN.  A new
 * state has no databases, so such correlations start inactive: they ignore
 * their detections.  yg__corr_set_geo() gives the state geo (NULL allowed;
 * it must outlive the state and is only read, so it may be shared with
 * other states and threads) and calls inactive(ud, rule, why) once for each
 * correlation that stays inactive because geo lacks what it needs.
 */
#define YG_CORR_NEEDS_CITY 1u
#define YG_CORR_NEEDS_ASN 2u
unsigned yg__corr_geo_needs(const struct yg_corr_set *cs, size_t i);
void yg__corr_set_geo(struct yg_corr_state *st, const struct yg_geo *geo,
                      void (*inactive)(void *ud, const struct yg_rule *r, const char *why),
                      void *ud);
bool yg__corr_inactive(const struct yg_corr_state *st, size_t i);

/* Counters of a state. */
struct yg_corr_stats {
    size_t bytes;          /* window memory in use */
    size_t groups;         /* live groups over all correlations */
    size_t alerts;         /* alerts delivered (chained ones included) */
    size_t dropped_late;   /* detections older than the lateness allowed */
    size_t dropped_mem;    /* detections lost to the memory cap or to allocation failure */
    size_t evicted_groups; /* groups evicted to stay under the memory cap */
    size_t expired_groups; /* groups freed because their window ran out */
    size_t ignored_values; /* value_* detections whose field was absent or not a number;
                              yagura_* detections without a value or a place */
};
void yg__corr_stats(const struct yg_corr_state *st, struct yg_corr_stats *out);

#endif
