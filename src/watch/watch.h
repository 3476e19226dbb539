/*
 * watch.h - `yagura watch`: the detection service.
 *
 * One loop: poll the inputs, take their records, decode and match them,
 * feed correlations (in event time, with the configured lateness), and every
 * batch write the alerts to the sinks and then, in one SQLite transaction,
 * store the alerts and advance the inputs' checkpoints.  A checkpoint never
 * moves past a record whose alerts are not in every sink (at-least-once);
 * alert ids are deterministic, so a replay never stores an alert twice.
 *
 * SIGHUP reloads the configuration's rules between two batches (a rule set
 * that does not compile is logged and the old one keeps running); SIGTERM
 * and SIGINT finish the current batch and stop.
 */
#ifndef YG_WATCH_WATCH_H
#define YG_WATCH_WATCH_H

#include "watch/config.h"

struct yg_watch_opts {
    const char *config_path;
    /* Stop once every input has been idle this long (0: run until signalled);
     * for tests and one-shot backfills. */
    uint64_t exit_when_idle_ms;
    /* Load the configuration and the rules, report, and exit (0 when both load). */
    bool check_only;
    /* --cache-dir and --no-cache: over the configuration's cache_dir. */
    const char *cache_dir;
    bool no_cache;
};

/* Returns the process exit status: 0 clean stop, 2 configuration or start-up error. */
int yg__watch_run(const struct yg_watch_opts *o);

#endif
