/*
 * timeparse.c - event timestamps to epoch milliseconds.
 *
 * Correlation windows compare event times, so every form a log source uses
 * must land on one clock: int64 milliseconds since 1970-01-01T00:00:00Z.
 * Accepted (leading and trailing blanks ignored):
 *
 *   ISO 8601 / RFC 3339   2024-05-01T10:00:00Z, 2024-05-01 10:00:00.123456+02:00,
 *                         2024-05-01T10:00, 2024-05-01 (midnight).  The date and
 *                         time may be split by T, t or a space; the fraction may
 *                         have any number of digits (after . or ,) and is cut to
 *                         milliseconds; the zone is Z, +hh:mm, +hhmm or +hh, may
 *                         follow one space, and is UTC when absent (Windows and
 *                         cloud logs that omit it are in UTC).
 *   epoch numbers         1714557600 (seconds), 1714557600123 (milliseconds),
 *                         1714557600.5 (seconds with a fraction).  A bare integer
 *                         is read by magnitude: below 1e11 it is seconds (up to
 *                         the year 5138), below 1e14 milliseconds, below 1e17
 *                         microseconds, else nanoseconds.
 *   RFC 3164 (BSD syslog) May  1 10:00:00, May 1 10:00:00.123, May 1 2024 10:00:00.
 *                         Without a year the year is the latest one that puts
 *                         the time no more than 31 days after the reference time
 *                         (the wall clock unless the caller gives one): logs are
 *                         read after they are written, so "Dec 31" read on
 *                         January 2nd is last year's, and a sender whose clock
 *                         runs a little ahead still stays in the current year.
 *   Apache / NCSA         10/Oct/2000:13:55:36 -0700, optionally in [ ].
 *   PAN-OS                2000/10/10 13:55:36 (the ISO order with slashes; UTC
 *                         unless a zone follows).
 *   NetScaler             10/10/2000:13:55:36 GMT (month first; GMT, UTC or no
 *                         zone mean UTC; a numeric offset is honoured).
 *
 * Impossible dates (Feb 30, hour 25) are rejected rather than normalised: a
 * wrong time would silently move an event out of its correlation window.
 */
#include "core/timeparse.h"

#include <time.h>

#include "core/core.h"

#define MS_PER_DAY 86400000ll

int64_t yg__days_from_civil(int64_t y, unsigned m, unsigned d)
{
    /* Howard Hinnant's days_from_civil: eras of 400 years starting in March. */
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const int64_t yoe = y - era * 400;
    const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static bool leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned mdays(int64_t y, unsigned m)
{
    static const unsigned char d[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && leap(y) ? 29 : d[m - 1];
}

struct cur {
    const char *p, *e;
};

static bool at_end(const struct cur *c)
{
    return c->p == c->e;
}
static bool peek(const struct cur *c, char ch)
{
    return c->p < c->e && *c->p == ch;
}
static bool eat(struct cur *c, char ch)
{
    if (!peek(c, ch))
        return false;
    c->p++;
    return true;
}
static bool isdig(char ch)
{
    return ch >= '0' && ch <= '9';
}

/* Exactly n digits. */
static bool num(struct cur *c, unsigned n, unsigned *out)
{
    unsigned v = 0;
    if ((size_t)(c->e - c->p) < n)
        return false;
    for (unsigned i = 0; i < n; i++) {
        if (!isdig(c->p[i]))
            return false;
        v = v * 10 + (unsigned)(c->p[i] - '0');
    }
    c->p += n;
    *out = v;
    return true;
}

/* One or two digits (syslog days may be "1" or " 1"). */
static bool num12(struct cur *c, unsigned *out)
{
    if (c->p < c->e && isdig(*c->p) && c->p + 1 < c->e && isdig(c->p[1]))
        return num(c, 2, out);
    return num(c, 1, out);
}

/* Fraction digits after the separator: milliseconds, extra digits dropped. */
static bool frac_ms(struct cur *c, unsigned *ms)
{
    unsigned v = 0, k = 0;
    if (c->p >= c->e || !isdig(*c->p))
        return false;
    while (c->p < c->e && isdig(*c->p)) {
        if (k < 3)
            v = v * 10 + (unsigned)(*c->p - '0');
        k++;
        c->p++;
    }
    for (; k < 3; k++)
        v *= 10;
    *ms = v;
    return true;
}

static bool month_name(struct cur *c, unsigned *m)
{
    static const char names[] = "janfebmaraprmayjunjulaugsepoctnovdec";
    if (c->e - c->p < 3)
        return false;
    char l[3];
    for (int i = 0; i < 3; i++)
        l[i] = (char)yg_lc((unsigned char)c->p[i]);
    for (unsigned i = 0; i < 12; i++)
        if (memcmp(names + 3 * i, l, 3) == 0) {
            *m = i + 1;
            c->p += 3;
            return true;
        }
    return false;
}

static bool valid_date(int64_t y, unsigned mo, unsigned d)
{
    return mo >= 1 && mo <= 12 && d >= 1 && d <= mdays(y, mo);
}

/* Leap second 60 is allowed and lands on the next minute's first second. */
static bool valid_time(unsigned h, unsigned mi, unsigned s)
{
    return h <= 23 && mi <= 59 && s <= 60;
}

static int64_t compose(int64_t y, unsigned mo, unsigned d, unsigned h, unsigned mi, unsigned s,
                       unsigned ms)
{
    return yg__days_from_civil(y, mo, d) * MS_PER_DAY +
           ((int64_t)h * 3600 + (int64_t)mi * 60 + s) * 1000 + ms;
}

/* Z, +hh:mm, +hhmm, +hh, or nothing; offset in minutes east of UTC. */
static bool zone(struct cur *c, int *off_min)
{
    *off_min = 0;
    if (at_end(c))
        return true;
    if (peek(c, ' ') && c->p + 1 < c->e && (c->p[1] == '+' || c->p[1] == '-' || c->p[1] == 'Z'))
        c->p++;
    if (eat(c, 'Z') || eat(c, 'z'))
        return true;
    int sign = eat(c, '+') ? 1 : eat(c, '-') ? -1 : 0;
    unsigned hh, mm = 0;
    if (!sign || !num(c, 2, &hh))
        return false;
    if (eat(c, ':')) {
        if (!num(c, 2, &mm))
            return false;
    } else if (c->p < c->e && isdig(*c->p) && !num(c, 2, &mm)) {
        return false;
    }
    if (hh > 23 || mm > 59)
        return false;
    *off_min = sign * (int)(hh * 60 + mm);
    return true;
}

static bool parse_iso(struct cur c, int64_t *ms)
{
    unsigned y, mo, d, h = 0, mi = 0, s = 0, f = 0;
    int off = 0;
    /* PAN-OS writes the ISO order with slashes (2024/05/01 10:00:00). */
    char sep = c.e - c.p > 4 ? c.p[4] : '-';
    if (!num(&c, 4, &y) || !eat(&c, sep) || !num(&c, 2, &mo) || !eat(&c, sep) || !num(&c, 2, &d))
        return false;
    if (!at_end(&c)) {
        /* NetScaler also writes YYYY/MM/DD:hh:mm:ss. */
        if (!(eat(&c, 'T') || eat(&c, 't') || eat(&c, ' ') || (sep == '/' && eat(&c, ':'))))
            return false;
        if (!num(&c, 2, &h) || !eat(&c, ':') || !num(&c, 2, &mi))
            return false;
        if (eat(&c, ':')) {
            if (!num(&c, 2, &s))
                return false;
            if ((eat(&c, '.') || eat(&c, ',')) && !frac_ms(&c, &f))
                return false;
        }
        if (!zone(&c, &off) || !at_end(&c))
            return false;
    }
    if (!valid_date(y, mo, d) || !valid_time(h, mi, s))
        return false;
    *ms = compose(y, mo, d, h, mi, s, f) - (int64_t)off * 60000;
    return true;
}

static bool parse_epoch(struct cur c, int64_t *ms)
{
    bool neg = eat(&c, '-');
    uint64_t v = 0;
    unsigned nd = 0;
    while (c.p < c.e && isdig(*c.p)) {
        if (++nd > 19)
            return false;
        v = v * 10 + (uint64_t)(*c.p++ - '0');
    }
    if (!nd || v > (uint64_t)INT64_MAX)
        return false;
    int64_t iv = (int64_t)v, r;
    if (eat(&c, '.')) {
        unsigned f;
        /* A fraction means seconds; bound them so the product fits. */
        if (!frac_ms(&c, &f) || !at_end(&c) || v > 9000000000000000ull / 1000)
            return false;
        r = iv * 1000 + f;
    } else {
        if (!at_end(&c))
            return false;
        if (v < 100000000000ull)
            r = iv * 1000;
        else if (v < 100000000000000ull)
            r = iv;
        else if (v < 100000000000000000ull)
            r = iv / 1000;
        else
            r = (int64_t)(v / 1000000);
    }
    *ms = neg ? -r : r;
    return true;
}

static bool parse_3164(struct cur c, int64_t ref_ms, int64_t *ms)
{
    unsigned mo, d, y = 0, h, mi, s, f = 0;
    bool has_year = false;
    if (!month_name(&c, &mo) || !eat(&c, ' '))
        return false;
    eat(&c, ' '); /* space-padded day: "May  1" */
    if (!num12(&c, &d) || !eat(&c, ' '))
        return false;
    /* Cisco and others insert the year: "May 1 2024 10:00:00". */
    struct cur save = c;
    if (num(&c, 4, &y) && eat(&c, ' '))
        has_year = true;
    else
        c = save;
    if (!num(&c, 2, &h) || !eat(&c, ':') || !num(&c, 2, &mi) || !eat(&c, ':') || !num(&c, 2, &s))
        return false;
    if (eat(&c, '.') && !frac_ms(&c, &f))
        return false;
    if (!at_end(&c) || !valid_time(h, mi, s) || d < 1 || d > 31)
        return false;
    if (has_year) {
        if (!valid_date(y, mo, d))
            return false;
        *ms = compose(y, mo, d, h, mi, s, f);
        return true;
    }
    /* Year of the reference, by the same civil arithmetic run backwards. */
    int64_t days = ref_ms >= 0 ? ref_ms / MS_PER_DAY : -((-ref_ms + MS_PER_DAY - 1) / MS_PER_DAY);
    int64_t ry = 1970 + days / 366;
    while (yg__days_from_civil(ry + 1, 1, 1) <= days)
        ry++;
    while (yg__days_from_civil(ry, 1, 1) > days)
        ry--;
    /* Latest year (next, this, or earlier for Feb 29) within 31 days ahead. */
    for (int64_t yy = ry + 1; yy >= ry - 8; yy--) {
        if (!valid_date(yy, mo, d))
            continue;
        int64_t t = compose(yy, mo, d, h, mi, s, f);
        if (t <= ref_ms + 31 * MS_PER_DAY) {
            *ms = t;
            return true;
        }
    }
    return false;
}

static bool parse_apache(struct cur c, int64_t *ms)
{
    unsigned d, mo, y, h, mi, s;
    int off = 0;
    if (eat(&c, '[')) {
        if (c.e == c.p || c.e[-1] != ']')
            return false;
        c.e--;
    }
    if (!num(&c, 2, &d) || !eat(&c, '/') || !month_name(&c, &mo) || !eat(&c, '/') ||
        !num(&c, 4, &y) || !eat(&c, ':') || !num(&c, 2, &h) || !eat(&c, ':') || !num(&c, 2, &mi) ||
        !eat(&c, ':') || !num(&c, 2, &s))
        return false;
    if (eat(&c, ' ')) {
        if (!zone(&c, &off))
            return false;
    }
    if (!at_end(&c) || !valid_date(y, mo, d) || !valid_time(h, mi, s))
        return false;
    *ms = compose(y, mo, d, h, mi, s, 0) - (int64_t)off * 60000;
    return true;
}

/* NetScaler: 05/01/2024:10:00:00 GMT (month first; the zone is GMT, UTC or
 * absent, all meaning UTC, or a numeric offset). */
static bool parse_mdy(struct cur c, int64_t *ms)
{
    unsigned d, mo, y, h, mi, s, f = 0;
    int off = 0;
    if (!num(&c, 2, &mo) || !eat(&c, '/') || !num(&c, 2, &d) || !eat(&c, '/') || !num(&c, 4, &y) ||
        !(eat(&c, ':') || eat(&c, ' ')) || !num(&c, 2, &h) || !eat(&c, ':') || !num(&c, 2, &mi) ||
        !eat(&c, ':') || !num(&c, 2, &s))
        return false;
    if (eat(&c, '.') && !frac_ms(&c, &f))
        return false;
    if (eat(&c, ' ')) {
        size_t rest = (size_t)(c.e - c.p);
        if ((rest == 3 && (memcmp(c.p, "GMT", 3) == 0 || memcmp(c.p, "UTC", 3) == 0)))
            c.p = c.e;
        else if (!zone(&c, &off))
            return false;
    }
    if (!at_end(&c) || !valid_date(y, mo, d) || !valid_time(h, mi, s))
        return false;
    *ms = compose(y, mo, d, h, mi, s, f) - (int64_t)off * 60000;
    return true;
}

bool yg__time_parse_ref(const char *s, size_t n, int64_t ref_ms, int64_t *ms)
{
    if (!s)
        return false;
    struct cur c = {s, s + n};
    while (c.p < c.e && (*c.p == ' ' || *c.p == '\t'))
        c.p++;
    while (c.e > c.p && (c.e[-1] == ' ' || c.e[-1] == '\t' || c.e[-1] == '\r' || c.e[-1] == '\n'))
        c.e--;
    if (at_end(&c))
        return false;
    char first = *c.p;
    int64_t t;
    bool ok;
    if (isdig(first) && c.e - c.p >= 10 && (c.p[4] == '-' || c.p[4] == '/'))
        ok = parse_iso(c, &t);
    else if (isdig(first) && c.e - c.p >= 19 && c.p[2] == '/' && isdig(c.p[3]))
        ok = parse_mdy(c, &t);
    else if (first == '[' || (isdig(first) && c.e - c.p > 2 && c.p[2] == '/'))
        ok = parse_apache(c, &t);
    else if (isdig(first) || first == '-')
        ok = parse_epoch(c, &t);
    else
        ok = parse_3164(c, ref_ms, &t);
    if (ok)
        *ms = t;
    return ok;
}

bool yg__time_parse(const char *s, size_t n, int64_t *ms)
{
    struct timespec now;
    int64_t ref = 0;
    if (clock_gettime(CLOCK_REALTIME, &now) == 0)
        ref = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
    return yg__time_parse_ref(s, n, ref, ms);
}
