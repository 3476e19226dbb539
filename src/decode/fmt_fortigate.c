/*
 * fmt_fortigate.c - FortiGate (FortiOS) key=value logs.
 *
 * FortiOS writes every log as space-separated `key=value` pairs, the value
 * quoted when it is text and may hold spaces:
 *
 *   date=2019-05-10 time=11:37:47 logid="0000000013" type="traffic"
 *   subtype="forward" level="notice" vd="vdom1" srcip=10.1.100.11 ...
 *
 * sent over syslog (`<189>date=...`, an RFC 5424 header, or an RFC 3164
 * header a relay added) or stored without one.  The syslog header is
 * framing: the record is the pairs, and each pair becomes a field named
 * exactly as FortiOS names it, the value without its quotes.  That is what
 * SigmaHQ's FortiGate rules test (`action: Add`, `cfgpath: firewall.policy`).
 *
 * The Sigma log source is product fortigate with the service taken from
 * the `type` field (traffic, event, utm), so the configuration-change rules
 * (service: event) see only event logs.
 *
 * Quoting: a quoted value ends at the first `"` that is followed by a space
 * or the end of the line and is not escaped by a backslash; `\"` inside
 * stands for a quote.  FortiOS leaves other backslashes alone (Windows
 * paths), so they are kept.  A quote that never closes is an error.
 */
#include "decode/fmt_kv.h"

#include <stdio.h>

/* One pair; the view of the value excludes the quotes. */
struct kv {
    struct yg_str k, v;
    bool quoted, escaped; /* escaped: the value holds a `\"` */
};

/* Number of backslashes immediately before s[i] (i > from). */
static size_t backslashes_before(const char *s, size_t from, size_t i)
{
    size_t b = 0;
    while (i > from && s[i - 1] == '\\') {
        b++;
        i--;
    }
    return b;
}

/*
 * The next pair of m[*i..n); spaces before it are skipped.  Returns 1 for a
 * pair, 0 at the end, -1 on an error (e set, col relative to m, 0-based).
 */
static int kv_next(const char *m, size_t n, size_t *i, struct kv *kv, struct yg_decode_err *e)
{
    size_t j = *i;
    while (j < n && m[j] == ' ')
        j++;
    if (j >= n) {
        *i = j;
        return 0;
    }
    size_t k0 = j;
    while (j < n && m[j] != '=' && m[j] != ' ' && m[j] != '"')
        j++;
    if (j == k0 || j >= n || m[j] != '=') {
        e->col = j == k0 ? k0 : j;
        e->msg = "expected key=value";
        return -1;
    }
    kv->k = (struct yg_str){m + k0, j - k0};
    j++;
    kv->quoted = kv->escaped = false;
    if (j < n && m[j] == '"') {
        size_t open = j, v0 = j + 1, q = v0;
        for (;;) {
            const char *p = q < n ? memchr(m + q, '"', n - q) : NULL;
            if (!p) {
                e->col = open;
                e->msg = "unterminated quoted value";
                return -1;
            }
            q = (size_t)(p - m);
            if (backslashes_before(m, v0, q) % 2 == 1) {
                kv->escaped = true;
                q++;
                continue;
            }
            if (q + 1 == n || m[q + 1] == ' ')
                break;
            q++; /* a quote inside the text, not followed by a space */
        }
        kv->v = (struct yg_str){m + v0, q - v0};
        kv->quoted = true;
        j = q + 1;
    } else {
        size_t v0 = j;
        while (j < n && m[j] != ' ')
            j++;
        kv->v = (struct yg_str){m + v0, j - v0};
    }
    *i = j;
    return 1;
}

/* The value with `\"` turned into `"`, as a JSON string. */
static yg_err put_value(struct yg_buf *out, const struct kv *kv)
{
    if (!kv->escaped)
        return yg_buf_add_json_str(out, kv->v.p, kv->v.n);
    return yg__kv_unescaped(out, kv->v.p, kv->v.n, "\"", false);
}

/* The Sigma service of a `type` value: a static string, or NULL for a type
 * FortiOS does not document.  FortiOS 5.0 used the UTM subtypes as types. */
static const char *fgt_service(struct yg_str type)
{
    static const char *const types[] = {
        "traffic",     "event",       "utm",           "virus", "webfilter", "ips",
        "emailfilter", "anomaly",     "app-ctrl",      "dlp",   "waf",       "voip",
        "gtp",         "dns",         "ssh",           "ssl",   "cifs",      "file-filter",
        "icap",        "sctp-filter", "virtual-patch", "casb",  "spam",      "netscan",
    };
    for (size_t k = 0; k < sizeof types / sizeof *types; k++)
        if (yg__str_is(type, types[k]))
            return types[k];
    return NULL;
}

static bool all_digits(struct yg_str v)
{
    for (size_t i = 0; i < v.n; i++)
        if (v.p[i] < '0' || v.p[i] > '9')
            return false;
    return true;
}

static yg_err fgt_decode(void *st, const char *line, size_t n, struct yg_buf *out,
                         struct yg_logsrc *ls, struct yg_decode_err *e)
{
    (void)st;
    struct yg_syslog s;
    yg__syslog_split(line, n, &s);
    const char *m = s.msg.p;
    size_t mn = s.msg.n, base = (size_t)(m - line), i = 0, start = out->n;
    struct yg_str type = {NULL, 0}, date = {NULL, 0}, tod = {NULL, 0}, tz = {NULL, 0};
    bool have_type = false, first = true, have_ts = false, have_epoch = false;
    struct kv kv;
    int r;
    yg_err err;
    YG_TRY(yg_buf_addc(out, '{'));
    while ((r = kv_next(m, mn, &i, &kv, e)) == 1) {
        YG_TRY(yg__kv_key(out, !first, kv.k.p, kv.k.n));
        first = false;
        YG_TRY(put_value(out, &kv));
        if (yg__str_is(kv.k, "date"))
            date = kv.v;
        else if (yg__str_is(kv.k, "time"))
            tod = kv.v;
        else if (yg__str_is(kv.k, "tz"))
            tz = kv.v;
        else if (yg__str_is(kv.k, "timestamp"))
            have_ts = true;
        else if (yg__str_is(kv.k, "eventtime") && kv.v.n >= 9)
            have_epoch = all_digits(kv.v);
        if (!have_type && yg__str_is(kv.k, "type")) {
            type = kv.v;
            have_type = true;
        }
    }
    if (r < 0) {
        e->col += base + 1;
        err = YG_ESYNTAX;
        goto done;
    }
    if (!have_type) {
        e->col = base + 1;
        e->msg = first ? "empty FortiGate record" : "no type= field: not a FortiGate log record";
        err = YG_ESYNTAX;
        goto done;
    }
    /* `time` holds only the time of day.  `eventtime` (FortiOS 6.2 on) is
     * the epoch in s, ms, us or ns: exact and in UTC, it is the event's time
     * when present (the first time field that parses).  Without it the time
     * is `timestamp`, date and time with the tz offset (zone-less without
     * tz: read in the hunt's --timezone). */
    if (!have_ts && !have_epoch && date.n == 10 && tod.n >= 8 && tod.n <= 15 && tz.n <= 6) {
        char ts[40];
        int tl = snprintf(ts, sizeof ts, "%.*sT%.*s%.*s", (int)date.n, date.p, (int)tod.n, tod.p,
                          (int)tz.n, tz.p);
        if (tl > 0 && (size_t)tl < sizeof ts) {
            /* First in the object: the first time field of an event that
             * parses is its time, and `time` alone parses as a time of day. */
            size_t at = out->n;
            YG_TRY(yg_buf_add(out, "\"timestamp\":", 12));
            YG_TRY(yg_buf_add_json_str(out, ts, (size_t)tl));
            YG_TRY(yg_buf_addc(out, ','));
            size_t add = out->n - at;
            char tmp[64];
            if (add <= sizeof tmp) {
                memcpy(tmp, out->p + at, add);
                memmove(out->p + start + 1 + add, out->p + start + 1, at - start - 1);
                memcpy(out->p + start + 1, tmp, add);
            } else {
                out->n = at;
            }
        }
    }
    YG_TRY(yg_buf_addc(out, '}'));
    ls->product = "fortigate";
    ls->service = fgt_service(type);
    ls->category = NULL;
done:
    if (err)
        out->n = start;
    return err;
}

/*
 * A FortiGate record has logid= and type= pairs and starts with one of the
 * keys FortiOS puts first (date, logver, eventtime, devname, itime).
 */
static int fgt_sniff(const char *line, size_t n)
{
    struct yg_syslog s;
    yg__syslog_split(line, n, &s);
    const char *m = s.msg.p;
    size_t mn = s.msg.n, i = 0;
    struct kv kv;
    struct yg_decode_err e;
    bool logid = false, type = false, lead = false;
    int r, pairs = 0;
    while ((r = kv_next(m, mn, &i, &kv, &e)) == 1) {
        if (pairs++ == 0)
            lead = yg__str_is(kv.k, "date") || yg__str_is(kv.k, "logver") ||
                   yg__str_is(kv.k, "eventtime") || yg__str_is(kv.k, "devname") ||
                   yg__str_is(kv.k, "itime") || yg__str_is(kv.k, "timestamp");
        logid |= yg__str_is(kv.k, "logid");
        type |= yg__str_is(kv.k, "type");
    }
    if (r < 0 || !type)
        return 0;
    if (logid && lead)
        return 95;
    return logid ? 70 : 20;
}

const struct yg_linefmt yg__fmt_fortigate = {
    .name = "fortigate",
    .desc = "FortiGate/FortiOS key=value logs (traffic, event, utm), with or without syslog header",
    .sniff = fgt_sniff,
    .state_new = NULL,
    .state_free = NULL,
    .decode = fgt_decode,
};
