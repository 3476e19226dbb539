/*
 * report.h - the HTML report of a hunt (`yagura hunt --html FILE`) or of one
 * incident (`yagura incidents report ID --html FILE`).
 *
 * The report is one self-contained file: no request leaves the page (its
 * Content-Security-Policy allows nothing but its own inline script and
 * style), so it opens from a USB stick on a machine without network.  It
 * holds the run's parameters, the stats of the run as --stats-json writes
 * them (coverage per log source included), alerts by level over time (an
 * SVG chart the page draws), top rules, computers and accounts by level,
 * the incidents with their timelines, and every alert with its details,
 * opened on demand.
 *
 * Alerts come in as JSON lines in the form the hunt's sinks write them
 * (the standard profile with the event, as `--incidents` reads them).  They
 * are read twice from that file and time-sorted through the external sort of
 * src/engine/sort.c, so memory stays bounded whatever the number of alerts;
 * the page lists at most YG_REPORT_MAX_ALERTS of them (the most severe
 * first) and keeps at most YG_REPORT_ALERT_BYTES of each (docs/report.md).
 */
#ifndef YG_ENGINE_REPORT_H
#define YG_ENGINE_REPORT_H

#include <stdio.h>

#include "core/core.h"
#include "core/errmsg.h"

/* Alerts listed with their details; the charts and tables count them all. */
#define YG_REPORT_MAX_ALERTS 200000u
/* Longest alert (JSON with its event) kept in the page; a longer one is
 * listed with its summary only. */
#define YG_REPORT_ALERT_BYTES 65536u
/* Incidents and timeline steps per incident shown. */
#define YG_REPORT_MAX_INCIDENTS 500u
#define YG_REPORT_MAX_STEPS 2000u
/* Bars of the alerts-over-time chart. */
#define YG_REPORT_BUCKETS 60u

struct yg_report_param {
    const char *name, *value;
};

struct yg_store;

struct yg_report_in {
    const char *title; /* the page's heading */
    const struct yg_report_param *params;
    size_t nparams;
    /* The run's --stats-json document (NUL-terminated), or NULL. */
    const char *stats_json;
    /* JSON-lines alerts, read from the start (the hunt's tap), or NULL. */
    FILE *alerts;
    /* Incidents to show from this state database (NULL: none): all of them,
     * or only `incident` when it is not NULL. */
    struct yg_store *incidents;
    const char *incident;
    const char *tmp_dir; /* where the sort spills (NULL: $TMPDIR or /tmp) */
    size_t max_alerts;   /* alerts listed (0: YG_REPORT_MAX_ALERTS) */
};

/* Write the page to out.  On failure *why says what failed. */
YG_NODISCARD yg_err yg__report_write(const struct yg_report_in *in, FILE *out,
                                     struct yg_errmsg *why);

#endif
