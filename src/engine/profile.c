/*
 * profile.c - an alert in each output format and profile (see profile.h).
 *
 *   standard    jsonl: the alert object (alertjson.h); csv: the analyst's
 *               columns; table: one aligned line per alert
 *   verbose     standard plus the summary columns (jsonl) or matched
 *               fields, tags, ATT&CK ids, log source and intel (csv)
 *   timesketch  what Timesketch's CSV and JSONL importers require
 *               (message, datetime, timestamp_desc) plus the columns
 *   ecs         Elastic Common Schema field names (jsonl); the event is
 *               kept whole in event.original
 */
#include "engine/profile.h"

#include <arpa/inet.h>
#include <stdio.h>

bool yg__profile_parse(const char *name, enum yg_profile *out)
{
    static const char *const names[] = {"standard", "verbose", "timesketch", "ecs"};
    for (int i = 0; i < 4; i++)
        if (!strcmp(name, names[i])) {
            *out = (enum yg_profile)i;
            return true;
        }
    return false;
}

bool yg__profile_fits(enum yg_profile p, enum yg_out_format f, const char **why)
{
    if (p == YG_PROFILE_ECS && f != YG_OUT_JSONL) {
        *why = "the ecs profile is written as JSON lines only (--format jsonl)";
        return false;
    }
    if ((p == YG_PROFILE_TIMESKETCH || p == YG_PROFILE_VERBOSE) && f == YG_OUT_TABLE) {
        *why = "the table has one layout: --profile verbose and timesketch need --format csv or "
               "jsonl";
        return false;
    }
    return true;
}

/* ---- small writers ------------------------------------------------------- */

static yg_err lit(struct yg_buf *b, const char *s)
{
    return yg_buf_add(b, s, strlen(s));
}

static yg_err jstr(struct yg_buf *b, struct yg_str s)
{
    return yg_buf_add_json_str(b, s.p ? s.p : "", s.n);
}

static yg_err jz(struct yg_buf *b, const char *s)
{
    return yg_buf_add_json_str(b, s ? s : "", s ? strlen(s) : 0);
}

static struct yg_str sv(const char *s)
{
    return (struct yg_str){s ? s : "", s ? strlen(s) : 0};
}

static yg_err csv_str(struct yg_buf *b, struct yg_str s)
{
    yg_err err = yg_buf_addc(b, '"');
    for (size_t i = 0; !err && i < s.n; i++) {
        if (s.p[i] == '"')
            err = yg_buf_addc(b, '"');
        if (!err)
            err = yg_buf_addc(b, s.p[i] == '\n' || s.p[i] == '\r' ? ' ' : s.p[i]);
    }
    return err ? err : yg_buf_addc(b, '"');
}

/* A CSV cell then a comma. */
static yg_err cell(struct yg_buf *b, struct yg_str s)
{
    yg_err err = csv_str(b, s);
    return err ? err : yg_buf_addc(b, ',');
}

/* The hunt's line or index number, or nothing for a correlation. */
static yg_err pos(struct yg_buf *b, const struct yg_alert_src *src, int kind)
{
    return src->mark ? src->mark(src->ud, b, kind) : YG_OK;
}

/* s cut at a character boundary to at most w bytes, padded to w. */
static yg_err padded(struct yg_buf *b, struct yg_str s, size_t w)
{
    size_t n = s.n;
    if (n > w) {
        n = w;
        while (n > 0 && ((unsigned char)s.p[n] & 0xC0) == 0x80)
            n--;
    }
    yg_err err = yg_buf_add(b, s.p, n);
    for (size_t i = n; !err && i < w; i++)
        err = yg_buf_addc(b, ' ');
    return err;
}

static int ecs_severity(int level)
{
    /* Elastic's detection-rule risk scores for low, medium, high and
     * critical; informational below them. */
    static const int sev[6] = {0, 1, 21, 47, 73, 99};
    return level >= 0 && level < 6 ? sev[level] : 0;
}

static bool is_ip(struct yg_str s)
{
    char tmp[64];
    unsigned char addr[16];
    if (!s.n || s.n >= sizeof tmp)
        return false;
    memcpy(tmp, s.p, s.n);
    tmp[s.n] = 0;
    return inet_pton(AF_INET, tmp, addr) == 1 || inet_pton(AF_INET6, tmp, addr) == 1;
}

/* The intel object of an indicator hit: extra_json is `"intel":{...}`. */
static struct yg_str intel_obj(const yg_alert *a)
{
    if (a->extra_len > 8 && !memcmp(a->extra_json, "\"intel\":", 8))
        return (struct yg_str){a->extra_json + 8, a->extra_len - 8};
    return (struct yg_str){"", 0};
}

/* ATT&CK technique ids of attack_json (a JSON array of plain strings):
 * with sub false the techniques (T1036 of T1036.005), with sub true the
 * sub-techniques; groups and software are left out. */
static yg_err attack_ids(struct yg_buf *b, const char *aj, bool sub)
{
    yg_err err = yg_buf_addc(b, '[');
    unsigned k = 0;
    for (const char *p = aj; !err && p && (p = strchr(p, '"'));) {
        const char *e = strchr(p + 1, '"');
        if (!e)
            break;
        struct yg_str id = {p + 1, (size_t)(e - p - 1)};
        p = e + 1;
        if (!id.n || id.p[0] != 'T')
            continue;
        const char *dot = memchr(id.p, '.', id.n);
        if (sub && !dot)
            continue;
        if (!sub && dot)
            id.n = (size_t)(dot - id.p);
        if (k++)
            err = yg_buf_addc(b, ',');
        if (!err)
            err = jstr(b, id);
    }
    return err ? err : yg_buf_addc(b, ']');
}

static yg_err time_fields(struct yg_buf *b, const struct yg_alert_src *src, const char *a,
                          const char *c)
{
    /* "a":"<RFC 3339>","c":<µs since the epoch> (Timesketch's optional
     * `timestamp` is microseconds). */
    yg_err err = YG_OK;
    YG_TRY(lit(b, a));
    YG_TRY(jstr(b, (struct yg_str){src->t->text, src->t->n}));
    if (src->t->timed)
        YG_TRY(yg_buf_addf(b, "%s%lld", c, (long long)src->t->ms * 1000));
done:
    return err;
}

/* ---- headers --------------------------------------------------------------- */

#define CSV_STANDARD                                                                               \
    "timestamp,computer,channel,event_id,record_id,level,rule_title,details,rule_id,rule_file,"    \
    "source_file,line,index"

yg_err yg__profile_header(struct yg_buf *b, enum yg_out_format f, enum yg_profile p)
{
    if (f == YG_OUT_TABLE)
        return lit(b, "Timestamp                 Level          Computer              "
                      "Channel                       EventID   Rule title                         "
                      "                          Source  Details\n");
    if (f != YG_OUT_CSV)
        return YG_OK;
    switch (p) {
    case YG_PROFILE_VERBOSE:
        return lit(b, CSV_STANDARD ",timestamp_source,attack,tags,logsource,matched,intel\n");
    case YG_PROFILE_TIMESKETCH:
        return lit(b, "message,datetime,timestamp_desc,timestamp,timestamp_source,computer,"
                      "channel,event_id,record_id,level,rule_title,rule_id,rule_file,details,"
                      "source_file,line,index,attack\n");
    default: return lit(b, CSV_STANDARD "\n");
    }
}

/* ---- one alert ------------------------------------------------------------- */

static yg_err csv_alert(struct yg_buf *b, enum yg_profile p, const yg_alert *a,
                        const struct yg_alert_src *src, const struct yg_cols *c)
{
    yg_err err = YG_OK;
    struct yg_str ts = {src->t->text, src->t->n};
    struct yg_str details = {c->details.p ? c->details.p : "", c->details.n};
    if (p == YG_PROFILE_TIMESKETCH) {
        /* message: the rule title, then what happened. */
        struct yg_buf m;
        yg_buf_init(&m, 0);
        err = lit(&m, a->rule_title);
        if (!err && details.n)
            err = yg_buf_add(&m, " - ", 3);
        if (!err)
            err = yg_buf_add(&m, details.p, details.n);
        if (!err)
            err = cell(b, (struct yg_str){m.p ? m.p : "", m.n});
        yg_buf_free(&m);
        YG_TRY(err);
        YG_TRY(cell(b, ts));
        YG_TRY(cell(b, sv(src->correlation ? "Correlation Last Event" : "Event Time")));
        if (src->t->timed)
            YG_TRY(yg_buf_addf(b, "%lld", (long long)src->t->ms * 1000));
        YG_TRY(yg_buf_addc(b, ','));
        YG_TRY(cell(b, (struct yg_str){a->timestamp, a->timestamp_len}));
        YG_TRY(cell(b, c->computer));
        YG_TRY(cell(b, c->channel));
        YG_TRY(cell(b, c->event_id));
        YG_TRY(cell(b, c->record_id));
        YG_TRY(cell(b, sv(a->level)));
        YG_TRY(cell(b, sv(a->rule_title)));
        YG_TRY(cell(b, sv(a->rule_id)));
        YG_TRY(cell(b, sv(a->rule_file)));
        YG_TRY(cell(b, details));
        YG_TRY(cell(b, sv(src->file)));
        YG_TRY(pos(b, src, 0));
        YG_TRY(yg_buf_addc(b, ','));
        YG_TRY(pos(b, src, 1));
        YG_TRY(yg_buf_addc(b, ','));
        YG_TRY(csv_str(b, sv(a->attack_json)));
        YG_TRY(yg_buf_addc(b, '\n'));
        return YG_OK;
    }
    YG_TRY(cell(b, ts));
    YG_TRY(cell(b, c->computer));
    YG_TRY(cell(b, c->channel));
    YG_TRY(cell(b, c->event_id));
    YG_TRY(cell(b, c->record_id));
    YG_TRY(cell(b, sv(a->level)));
    YG_TRY(cell(b, sv(a->rule_title)));
    YG_TRY(cell(b, details));
    YG_TRY(cell(b, sv(a->rule_id)));
    YG_TRY(cell(b, sv(a->rule_file)));
    YG_TRY(cell(b, sv(src->file)));
    YG_TRY(pos(b, src, 0));
    YG_TRY(yg_buf_addc(b, ','));
    YG_TRY(pos(b, src, 1));
    if (p == YG_PROFILE_VERBOSE) {
        YG_TRY(yg_buf_addc(b, ','));
        YG_TRY(cell(b, (struct yg_str){a->timestamp, a->timestamp_len}));
        YG_TRY(cell(b, sv(a->attack_json)));
        YG_TRY(cell(b, sv(a->tags_json)));
        YG_TRY(cell(b, sv(a->logsource_json)));
        YG_TRY(cell(b, (struct yg_str){a->matched_json, a->matched_len}));
        YG_TRY(csv_str(b, intel_obj(a)));
    }
    YG_TRY(yg_buf_addc(b, '\n'));
done:
    return err;
}

static yg_err table_alert(struct yg_buf *b, const yg_alert *a, const struct yg_alert_src *src,
                          const struct yg_cols *c)
{
    yg_err err = YG_OK;
    struct yg_str ts = src->t->n ? (struct yg_str){src->t->text, src->t->n} : sv("-");
    YG_TRY(padded(b, ts, 24));
    YG_TRY(yg_buf_add(b, "  ", 2));
    YG_TRY(padded(b, sv(a->level), 13));
    YG_TRY(yg_buf_add(b, "  ", 2));
    YG_TRY(padded(b, c->computer.n ? c->computer : sv("-"), 20));
    YG_TRY(yg_buf_add(b, "  ", 2));
    YG_TRY(padded(b, c->channel.n ? c->channel : sv("-"), 28));
    YG_TRY(yg_buf_add(b, "  ", 2));
    YG_TRY(padded(b, c->event_id.n ? c->event_id : sv("-"), 8));
    YG_TRY(yg_buf_add(b, "  ", 2));
    YG_TRY(padded(b, sv(a->rule_title), 60));
    YG_TRY(yg_buf_add(b, "  ", 2));
    if (src->correlation) {
        YG_TRY(lit(b, "correlation"));
    } else {
        YG_TRY(lit(b, src->file));
        /* An EVTX event is found by its record, a text event by its line. */
        if (src->record) {
            /* The event's own EventRecordID, which Event Viewer shows. */
            YG_TRY(lit(b, " record "));
            YG_TRY(yg_buf_add(b, c->record_id.p, c->record_id.n));
        } else {
            YG_TRY(yg_buf_addc(b, ':'));
            YG_TRY(pos(b, src, 0));
        }
    }
    if (c->details.n) {
        YG_TRY(yg_buf_add(b, "  ", 2));
        YG_TRY(yg_buf_add(b, c->details.p, c->details.n));
    }
    struct yg_str intel = intel_obj(a);
    if (intel.n) {
        /* An intel hit: the field and value, then the indicator. */
        YG_TRY(yg_buf_add(b, "  ", 2));
        YG_TRY(yg_buf_add(b, a->matched_json, a->matched_len));
        YG_TRY(yg_buf_add(b, " ", 1));
        YG_TRY(yg_buf_add(b, intel.p, intel.n));
    }
    YG_TRY(yg_buf_addc(b, '\n'));
done:
    return err;
}

/* The "source" object of the JSON forms. */
static yg_err json_source(struct yg_buf *b, const struct yg_alert_src *src)
{
    yg_err err = YG_OK;
    YG_TRY(lit(b, "{\"file\":"));
    YG_TRY(jz(b, src->file));
    if (src->mark) {
        YG_TRY(lit(b, ",\"line\":"));
        YG_TRY(pos(b, src, 0));
        YG_TRY(lit(b, ",\"index\":"));
        YG_TRY(pos(b, src, 1));
    }
    if (src->record)
        YG_TRY(yg_buf_addf(b, ",\"record\":%llu", (unsigned long long)src->record));
    YG_TRY(yg_buf_addc(b, '}'));
done:
    return err;
}

static yg_err summary_obj(struct yg_buf *b, const struct yg_cols *c)
{
    yg_err err = YG_OK;
    YG_TRY(lit(b, "{\"computer\":"));
    YG_TRY(jstr(b, c->computer));
    YG_TRY(lit(b, ",\"channel\":"));
    YG_TRY(jstr(b, c->channel));
    YG_TRY(lit(b, ",\"event_id\":"));
    YG_TRY(jstr(b, c->event_id));
    YG_TRY(lit(b, ",\"record_id\":"));
    YG_TRY(jstr(b, c->record_id));
    YG_TRY(lit(b, ",\"details\":"));
    YG_TRY(jstr(b, (struct yg_str){c->details.p ? c->details.p : "", c->details.n}));
    YG_TRY(yg_buf_addc(b, '}'));
done:
    return err;
}

static yg_err timesketch_json(struct yg_buf *b, bool include_event, const yg_alert *a,
                              const struct yg_alert_src *src, const struct yg_cols *c)
{
    yg_err err = YG_OK;
    YG_TRY(lit(b, "{\"message\":"));
    {
        struct yg_buf m;
        yg_buf_init(&m, 0);
        err = lit(&m, a->rule_title);
        if (!err && c->details.n)
            err = yg_buf_add(&m, " - ", 3);
        if (!err)
            err = yg_buf_add(&m, c->details.p, c->details.n);
        if (!err)
            err = jstr(b, (struct yg_str){m.p ? m.p : "", m.n});
        yg_buf_free(&m);
        YG_TRY(err);
    }
    YG_TRY(time_fields(b, src, ",\"datetime\":", ",\"timestamp\":"));
    YG_TRY(lit(b, ",\"timestamp_desc\":"));
    YG_TRY(jz(b, src->correlation ? "Correlation Last Event" : "Event Time"));
    YG_TRY(lit(b, ",\"timestamp_source\":"));
    YG_TRY(jstr(b, (struct yg_str){a->timestamp, a->timestamp_len}));
    YG_TRY(lit(b, ",\"computer\":"));
    YG_TRY(jstr(b, c->computer));
    YG_TRY(lit(b, ",\"channel\":"));
    YG_TRY(jstr(b, c->channel));
    YG_TRY(lit(b, ",\"event_id\":"));
    YG_TRY(jstr(b, c->event_id));
    YG_TRY(lit(b, ",\"record_id\":"));
    YG_TRY(jstr(b, c->record_id));
    YG_TRY(lit(b, ",\"level\":"));
    YG_TRY(jz(b, a->level));
    YG_TRY(lit(b, ",\"rule_title\":"));
    YG_TRY(jz(b, a->rule_title));
    YG_TRY(lit(b, ",\"rule_id\":"));
    YG_TRY(jz(b, a->rule_id));
    YG_TRY(lit(b, ",\"rule_file\":"));
    YG_TRY(jz(b, a->rule_file));
    YG_TRY(lit(b, ",\"details\":"));
    YG_TRY(jstr(b, (struct yg_str){c->details.p ? c->details.p : "", c->details.n}));
    YG_TRY(yg_buf_addf(b, ",\"tag\":%s,\"attack\":%s", a->tags_json, a->attack_json));
    YG_TRY(lit(b, ",\"source_file\":"));
    YG_TRY(jz(b, src->file));
    if (src->mark) {
        YG_TRY(lit(b, ",\"line\":"));
        YG_TRY(pos(b, src, 0));
        YG_TRY(lit(b, ",\"index\":"));
        YG_TRY(pos(b, src, 1));
    }
    YG_TRY(lit(b, ",\"matched\":"));
    YG_TRY(yg_buf_add(b, a->matched_json, a->matched_len));
    struct yg_str intel = intel_obj(a);
    if (intel.n) {
        YG_TRY(lit(b, ",\"intel\":"));
        YG_TRY(yg_buf_add(b, intel.p, intel.n));
    }
    if (include_event && a->event_len) {
        YG_TRY(lit(b, src->correlation ? ",\"correlation\":" : ",\"event\":"));
        YG_TRY(yg__json_compact(b, a->event, a->event_len));
    }
    YG_TRY(lit(b, "}\n"));
done:
    return err;
}

/* "event":{kind, severity, code, module, dataset, original}, "rule" and
 * "log" of an ECS alert. */
static yg_err ecs_event(struct yg_buf *b, bool include_event, const yg_alert *a,
                        const struct yg_alert_src *src, const struct yg_cols *c,
                        struct yg_str product)
{
    yg_err err = YG_OK;
    struct yg_buf orig;
    yg_buf_init(&orig, 0);
    YG_TRY(lit(b, ",\"ecs\":{\"version\":\"8.11.0\"},\"event\":{\"kind\":\"alert\""));
    YG_TRY(yg_buf_addf(b, ",\"severity\":%d", ecs_severity(a->level_num)));
    if (c->event_id.n) {
        YG_TRY(lit(b, ",\"code\":"));
        YG_TRY(jstr(b, c->event_id));
    }
    if (product.n) {
        YG_TRY(lit(b, ",\"module\":"));
        YG_TRY(jstr(b, product));
    }
    struct yg_str svc = yg__cols_service(a->logsource_json);
    if (product.n && svc.n) {
        /* event.dataset is module.name, as Elastic's integrations write it. */
        YG_TRY(lit(b, ",\"dataset\":\""));
        YG_TRY(yg_buf_add(b, product.p, product.n));
        YG_TRY(yg_buf_addc(b, '.'));
        YG_TRY(yg_buf_add(b, svc.p, svc.n));
        YG_TRY(yg_buf_addc(b, '"'));
    }
    if (include_event && a->event_len && !src->correlation) {
        /* event.original is a string: the event's JSON text, whole. */
        YG_TRY(yg__json_compact(&orig, a->event, a->event_len));
        YG_TRY(lit(b, ",\"original\":"));
        YG_TRY(jstr(b, (struct yg_str){orig.p, orig.n}));
    }
    YG_TRY(lit(b, "},\"rule\":{\"id\":"));
    YG_TRY(jz(b, a->rule_id));
    YG_TRY(lit(b, ",\"name\":"));
    YG_TRY(jz(b, a->rule_title));
    YG_TRY(lit(b, ",\"ruleset\":\"sigma\"},\"log\":{\"level\":"));
    YG_TRY(jz(b, a->level));
    if (src->file && *src->file) {
        YG_TRY(lit(b, ",\"file\":{\"path\":"));
        YG_TRY(jz(b, src->file));
        YG_TRY(yg_buf_addc(b, '}'));
    }
    YG_TRY(yg_buf_addc(b, '}'));
done:
    yg_buf_free(&orig);
    return err;
}

/* ,"NAME":{"KEY":value} when value is set. */
static yg_err ecs_one(struct yg_buf *b, const char *head, struct yg_str v)
{
    yg_err err = YG_OK;
    if (!v.n)
        return YG_OK;
    YG_TRY(lit(b, head));
    YG_TRY(jstr(b, v));
    YG_TRY(yg_buf_addc(b, '}'));
done:
    return err;
}

/* winlog, host, source, destination, user and process of an ECS alert. */
static yg_err ecs_entities(struct yg_buf *b, const struct yg_alert_src *src,
                           const struct yg_cols *c, struct yg_str product)
{
    yg_err err = YG_OK;
    if (!src->correlation && product.n == 7 && !memcmp(product.p, "windows", 7) &&
        (c->channel.n || c->record_id.n)) {
        /* Winlogbeat's names for the Windows event log's own fields. */
        YG_TRY(lit(b, ",\"winlog\":{\"channel\":"));
        YG_TRY(jstr(b, c->channel));
        YG_TRY(lit(b, ",\"record_id\":"));
        YG_TRY(jstr(b, c->record_id));
        YG_TRY(yg_buf_addc(b, '}'));
    }
    YG_TRY(ecs_one(b, ",\"host\":{\"name\":", c->computer));
    /* Addresses only when they are addresses: Elasticsearch maps
     * source.ip as an ip and refuses the document otherwise. */
    if (is_ip(c->src_ip))
        YG_TRY(ecs_one(b, ",\"source\":{\"ip\":", c->src_ip));
    if (is_ip(c->dst_ip))
        YG_TRY(ecs_one(b, ",\"destination\":{\"ip\":", c->dst_ip));
    YG_TRY(ecs_one(b, ",\"user\":{\"name\":", c->user));
    if (c->command_line.n || c->process.n) {
        YG_TRY(lit(b, ",\"process\":{"));
        if (c->command_line.n) {
            YG_TRY(lit(b, "\"command_line\":"));
            YG_TRY(jstr(b, c->command_line));
        }
        if (c->process.n) {
            YG_TRY(lit(b, c->command_line.n ? ",\"executable\":" : "\"executable\":"));
            YG_TRY(jstr(b, c->process));
        }
        YG_TRY(yg_buf_addc(b, '}'));
    }
done:
    return err;
}

/* threat.* only for rules tagged with ATT&CK techniques. */
static yg_err ecs_threat(struct yg_buf *b, const yg_alert *a)
{
    yg_err err = YG_OK;
    size_t at = b->n;
    YG_TRY(lit(b, ",\"threat\":{\"framework\":\"MITRE ATT&CK\",\"technique\":{\"id\":"));
    size_t ids = b->n;
    YG_TRY(attack_ids(b, a->attack_json, false));
    if (b->n - ids == 2) {
        b->n = at;
    } else {
        YG_TRY(lit(b, ",\"subtechnique\":{\"id\":"));
        YG_TRY(attack_ids(b, a->attack_json, true));
        YG_TRY(lit(b, "}}}"));
    }
done:
    return err;
}

/* tags, and what ECS has no place for under "yagura". */
static yg_err ecs_yagura(struct yg_buf *b, const yg_alert *a, const struct yg_alert_src *src,
                         const struct yg_cols *c)
{
    yg_err err = YG_OK;
    YG_TRY(yg_buf_addf(b, ",\"tags\":%s,\"yagura\":{\"timestamp_source\":", a->tags_json));
    YG_TRY(jstr(b, (struct yg_str){a->timestamp, a->timestamp_len}));
    YG_TRY(lit(b, ",\"rule_file\":"));
    YG_TRY(jz(b, a->rule_file));
    YG_TRY(lit(b, ",\"channel\":"));
    YG_TRY(jstr(b, c->channel));
    YG_TRY(lit(b, ",\"details\":"));
    YG_TRY(jstr(b, (struct yg_str){c->details.p ? c->details.p : "", c->details.n}));
    YG_TRY(yg_buf_addf(b, ",\"logsource\":%s,\"matched\":", a->logsource_json));
    YG_TRY(yg_buf_add(b, a->matched_json, a->matched_len));
    if (a->extra_len) {
        YG_TRY(yg_buf_addc(b, ','));
        YG_TRY(yg_buf_add(b, a->extra_json, a->extra_len));
    }
    YG_TRY(lit(b, ",\"source\":"));
    YG_TRY(json_source(b, src));
    if (src->correlation && a->event_len) {
        YG_TRY(lit(b, ",\"correlation\":"));
        YG_TRY(yg_buf_add(b, a->event, a->event_len));
    }
    YG_TRY(lit(b, "}}\n"));
done:
    return err;
}

static yg_err ecs_json(struct yg_buf *b, bool include_event, const yg_alert *a,
                       const struct yg_alert_src *src, const struct yg_cols *c)
{
    yg_err err = YG_OK;
    YG_TRY(lit(b, "{\"@timestamp\":"));
    YG_TRY(jstr(b, (struct yg_str){src->t->text, src->t->n}));
    YG_TRY(lit(b, ",\"message\":"));
    YG_TRY(jz(b, a->rule_title));
    struct yg_str product = yg__cols_product(a->logsource_json);
    YG_TRY(ecs_event(b, include_event, a, src, c, product));
    YG_TRY(ecs_entities(b, src, c, product));
    YG_TRY(ecs_threat(b, a));
    YG_TRY(ecs_yagura(b, a, src, c));
done:
    return err;
}

yg_err yg__profile_alert(struct yg_buf *b, enum yg_out_format f, enum yg_profile p,
                         bool include_event, const yg_alert *a, const struct yg_alert_src *src,
                         struct yg_cols *cols)
{
    yg_err err = YG_OK;
    if (f == YG_OUT_JSONL && (p == YG_PROFILE_STANDARD || p == YG_PROFILE_VERBOSE) &&
        !src->correlation) {
        YG_TRY(yg__alert_json_head_at(b, a, src->t));
        YG_TRY(json_source(b, src));
        if (p == YG_PROFILE_VERBOSE) {
            YG_TRY(yg__cols_fill(cols, a, src->record));
            YG_TRY(lit(b, ",\"summary\":"));
            YG_TRY(summary_obj(b, cols));
        }
        YG_TRY(yg__alert_json_tail(b, a, include_event));
        return yg_buf_addc(b, '\n');
    }
    YG_TRY(yg__cols_fill(cols, a, src->record));
    if (src->correlation) {
        /* A correlation has no event of its own: its channel says what it
         * is and its details are its type and group. */
        cols->channel = sv("correlation");
        cols->computer = cols->event_id = cols->record_id = sv("");
    }
    if (src->details) {
        yg_buf_reset(&cols->details);
        YG_TRY(lit(&cols->details, src->details));
    }
    if (f == YG_OUT_TABLE)
        return table_alert(b, a, src, cols);
    if (f == YG_OUT_CSV)
        return csv_alert(b, p, a, src, cols);
    if (p == YG_PROFILE_TIMESKETCH)
        return timesketch_json(b, include_event, a, src, cols);
    return ecs_json(b, include_event, a, src, cols);
done:
    return err;
}
