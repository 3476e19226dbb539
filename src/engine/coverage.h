/*
 * coverage.h - which log sources a run saw, and how many rules cover each.
 *
 * A detection run that finds nothing because no loaded rule applies to
 * the events it read is a silent miss.  Each scanner counts its events per
 * routed log source (yg_scanner_coverage); the run adds those up here and
 * says, in the summary, the stats JSON and the exit status, when events
 * reached a log source no rule covers, or no log source at all.
 */
#ifndef YG_ENGINE_COVERAGE_H
#define YG_ENGINE_COVERAGE_H

#include <stdio.h>

#include "core/htab.h"
#include "yagura/yagura.h"

struct yg_cov_row {
    char *ls_json;   /* {"product":...,"service":...,"category":...}, "{}": none */
    uint64_t events; /* events routed to it */
    uint32_t rules;  /* loaded detection rules that apply to it */
};

struct yg_coverage {
    struct yg_cov_row *rows;
    size_t n, cap;
    bool oom; /* a row could not be kept: the table is incomplete */
};

/* Add a scanner's counts (call before destroying it; not thread-safe). */
void yg__cov_add_scanner(struct yg_coverage *c, const yg_scanner *s);
/* Most events first, then by log source, so output is deterministic. */
void yg__cov_sort(struct yg_coverage *c);
/* Events in log sources no loaded rule covers, and events routed to none. */
uint64_t yg__cov_uncovered(const struct yg_coverage *c, uint64_t *unrouted);
/* "product:P service:S category:C" of a log source's JSON, into out. */
void yg__cov_label(const char *ls_json, char *out, size_t n);
/* The summary lines (events per log source, rules for each). */
void yg__cov_print(const struct yg_coverage *c, FILE *e);
/* The warnings when events went unchecked (printed even without a summary). */
void yg__cov_warn(const struct yg_coverage *c, FILE *e);
/* "[{"product":..,"events":N,"rules":M},...]" for the stats JSON. */
void yg__cov_json(const struct yg_coverage *c, FILE *f);
void yg__cov_free(struct yg_coverage *c);

/* ---- alerts per key (computer, log source) and level ----------------- */

#define YG_TALLY_MAX_KEYS 100000 /* past it, new keys count as "(other)" */

struct yg_tally_row {
    char *key;
    uint64_t by_level[6]; /* yg_level_t */
    uint64_t total;
};

struct yg_tally {
    struct yg_tally_row *rows;
    size_t n, cap;
    struct yg_htab idx; /* key -> row */
    bool oom;
};

void yg__tally_add(struct yg_tally *t, const char *key, size_t kn, int level, uint64_t count);
void yg__tally_merge(struct yg_tally *into, const struct yg_tally *from);
void yg__tally_sort(struct yg_tally *t);
/* Up to max rows as a table: total, then critical..informational. */
void yg__tally_print(const struct yg_tally *t, FILE *e, const char *title, size_t max);
/* [{"key":..,"total":N,"critical":N,...},...] */
void yg__tally_json(const struct yg_tally *t, FILE *f);
void yg__tally_free(struct yg_tally *t);

/* The host an event names (Computer, hostname, devname, ...), as a view
 * into the event's JSON text; false when it names none. */
bool yg__event_host(const char *ev, size_t n, const char **host, size_t *hn);

#endif
