/*
 * alertjson.c - the JSON form of an alert (see alertjson.h).
 */
#include "detector/alertjson.h"

#include <time.h>

yg_err yg__json_compact(struct yg_buf *b, const char *p, size_t n)
{
    if (!memchr(p, '\n', n))
        return yg_buf_add(b, p, n);
    yg_err err = yg_buf_reserve(b, n);
    if (err)
        return err;
    bool in = false, esc = false;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (in) {
            if (esc)
                esc = false;
            else if (c == '\\')
                esc = true;
            else if (c == '"')
                in = false;
        } else if (c == '"') {
            in = true;
        } else if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
            continue;
        }
        b->p[b->n++] = c;
    }
    b->p[b->n] = 0;
    return YG_OK;
}

bool yg__logsource_utc(const char *ls)
{
    /* Windows writes SystemTime in UTC, IIS W3C logs are UTC by definition,
     * the Microsoft 365 and Entra ID APIs give UTC, Zeek and Suricata write
     * epochs or offsets.  Every other source (syslog and the appliances,
     * access logs, generic JSON) writes its device's clock. */
    static const char *const utc[] = {"windows", "m365", "azure", "zeek", "suricata"};
    const char *p = ls ? strstr(ls, "\"product\":\"") : NULL;
    if (!p)
        return false;
    p += 11;
    for (size_t i = 0; i < sizeof utc / sizeof *utc; i++) {
        size_t k = strlen(utc[i]);
        if (strncmp(p, utc[i], k) == 0 && p[k] == '"')
            return true;
    }
    return false;
}

void yg__alert_time(const yg_alert *a, const struct yg_tz *tz, int64_t ref_ms,
                    struct yg_alert_time *out)
{
    memset(out, 0, sizeof *out);
    if (!a->timestamp_len)
        return;
    if (tz && tz->kind != YG_TZ_UTC && yg__logsource_utc(a->logsource_json))
        tz = NULL;
    if (!yg__time_parse_tz(a->timestamp, a->timestamp_len, ref_ms, tz, &out->ms, NULL))
        return;
    out->n = yg__time_format(out->ms, out->text);
    out->timed = out->n > 0;
}

yg_err yg__alert_json_head(struct yg_buf *b, const yg_alert *a)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct yg_alert_time t;
    yg__alert_time(a, NULL, (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000, &t);
    return yg__alert_json_head_at(b, a, &t);
}

yg_err yg__alert_json_head_at(struct yg_buf *b, const yg_alert *a, const struct yg_alert_time *t)
{
    yg_err err = YG_OK;
    if (!t)
        return yg__alert_json_head(b, a);
    YG_TRY(yg_buf_add(b, "{\"timestamp\":", 13));
    YG_TRY(yg_buf_add_json_str(b, t->text, t->n));
    YG_TRY(yg_buf_add(b, ",\"timestamp_source\":", 20));
    YG_TRY(yg_buf_add_json_str(b, a->timestamp, a->timestamp_len));
    YG_TRY(yg_buf_add(b, ",\"rule\":{\"id\":", 14));
    YG_TRY(yg_buf_add_json_str(b, a->rule_id, strlen(a->rule_id)));
    YG_TRY(yg_buf_add(b, ",\"title\":", 9));
    YG_TRY(yg_buf_add_json_str(b, a->rule_title, strlen(a->rule_title)));
    YG_TRY(yg_buf_add(b, ",\"level\":", 9));
    YG_TRY(yg_buf_add_json_str(b, a->level, strlen(a->level)));
    YG_TRY(yg_buf_addf(b, ",\"tags\":%s,\"attack\":%s,\"file\":", a->tags_json, a->attack_json));
    YG_TRY(yg_buf_add_json_str(b, a->rule_file, strlen(a->rule_file)));
    YG_TRY(yg_buf_addf(b, "},\"logsource\":%s,\"matched\":", a->logsource_json));
    YG_TRY(yg_buf_add(b, a->matched_json, a->matched_len));
    if (a->extra_len) {
        YG_TRY(yg_buf_addc(b, ','));
        YG_TRY(yg_buf_add(b, a->extra_json, a->extra_len));
    }
    YG_TRY(yg_buf_add(b, ",\"source\":", 10));
done:
    return err;
}

yg_err yg__alert_json_tail(struct yg_buf *b, const yg_alert *a, bool include_event)
{
    yg_err err = YG_OK;
    if (include_event) {
        YG_TRY(yg_buf_add(b, ",\"event\":", 9));
        YG_TRY(yg__json_compact(b, a->event, a->event_len));
    }
    YG_TRY(yg_buf_addc(b, '}'));
done:
    return err;
}
