/*
 * alertjson.h - the JSON form of an alert, shared by every JSON sink (hunt
 * output, watch's files, syslog, webhook and SQLite rows), so that an alert
 * reads the same wherever it lands.
 *
 *   yg__alert_json_head(b, a)   {"timestamp":..,"timestamp_source":..,"rule":{..},
 *                               "logsource":..,"matched":..,"source":
 *   ... the caller writes the source object ...
 *   yg__alert_json_tail(b, a)   ,"event":{..}}      (the event only if include_event)
 */
#ifndef YG_ENGINE_ALERTJSON_H
#define YG_ENGINE_ALERTJSON_H

#include "core/core.h"
#include "core/timeparse.h"
#include "yagura/yagura.h"

/* The event time of an alert in the one form alerts carry (RFC 3339 UTC with
 * milliseconds), read from the source's own text. */
struct yg_alert_time {
    bool timed; /* false: the event has no time, text is "" */
    int64_t ms; /* UTC epoch milliseconds */
    char text[YG_TIME_TEXT];
    size_t n;
};
/* Zone-less times are read in tz (NULL: UTC) unless the alert's log source
 * writes UTC by definition (Windows, IIS, Microsoft 365, Entra ID, Zeek,
 * Suricata); ref_ms places year-less syslog times. */
void yg__alert_time(const yg_alert *a, const struct yg_tz *tz, int64_t ref_ms,
                    struct yg_alert_time *out);
/* True if zone-less times of this log source ({"product":..} JSON) are UTC. */
bool yg__logsource_utc(const char *logsource_json);
/* With t NULL the time is read as yg__alert_time(a, NULL, now). */
YG_NODISCARD yg_err yg__alert_json_head_at(struct yg_buf *b, const yg_alert *a,
                                           const struct yg_alert_time *t);
YG_NODISCARD yg_err yg__alert_json_head(struct yg_buf *b, const yg_alert *a);
YG_NODISCARD yg_err yg__alert_json_tail(struct yg_buf *b, const yg_alert *a, bool include_event);
/* JSON without insignificant whitespace (a pretty document on one line). */
YG_NODISCARD yg_err yg__json_compact(struct yg_buf *b, const char *p, size_t n);

#endif
