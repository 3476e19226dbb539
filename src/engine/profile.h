/*
 * profile.h - one alert written in an output format (jsonl, csv, table)
 * and profile (standard, verbose, timesketch, ecs); docs/yagura-hunt.md
 * lists every profile's fields and columns.
 */
#ifndef YG_ENGINE_PROFILE_H
#define YG_ENGINE_PROFILE_H

#include "detector/alertjson.h"
#include "engine/columns.h"
#include "engine/hunt.h"

/* Where an alert came from.  Line and index numbers of the hunt are known
 * only when its writer emits the unit, so the renderer asks `mark` to put
 * each of them at the current end of the buffer (kind 0: line, 1: index);
 * a source without them (a correlation) has mark NULL. */
struct yg_alert_src {
    const char *file; /* input file, "" for none */
    uint64_t record;  /* EVTX record id, 0: none */
    yg_err (*mark)(void *ud, struct yg_buf *b, int kind);
    void *ud;
    const struct yg_alert_time *t;
    /* A correlation alert: a->event holds the correlation object. */
    bool correlation;
    const char *details; /* instead of the event's details (NULL: from the event) */
};

/* NULL if the profile is not one of the four; *why says so otherwise when
 * the format cannot carry it (ecs is JSON lines only). */
bool yg__profile_parse(const char *name, enum yg_profile *out);
bool yg__profile_fits(enum yg_profile p, enum yg_out_format f, const char **why);
/* The CSV header or the table's heading line (nothing for JSON lines). */
YG_NODISCARD yg_err yg__profile_header(struct yg_buf *b, enum yg_out_format f, enum yg_profile p);
/* One alert, with its line ending; cols is scratch owned by the caller. */
YG_NODISCARD yg_err yg__profile_alert(struct yg_buf *b, enum yg_out_format f, enum yg_profile p,
                                      bool include_event, const yg_alert *a,
                                      const struct yg_alert_src *src, struct yg_cols *cols);

#endif
