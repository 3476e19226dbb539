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
 *
 * yg__time_parse_tz reads a zone-less time on a given clock instead of UTC
 * (a fixed offset, or a TZ database zone with its daylight-saving rules),
 * for the sources that write their device's local time; yg__time_format
 * writes the one form alerts carry, RFC 3339 UTC with milliseconds.
 */
#include "core/timeparse.h"

#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
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
static bool zone(struct cur *c, int *off_min, bool *zoned)
{
    *off_min = 0;
    if (at_end(c))
        return true;
    *zoned = true;
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

static bool parse_iso(struct cur c, int64_t *ms, bool *zoned)
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
        if (!zone(&c, &off, zoned) || !at_end(&c))
            return false;
    }
    if (!valid_date(y, mo, d) || !valid_time(h, mi, s))
        return false;
    *ms = compose(y, mo, d, h, mi, s, f) - (int64_t)off * 60000;
    return true;
}

static bool parse_epoch(struct cur c, int64_t *ms, bool *zoned)
{
    *zoned = true; /* seconds since the epoch are UTC by definition */
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

static bool parse_apache(struct cur c, int64_t *ms, bool *zoned)
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
        if (!zone(&c, &off, zoned))
            return false;
    }
    if (!at_end(&c) || !valid_date(y, mo, d) || !valid_time(h, mi, s))
        return false;
    *ms = compose(y, mo, d, h, mi, s, 0) - (int64_t)off * 60000;
    return true;
}

/* NetScaler: 05/01/2024:10:00:00 GMT (month first; the zone is GMT, UTC or
 * absent, all meaning UTC, or a numeric offset). */
static bool parse_mdy(struct cur c, int64_t *ms, bool *zoned)
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
        if ((rest == 3 && (memcmp(c.p, "GMT", 3) == 0 || memcmp(c.p, "UTC", 3) == 0))) {
            c.p = c.e;
            *zoned = true;
        } else if (!zone(&c, &off, zoned))
            return false;
    }
    if (!at_end(&c) || !valid_date(y, mo, d) || !valid_time(h, mi, s))
        return false;
    *ms = compose(y, mo, d, h, mi, s, f) - (int64_t)off * 60000;
    return true;
}

/* The parse proper; *zoned tells whether the text named its zone (or is an
 * epoch number), so that a zone-less local time can be placed by the caller. */
/* The reference time of yg__time_parse: the clock, read only when a
 * year-less time needs it (reading it for every event's time cost more than
 * parsing an ISO 8601 time). */
#define REF_NOW INT64_MIN

static int64_t now_ms(void)
{
    struct timespec now;
    if (clock_gettime(CLOCK_REALTIME, &now) != 0)
        return 0;
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static bool parse_any(const char *s, size_t n, int64_t ref_ms, int64_t *ms, bool *zoned)
{
    *zoned = false;
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
        ok = parse_iso(c, &t, zoned);
    else if (isdig(first) && c.e - c.p >= 19 && c.p[2] == '/' && isdig(c.p[3]))
        ok = parse_mdy(c, &t, zoned);
    else if (first == '[' || (isdig(first) && c.e - c.p > 2 && c.p[2] == '/'))
        ok = parse_apache(c, &t, zoned);
    else if (isdig(first) || first == '-')
        ok = parse_epoch(c, &t, zoned);
    else
        ok = parse_3164(c, ref_ms == REF_NOW ? now_ms() : ref_ms, &t);
    if (ok)
        *ms = t;
    return ok;
}

bool yg__time_parse_ref(const char *s, size_t n, int64_t ref_ms, int64_t *ms)
{
    bool zoned;
    return parse_any(s, n, ref_ms, ms, &zoned);
}

bool yg__time_parse(const char *s, size_t n, int64_t *ms)
{
    return yg__time_parse_ref(s, n, REF_NOW, ms);
}

/* ---- zones and the one output form ------------------------------------ */

static bool tz_offset(const char *s, int *off_min)
{
    struct cur c = {s, s + strlen(s)};
    bool zoned = false;
    if (!(peek(&c, '+') || peek(&c, '-')))
        return false;
    return zone(&c, off_min, &zoned) && at_end(&c);
}

bool yg__tz_parse(const char *spec, struct yg_tz *tz, struct yg_errmsg *why)
{
    memset(tz, 0, sizeof *tz);
    if (!spec || !*spec || !strcasecmp(spec, "UTC") || !strcasecmp(spec, "Z") ||
        !strcasecmp(spec, "GMT") || !strcmp(spec, "Etc/UTC"))
        return true;
    if (tz_offset(spec, &tz->off_min)) {
        tz->kind = tz->off_min ? YG_TZ_FIXED : YG_TZ_UTC;
        return true;
    }
    /* A zone of the TZ database, read through the C library: it knows the
     * daylight-saving rules of every year, which a fixed offset cannot. */
    bool name_ok = strlen(spec) < sizeof tz->name && spec[0] != '/' && !strstr(spec, "..");
    for (const char *p = spec; name_ok && *p; p++)
        name_ok = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
                  (*p >= '0' && *p <= '9') || strchr("/_+-", *p);
    if (!name_ok) {
        yg__errmsg_set(why,
                       "'%s' is not a zone: expected UTC, an offset such as +09:00 or -0700, or a "
                       "TZ database name such as Asia/Tokyo",
                       spec);
        return false;
    }
    const char *dir = getenv("TZDIR");
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", spec);
    FILE *f = fopen(path, "rb");
    char magic[4] = {0};
    bool tzif = f && fread(magic, 1, 4, f) == 4 && memcmp(magic, "TZif", 4) == 0;
    if (f)
        fclose(f);
    if (!tzif) {
        yg__errmsg_set(why, "'%s': no such zone in the TZ database (%s)", spec, path);
        return false;
    }
    tz->kind = YG_TZ_NAMED;
    snprintf(tz->name, sizeof tz->name, "%s", spec);
    /* mktime() reads the process's zone: set it once, before any thread. */
    setenv("TZ", spec, 1);
    tzset();
    return true;
}

int64_t yg__tz_to_utc(const struct yg_tz *tz, int64_t local_ms)
{
    if (!tz || tz->kind == YG_TZ_UTC)
        return local_ms;
    if (tz->kind == YG_TZ_FIXED)
        return local_ms - (int64_t)tz->off_min * 60000;
    int64_t sec = local_ms >= 0 ? local_ms / 1000 : -((-local_ms + 999) / 1000);
    int64_t frac = local_ms - sec * 1000;
    time_t ts = (time_t)sec;
    struct tm want;
    if (!gmtime_r(&ts, &want))
        return local_ms;
    /* The civil fields read in the zone, both as daylight and as standard
     * time; a reading is right if it reads back as the same fields.  Both
     * are right in the hour a clock is set back: the earlier (daylight)
     * one is taken.  Neither is in the hour skipped in spring: the
     * standard-time reading is taken.  Deciding here, rather than leaving
     * it to mktime()'s guess from its previous call, keeps the result the
     * same whatever was converted before. */
    int64_t best = INT64_MAX;
    for (int dst = 1; dst >= 0; dst--) {
        struct tm t = want, back;
        t.tm_isdst = dst;
        time_t u = mktime(&t);
        if (!localtime_r(&u, &back))
            continue;
        if (back.tm_year == want.tm_year && back.tm_mon == want.tm_mon &&
            back.tm_mday == want.tm_mday && back.tm_hour == want.tm_hour &&
            back.tm_min == want.tm_min && back.tm_sec == want.tm_sec && (int64_t)u < best)
            best = (int64_t)u;
    }
    if (best == INT64_MAX) {
        struct tm t = want;
        t.tm_isdst = 0;
        best = (int64_t)mktime(&t);
    }
    return best * 1000 + frac;
}

static int64_t tz_offset_at(const struct yg_tz *tz, int64_t utc_ms)
{
    if (!tz || tz->kind == YG_TZ_UTC)
        return 0;
    if (tz->kind == YG_TZ_FIXED)
        return (int64_t)tz->off_min * 60000;
    time_t ts = (time_t)(utc_ms / 1000);
    struct tm tm;
    return localtime_r(&ts, &tm) ? (int64_t)tm.tm_gmtoff * 1000 : 0;
}

bool yg__time_parse_tz(const char *s, size_t n, int64_t ref_ms, const struct yg_tz *tz, int64_t *ms,
                       bool *zoned)
{
    bool z = false;
    int64_t t;
    /* A year-less time is placed relative to the reference read on the
     * same local clock. */
    if (!parse_any(s, n, ref_ms + tz_offset_at(tz, ref_ms), &t, &z))
        return false;
    *ms = z ? t : yg__tz_to_utc(tz, t);
    if (zoned)
        *zoned = z;
    return true;
}

void yg__civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d)
{
    /* Howard Hinnant's civil_from_days, the inverse of yg__days_from_civil. */
    const int64_t z = days + 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const int64_t doe = z - era * 146097;
    const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const int64_t mp = (5 * doy + 2) / 153;
    *d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    *m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

size_t yg__time_format_frac(int64_t secs, uint32_t frac, unsigned digits, char out[YG_TIME_TEXT])
{
    /* Floor division: a time before 1970 lies in the day (and second) that
     * starts before it, so -1 ms is 1969-12-31T23:59:59.999Z. */
    int64_t days = secs >= 0 ? secs / 86400 : -((-(secs + 1)) / 86400) - 1;
    int64_t rem = secs - days * 86400, y;
    unsigned m, d;
    yg__civil_from_days(days, &y, &m, &d);
    if (y < 0 || y > 9999 || digits > 9) {
        out[0] = 0;
        return 0;
    }
    /* Digits written by hand: every alert's time comes through here, and a
     * formatted print was a few percent of a hunt with an alert per event. */
    unsigned f[6] = {(unsigned)y,         m, d, (unsigned)(rem / 3600), (unsigned)(rem / 60 % 60),
                     (unsigned)(rem % 60)};
    static const char sep[6] = {'-', '-', 'T', ':', ':', 0};
    char *o = out;
    for (int i = 0; i < 6; i++) {
        if (i == 0) {
            *o++ = (char)('0' + f[0] / 1000);
            *o++ = (char)('0' + f[0] / 100 % 10);
        }
        *o++ = (char)('0' + f[i] / 10 % 10);
        *o++ = (char)('0' + f[i] % 10);
        if (sep[i])
            *o++ = sep[i];
    }
    if (digits) {
        *o++ = '.';
        /* frac below 10^digits, zero-padded to that many digits (as %0*u;
         * a larger one keeps all its digits). */
        char t[10];
        unsigned nt = 0;
        for (uint32_t v = frac; nt < 10 && (v || nt < digits); v /= 10)
            t[nt++] = (char)('0' + v % 10);
        while (nt)
            *o++ = t[--nt];
    }
    *o++ = 'Z';
    *o = 0;
    return (size_t)(o - out);
}

size_t yg__time_format(int64_t ms, char out[YG_TIME_TEXT])
{
    /* Floor division without overflow at INT64_MIN: truncate, then step
     * down for a negative remainder. */
    int64_t secs = ms / 1000, r = ms % 1000;
    if (r < 0) {
        r += 1000;
        secs--;
    }
    return yg__time_format_frac(secs, (uint32_t)r, 3, out);
}
