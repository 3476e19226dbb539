/*
 * report.c - the self-contained HTML report (see report.h).
 *
 * The page is built in three parts so that it paints before the bulk of it
 * is parsed: a small summary (parameters, stats, histogram, tallies,
 * incidents) as JSON with the script that draws the overview from it, then
 * the alerts, one per line in a text block, then the script of the alert
 * list.  Each alert line is a level digit followed by a JSON array
 * [ms, time, title, level, computer, account, rule id, alert]; the list
 * reads the digit to filter and parses a line only when it is shown, so
 * opening a report of 100,000 alerts costs one split of the text block.
 *
 * Everything embedded in a <script> block is JSON whose '<' characters are
 * written as \u003c, so no data can close the block ("</script>") whatever
 * the events contain.
 */
#include "engine/report.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/timeparse.h"
#include "decode/json.h"
#include "engine/columns.h"
#include "engine/coverage.h"
#include "engine/sort.h"
#include "incident/incident.h"

static const char *const level_names[6] = {"unknown", "informational", "low",
                                           "medium",  "high",          "critical"};

/* ---- one alert line --------------------------------------------------------- */

enum { P_TS = 1, P_RULE, P_EVENT, P_CORR, P_LS, P_TITLE, P_LEVEL, P_ID };

struct parsed {
    const char *line; /* the whole alert */
    size_t n;
    struct yg_val ts, title, level, id;
    /* Views of the root members' values (objects), n == 0 when absent. */
    struct yg_str event, ls;
    bool corr;
    const char *ev_key, *ls_key; /* where the "event"/"logsource" keys start */
};

static int32_t alert_key(void *ud, int32_t parent, const char *k, size_t kn)
{
    struct parsed *p = ud;
#define IS(s) (kn == sizeof s - 1 && !memcmp(k, s, kn))
    if (parent == -1) {
        if (IS("timestamp"))
            return P_TS;
        if (IS("rule"))
            return P_RULE;
        if (IS("event")) {
            p->ev_key = k;
            return -1;
        }
        if (IS("correlation")) {
            p->ev_key = k;
            p->corr = true;
            return -1;
        }
        if (IS("logsource")) {
            p->ls_key = k;
            return -1;
        }
        return -1;
    }
    if (parent == P_RULE) {
        if (IS("title"))
            return P_TITLE;
        if (IS("level"))
            return P_LEVEL;
        if (IS("id"))
            return P_ID;
    }
    return -1;
#undef IS
}

static void alert_leaf(void *ud, int32_t path, const struct yg_val *v)
{
    struct parsed *p = ud;
    if (v->type != YG_VT_STR)
        return;
    if (path == P_TS)
        p->ts = *v;
    else if (path == P_TITLE)
        p->title = *v;
    else if (path == P_LEVEL)
        p->level = *v;
    else if (path == P_ID)
        p->id = *v;
}

static int32_t skip_key(void *ud, int32_t parent, const char *k, size_t kn)
{
    (void)ud, (void)parent, (void)k, (void)kn;
    return -1;
}
static void skip_leaf(void *ud, int32_t path, const struct yg_val *v)
{
    (void)ud, (void)path, (void)v;
}

/* The object value after a root key seen at k (the sinks write compact
 * JSON: `"key":{...}`). */
static struct yg_str member_value(const char *line, size_t n, const char *k, size_t kn,
                                  struct yg_arena *a)
{
    struct yg_str out = {NULL, 0};
    if (!k || k < line || k + kn + 2 >= line + n || k[kn] != '"' || k[kn + 1] != ':')
        return out;
    const char *v = k + kn + 2;
    size_t used = 0;
    struct yg_json_err je;
    struct yg_json_sink sink = {NULL, skip_key, skip_leaf, NULL};
    if (yg__json_scan(v, (size_t)(line + n - v), &used, &sink, a, &je) == YG_OK) {
        out.p = v;
        out.n = used;
    }
    return out;
}

static bool parse_alert(const char *line, size_t n, struct yg_arena *a, struct parsed *p)
{
    memset(p, 0, sizeof *p);
    p->line = line;
    p->n = n;
    size_t used = 0;
    struct yg_json_err je;
    struct yg_json_sink sink = {p, alert_key, alert_leaf, NULL};
    if (yg__json_scan(line, n, &used, &sink, a, &je) != YG_OK)
        return false;
    p->event = member_value(line, n, p->ev_key, p->corr ? 11 : 5, a);
    p->ls = member_value(line, n, p->ls_key, 9, a);
    return true;
}

static int level_of(const struct yg_val *v)
{
    for (int l = 1; l < 6; l++)
        if (v->n == strlen(level_names[l]) && !memcmp(v->p, level_names[l], v->n))
            return l;
    return 0;
}

static bool time_of(const struct parsed *p, int64_t *ms)
{
    return p->ts.n && yg__time_parse(p->ts.p, p->ts.n, ms);
}

/* ---- writing ------------------------------------------------------------------ */

/* Bytes into a <script> block: '<' as \u003c (valid only inside JSON
 * strings, the one place '<' can appear in JSON). */
static yg_err add_safe(struct yg_buf *b, const char *p, size_t n)
{
    yg_err err = YG_OK;
    const char *e = p + n;
    while (p < e) {
        const char *lt = memchr(p, '<', (size_t)(e - p));
        const char *stop = lt ? lt : e;
        YG_TRY(yg_buf_add(b, p, (size_t)(stop - p)));
        if (!lt)
            break;
        YG_TRY(yg_buf_add(b, "\\u003c", 6));
        p = lt + 1;
    }
done:
    return err;
}

static yg_err add_jstr(struct yg_buf *b, const char *p, size_t n)
{
    struct yg_buf t;
    yg_buf_init(&t, 0);
    yg_err err = yg_buf_add_json_str(&t, p ? p : "", p ? n : 0);
    if (!err)
        err = add_safe(b, t.p, t.n);
    yg_buf_free(&t);
    return err;
}

static yg_err add_jz(struct yg_buf *b, const char *s)
{
    return add_jstr(b, s ? s : "", s ? strlen(s) : 0);
}

static yg_err add_tally(struct yg_buf *b, const struct yg_tally *t, size_t max)
{
    yg_err err = YG_OK;
    YG_TRY(yg_buf_addc(b, '['));
    for (size_t i = 0; i < t->n && i < max; i++) {
        const struct yg_tally_row *r = &t->rows[i];
        YG_TRY(yg_buf_add(b, i ? ",[" : "[", i ? 2 : 1));
        YG_TRY(add_jz(b, r->key));
        YG_TRY(yg_buf_addf(b, ",%llu", (unsigned long long)r->total));
        for (int l = 5; l >= 1; l--)
            YG_TRY(yg_buf_addf(b, ",%llu", (unsigned long long)r->by_level[l]));
        YG_TRY(yg_buf_addc(b, ']'));
    }
    YG_TRY(yg_buf_addc(b, ']'));
done:
    return err;
}

/* ---- incidents ------------------------------------------------------------------ */

struct inc_ctx {
    struct yg_buf *b;
    char (*ids)[40];
    size_t n, cap, steps;
    yg_err err;
};

static void inc_id(void *ud, const struct yg_incident_row *r)
{
    struct inc_ctx *c = ud;
    if (c->n < c->cap)
        snprintf(c->ids[c->n++], 40, "%s", r->id);
}

static void inc_head(void *ud, const struct yg_incident_row *r)
{
    struct inc_ctx *c = ud;
    struct yg_buf *b = c->b;
    yg_err err = YG_OK;
    char first[40], last[40];
    yg__incident_iso(r->first_ms, first, sizeof first);
    yg__incident_iso(r->last_ms, last, sizeof last);
    YG_TRY(yg_buf_add(b, "{\"id\":", 6));
    YG_TRY(add_jz(b, r->id));
    YG_TRY(yg_buf_add(b, ",\"title\":", 9));
    YG_TRY(add_jz(b, r->title));
    YG_TRY(yg_buf_add(b, ",\"level\":", 9));
    YG_TRY(add_jz(b, r->level));
    YG_TRY(yg_buf_add(b, ",\"status\":", 10));
    YG_TRY(add_jz(b, r->status));
    YG_TRY(yg_buf_addf(b, ",\"first\":\"%s\",\"last\":\"%s\",\"alerts\":%lld,\"entities\":", first,
                       last, (long long)r->alert_count));
    YG_TRY(add_safe(b, r->entities ? r->entities : "[]", r->entities ? strlen(r->entities) : 2));
    if (r->close_reason) {
        YG_TRY(yg_buf_add(b, ",\"closed\":", 10));
        YG_TRY(add_jz(b, r->close_reason));
    }
    YG_TRY(yg_buf_add(b, ",\"timeline\":[", 13));
    c->steps = 0;
done:
    if (err)
        c->err = err;
}

static void inc_step(void *ud, const struct yg_incident_step *s)
{
    struct inc_ctx *c = ud;
    struct yg_buf *b = c->b;
    yg_err err = YG_OK;
    if (c->steps++ >= YG_REPORT_MAX_STEPS)
        return;
    YG_TRY(yg_buf_add(b, c->steps > 1 ? ",[" : "[", c->steps > 1 ? 2 : 1));
    YG_TRY(add_jz(b, s->event_time));
    YG_TRY(yg_buf_addc(b, ','));
    YG_TRY(add_jz(b, s->level));
    YG_TRY(yg_buf_addc(b, ','));
    YG_TRY(add_jz(b, s->kind));
    YG_TRY(yg_buf_addc(b, ','));
    YG_TRY(add_jz(b, s->rule_title));
    YG_TRY(yg_buf_addc(b, ','));
    YG_TRY(add_safe(b, s->entities ? s->entities : "[]", s->entities ? strlen(s->entities) : 2));
    YG_TRY(yg_buf_addc(b, ','));
    YG_TRY(add_jz(b, s->source));
    YG_TRY(yg_buf_addc(b, ']'));
done:
    if (err)
        c->err = err;
}

static yg_err incidents_json(struct yg_store *st, const char *only, struct yg_buf *b)
{
    yg_err err = YG_OK;
    struct inc_ctx c = {b, NULL, 0, YG_REPORT_MAX_INCIDENTS + 1, 0, YG_OK};
    c.ids = yg_malloc(c.cap * sizeof *c.ids);
    if (!c.ids)
        return YG_ENOMEM;
    if (only)
        snprintf(c.ids[c.n++], 40, "%s", only);
    else
        YG_TRY(yg__incident_list(st, YG_INC_ALL, 0, inc_id, &c));
    YG_TRY(yg_buf_add(b, "{\"more\":", 8));
    YG_TRY(yg_buf_add(b, c.n > YG_REPORT_MAX_INCIDENTS ? "true" : "false",
                      c.n > YG_REPORT_MAX_INCIDENTS ? 4 : 5));
    YG_TRY(yg_buf_add(b, ",\"list\":[", 9));
    for (size_t i = 0; i < c.n && i < YG_REPORT_MAX_INCIDENTS; i++) {
        if (i)
            YG_TRY(yg_buf_addc(b, ','));
        YG_TRY(yg__incident_show(st, c.ids[i], inc_head, inc_step, &c));
        YG_TRY(c.err);
        YG_TRY(yg_buf_addf(b, "],\"steps\":%zu}", c.steps));
    }
    YG_TRY(yg_buf_add(b, "]}", 2));
done:
    yg_free(c.ids);
    return err;
}

/* ---- tallies with an index ------------------------------------------------------ */

/* ---- the alerts ------------------------------------------------------------------ */

struct scan_state {
    uint64_t by_level[6], total, kept, untimed, oversize;
    int64_t lo, hi; /* time range of timed alerts */
    bool any_time;
    uint64_t quota[6]; /* alerts of each level listed */
    int64_t step;      /* histogram bucket width, ms */
    uint64_t hist[6][YG_REPORT_BUCKETS];
    struct yg_tally rules, hosts, users;
};

static ssize_t next_line(FILE *f, char **buf, size_t *cap)
{
    ssize_t len = getline(buf, cap, f);
    while (len > 0 && ((*buf)[len - 1] == '\n' || (*buf)[len - 1] == '\r'))
        len--;
    return len;
}

/* A bucket width from this list that fits the range in YG_REPORT_BUCKETS. */
static int64_t bucket_ms(int64_t span)
{
    static const int64_t steps[] = {1000,      5000,       15000,      60000,      300000,
                                    900000,    3600000,    10800000,   21600000,   86400000,
                                    604800000, 2592000000, 7776000000, 31536000000};
    for (size_t i = 0; i < sizeof steps / sizeof *steps; i++)
        if (span / steps[i] < (int64_t)YG_REPORT_BUCKETS)
            return steps[i];
    int64_t s = span / (YG_REPORT_BUCKETS - 1) + 1;
    return s;
}

static yg_err first_pass(FILE *f, struct scan_state *s, struct yg_arena *a, size_t max_alerts)
{
    char *buf = NULL;
    size_t cap = 0;
    ssize_t len;
    while ((len = next_line(f, &buf, &cap)) >= 0) {
        if (!len || buf[0] != '{')
            continue;
        yg_arena_reset(a);
        struct parsed p;
        if (!parse_alert(buf, (size_t)len, a, &p))
            continue;
        int l = level_of(&p.level);
        s->by_level[l]++;
        s->total++;
        int64_t ms;
        if (time_of(&p, &ms)) {
            if (!s->any_time || ms < s->lo)
                s->lo = ms;
            if (!s->any_time || ms > s->hi)
                s->hi = ms;
            s->any_time = true;
        }
    }
    free(buf);
    if (ferror(f))
        return YG_EIO;
    /* The most severe alerts are listed first when there are too many. */
    uint64_t room = max_alerts;
    for (int l = 5; l >= 0; l--) {
        s->quota[l] = s->by_level[l] < room ? s->by_level[l] : room;
        room -= s->quota[l];
    }
    int64_t lo = s->lo - s->lo % 1000;
    s->lo = lo;
    s->step = s->any_time ? bucket_ms(s->hi - lo) : 1000;
    s->lo = lo - lo % s->step; /* buckets start on a whole step (UTC) */
    if (s->any_time && (s->hi - s->lo) / s->step >= (int64_t)YG_REPORT_BUCKETS)
        s->step = (s->hi - s->lo) / (YG_REPORT_BUCKETS - 1) + 1;
    return YG_OK;
}

static yg_err second_pass(FILE *f, struct scan_state *s, struct yg_arena *a, struct yg_cols *cols,
                          struct yg_sorter *sorter)
{
    yg_err err = YG_OK;
    char *buf = NULL;
    size_t cap = 0;
    ssize_t len;
    uint64_t taken[6] = {0};
    struct yg_buf rec, ls;
    yg_buf_init(&rec, 0);
    yg_buf_init(&ls, 0);
    while ((len = next_line(f, &buf, &cap)) >= 0) {
        if (!len || buf[0] != '{')
            continue;
        yg_arena_reset(a);
        struct parsed p;
        if (!parse_alert(buf, (size_t)len, a, &p))
            continue;
        int l = level_of(&p.level);
        int64_t ms = 0;
        bool timed = time_of(&p, &ms);
        if (timed) {
            int64_t k = (ms - s->lo) / s->step;
            if (k >= 0 && k < (int64_t)YG_REPORT_BUCKETS)
                s->hist[l][k]++;
        } else {
            s->untimed++;
        }
        yg__tally_add(&s->rules, p.title.p ? p.title.p : "", p.title.n, l, 1);
        /* Computers as the hunt counts them (coverage.c), so the report's
         * table agrees with --stats-json's by_computer. */
        const char *host = NULL;
        size_t hn = 0;
        if (!p.corr) {
            if (p.event.n && yg__event_host(p.event.p, p.event.n, &host, &hn))
                yg__tally_add(&s->hosts, host, hn, l, 1);
            else
                yg__tally_add(&s->hosts, "(no host field)", 15, l, 1);
        }
        /* The account as the timeline columns read it (columns.c). */
        struct yg_str user = {NULL, 0};
        if (!p.corr && p.event.n) {
            yg_buf_reset(&ls);
            YG_TRY(yg_buf_add(&ls, p.ls.n ? p.ls.p : "{}", p.ls.n ? p.ls.n : 2));
            YG_TRY(yg_buf_addc(&ls, 0));
            yg_alert al;
            memset(&al, 0, sizeof al);
            al.event = p.event.p;
            al.event_len = p.event.n;
            al.logsource_json = ls.p;
            al.level_num = l;
            if (yg__cols_fill(cols, &al, 0) == YG_OK && cols->user.n) {
                user = cols->user;
                yg__tally_add(&s->users, user.p, user.n, l, 1);
            }
            if (cols->computer.n) {
                host = cols->computer.p;
                hn = cols->computer.n;
            }
        }
        if (taken[l] >= s->quota[l])
            continue;
        taken[l]++;
        s->kept++;
        yg_buf_reset(&rec);
        YG_TRY(yg_buf_addf(&rec, "%d[%lld,", l, (long long)(timed ? ms : 0)));
        YG_TRY(add_jstr(&rec, p.ts.p, p.ts.n));
        YG_TRY(yg_buf_addc(&rec, ','));
        YG_TRY(add_jstr(&rec, p.title.p, p.title.n));
        YG_TRY(yg_buf_addf(&rec, ",\"%s\",", level_names[l]));
        YG_TRY(add_jstr(&rec, host, hn));
        YG_TRY(yg_buf_addc(&rec, ','));
        YG_TRY(add_jstr(&rec, user.p, user.n));
        YG_TRY(yg_buf_addc(&rec, ','));
        YG_TRY(add_jstr(&rec, p.id.p, p.id.n));
        YG_TRY(yg_buf_addc(&rec, ','));
        if ((size_t)len <= YG_REPORT_ALERT_BYTES) {
            YG_TRY(add_safe(&rec, buf, (size_t)len));
        } else {
            s->oversize++;
            YG_TRY(yg_buf_addf(&rec,
                               "{\"omitted\":\"alert of %zd bytes, over the report's limit "
                               "of %u\"}",
                               len, YG_REPORT_ALERT_BYTES));
        }
        YG_TRY(yg_buf_add(&rec, "]\n", 2));
        /* Untimed alerts after all timed ones. */
        YG_TRY(yg__sorter_add(sorter, timed ? ms : INT64_MAX, rec.p, rec.n));
    }
    if (ferror(f))
        err = YG_EIO;
done:
    free(buf);
    yg_buf_free(&rec);
    yg_buf_free(&ls);
    return err;
}

/* ---- the page --------------------------------------------------------------------- */

#include "report_page.h" /* REPORT_CSS, REPORT_JS_OVERVIEW, REPORT_JS_LIST (generated) */

static yg_err put(FILE *out, const char *s)
{
    return fputs(s, out) < 0 ? YG_EIO : YG_OK;
}

static yg_err put_buf(FILE *out, const struct yg_buf *b)
{
    return b->n && fwrite(b->p, 1, b->n, out) != b->n ? YG_EIO : YG_OK;
}

static yg_err html_text(FILE *out, const char *s)
{
    for (; *s; s++) {
        int r = *s == '<'   ? fputs("&lt;", out)
                : *s == '>' ? fputs("&gt;", out)
                : *s == '&' ? fputs("&amp;", out)
                            : fputc(*s, out);
        if (r < 0)
            return YG_EIO;
    }
    return YG_OK;
}

/* Both passes over the alerts (tallies, histogram, the listed alerts into
 * the sorter). */
static yg_err read_alerts(const struct yg_report_in *in, struct scan_state *s,
                          struct yg_arena *arena, struct yg_cols *cols, struct yg_sorter *sorter,
                          size_t max_alerts)
{
    yg_err err = YG_OK;
    if (fflush(in->alerts) != 0 || fseek(in->alerts, 0, SEEK_SET) != 0)
        return YG_EIO;
    YG_TRY(first_pass(in->alerts, s, arena, max_alerts));
    if (fseek(in->alerts, 0, SEEK_SET) != 0)
        return YG_EIO;
    YG_TRY(second_pass(in->alerts, s, arena, cols, sorter));
    /* Sorting moves rows: the indexes are not used after this. */
    yg__tally_sort(&s->rules);
    yg__tally_sort(&s->hosts);
    yg__tally_sort(&s->users);
done:
    return err;
}

/* {"title":..,"generated":..,"params":[[name,value],..],"stats":.. */
static yg_err summary_head(struct yg_buf *sum, const struct yg_report_in *in)
{
    yg_err err = YG_OK;
    char now[YG_TIME_TEXT];
    yg__time_format((int64_t)time(NULL) * 1000, now);
    YG_TRY(yg_buf_add(sum, "{\"title\":", 9));
    YG_TRY(add_jz(sum, in->title));
    YG_TRY(yg_buf_addf(sum, ",\"generated\":\"%s\",\"params\":[", now));
    for (size_t i = 0; i < in->nparams; i++) {
        YG_TRY(yg_buf_add(sum, i ? ",[" : "[", i ? 2 : 1));
        YG_TRY(add_jz(sum, in->params[i].name));
        YG_TRY(yg_buf_addc(sum, ','));
        YG_TRY(add_jz(sum, in->params[i].value));
        YG_TRY(yg_buf_addc(sum, ']'));
    }
    YG_TRY(yg_buf_add(sum, "],\"stats\":", 10));
    if (in->stats_json && *in->stats_json)
        YG_TRY(add_safe(sum, in->stats_json, strlen(in->stats_json)));
    else
        YG_TRY(yg_buf_add(sum, "null", 4));
done:
    return err;
}

/* ,"alerts":{totals, by_level},"hist":{start, step, counts per level},
 * and the top rules, computers and accounts. */
static yg_err summary_alerts(struct yg_buf *sum, const struct scan_state *s, size_t max_alerts)
{
    yg_err err = YG_OK;
    YG_TRY(yg_buf_addf(sum,
                       ",\"alerts\":{\"total\":%llu,\"listed\":%llu,\"cap\":%zu,\"oversize\":%llu,"
                       "\"alert_bytes\":%u,\"untimed\":%llu,\"by_level\":[",
                       (unsigned long long)s->total, (unsigned long long)s->kept, max_alerts,
                       (unsigned long long)s->oversize, YG_REPORT_ALERT_BYTES,
                       (unsigned long long)s->untimed));
    for (int l = 0; l < 6; l++)
        YG_TRY(yg_buf_addf(sum, "%s%llu", l ? "," : "", (unsigned long long)s->by_level[l]));
    YG_TRY(yg_buf_addf(sum, "]},\"hist\":{\"start\":%lld,\"step\":%lld,\"counts\":[",
                       (long long)(s->any_time ? s->lo : 0), (long long)s->step));
    for (int l = 0; l < 6; l++) {
        YG_TRY(yg_buf_add(sum, l ? ",[" : "[", l ? 2 : 1));
        size_t nb = 0;
        if (s->any_time) {
            nb = (size_t)((s->hi - s->lo) / s->step) + 1;
            if (nb > YG_REPORT_BUCKETS)
                nb = YG_REPORT_BUCKETS;
        }
        for (size_t k = 0; k < nb; k++)
            YG_TRY(yg_buf_addf(sum, "%s%llu", k ? "," : "", (unsigned long long)s->hist[l][k]));
        YG_TRY(yg_buf_addc(sum, ']'));
    }
    YG_TRY(yg_buf_add(sum, "]},\"rules\":", 11));
    YG_TRY(add_tally(sum, &s->rules, 50));
    YG_TRY(yg_buf_addf(sum, ",\"rules_n\":%zu,\"computers\":", s->rules.n));
    YG_TRY(add_tally(sum, &s->hosts, 50));
    YG_TRY(yg_buf_addf(sum, ",\"computers_n\":%zu,\"accounts\":", s->hosts.n));
    YG_TRY(add_tally(sum, &s->users, 50));
    YG_TRY(yg_buf_addf(sum, ",\"accounts_n\":%zu,\"incidents\":", s->users.n));
done:
    return err;
}

/* The page: its head, the summary, the overview script, the sorted alerts
 * and the list script.  *what names the step that failed. */
static yg_err write_page(const struct yg_report_in *in, FILE *out, const struct yg_buf *sum,
                         struct yg_sorter *sorter, const char **what)
{
    yg_err err = YG_OK;
    *what = "writing the report";
    YG_TRY(put(out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
                    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                    "script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:\">\n"
                    "<meta name=\"viewport\" content=\"width=device-width\">\n<title>"));
    YG_TRY(html_text(out, in->title ? in->title : "Yagura report"));
    YG_TRY(put(out, "</title>\n<style>"));
    YG_TRY(put(out, REPORT_CSS));
    YG_TRY(put(out, "</style></head>\n<body>\n<main id=\"app\"></main>\n"
                    "<script type=\"application/json\" id=\"yg-summary\">"));
    YG_TRY(put_buf(out, sum));
    YG_TRY(put(out, "</script>\n<script>"));
    YG_TRY(put(out, REPORT_JS_OVERVIEW));
    YG_TRY(put(out, "</script>\n<script type=\"text/plain\" id=\"yg-alerts\">\n"));
    *what = "sorting the alerts";
    if (fflush(out) != 0)
        return YG_EIO;
    YG_TRY(yg__sorter_finish(sorter, out));
    *what = "writing the report";
    YG_TRY(put(out, "</script>\n<script>"));
    YG_TRY(put(out, REPORT_JS_LIST));
    YG_TRY(put(out, "</script>\n</body></html>\n"));
    if (fflush(out) != 0 || ferror(out))
        err = YG_EIO;
done:
    return err;
}

yg_err yg__report_write(const struct yg_report_in *in, FILE *out, struct yg_errmsg *why)
{
    yg_err err = YG_OK;
    const char *what = "writing the report";
    size_t max_alerts = in->max_alerts ? in->max_alerts : YG_REPORT_MAX_ALERTS;
    struct scan_state *s = yg_malloc(sizeof *s);
    struct yg_sorter *sorter = NULL;
    struct yg_arena arena;
    struct yg_cols cols;
    struct yg_buf sum;
    yg_arena_init(&arena, 1u << 16, 0);
    yg__cols_init(&cols);
    yg_buf_init(&sum, 0);
    if (!s) {
        err = YG_ENOMEM;
        goto done;
    }
    memset(s, 0, sizeof *s);
    what = "sorting the alerts";
    YG_TRY(yg__sorter_new(0, in->tmp_dir, &sorter));
    what = "reading the alerts";
    if (in->alerts)
        YG_TRY(read_alerts(in, s, &arena, &cols, sorter, max_alerts));
    /* The summary the overview is drawn from. */
    what = "building the summary";
    YG_TRY(summary_head(&sum, in));
    YG_TRY(summary_alerts(&sum, s, max_alerts));
    if (in->incidents) {
        what = "reading the incidents";
        YG_TRY(incidents_json(in->incidents, in->incident, &sum));
    } else {
        YG_TRY(yg_buf_add(&sum, "null", 4));
    }
    YG_TRY(yg_buf_addc(&sum, '}'));
    YG_TRY(write_page(in, out, &sum, sorter, &what));
done:
    if (err && why) {
        const char *detail = sorter && *yg__sorter_error(sorter) ? yg__sorter_error(sorter)
                             : err == YG_EIO && errno            ? strerror(errno)
                                                                 : yg_strerror(err);
        yg__errmsg_set(why, "%s: %s", what, detail);
    }
    if (s) {
        yg__tally_free(&s->rules);
        yg__tally_free(&s->hosts);
        yg__tally_free(&s->users);
        yg_free(s);
    }
    yg__sorter_free(sorter);
    yg_buf_free(&sum);
    yg__cols_free(&cols);
    yg_arena_free(&arena);
    return err;
}
