/*
 * hunt.h - `yagura hunt`: rules over files, folders and streams.
 *
 * The hunt walks its inputs, decodes each file (JSON lines, JSON arrays,
 * concatenated JSON documents, EVTX; gzip and zstd transparently), runs the
 * compiled rules on every event with N worker threads and writes alerts in
 * input order, so the output does not depend on the thread count.
 */
#ifndef YG_ENGINE_HUNT_H
#define YG_ENGINE_HUNT_H

#include <stdbool.h>
#include <stdio.h>

#include "match/dbcache.h"
#include "yagura/yagura.h"

enum yg_out_format { YG_OUT_JSONL, YG_OUT_CSV, YG_OUT_TABLE };
/* What each alert carries (src/engine/profile.c, docs/yagura-hunt.md). */
enum yg_profile { YG_PROFILE_STANDARD, YG_PROFILE_VERBOSE, YG_PROFILE_TIMESKETCH, YG_PROFILE_ECS };

struct yg_detector;
struct yg_tz;
struct yg_alert_time;
struct yg_incident_alert;

struct yg_hunt_opts {
    const char **paths; /* files, folders, or "-" for standard input */
    size_t npaths;
    unsigned threads; /* 0: all cores */
    yg_level_t min_level;
    enum yg_out_format format;
    enum yg_profile profile;
    /* Zone of event times that carry none, for sources that write their
     * device's clock (--timezone; NULL: UTC). */
    const struct yg_tz *tz;
    /* --sort time: one stream in event-time order (src/engine/sort.c),
     * sorted in at most sort_mem bytes of memory (0: the default), spilled
     * to files in sort_dir (NULL: $TMPDIR or /tmp). */
    bool sort_time;
    size_t sort_mem;
    const char *sort_dir;
    FILE *out;     /* alerts */
    FILE *err;     /* diagnostics, progress, summary */
    bool progress; /* redraw a progress line on err */
    bool summary;
    bool strict;                              /* first bad input stops the hunt */
    bool include_event;                       /* copy the event into each alert (jsonl) */
    const char *product, *service, *category; /* log source for generic JSON */
    const char *stats_json;                   /* write machine-readable totals here */
    const char *input_format; /* NULL: detect per file (and per line); "json"; a line format */
    bool decode_only;         /* `yagura decode`: print events, run no rule */
    size_t corr_mem;          /* correlation state cap, bytes (0: the default) */
    /* Every alert (correlation alerts included) also as a JSON line with its
     * event, whatever the format, in output order (`--incidents`). */
    FILE *tap;
    /* Every alert (correlation alerts included) as the incident builder
     * takes it, with its JSON line (the standard profile with its event), in
     * output order, from one thread (`--incidents`).  An error counts as an
     * input error. */
    yg_err (*incident_hook)(void *ud, const struct yg_incident_alert *a);
    void *incident_ud;
    /* Alerts outside [from_ms, to_ms] (epoch ms, when has_from/has_to) are
     * not shown, nor alerts without an event time once a bound is given
     * (`yagura search --from/--to`). */
    bool has_from, has_to;
    int64_t from_ms, to_ms;
    /* Each alert shown (after --min-level and the time bounds) is also given
     * to alert_hook, from the worker threads, concurrently; with hook_only
     * it is given to the hook only and not written (`yagura metrics` and
     * `logons` select events with generated rules; `hunt --pivots`). */
    void (*alert_hook)(void *ud, const yg_alert *a, const struct yg_alert_time *t,
                       const char *file);
    void *hook_ud;
    bool hook_only;
    double compile_seconds; /* reported in the summary/stats */
    size_t rules_loaded;
    struct yg_dbcache_stats hs_cache; /* what compiling did with the cache (stats) */
};

struct yg_hunt_result {
    uint64_t files, events, bytes, alerts, errors;
    uint64_t skipped_files;   /* .yml/.yaml/.md met in folders: not read */
    uint64_t skipped_special; /* FIFOs, sockets, devices met in folders: not read */
    uint64_t by_level[6];
    uint64_t correlation_alerts, corr_untimed, corr_dropped;
    uint64_t regex_limits; /* rule evaluations a regex limit left undecided (no match) */
    /* Coverage: events of log sources no loaded rule covers, and events
     * that route to no log source (both could hide a detection). */
    uint64_t uncovered_events, unrouted_events;
    uint64_t events_with_hits; /* events with at least one alert shown */
    int64_t first_ms, last_ms; /* event time range (valid when have_range) */
    bool have_range;
    uint64_t sort_runs; /* --sort time: sorted runs written to disk */
    double seconds;
};

/* Hunt with the detector's rules; its correlation state is opened over the
 * detections, sorted by time, after the inputs were matched, and closed
 * again (correlations whose geolocation database det has not opened are
 * reported inactive once on opts->err and skipped).  Returns YG_OK if the
 * hunt ran (alerts or not); an input that could not be read is counted in
 * result->errors and reported on opts->err. */
yg_err yg_hunt_run(struct yg_detector *det, const struct yg_hunt_opts *opts,
                   struct yg_hunt_result *res);

#endif
