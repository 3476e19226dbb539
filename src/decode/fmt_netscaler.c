/*
 * fmt_netscaler.c - Citrix ADC / NetScaler native syslog.
 *
 * A NetScaler writes its own header after the syslog PRI, then an event
 * descriptor, then the message:
 *
 *   <134> 01/16/2026:14:17:00 GMT ns01 0-PPE-0 : default SSLVPN LOGIN 2345680 0 :  User alice -
 *       Client_ip 198.51.100.7 - Nat_ip "Mapped Ip" - Vserver 192.0.2.1:443 - Group(s) "Staff"
 *   <135> default CMD_EXECUTED 4123456 0 :  User nsroot - Remote_ip 198.51.100.7 - Command
 *       "show ns capacity" - Status "Success"
 *
 * header:      [date:time] [timezone] [host] N-PPE-N :   (each part optional)
 * descriptor:  [partition] [module] event seq n :        (`default SSLVPN LOGIN 12345 0 :`)
 *
 * giving `timestamp`, `timezone`, `host`, `ppe`, `partition`, `module`
 * (SSLVPN, AAATM, UI, ...), `event_type` (LOGIN, LOGOUT, CMD_EXECUTED,
 * TCPCONNSTAT, ...), `event_id` (the sequence number) and `severity` (the
 * number after it, as Elastic's citrix_adc integration names them).  With
 * two descriptor words the first is the partition when it is `default`,
 * else the module.
 *
 * The message is a list of `Key value` segments joined by ` - `.  Each
 * becomes a field whose name is the key normalised: lower case, camelCase
 * split (`LogoutMethod` -> logout_method), other punctuation as `_`, the
 * parentheses of `Group(s)` dropped (-> groups), a trailing `:` dropped
 * (`SessionId:` -> session_id).  A value in quotes (`"..."`, or `\"...\"`
 * as some releases write them) loses its quotes.  Leading `[TAG]` runs
 * (`[TECHSUPPORT][LAUNCH]...`) become `tags`, an `[ICAUUID=...]` tag
 * `ica_uuid`.  Derived fields: `x_ip`/`x_port` from an `ip:port` value of
 * Vserver, Source, Destination and SSLRelayAddress; `context_user` and
 * `context_ip` from `Context user@ip`; `username` and `domain_name` from
 * `username:domainname user:domain`.  HTTPREQUEST messages have their own
 * layout (`host User u : Group(s) g : Vserver v - time : SSO is ON : GET
 * /path - -`), parsed into hostname, user, groups, vserver, request_time,
 * sso, method and path.  A message that is one quoted string is free text.
 * The full text is always kept as `message`.
 *
 * SigmaHQ's Citrix rules are web/proxy rules over access logs; the
 * appliance's own log source is product citrix, service netscaler.
 */
#include <stdio.h>

#include "decode/format.h"

#define MAX_KEY 48

static bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static bool is_upper(unsigned char c)
{
    return c >= 'A' && c <= 'Z';
}

static bool is_lower(unsigned char c)
{
    return c >= 'a' && c <= 'z';
}

/* A space-separated token of s[*i..n); spaces before it are skipped. */
static bool token(const char *s, size_t n, size_t *i, struct yg_str *t)
{
    size_t j = *i;
    while (j < n && s[j] == ' ')
        j++;
    size_t k = j;
    while (k < n && s[k] != ' ')
        k++;
    *t = (struct yg_str){s + j, k - j};
    *i = k;
    return k > j;
}

static bool all_digits(struct yg_str t)
{
    if (!t.n)
        return false;
    for (size_t k = 0; k < t.n; k++)
        if (!is_digit((unsigned char)t.p[k]))
            return false;
    return true;
}

/* `MM/DD/YYYY:hh:mm:ss` (or `YYYY/MM/DD:...`, `DD/MM/YYYY:...`). */
static bool is_native_date(struct yg_str t)
{
    if (t.n != 19)
        return false;
    static const char a[] = "dd/dd/dddd:dd:dd:dd", b[] = "dddd/dd/dd:dd:dd:dd";
    bool ok_a = true, ok_b = true;
    for (size_t k = 0; k < 19; k++) {
        unsigned char c = (unsigned char)t.p[k];
        ok_a &= a[k] == 'd' ? is_digit(c) : c == (unsigned char)a[k];
        ok_b &= b[k] == 'd' ? is_digit(c) : c == (unsigned char)b[k];
    }
    return ok_a || ok_b;
}

/* `N-PPE-N`: the packet engine that logged the record. */
static bool is_ppe(struct yg_str t)
{
    const char *p = memmem(t.p, t.n, "-PPE-", 5);
    if (!p || p == t.p || p + 5 == t.p + t.n)
        return false;
    struct yg_str a = {t.p, (size_t)(p - t.p)}, b = {p + 5, (size_t)(t.p + t.n - p - 5)};
    return all_digits(a) && all_digits(b);
}

static bool is_colon(struct yg_str t)
{
    return t.n == 1 && t.p[0] == ':';
}

/* The parts of a native record (views into the line). */
struct rec {
    struct yg_str date, tz, host, ppe, partition, module, event, seq, sev, msg;
    size_t msg_off; /* offset of msg in the line */
};

/*
 * Parse header and descriptor of m[0..n) (the line after any syslog
 * header, at offset off).  Returns true with r filled; false with e set.
 */
static bool parse_rec(const char *m, size_t n, size_t off, struct rec *r, struct yg_decode_err *e)
{
    memset(r, 0, sizeof *r);
    size_t i = 0, save;
    struct yg_str t;
    if (!token(m, n, &i, &t)) {
        yg__fmt_fail(e, off + i,
                     "expected a NetScaler record: `[date] [host] N-PPE-N : module event "
                     "seq n : message`");
        return false;
    }
    if (is_native_date(t)) {
        r->date = t;
        /* Up to two words (time zone, host) before the packet engine. */
        struct yg_str w[2];
        int nw = 0;
        for (;;) {
            if (!token(m, n, &i, &t)) {
                yg__fmt_fail(e, off + i, "expected `N-PPE-N` after the date");
                return false;
            }
            if (is_ppe(t))
                break;
            if (nw == 2) {
                yg__fmt_fail(e, off + (size_t)(t.p - m), "expected `N-PPE-N` after the date");
                return false;
            }
            w[nw++] = t;
        }
        if (nw == 2) {
            r->tz = w[0];
            r->host = w[1];
        } else if (nw == 1) {
            /* One word: a time zone when it is a short capitalised code. */
            bool tz = w[0].n <= 5;
            for (size_t k = 0; k < w[0].n; k++)
                tz &= is_upper((unsigned char)w[0].p[k]);
            if (tz)
                r->tz = w[0];
            else
                r->host = w[0];
        }
    }
    if (is_ppe(t)) {
        r->ppe = t;
        if (!token(m, n, &i, &t) || !is_colon(t)) {
            yg__fmt_fail(e, off + (size_t)(t.p - m), "expected ` : ` after the packet engine");
            return false;
        }
        if (!token(m, n, &i, &t)) {
            yg__fmt_fail(e, off + i, "expected the event descriptor after ` : `");
            return false;
        }
    }
    /* Descriptor: 1 to 3 words, the sequence number, a number, `:`. */
    struct yg_str w[5];
    int nw = 0;
    for (;;) {
        if (is_colon(t))
            break;
        if (nw == 5) {
            yg__fmt_fail(e, off + (size_t)(t.p - m), "expected `:` after the event descriptor");
            return false;
        }
        w[nw++] = t;
        save = i;
        if (!token(m, n, &i, &t)) {
            yg__fmt_fail(e, off + save, "expected `:` after the event descriptor");
            return false;
        }
    }
    if (nw < 3 || !all_digits(w[nw - 1]) || !all_digits(w[nw - 2])) {
        yg__fmt_fail(e, off + (size_t)(t.p - m), "expected `[partition] [module] event seq n :`");
        return false;
    }
    r->seq = w[nw - 2];
    r->sev = w[nw - 1];
    int words = nw - 2;
    if (words == 3) {
        r->partition = w[0];
        r->module = w[1];
        r->event = w[2];
    } else if (words == 2) {
        if (w[0].n == 7 && memcmp(w[0].p, "default", 7) == 0)
            r->partition = w[0];
        else
            r->module = w[0];
        r->event = w[1];
    } else {
        r->event = w[0];
    }
    size_t mi = i;
    r->msg = (struct yg_str){m + mi, n - mi};
    r->msg.p = yg__trim_sp(r->msg.p, &r->msg.n);
    r->msg_off = off + (size_t)(r->msg.p - m);
    return true;
}

/* Where the native record starts: after a syslog PRI or header, if any. */
static size_t native_start(const char *line, size_t n, struct yg_syslog *sl)
{
    if (!yg__syslog_split(line, n, sl))
        return 0;
    return (size_t)(sl->msg.p - line);
}

static int ns_sniff(const char *line, size_t n)
{
    struct yg_syslog sl;
    struct yg_decode_err e;
    struct rec r;
    size_t at = native_start(line, n, &sl);
    if (!parse_rec(line + at, n - at, at, &r, &e))
        return 0;
    if (r.ppe.n)
        return 90;
    /* Without the header, only a `default` partition is telling. */
    return r.partition.n ? 60 : 0;
}

/* Normalised key of k (see the file comment); 0 when it is not a key. */
static size_t norm_key(const char *k, size_t kn, char *o)
{
    size_t on = 0;
    while (kn && k[kn - 1] == ':')
        kn--;
    for (size_t i = 0; i < kn; i++) {
        unsigned char c = (unsigned char)k[i];
        if (c == '(' || c == ')')
            continue;
        if (c >= 0x80 || c < 0x20 || c == '"' || c == '\\')
            return 0;
        if (is_upper(c)) {
            if (i && is_lower((unsigned char)k[i - 1]) && on && o[on - 1] != '_') {
                if (on + 1 >= MAX_KEY)
                    return 0;
                o[on++] = '_';
            }
            c = (unsigned char)(c + 32);
        } else if (!is_lower(c) && !is_digit(c)) {
            if (on && o[on - 1] == '_')
                continue;
            c = '_';
        }
        if (on + 1 >= MAX_KEY)
            return 0;
        o[on++] = (char)c;
    }
    while (on && o[on - 1] == '_')
        on--;
    if (on == 9 && memcmp(o, "sessionid", 9) == 0) {
        memcpy(o, "session_id", 10);
        on = 10;
    }
    return on;
}

/* `ip:port` value: x_ip and x_port (only when the port is digits and the
 * address has no other colon, or is a bracketed IPv6 address). */
static yg_err put_ip_port(struct yg_buf *out, bool *first, const char *key, size_t kn,
                          const char *v, size_t vn)
{
    const char *c = NULL;
    for (size_t k = vn; k > 0; k--)
        if (v[k - 1] == ':') {
            c = v + k - 1;
            break;
        }
    if (!c)
        return YG_OK;
    struct yg_str ip = {v, (size_t)(c - v)}, port = {c + 1, (size_t)(v + vn - c - 1)};
    if (!all_digits(port) || !ip.n)
        return YG_OK;
    if (ip.n >= 2 && ip.p[0] == '[' && ip.p[ip.n - 1] == ']') {
        ip.p++;
        ip.n -= 2;
    } else if (memchr(ip.p, ':', ip.n)) {
        return YG_OK;
    }
    char k2[MAX_KEY + 8];
    memcpy(k2, key, kn);
    memcpy(k2 + kn, "_ip", 3);
    yg_err err = yg__json_kv(out, first, k2, kn + 3, ip.p, ip.n);
    if (err)
        return err;
    memcpy(k2 + kn, "_port", 5);
    return yg__json_kv(out, first, k2, kn + 5, port.p, port.n);
}

/* Fields derived from one segment's value. */
static yg_err put_derived(struct yg_buf *out, bool *first, const char *key, size_t kn,
                          const char *v, size_t vn)
{
    if ((kn == 7 && memcmp(key, "vserver", 7) == 0) || (kn == 6 && memcmp(key, "source", 6) == 0) ||
        (kn == 11 && memcmp(key, "destination", 11) == 0) ||
        (kn == 16 && memcmp(key, "sslrelay_address", 16) == 0))
        return put_ip_port(out, first, key, kn, v, vn);
    if (kn == 7 && memcmp(key, "context", 7) == 0) {
        for (size_t k = vn; k > 0; k--)
            if (v[k - 1] == '@') {
                yg_err err = yg__json_kvz(out, first, "context_user", v, k - 1);
                return err ? err : yg__json_kvz(out, first, "context_ip", v + k, vn - k);
            }
        return YG_OK;
    }
    if (kn == 19 && memcmp(key, "username_domainname", 19) == 0) {
        const char *c = memchr(v, ':', vn);
        if (!c)
            return YG_OK;
        yg_err err = yg__json_kvz(out, first, "username", v, (size_t)(c - v));
        return err ? err : yg__json_kvz(out, first, "domain_name", c + 1, vn - (size_t)(c - v) - 1);
    }
    return YG_OK;
}

/* A leading `[A][B=c]...` run of m[*i..n): `tags`, and `ica_uuid` from an
 * ICAUUID tag.  An unclosed bracket ends the run (the rest is text). */
static yg_err put_tags(struct yg_buf *out, bool *first, const char *m, size_t n, size_t *i,
                       bool *done_tags)
{
    size_t j = *i;
    const char *uuid = NULL;
    size_t uuid_n = 0;
    while (j < n && m[j] == '[') {
        const char *e = memchr(m + j, ']', n - j);
        if (!e)
            break;
        if ((size_t)(e - m) - j > 9 && memcmp(m + j + 1, "ICAUUID=", 8) == 0) {
            uuid = m + j + 9;
            uuid_n = (size_t)(e - uuid);
        }
        j = (size_t)(e - m) + 1;
    }
    if (j == *i)
        return YG_OK;
    yg_err err = yg__json_kvz(out, first, "tags", m + *i, j - *i);
    if (!err && uuid)
        err = yg__json_kvz(out, first, "ica_uuid", uuid, uuid_n);
    while (j < n && m[j] == ' ')
        j++;
    *i = j;
    *done_tags = true;
    return err;
}

/*
 * A quoted value at m[*i]: `"..."` or `\"...\"`.  On success *v is the text
 * inside and *i is past the closing quote; false if it never closes.
 */
static bool quoted(const char *m, size_t n, size_t *i, struct yg_str *v)
{
    bool esc = m[*i] == '\\';
    size_t v0 = *i + (esc ? 2 : 1), k = v0;
    while (k < n) {
        const char *q = memchr(m + k, '"', n - k);
        if (!q)
            return false;
        k = (size_t)(q - m);
        if (!esc || (k > v0 && m[k - 1] == '\\')) {
            size_t end = esc ? k - 1 : k;
            *v = (struct yg_str){m + v0, end - v0};
            *i = k + 1;
            return true;
        }
        k++;
    }
    return false;
}

/* The next ` - ` in s[from..n), or NULL.  (memchr for the dash is much
 * faster than memmem on these short, dash-poor texts.) */
static const char *find_sep(const char *s, size_t n, size_t from)
{
    while (from + 2 < n) {
        const char *d = memchr(s + from + 1, '-', n - from - 2);
        if (!d)
            return NULL;
        if (d[-1] == ' ' && d[1] == ' ')
            return d - 1;
        from = (size_t)(d - s);
    }
    return NULL;
}

/* Generic `Key value - Key value` segments. */
static yg_err put_segments(struct yg_buf *out, bool *first, const char *m, size_t n, size_t off,
                           struct yg_decode_err *e)
{
    yg_err err = YG_OK;
    size_t i = 0, nseg = 0;
    bool done_tags = false;
    char key[MAX_KEY + 8];
    while (i < n) {
        while (i < n && m[i] == ' ')
            i++;
        if (i >= n)
            break;
        if (!done_tags && m[i] == '[')
            YG_TRY(put_tags(out, first, m, n, &i, &done_tags));
        /* A segment that is only `-` (a separator after an empty value). */
        if (i < n && m[i] == '-' && (i + 1 == n || m[i + 1] == ' ')) {
            i++;
            continue;
        }
        size_t k0 = i;
        while (i < n && m[i] != ' ')
            i++;
        size_t kn = norm_key(m + k0, i - k0, key);
        while (i < n && m[i] == ' ')
            i++;
        struct yg_str v = {m + i, 0};
        size_t next;
        if (i < n && (m[i] == '"' || (m[i] == '\\' && i + 1 < n && m[i + 1] == '"'))) {
            size_t q = i;
            if (!quoted(m, n, &q, &v))
                return yg__fmt_fail(e, off + i, "unterminated quoted value");
            const char *sep = find_sep(m, n, q);
            next = sep ? (size_t)(sep - m) + 3 : n;
        } else {
            /* An unquoted value runs to the next ` - `; the separator may
             * follow the key directly (`X-Forwarded-For_ip - Nat_ip`). */
            const char *sep = find_sep(m, n, k0);
            size_t end = sep ? (size_t)(sep - m) : n;
            if (end > i)
                v = (struct yg_str){m + i, end - i};
            next = sep ? end + 3 : n;
        }
        v.p = yg__trim_sp(v.p, &v.n);
        if (kn) {
            if (++nseg > YG_MAX_EVENT_FIELDS) {
                e->col = off + k0 + 1;
                e->msg = "more segments than YG_MAX_EVENT_FIELDS";
                return YG_ELIMIT;
            }
            YG_TRY(yg__json_kv(out, first, key, kn, v.p, v.n));
            YG_TRY(put_derived(out, first, key, kn, v.p, v.n));
        }
        i = next;
    }
done:
    return err;
}

/* s[*i..n) starts with lit: skip it. */
static bool skip_lit(const char *s, size_t n, size_t *i, const char *lit)
{
    size_t ll = strlen(lit);
    if (n - *i < ll || memcmp(s + *i, lit, ll) != 0)
        return false;
    *i += ll;
    return true;
}

/* s[*i..) up to the next `sep`; *i moves past it. */
static bool upto(const char *s, size_t n, size_t *i, const char *sep, struct yg_str *v)
{
    const char *p = memmem(s + *i, n - *i, sep, strlen(sep));
    if (!p)
        return false;
    *v = (struct yg_str){s + *i, (size_t)(p - s) - *i};
    *i = (size_t)(p - s) + strlen(sep);
    return true;
}

/*
 * HTTPREQUEST: `[Context c - SessionId: s - ][TAGS ]host User u : Group(s) g :
 * Vserver v - time : [Message = ]SSO is X : METHOD path - -`.  Fields are
 * written as far as the layout holds.
 */
static yg_err put_httprequest(struct yg_buf *out, bool *first, const char *m, size_t n)
{
    yg_err err = YG_OK;
    size_t i = 0;
    bool done_tags = false;
    struct yg_str v;
    char key[16];
    if (skip_lit(m, n, &i, "Context ") && upto(m, n, &i, " - ", &v)) {
        YG_TRY(yg__json_kvz(out, first, "context", v.p, v.n));
        memcpy(key, "context", 7);
        YG_TRY(put_derived(out, first, key, 7, v.p, v.n));
        if (skip_lit(m, n, &i, "SessionId: ") && upto(m, n, &i, " - ", &v))
            YG_TRY(yg__json_kvz(out, first, "session_id", v.p, v.n));
    }
    while (i < n && m[i] == ' ')
        i++;
    if (i < n && m[i] == '[')
        YG_TRY(put_tags(out, first, m, n, &i, &done_tags));
    if (!upto(m, n, &i, " User ", &v))
        goto done;
    YG_TRY(yg__json_kvz(out, first, "hostname", v.p, v.n));
    if (!upto(m, n, &i, " : ", &v))
        goto done;
    YG_TRY(yg__json_kvz(out, first, "user", v.p, v.n));
    if (!skip_lit(m, n, &i, "Group(s) ") || !upto(m, n, &i, " : ", &v))
        goto done;
    YG_TRY(yg__json_kvz(out, first, "groups", v.p, v.n));
    if (!skip_lit(m, n, &i, "Vserver ") || !upto(m, n, &i, " - ", &v))
        goto done;
    YG_TRY(yg__json_kvz(out, first, "vserver", v.p, v.n));
    YG_TRY(put_ip_port(out, first, "vserver", 7, v.p, v.n));
    if (!upto(m, n, &i, " : ", &v))
        goto done;
    YG_TRY(yg__json_kvz(out, first, "request_time", v.p, v.n));
    skip_lit(m, n, &i, "Message = ");
    if (skip_lit(m, n, &i, "SSO is ")) {
        if (!upto(m, n, &i, " : ", &v))
            goto done;
        YG_TRY(yg__json_kvz(out, first, "sso", v.p, v.n));
    }
    size_t m0 = i;
    while (i < n && m[i] != ' ')
        i++;
    if (i == m0 || i >= n)
        goto done;
    YG_TRY(yg__json_kvz(out, first, "method", m + m0, i - m0));
    i++;
    const char *end = memmem(m + i, n - i, " - ", 3);
    size_t pn = end ? (size_t)(end - m) - i : n - i;
    /* A path glued to its trailing `- -` (`.../Tk9- - -`) keeps its dash. */
    YG_TRY(yg__json_kvz(out, first, "path", m + i, pn));
done:
    return err;
}

static yg_err put_syslog(struct yg_buf *out, bool *first, const struct yg_syslog *sl)
{
    yg_err err = YG_OK;
    char num[8];
    if (sl->pri >= 0) {
        int k = snprintf(num, sizeof num, "%d", sl->pri);
        YG_TRY(yg__json_kvz(out, first, "syslog_pri", num, (size_t)k));
    }
    if (sl->ts.n)
        YG_TRY(yg__json_kvz(out, first, "syslog_timestamp", sl->ts.p, sl->ts.n));
    if (sl->host.n)
        YG_TRY(yg__json_kvz(out, first, "syslog_host", sl->host.p, sl->host.n));
    if (sl->app.n)
        YG_TRY(yg__json_kvz(out, first, "syslog_app", sl->app.p, sl->app.n));
done:
    return err;
}

static yg_err ns_decode(void *st, const char *line, size_t n, struct yg_buf *out,
                        struct yg_logsrc *ls, struct yg_decode_err *e)
{
    (void)st;
    yg_err err = YG_OK;
    size_t start = out->n;
    bool first = true;
    if ((n = yg__line_begin(line, n, e)) == YG_LINE_REFUSED)
        return YG_ESYNTAX;
    struct yg_syslog sl;
    struct rec r;
    size_t at = native_start(line, n, &sl);
    if (!parse_rec(line + at, n - at, at, &r, e))
        return YG_ESYNTAX;
    YG_TRY(yg_buf_addc(out, '{'));
    YG_TRY(put_syslog(out, &first, &sl));
    /* `timestamp` with its zone when GMT/UTC follows the date in the text,
     * so that it is not read on the --timezone clock. */
    if (r.date.n && r.tz.n && r.tz.p == r.date.p + r.date.n + 1)
        YG_TRY(yg__json_kvz(out, &first, "timestamp", r.date.p, r.date.n + 1 + r.tz.n));
    else if (r.date.n)
        YG_TRY(yg__json_kvz(out, &first, "timestamp", r.date.p, r.date.n));
    if (r.tz.n)
        YG_TRY(yg__json_kvz(out, &first, "timezone", r.tz.p, r.tz.n));
    if (r.host.n)
        YG_TRY(yg__json_kvz(out, &first, "host", r.host.p, r.host.n));
    if (r.ppe.n)
        YG_TRY(yg__json_kvz(out, &first, "ppe", r.ppe.p, r.ppe.n));
    if (r.partition.n)
        YG_TRY(yg__json_kvz(out, &first, "partition", r.partition.p, r.partition.n));
    if (r.module.n)
        YG_TRY(yg__json_kvz(out, &first, "module", r.module.p, r.module.n));
    YG_TRY(yg__json_kvz(out, &first, "event_type", r.event.p, r.event.n));
    YG_TRY(yg__json_kvz(out, &first, "event_id", r.seq.p, r.seq.n));
    YG_TRY(yg__json_kvz(out, &first, "severity", r.sev.p, r.sev.n));
    const char *m = r.msg.p;
    size_t mn = r.msg.n;
    /* A message that is one quoted string is free text. */
    bool whole = false;
    if (mn >= 2 && m[0] == '"' && m[mn - 1] == '"' && !memchr(m + 1, '"', mn - 2)) {
        m++;
        mn -= 2;
        whole = true;
    } else if (mn >= 4 && m[0] == '\\' && m[1] == '"' && m[mn - 2] == '\\' && m[mn - 1] == '"') {
        m += 2;
        mn -= 4;
        whole = true;
    }
    YG_TRY(yg__json_kvz(out, &first, "message", m, mn));
    if (!whole) {
        if (r.event.n == 11 && memcmp(r.event.p, "HTTPREQUEST", 11) == 0)
            YG_TRY(put_httprequest(out, &first, m, mn));
        else
            YG_TRY(put_segments(out, &first, m, mn, r.msg_off, e));
    }
    YG_TRY(yg_buf_addc(out, '}'));
    ls->product = "citrix";
    ls->service = "netscaler";
    ls->category = NULL;
done:
    return yg__fmt_done(err, out, start, e);
}

const struct yg_linefmt yg__fmt_netscaler = {
    .name = "netscaler",
    .desc = "Citrix ADC / NetScaler native syslog (SSLVPN, AAATM, UI, TCP, ICA events)",
    .sniff = ns_sniff,
    .state_new = NULL,
    .state_free = NULL,
    .decode = ns_decode,
};
