/*
 * alertjson.h - the JSON form of an alert, shared by every JSON sink (hunt
 * output, watch's files, syslog, webhook and SQLite rows), so that an alert
 * reads the same wherever it lands.
 *
 *   yg__alert_json_head(b, a)   {"timestamp":..,"rule":{..},"logsource":..,"matched":..,"source":
 *   ... the caller writes the source object ...
 *   yg__alert_json_tail(b, a)   ,"event":{..}}      (the event only if include_event)
 */
#ifndef YG_ENGINE_ALERTJSON_H
#define YG_ENGINE_ALERTJSON_H

#include "core/core.h"
#include "yagura/yagura.h"

YG_NODISCARD yg_err yg__alert_json_head(struct yg_buf *b, const yg_alert *a);
YG_NODISCARD yg_err yg__alert_json_tail(struct yg_buf *b, const yg_alert *a, bool include_event);
/* JSON without insignificant whitespace (a pretty document on one line). */
YG_NODISCARD yg_err yg__json_compact(struct yg_buf *b, const char *p, size_t n);

#endif
