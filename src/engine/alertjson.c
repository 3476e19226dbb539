/*
 * alertjson.c - the JSON form of an alert (see alertjson.h).
 */
#include "engine/alertjson.h"

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

yg_err yg__alert_json_head(struct yg_buf *b, const yg_alert *a)
{
    yg_err err = YG_OK;
    YG_TRY(yg_buf_add(b, "{\"timestamp\":", 13));
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
