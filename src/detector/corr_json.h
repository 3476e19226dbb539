/*
 * corr_json.h - the one JSON form of a correlation alert, written by
 * `yagura hunt` (its output and the --incidents/--html tap) and by
 * `yagura watch` (its sinks and state database) alike:
 *
 *   {["id":..,]"timestamp":LAST,"rule":{"id","title","level","tags","file"},
 *    "correlation":{"type","group":{..},"value","first","last"[,"first_ms","last_ms"]
 *                   [,"finding":{..}],"events":[{"rule","timestamp","file",
 *                   "record"|"line"[,"index"]},..]}}
 *
 * The correlation object alone is also the "event" of a correlation alert
 * in the other output profiles (src/engine/hunt.c).
 */
#ifndef YG_DETECTOR_CORR_JSON_H
#define YG_DETECTOR_CORR_JSON_H

#include <stdbool.h>

#include "core/core.h"
#include "correlate/correlate.h"
#include "incident/incident.h"

/* One contributing detection, as its driver knows it. */
struct yg_corr_evref {
    const char *rule_id;
    const char *timestamp; /* RFC 3339 */
    const char *file;
    const char *record_id; /* the service's record id, or NULL */
    uint64_t record;       /* an EVTX record number (0: none; then "line") */
    uint64_t line;
    bool has_index; /* the hunt's document ordinal in its file */
    uint64_t index;
};

/* Reads one evidence handle of the correlation state (NULL handles are
 * written as null without a call). */
typedef void (*yg_corr_evref_fn)(void *ud, const void *evidence, struct yg_corr_evref *out);

/* The correlation object into b (reset first).  window_ms adds first_ms and
 * last_ms (the service's alerts carry them). */
YG_NODISCARD yg_err yg__corr_object_json(struct yg_buf *b, const struct yg_corr_alert *a,
                                         bool window_ms, yg_corr_evref_fn ev, void *ud);

/* The whole alert into b (reset first), without a trailing newline: id (32
 * hex digits, or NULL for none), the rule, and the correlation object cj
 * made by yg__corr_object_json. */
YG_NODISCARD yg_err yg__corr_alert_json(struct yg_buf *b, const char *id,
                                        const struct yg_corr_alert *a, const char *cj, size_t cjn);

/* The incident builder's view of a correlation alert (src/incident/): its
 * rule, group and window, and the detections that completed it, read through
 * evf into ev (room for YG_CORR_MAX_EVIDENCE).  The driver adds its own id
 * or JSON line.  Evidence with an EVTX record has no line; a service's
 * evidence has its record id. */
void yg__corr_incident_alert(const struct yg_corr_alert *a, yg_corr_evref_fn evf, void *ud,
                             struct yg_incident_evidence *ev, struct yg_incident_alert *out);

#endif
