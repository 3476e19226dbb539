/*
 * corr_json.c - the JSON form of a correlation alert (see corr_json.h).
 * One writer for the hunt and the service, so that a correlation alert
 * reads the same wherever it lands.
 */
#include "detector/corr_json.h"

#include <string.h>

#include "core/timeparse.h"
#include "sigma/rule.h"

static yg_err group_json(struct yg_buf *b, const struct yg_corr_alert *a)
{
    yg_err err = YG_OK;
    YG_TRY(yg_buf_addc(b, '{'));
    for (size_t i = 0; i < a->ngroup; i++) {
        if (i)
            YG_TRY(yg_buf_addc(b, ','));
        YG_TRY(yg_buf_add_json_str(b, a->group_names[i], strlen(a->group_names[i])));
        YG_TRY(yg_buf_addc(b, ':'));
        YG_TRY(yg_buf_add_json_str(b, a->group_values[i], strlen(a->group_values[i])));
    }
    YG_TRY(yg_buf_addc(b, '}'));
done:
    return err;
}

static yg_err evidence_json(struct yg_buf *b, const struct yg_corr_evref *e)
{
    yg_err err = YG_OK;
    YG_TRY(yg_buf_add(b, "{\"rule\":", 8));
    YG_TRY(yg_buf_add_json_str(b, e->rule_id, strlen(e->rule_id)));
    YG_TRY(yg_buf_add(b, ",\"timestamp\":", 13));
    YG_TRY(yg_buf_add_json_str(b, e->timestamp, strlen(e->timestamp)));
    YG_TRY(yg_buf_add(b, ",\"file\":", 8));
    YG_TRY(yg_buf_add_json_str(b, e->file, strlen(e->file)));
    if (e->record_id) {
        YG_TRY(yg_buf_add(b, ",\"record\":", 10));
        YG_TRY(yg_buf_add_json_str(b, e->record_id, strlen(e->record_id)));
    } else if (e->record) {
        YG_TRY(yg_buf_addf(b, ",\"record\":%llu", (unsigned long long)e->record));
    } else {
        YG_TRY(yg_buf_addf(b, ",\"line\":%llu", (unsigned long long)e->line));
    }
    if (e->has_index)
        YG_TRY(yg_buf_addf(b, ",\"index\":%llu", (unsigned long long)e->index));
    YG_TRY(yg_buf_addc(b, '}'));
done:
    return err;
}

yg_err yg__corr_object_json(struct yg_buf *b, const struct yg_corr_alert *a, bool window_ms,
                            yg_corr_evref_fn ev, void *ud)
{
    char first[YG_TIME_TEXT], last[YG_TIME_TEXT];
    yg_err err = YG_OK;
    yg__time_format(a->first_ms, first);
    yg__time_format(a->last_ms, last);
    yg_buf_reset(b);
    YG_TRY(yg_buf_add(b, "{\"type\":", 8));
    YG_TRY(yg_buf_add_json_str(b, a->type, strlen(a->type)));
    YG_TRY(yg_buf_add(b, ",\"group\":", 9));
    YG_TRY(group_json(b, a));
    YG_TRY(yg_buf_addf(b, ",\"value\":%.17g,\"first\":\"%s\",\"last\":\"%s\",", a->value, first,
                       last));
    if (window_ms)
        YG_TRY(yg_buf_addf(b, "\"first_ms\":%lld,\"last_ms\":%lld,", (long long)a->first_ms,
                           (long long)a->last_ms));
    if (a->detail) {
        YG_TRY(yg_buf_add(b, "\"finding\":", 10));
        YG_TRY(yg_buf_add(b, a->detail, a->detail_len));
        YG_TRY(yg_buf_addc(b, ','));
    }
    YG_TRY(yg_buf_add(b, "\"events\":[", 10));
    for (size_t i = 0; i < a->nevidence; i++) {
        if (i)
            YG_TRY(yg_buf_addc(b, ','));
        if (!a->evidence[i]) {
            YG_TRY(yg_buf_add(b, "null", 4));
            continue;
        }
        struct yg_corr_evref r;
        memset(&r, 0, sizeof r);
        ev(ud, a->evidence[i], &r);
        YG_TRY(evidence_json(b, &r));
    }
    YG_TRY(yg_buf_add(b, "]}", 2));
done:
    return err;
}

static yg_err json_str_or_empty(struct yg_buf *b, const char *s)
{
    return yg_buf_add_json_str(b, s ? s : "", s ? strlen(s) : 0);
}

yg_err yg__corr_alert_json(struct yg_buf *b, const char *id, const struct yg_corr_alert *a,
                           const char *cj, size_t cjn)
{
    const struct yg_rule *r = a->rule;
    char last[YG_TIME_TEXT];
    yg_err err = YG_OK;
    yg__time_format(a->last_ms, last);
    yg_buf_reset(b);
    YG_TRY(yg_buf_addc(b, '{'));
    if (id)
        YG_TRY(yg_buf_addf(b, "\"id\":\"%s\",", id));
    YG_TRY(yg_buf_addf(b, "\"timestamp\":\"%s\",\"rule\":{\"id\":", last));
    YG_TRY(json_str_or_empty(b, r->id));
    YG_TRY(yg_buf_add(b, ",\"title\":", 9));
    YG_TRY(json_str_or_empty(b, r->title));
    YG_TRY(yg_buf_add(b, ",\"level\":", 9));
    YG_TRY(json_str_or_empty(b, yg__level_name(r->level)));
    YG_TRY(yg_buf_add(b, ",\"tags\":[", 9));
    for (size_t i = 0; i < r->ntags; i++) {
        if (i)
            YG_TRY(yg_buf_addc(b, ','));
        YG_TRY(yg_buf_add_json_str(b, r->tags[i], strlen(r->tags[i])));
    }
    YG_TRY(yg_buf_add(b, "],\"file\":", 9));
    YG_TRY(json_str_or_empty(b, r->file));
    YG_TRY(yg_buf_add(b, "},\"correlation\":", 16));
    YG_TRY(yg_buf_add(b, cj, cjn));
    YG_TRY(yg_buf_addc(b, '}'));
done:
    return err;
}

void yg__corr_incident_alert(const struct yg_corr_alert *a, yg_corr_evref_fn evf, void *ud,
                             struct yg_incident_evidence *ev, struct yg_incident_alert *out)
{
    const struct yg_rule *r = a->rule;
    size_t nev = 0;
    for (size_t i = 0; i < a->nevidence && nev < YG_CORR_MAX_EVIDENCE; i++) {
        if (!a->evidence[i])
            continue;
        struct yg_corr_evref e;
        memset(&e, 0, sizeof e);
        evf(ud, a->evidence[i], &e);
        ev[nev++] = (struct yg_incident_evidence){e.rule_id,   e.timestamp,           e.file,
                                                  e.record_id, e.record ? 0 : e.line, e.has_index,
                                                  e.index};
    }
    *out = (struct yg_incident_alert){
        .rule_id = r->id ? r->id : "",
        .rule_title = r->title ? r->title : "",
        .level = yg__level_name(r->level),
        .timed = true,
        .t_ms = a->last_ms,
        .corr_type = a->type,
        .group_names = a->group_names,
        .group_values = a->group_values,
        .ngroup = a->ngroup,
        .ev = ev,
        .nev = nev,
    };
}
