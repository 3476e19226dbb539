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
/* "product:P service:S category:C" of a row, into out. */
void yg__cov_label(const struct yg_cov_row *r, char *out, size_t n);
/* The summary lines (events per log source, rules for each, warnings). */
void yg__cov_print(const struct yg_coverage *c, FILE *e);
/* "[{"product":..,"events":N,"rules":M},...]" for the stats JSON. */
void yg__cov_json(const struct yg_coverage *c, FILE *f);
void yg__cov_free(struct yg_coverage *c);

#endif
