/*
 * fmt_combined.c - Apache and nginx text logs: the access log in the
 * Common and Combined Log Formats, and the error logs of both servers.
 *
 * Access log (Apache's LogFormat "%h %l %u %t \"%r\" %>s %b" and the
 * Combined format that appends "\"%{Referer}i\" \"%{User-agent}i\"";
 * nginx's default `combined` is the same line):
 *
 *   127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326
 *       "http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)"
 *
 * becomes Sigma's `category: webserver` fields: c-ip, cs-username, date and
 * time (UTC, as W3C logs have them), cs-method, cs-uri-stem, cs-uri-query,
 * cs-version, sc-status, sc-bytes, cs-referer, cs-user-agent.  A request
 * line that is not `METHOD target [HTTP/x]` (TLS bytes sent to a plain
 * port, `-`) is kept whole as `request`; anything after the user agent
 * (nginx's `main` format adds X-Forwarded-For) as `extra`.  `cs-uri-query`
 * holds [stem?query, query] with a query and the stem without one, for the
 * reason given in fmt_w3c.c (SigmaHQ's rules read it both ways).
 *
 * Apache escapes `"` and `\` in quoted fields as `\"` and `\\`, nginx as
 * `\x22` and `\x5C`, and both write other bytes as `\xHH`: the decoder
 * undoes the escapes of printable characters and leaves the rest as
 * written.  A quoted field ends at a quote that is followed by a space or
 * the end of the line, so an unescaped quote inside a field (Apache before
 * 2.0.46 wrote them) does not end it early.
 *
 * Error logs, told apart by their first character:
 *
 *   [Fri Sep 09 10:42:29.902022 2011] [core:error] [pid 35708:tid 4328636416]
 *       [client 72.15.99.187] File does not exist: /usr/local/apache2/htdocs/favicon.ico
 *   [Sun Dec 04 04:47:44 2005] [error] mod_jk child workerEnv in error state 6
 *   2024/05/01 12:00:00 [alert] 1234#0: worker process 5678 exited on signal 6 (core dumped)
 *   [error] [client 192.0.2.5] File does not exist: /var/www/favicon.ico
 *
 * (the last an Apache 2.0 line without its date, as `ErrorLog syslog` and
 * collectors that keep their own time give it: no date or time field)
 * give date, time (as logged: the error logs carry no zone), module, level,
 * pid, tid, c-ip, c-port, code (Apache's AHnnnnn), connection (nginx's *N)
 * and message.  SigmaHQ's rules for them are keyword searches under
 * `service: apache` and `service: nginx` (rules/web/product/), so the log
 * sources are product apache, service apache and product nginx, service
 * nginx.  The access log is `category: webserver` alone: the same line
 * comes from either server.
 *
 * The decoder needs no state, so the hunt can cut a large file anywhere.
 */
#include "decode/fmt_net.h"
#include "core/timeparse.h"

static yg_err bad(struct yg_decode_err *e, size_t at, const char *msg)
{
    e->col = at + 1;
    e->msg = msg;
    return YG_ESYNTAX;
}

static inline bool digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!digit(s[i]))
            return false;
    return true;
}

static unsigned num(const char *s, size_t n)
{
    unsigned v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (unsigned)(s[i] - '0');
    return v;
}

/* Month number 1..12 of a three-letter English name, or 0. */
static unsigned month(const char *s)
{
    /* The three letters as one number each: one comparison a month. */
#define M3(a, b, c) ((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16)
    static const uint32_t names[12] = {M3('J', 'a', 'n'), M3('F', 'e', 'b'), M3('M', 'a', 'r'),
                                       M3('A', 'p', 'r'), M3('M', 'a', 'y'), M3('J', 'u', 'n'),
                                       M3('J', 'u', 'l'), M3('A', 'u', 'g'), M3('S', 'e', 'p'),
                                       M3('O', 'c', 't'), M3('N', 'o', 'v'), M3('D', 'e', 'c')};
    uint32_t w = M3((unsigned char)s[0], (unsigned char)s[1], (unsigned char)s[2]);
#undef M3
    for (unsigned m = 0; m < 12; m++)
        if (w == names[m])
            return m + 1;
    return 0;
}

/* Days in month m (1..12) of year y (Gregorian). */
static unsigned month_days(unsigned y, unsigned m)
{
    static const unsigned char days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0) ? 29 : days[m - 1];
}

static void put2(char *o, unsigned v)
{
    o[0] = (char)('0' + v / 10 % 10);
    o[1] = (char)('0' + v % 10);
}

/* `"date":"YYYY-MM-DD","time":"HH:MM:SS"` plus frac (".123456" or empty). */
static yg_err put_datetime(struct yg_buf *out, bool *first, long y, unsigned mo, unsigned d,
                           unsigned h, unsigned mi, unsigned s, const char *frac, size_t fn)
{
    char b[64];
    size_t k = 0;
    if (!*first)
        b[k++] = ',';
    *first = false;
    memcpy(b + k, "\"date\":\"", 8);
    k += 8;
    put2(b + k, (unsigned)(y / 100));
    put2(b + k + 2, (unsigned)(y % 100));
    b[k + 4] = '-';
    put2(b + k + 5, mo);
    b[k + 7] = '-';
    put2(b + k + 8, d);
    k += 10;
    memcpy(b + k, "\",\"time\":\"", 10);
    k += 10;
    put2(b + k, h);
    b[k + 2] = ':';
    put2(b + k + 3, mi);
    b[k + 5] = ':';
    put2(b + k + 6, s);
    k += 8;
    yg_err err = yg__put(out, b, k);
    if (!err && fn)
        err = yg__put(out, frac, fn);
    return err ? err : yg__putc(out, '"');
}

static inline yg_err put_key(struct yg_buf *out, bool *first, const char *k, size_t kn)
{
    yg_err err = YG_OK;
    if (!*first)
        err = yg__putc(out, ',');
    *first = false;
    return err ? err : yg__put(out, k, kn);
}

#define KEY(out, first, lit) put_key((out), (first), "\"" lit "\":", sizeof(lit) + 2)

/* A value that may hold the writer's escapes: written in place when no byte
 * needs an escape or an unescape and the buffer has room (almost every
 * field), else by the general writer (the same bytes). */
static inline __attribute__((always_inline)) yg_err put_val(struct yg_buf *out, const char *v,
                                                            size_t n)
{
    if (yg__room(out, n + 2)) {
        char *o = out->p + out->n;
        *o = '"';
        char *e = yg__json_plain_copy(o + 1, v, n);
        if (e) {
            *e = '"';
            out->n = (size_t)(e + 1 - out->p);
            return YG_OK;
        }
    }
    return yg__json_str_unesc(out, v, n, 0);
}

/* put_key and put_val in one step: `,"key":"value"` in place when it can
 * be, as put_val. */
static inline __attribute__((always_inline)) yg_err
put_kv(struct yg_buf *out, bool *first, const char *k, size_t kn, const char *v, size_t vn)
{
    if (yg__room(out, kn + vn + 3)) {
        char *o = out->p + out->n;
        *o = ',';
        o += !*first;
        memcpy(o, k, kn);
        o += kn;
        *o = '"';
        char *e = yg__json_plain_copy(o + 1, v, vn);
        if (e) {
            *e = '"';
            out->n = (size_t)(e + 1 - out->p);
            *first = false;
            return YG_OK;
        }
    }
    yg_err err = put_key(out, first, k, kn);
    return err ? err : yg__json_str_unesc(out, v, vn, 0);
}

#define KV(out, first, lit, v, vn)                                                                 \
    put_kv((out), (first), "\"" lit "\":", sizeof(lit) + 2, (v), (vn))

/* ---- access log ------------------------------------------------------------ */

/* What follows a quoted field of the access log. */
enum after { AFTER_REQUEST, AFTER_REFERER, AFTER_AGENT };

/* The end (index of the closing quote) of the quoted field whose opening
 * quote is at line[i], or 0 when it is not closed.  A quote escaped by an
 * odd number of backslashes never closes.  Of the other quotes, the first
 * one followed by what comes next in the line wins (` 200 ` after the
 * request, ` "` after the referer, the end of the line or ` "` after the
 * user agent); failing that, the first one followed by a space or the end.
 * So an unescaped quote inside a field closes it only when nothing better
 * fits. */
static size_t quoted_end(const char *line, size_t i, size_t n, enum after next)
{
    size_t j = i + 1, fallback = 0;
    while (j < n) {
        size_t k = yg__find_byte(line, j, n, '"'), bs = 0;
        if (k == n)
            break;
        j = k + 1;
        while (k - bs > i + 1 && line[k - bs - 1] == '\\')
            bs++;
        if (bs & 1)
            continue;
        if (k + 1 == n)
            return k;
        if (line[k + 1] != ' ')
            continue;
        const char *f = line + k + 2;
        size_t left = n - k - 2;
        bool fits = next == AFTER_REQUEST
                        ? (left >= 3 && digit(f[0]) && digit(f[1]) && digit(f[2]) &&
                           (left == 3 || f[3] == ' ')) ||
                              (left >= 1 && f[0] == '-' && (left == 1 || f[1] == ' '))
                        : left >= 1 && f[0] == '"';
        if (fits)
            return k;
        if (!fallback)
            fallback = k;
    }
    return fallback;
}

/* `[10/Oct/2000:13:55:36 -0700]` at line[i]: date and time in UTC.  The day
 * may have one digit (`[1/Apr/2014:...`): loggers that format it with %e
 * or without padding write it so. */
static yg_err access_time(const char *line, size_t i, size_t n, struct yg_buf *out, bool *first,
                          size_t *next, struct yg_decode_err *e)
{
    /* t is where a two-digit day's line would start: the offsets below are
     * those of that form. */
    size_t one = n - i > 2 && line[i + 2] == '/' ? 1 : 0;
    const char *t = line + i - one;
    if (n - i < 28 - one || line[i] != '[' || t[3] != '/' || t[7] != '/' || t[12] != ':' ||
        t[15] != ':' || t[18] != ':' || t[21] != ' ' || (t[22] != '+' && t[22] != '-') ||
        t[27] != ']' || !digits(t + 1 + one, 2 - one) || !digits(t + 8, 4) || !digits(t + 13, 2) ||
        !digits(t + 16, 2) || !digits(t + 19, 2) || !digits(t + 23, 4))
        return bad(e, i, "expected the time as [dd/Mon/yyyy:hh:mm:ss +zzzz]");
    unsigned d = num(t + 1 + one, 2 - one), mo = month(t + 4), h = num(t + 13, 2),
             mi = num(t + 16, 2), s = num(t + 19, 2), oh = num(t + 23, 2), om = num(t + 25, 2);
    if (!mo || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60 || om > 59)
        return bad(e, i + 1, "invalid date or time");
    unsigned y4 = num(t + 8, 4);
    int64_t off = (t[22] == '-' ? -1 : 1) * (int64_t)(oh * 3600 + om * 60),
            sod = (int64_t)(h * 3600 + mi * 60 + s) - off;
    /* Most lines stay on their day in UTC: the date as written, no
     * calendar arithmetic (a day past the month's end, such as 31/Apr,
     * is left to it: it rolls into the next month there). */
    if (sod >= 0 && sod < 86400 && d <= month_days(y4, mo)) {
        *next = i + 28 - one;
        return put_datetime(out, first, y4, mo, d, (unsigned)(sod / 3600),
                            (unsigned)(sod / 60 % 60), (unsigned)(sod % 60), NULL, 0);
    }
    int64_t secs = (yg__days_from_civil(y4, mo, d) * 86400 + h * 3600 + mi * 60 + s) - off;
    int64_t days = (secs >= 0 ? secs : secs - 86399) / 86400, rem = secs - days * 86400, y;
    yg__civil_from_days(days, &y, &mo, &d);
    if (y < 0 || y > 9999)
        return bad(e, i + 8 - one, "year out of range");
    *next = i + 28 - one;
    return put_datetime(out, first, y, mo, d, (unsigned)(rem / 3600), (unsigned)(rem / 60 % 60),
                        (unsigned)(rem % 60), NULL, 0);
}

static bool token_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '-' || c == '_';
}

/* `GET /a?b=c HTTP/1.1` -> cs-method, cs-uri-stem, cs-uri-query,
 * cs-version; anything else -> request. */
static yg_err put_request(struct yg_buf *out, bool *first, const char *r, size_t n)
{
    yg_err err;
    if (n == 1 && r[0] == '-')
        return YG_OK;
    size_t m = 0;
    while (m < n && token_char(r[m]))
        m++;
    if (!m || m >= n || r[m] != ' ' || m + 1 >= n) {
        if ((err = KEY(out, first, "request")))
            return err;
        return put_val(out, r, n);
    }
    const char *tgt = r + m + 1, *ver = NULL;
    size_t tn = n - m - 1, vn = 0;
    /* The last space: the version is short, so it is found from the end
     * byte by byte. */
    const char *sp = NULL;
    if (tn > 5)
        for (size_t k = tn; k-- > 0;)
            if (tgt[k] == ' ') {
                sp = tgt + k;
                break;
            }
    if (sp && (size_t)(tgt + tn - sp) > 5 && !memcmp(sp + 1, "HTTP/", 5)) {
        ver = sp + 1;
        vn = (size_t)(tgt + tn - ver);
        tn = (size_t)(sp - tgt);
    }
    size_t sn = yg__find_byte(tgt, 0, tn, '?');
    const char *q = sn < tn ? tgt + sn : NULL;
    if ((err = KEY(out, first, "cs-method")) || (err = yg_buf_add_json_str(out, r, m)) ||
        (err = KV(out, first, "cs-uri-stem", tgt, sn)) || (err = KEY(out, first, "cs-uri-query")))
        return err;
    if (q && q + 1 < tgt + tn) {
        if ((err = yg__putc(out, '[')) || (err = put_val(out, tgt, tn)) ||
            (err = yg__putc(out, ',')) || (err = put_val(out, q + 1, (size_t)(tgt + tn - q - 1))) ||
            (err = yg__putc(out, ']')))
            return err;
    } else if ((err = put_val(out, tgt, tn))) {
        return err;
    }
    if (ver && (err = KV(out, first, "cs-version", ver, vn)))
        return err;
    return YG_OK;
}

/* The next space-separated token at line[*i]; false at the end. */
static inline __attribute__((always_inline)) bool token(const char *line, size_t n, size_t *i,
                                                        struct yg_str *t)
{
    if (*i >= n)
        return false;
    size_t end = yg__find_byte(line, *i, n, ' ');
    t->p = line + *i;
    t->n = end - *i;
    *i = end + (end < n);
    return t->n > 0;
}

static yg_err decode_access(const char *line, size_t n, struct yg_buf *out, struct yg_decode_err *e)
{
    bool first = true;
    size_t i = 0;
    struct yg_str host, ident, user;
    yg_err err = yg__putc(out, '{');
    if (err)
        return err;
    if (!token(line, n, &i, &host))
        return bad(e, 0, "expected the client address");
    size_t at = i;
    if (!token(line, n, &i, &ident))
        return bad(e, at, "expected the identity (%l) field");
    at = i;
    if (!token(line, n, &i, &user))
        return bad(e, at, "expected the user (%u) field");
    if ((err = KV(out, &first, "c-ip", host.p, host.n)))
        return err;
    if (!(user.n == 1 && user.p[0] == '-') &&
        (err = KV(out, &first, "cs-username", user.p, user.n)))
        return err;
    if ((err = access_time(line, i, n, out, &first, &i, e)))
        return err;

    if (i >= n || line[i] != ' ' || i + 1 >= n || line[i + 1] != '"')
        return bad(e, i, "expected the quoted request line");
    i++;
    size_t q = quoted_end(line, i, n, AFTER_REQUEST);
    if (!q)
        return bad(e, i, "unbalanced quote: the request line is not closed");
    if ((err = put_request(out, &first, line + i + 1, q - i - 1)))
        return err;
    i = q + 1;

    struct yg_str status, bytes;
    at = i < n ? i + 1 : n;
    if (i >= n || line[i] != ' ' || (i++, !token(line, n, &i, &status)) ||
        !((status.n == 3 && digits(status.p, 3)) || (status.n == 1 && status.p[0] == '-')))
        return bad(e, at, "expected the status code (3 digits)");
    if ((err = KV(out, &first, "sc-status", status.p, status.n)))
        return err;
    at = i;
    if (!token(line, n, &i, &bytes) ||
        !((bytes.n == 1 && bytes.p[0] == '-') || (bytes.n <= 20 && digits(bytes.p, bytes.n))))
        return bad(e, at, "expected the response size (digits or -)");
    if (bytes.p[0] != '-' && (err = KV(out, &first, "sc-bytes", bytes.p, bytes.n)))
        return err;

    /* Combined: "referer" "user-agent". */
    for (int f = 0; f < 2 && i < n && line[i] == '"'; f++) {
        q = quoted_end(line, i, n, f ? AFTER_AGENT : AFTER_REFERER);
        if (!q)
            return bad(e, i,
                       f ? "unbalanced quote: the user agent is not closed"
                         : "unbalanced quote: the referer is not closed");
        const char *v = line + i + 1;
        size_t vn = q - i - 1;
        if (!(vn == 1 && v[0] == '-') && (err = f ? KV(out, &first, "cs-user-agent", v, vn)
                                                  : KV(out, &first, "cs-referer", v, vn)))
            return err;
        i = q + 1;
        if (i < n && line[i] == ' ')
            i++;
    }
    if (i < n && (err = KV(out, &first, "extra", line + i, n - i)))
        return err;
    return yg_buf_addc(out, '}');
}

/* ---- error logs ------------------------------------------------------------ */

/* `[Sun Dec 04 04:47:44 2005]` or with `.902022` microseconds. */
static yg_err apache_time(const char *line, size_t n, struct yg_buf *out, bool *first, size_t *next,
                          struct yg_decode_err *e)
{
    const char *t = line;
    if (n < 26 || t[0] != '[' || t[4] != ' ' || t[8] != ' ' || t[11] != ' ' || t[14] != ':' ||
        t[17] != ':' || !digits(t + 12, 2) || !digits(t + 15, 2) || !digits(t + 18, 2))
        return bad(e, 0, "expected the time as [Www Mmm dd hh:mm:ss yyyy]");
    size_t i = 20, fn = 0;
    if (t[i] == '.') {
        while (i + 1 + fn < n && fn < 9 && digit(t[i + 1 + fn]))
            fn++;
        if (!fn)
            return bad(e, i, "expected digits after the seconds' decimal point");
        i += 1 + fn;
    }
    if (n - i < 6 || t[i] != ' ' || !digits(t + i + 1, 4) || t[i + 5] != ']')
        return bad(e, i, "expected the year and ']' after the time");
    unsigned mo = month(t + 5), d = t[9] == ' '        ? num(t + 10, 1)
                                    : digits(t + 9, 2) ? num(t + 9, 2)
                                                       : 0;
    unsigned h = num(t + 12, 2), mi = num(t + 15, 2), s = num(t + 18, 2);
    if (!mo || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60)
        return bad(e, 1, "invalid date or time");
    *next = i + 6;
    return put_datetime(out, first, (long)num(t + i + 1, 4), mo, d, h, mi, s, fn ? t + 20 : NULL,
                        fn ? fn + 1 : 0);
}

/* `[client 1.2.3.4:5678]` -> c-ip, c-port (a port only when there is one:
 * an IPv4 address with one colon, or the last colon of an IPv6 address
 * when Apache 2.4 wrote the line, which always adds the port). */
static yg_err put_client(struct yg_buf *out, bool *first, const char *a, size_t n, bool v24)
{
    yg_err err;
    const char *colon = memrchr(a, ':', n);
    size_t an = n;
    if (colon && digits(colon + 1, (size_t)(a + n - colon - 1)) && colon + 1 < a + n &&
        ((memchr(a, '.', n) && memchr(a, ':', n) == colon) || (v24 && memchr(a, ':', n) != colon)))
        an = (size_t)(colon - a);
    if ((err = KV(out, first, "c-ip", a, an)))
        return err;
    if (an < n && (err = KV(out, first, "c-port", a + an + 1, n - an - 1)))
        return err;
    return YG_OK;
}

/* The bracketed group at line[i] (`[...] `), or false. */
static bool group(const char *line, size_t n, size_t i, struct yg_str *g, size_t *next)
{
    if (i >= n || line[i] != '[')
        return false;
    size_t c = yg__find_byte(line, i, n, ']');
    if (c == n)
        return false;
    g->p = line + i + 1;
    g->n = c - i - 1;
    *next = c + 1;
    if (*next < n && line[*next] == ' ')
        (*next)++;
    return true;
}

static bool prefix(struct yg_str g, const char *p, size_t pn)
{
    return g.n >= pn && memcmp(g.p, p, pn) == 0;
}

#define PREFIX(g, lit) prefix((g), lit, sizeof lit - 1)

/* Whether the line starts with an Apache error level in brackets, `[error] `:
 * an Apache 2.0 error log line without its date (as `ErrorLog syslog` and
 * collectors that keep their own time write it). */
static bool undated_level(const char *line, size_t n)
{
    static const struct {
        const char *s;
        size_t n;
    } levels[] = {{"[emerg] ", 8}, {"[alert] ", 8},  {"[crit] ", 7}, {"[error] ", 8},
                  {"[warn] ", 7},  {"[notice] ", 9}, {"[info] ", 7}, {"[debug] ", 8}};
    /* Every level is lowercase; a dated line has `[` and a weekday. */
    if (n < 2 || line[1] < 'a' || line[1] > 'z')
        return false;
    for (size_t k = 0; k < sizeof levels / sizeof *levels; k++)
        if (n > levels[k].n && memcmp(line, levels[k].s, levels[k].n) == 0)
            return true;
    return false;
}

static yg_err decode_apache_error(const char *line, size_t n, struct yg_buf *out,
                                  struct yg_decode_err *e)
{
    bool first = true;
    size_t i = 0;
    yg_err err = yg__putc(out, '{');
    if (err || (!undated_level(line, n) && (err = apache_time(line, n, out, &first, &i, e))))
        return err;
    if (i < n && line[i] == ' ')
        i++;
    struct yg_str g;
    size_t next;
    if (!group(line, n, i, &g, &next) || !g.n)
        return bad(e, i, "expected the level as [level] or [module:level]");
    const char *colon = memchr(g.p, ':', g.n);
    bool v24 = colon != NULL;
    if (colon && (err = KV(out, &first, "module", g.p, (size_t)(colon - g.p))))
        return err;
    const char *lv = colon ? colon + 1 : g.p;
    if ((err = KV(out, &first, "level", lv, (size_t)(g.p + g.n - lv))))
        return err;
    i = next;
    if (group(line, n, i, &g, &next) && PREFIX(g, "pid ")) {
        v24 = true;
        const char *tid = memmem(g.p, g.n, ":tid ", 5);
        size_t pn = tid ? (size_t)(tid - g.p) - 4 : g.n - 4;
        if ((err = KV(out, &first, "pid", g.p + 4, pn)))
            return err;
        if (tid && (err = KV(out, &first, "tid", tid + 5, (size_t)(g.p + g.n - tid - 5))))
            return err;
        i = next;
    }
    if (group(line, n, i, &g, &next) && PREFIX(g, "client ")) {
        if ((err = put_client(out, &first, g.p + 7, g.n - 7, v24)))
            return err;
        i = next;
    }
    /* Apache 2.4's message id: `AH00128: `. */
    if (n - i > 9 && line[i] == 'A' && line[i + 1] == 'H' && digits(line + i + 2, 5) &&
        line[i + 7] == ':' && line[i + 8] == ' ') {
        if ((err = KV(out, &first, "code", line + i, 7)))
            return err;
        i += 9;
    }
    if ((err = KV(out, &first, "message", line + i, n - i)))
        return err;
    return yg_buf_addc(out, '}');
}

/* The context nginx appends to a request's error message (ngx_http_log_error:
 * `, server: s, request: "GET /x HTTP/1.1", upstream: "http://...", host:
 * "h", referrer: "r"`): the request as the access log's fields, host and
 * referrer under their W3C names.  A quoted value ends at `", ` or at the
 * last quote of the line (nginx writes quotes inside as \x22).  The client
 * address (`, client: a,`) is found with them. */
static const struct {
    const char *key, *field;
    size_t kn;
    bool quoted;
} nginx_ctx[] = {
    {", server: ", "\"server\":", 10, false},        {", request: \"", NULL, 12, true},
    {", upstream: \"", "\"upstream\":", 13, true},   {", host: \"", "\"cs-host\":", 9, true},
    {", referrer: \"", "\"cs-referer\":", 13, true}, {", client: ", NULL, 10, false}};
#define NGINX_CTX (sizeof nginx_ctx / sizeof *nginx_ctx)
#define NGINX_CLIENT (NGINX_CTX - 1)

/* Where each key of nginx_ctx first occurs in m[0..n), or NULL: what memmem
 * would find for each, in one pass over the message, since every key
 * starts with `, ` (and is at least 9 bytes long); the byte after that
 * tells which key can follow (`re` then `q` or `f`). */
static void nginx_find(const char *m, size_t n, const char *at[NGINX_CTX])
{
    for (size_t k = 0; k < NGINX_CTX; k++)
        at[k] = NULL;
    for (size_t i = yg__find_byte(m, 0, n, ','); n - i >= 9; i = yg__find_byte(m, i + 1, n, ',')) {
        if (m[i + 1] != ' ')
            continue;
        size_t k;
        switch (m[i + 2]) {
        case 's': k = 0; break;
        case 'r': k = m[i + 4] == 'q' ? 1 : 4; break;
        case 'u': k = 2; break;
        case 'h': k = 3; break;
        case 'c': k = NGINX_CLIENT; break;
        default: continue;
        }
        if (!at[k] && n - i >= nginx_ctx[k].kn && !memcmp(m + i, nginx_ctx[k].key, nginx_ctx[k].kn))
            at[k] = m + i;
    }
}

/* The first `", ` at or after v (m ends at end), or NULL. */
static const char *quote_comma(const char *v, const char *end)
{
    size_t n = (size_t)(end - v);
    for (size_t i = yg__find_byte(v, 0, n, '"'); i + 2 < n; i = yg__find_byte(v, i + 1, n, '"'))
        if (v[i + 1] == ',' && v[i + 2] == ' ')
            return v + i;
    return NULL;
}

static yg_err nginx_context(struct yg_buf *out, bool *first, const char *m, size_t n,
                            const char *const at[NGINX_CTX])
{
    yg_err err = YG_OK;
    for (size_t k = 0; k < NGINX_CLIENT; k++) {
        if (!at[k])
            continue;
        const char *v = at[k] + nginx_ctx[k].kn, *end = m + n, *stop;
        if (nginx_ctx[k].quoted) {
            stop = quote_comma(v, end);
            if (!stop)
                stop = memrchr(v, '"', (size_t)(end - v));
            if (!stop)
                continue;
        } else {
            stop = memchr(v, ',', (size_t)(end - v));
            if (!stop)
                stop = end;
        }
        size_t vn = (size_t)(stop - v);
        if (!nginx_ctx[k].field)
            err = put_request(out, first, v, vn);
        else if (!(err = put_key(out, first, nginx_ctx[k].field, strlen(nginx_ctx[k].field))))
            err = put_val(out, v, vn);
        if (err)
            return err;
    }
    return YG_OK;
}

/* `2024/05/01 12:00:00 [error] 1234#5678: *99 message, client: 1.2.3.4, ...` */
static yg_err decode_nginx_error(const char *line, size_t n, struct yg_buf *out,
                                 struct yg_decode_err *e)
{
    bool first = true;
    const char *t = line;
    if (n < 22 || !digits(t, 4) || t[4] != '/' || !digits(t + 5, 2) || t[7] != '/' ||
        !digits(t + 8, 2) || t[10] != ' ' || !digits(t + 11, 2) || t[13] != ':' ||
        !digits(t + 14, 2) || t[16] != ':' || !digits(t + 17, 2) || t[19] != ' ' || t[20] != '[')
        return bad(e, 0, "expected the time as yyyy/mm/dd hh:mm:ss [level]");
    unsigned mo = num(t + 5, 2), d = num(t + 8, 2), h = num(t + 11, 2), mi = num(t + 14, 2),
             s = num(t + 17, 2);
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60)
        return bad(e, 0, "invalid date or time");
    yg_err err = yg__putc(out, '{');
    if (err || (err = put_datetime(out, &first, (long)num(t, 4), mo, d, h, mi, s, NULL, 0)))
        return err;
    struct yg_str g;
    size_t i;
    if (!group(line, n, 20, &g, &i) || !g.n)
        return bad(e, 20, "expected the level as [level]");
    if ((err = KV(out, &first, "level", g.p, g.n)))
        return err;
    /* `pid#tid: ` then an optional `*connection `. */
    size_t p = i;
    while (p < n && digit(line[p]))
        p++;
    if (p > i && p < n && line[p] == '#') {
        size_t tb = p + 1, te = tb;
        while (te < n && digit(line[te]))
            te++;
        if (te > tb && te + 1 < n && line[te] == ':' && line[te + 1] == ' ') {
            if ((err = KV(out, &first, "pid", line + i, p - i)) ||
                (err = KV(out, &first, "tid", line + tb, te - tb)))
                return err;
            i = te + 2;
            if (i < n && line[i] == '*') {
                size_t c = i + 1;
                while (c < n && digit(line[c]))
                    c++;
                if (c > i + 1 && c < n && line[c] == ' ') {
                    if ((err = KV(out, &first, "connection", line + i + 1, c - i - 1)))
                        return err;
                    i = c + 1;
                }
            }
        }
    }
    const char *at[NGINX_CTX], *cl;
    nginx_find(line + i, n - i, at);
    if ((cl = at[NGINX_CLIENT])) {
        const char *a = cl + 10, *end = memchr(a, ',', (size_t)(line + n - a));
        size_t an = end ? (size_t)(end - a) : (size_t)(line + n - a);
        if (an && (err = KV(out, &first, "c-ip", a, an)))
            return err;
    }
    if ((err = nginx_context(out, &first, line + i, n - i, at)))
        return err;
    if ((err = KV(out, &first, "message", line + i, n - i)))
        return err;
    return yg_buf_addc(out, '}');
}

static bool nginx_shape(const char *l, size_t n)
{
    return n >= 22 && digits(l, 4) && l[4] == '/' && l[7] == '/' && l[10] == ' ' && l[13] == ':' &&
           l[16] == ':' && l[19] == ' ' && l[20] == '[';
}

static yg_err decode(void *st, const char *line, size_t n, struct yg_buf *out, struct yg_logsrc *ls,
                     struct yg_decode_err *e)
{
    (void)st;
    e->col = 0;
    e->msg = NULL;
    if (n && line[n - 1] == '\r')
        n--;
    size_t start_n = out->n;
    yg_err err;
    const char *product = NULL;
    if (n && line[0] == '[') {
        err = decode_apache_error(line, n, out, e);
        product = "apache";
    } else if (nginx_shape(line, n)) {
        err = decode_nginx_error(line, n, out, e);
        product = "nginx";
    } else {
        err = decode_access(line, n, out, e);
    }
    if (err) {
        if (!e->msg) {
            e->col = 1;
            e->msg = err == YG_ENOMEM ? "out of memory" : "decoded event too large";
        }
        out->n = start_n;
        if (out->p)
            out->p[out->n] = 0;
        return err;
    }
    ls->product = product;
    ls->service = product;
    ls->category = product ? NULL : "webserver";
    return YG_OK;
}

static int sniff(const char *line, size_t n)
{
    if (n && line[0] == '[') {
        /* `[Www Mmm dd hh:mm:ss` */
        if (n > 26 && line[4] == ' ' && line[8] == ' ' && line[14] == ':' && line[17] == ':' &&
            month(line + 5))
            return 85;
        return undated_level(line, n) ? 70 : 0;
    }
    if (nginx_shape(line, n))
        return 80;
    /* host ident user [dd/Mon/yyyy: */
    size_t i = 0;
    for (int f = 0; f < 3; f++) {
        const char *sp = i < n ? memchr(line + i, ' ', n - i) : NULL;
        if (!sp || sp == line + i)
            return 0;
        i = (size_t)(sp - line) + 1;
    }
    if (n - i >= 14 && line[i] == '[' && line[i + 3] == '/' && line[i + 7] == '/' &&
        line[i + 12] == ':' && month(line + i + 4))
        return 90;
    if (n - i >= 13 && line[i] == '[' && line[i + 2] == '/' && line[i + 6] == '/' &&
        line[i + 11] == ':' && month(line + i + 3))
        return 90;
    return 0;
}

const struct yg_linefmt yg__fmt_combined = {
    .name = "combined",
    .desc = "Apache/nginx access log (common, combined) and Apache/nginx error log",
    .sniff = sniff,
    .state_new = NULL,
    .state_free = NULL,
    .decode = decode,
};
