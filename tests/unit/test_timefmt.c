/* The one ISO 8601 time writer and the civil-date conversions of core
 * (src/core/timeparse.c): times before 1970 are floored, leap years follow
 * the Gregorian rule, years outside 0-9999 give an empty string, and every
 * time agrees with the C library's gmtime_r. */
#include <stdint.h>
#include <time.h>

#include "core/timeparse.h"
#include "tap.h"

#define MS_DAY 86400000ll

static void fmt_is(int64_t ms, const char *want, int line)
{
    char out[YG_TIME_TEXT];
    size_t n = yg__time_format(ms, out);
    CHECK_MSG(n == strlen(want) && !strcmp(out, want), "line %d: %lld -> '%s', want '%s'", line,
              (long long)ms, out, want);
}
#define FMT(ms, want) fmt_is(ms, want, __LINE__)

static void negative_times(void)
{
    FMT(0, "1970-01-01T00:00:00.000Z");
    FMT(-1, "1969-12-31T23:59:59.999Z");
    FMT(-999, "1969-12-31T23:59:59.001Z");
    FMT(-1000, "1969-12-31T23:59:59.000Z");
    FMT(-1001, "1969-12-31T23:59:58.999Z");
    FMT(-MS_DAY, "1969-12-31T00:00:00.000Z");
    FMT(-MS_DAY - 1, "1969-12-30T23:59:59.999Z");
    FMT(yg__days_from_civil(1601, 1, 1) * MS_DAY + 1, "1601-01-01T00:00:00.001Z");
    char out[YG_TIME_TEXT];
    CHECK(yg__time_format_frac(-1, 500000, 6, out) == 27 &&
          !strcmp(out, "1969-12-31T23:59:59.500000Z"));
    CHECK(yg__time_format_frac(-86401, 0, 0, out) == 20 && !strcmp(out, "1969-12-30T23:59:59Z"));
    CHECK(yg__time_format_frac(1, 5, 9, out) == 30 &&
          !strcmp(out, "1970-01-01T00:00:01.000000005Z"));
}

static void leap_years(void)
{
    /* Divisible by 4: leap; by 100: not; by 400: leap. */
    CHECK(yg__days_from_civil(2024, 3, 1) - yg__days_from_civil(2024, 2, 28) == 2);
    CHECK(yg__days_from_civil(2023, 3, 1) - yg__days_from_civil(2023, 2, 28) == 1);
    CHECK(yg__days_from_civil(1900, 3, 1) - yg__days_from_civil(1900, 2, 28) == 1);
    CHECK(yg__days_from_civil(2100, 3, 1) - yg__days_from_civil(2100, 2, 28) == 1);
    CHECK(yg__days_from_civil(2000, 3, 1) - yg__days_from_civil(2000, 2, 28) == 2);
    CHECK(yg__days_from_civil(1600, 3, 1) - yg__days_from_civil(1600, 2, 28) == 2);
    CHECK(yg__days_from_civil(2001, 1, 1) - yg__days_from_civil(2000, 1, 1) == 366);
    CHECK(yg__days_from_civil(1901, 1, 1) - yg__days_from_civil(1900, 1, 1) == 365);
    FMT(yg__days_from_civil(2024, 2, 29) * MS_DAY + 12345, "2024-02-29T00:00:12.345Z");
    FMT(yg__days_from_civil(2000, 2, 29) * MS_DAY, "2000-02-29T00:00:00.000Z");
    FMT(yg__days_from_civil(1904, 2, 29) * MS_DAY - 1, "1904-02-28T23:59:59.999Z");
    FMT(yg__days_from_civil(1900, 3, 1) * MS_DAY - 1, "1900-02-28T23:59:59.999Z");
    int64_t y;
    unsigned m, d;
    yg__civil_from_days(yg__days_from_civil(1968, 2, 29), &y, &m, &d);
    CHECK(y == 1968 && m == 2 && d == 29);
}

/* Every day from year 0 to 9999 converts there and back, and each is the
 * day after the one before it. */
static void round_trip(void)
{
    int64_t first = yg__days_from_civil(0, 1, 1), last = yg__days_from_civil(9999, 12, 31);
    int64_t py = 0;
    unsigned pm = 1, pd = 0, bad = 0;
    for (int64_t days = first; days <= last; days++) {
        int64_t y;
        unsigned m, d;
        yg__civil_from_days(days, &y, &m, &d);
        bool next = (y == py && m == pm && d == pd + 1) || (y == py && m == pm + 1 && d == 1) ||
                    (y == py + 1 && m == 1 && d == 1 && pm == 12 && pd == 31);
        if (!next || yg__days_from_civil(y, m, d) != days)
            bad++;
        py = y, pm = m, pd = d;
    }
    CHECK_MSG(bad == 0, "%u days did not round-trip", bad);
    CHECK(py == 9999 && pm == 12 && pd == 31);
}

/* The C library as the second opinion, on times either side of 1970. */
static void against_gmtime(void)
{
    uint64_t x = 88172645463325252ull;
    unsigned bad = 0;
    for (int i = 0; i < 20000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        /* Roughly 1700 to 2240. */
        int64_t ms = (int64_t)(x % (17000000000000ull)) - 8500000000000ll;
        int64_t s = ms >= 0 ? ms / 1000 : -((-(ms + 1)) / 1000) - 1;
        time_t t = (time_t)s;
        struct tm tm;
        char want[64], got[YG_TIME_TEXT];
        if (!gmtime_r(&t, &tm))
            continue;
        snprintf(want, sizeof want, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms - s * 1000));
        yg__time_format(ms, got);
        if (strcmp(want, got)) {
            if (!bad)
                fprintf(stderr, "%lld: '%s', gmtime_r: '%s'\n", (long long)ms, got, want);
            bad++;
        }
    }
    CHECK_MSG(bad == 0, "%u times differ from gmtime_r", bad);
}

/* Fractions of every width: zero-padded to the width asked, and a fraction
 * wider than that keeps all its digits, as printf's %0*u. */
static void fractions(void)
{
    static const uint32_t fr[] = {0, 1, 7, 42, 999, 1000, 123456, 999999999, 4294967295u};
    unsigned bad = 0;
    for (unsigned d = 0; d <= 9; d++)
        for (size_t i = 0; i < sizeof fr / sizeof *fr; i++) {
            char want[64], got[YG_TIME_TEXT];
            int k = snprintf(want, sizeof want, "2016-09-19T04:50:06");
            if (d)
                k += snprintf(want + k, sizeof want - (size_t)k, ".%0*u", (int)d, fr[i]);
            snprintf(want + k, sizeof want - (size_t)k, "Z");
            size_t n = yg__time_format_frac(1474260606, fr[i], d, got);
            if (strlen(want) < YG_TIME_TEXT && (n != strlen(want) || strcmp(got, want))) {
                if (!bad)
                    fprintf(stderr, "digits %u frac %u: '%s', printf: '%s'\n", d, fr[i], got, want);
                bad++;
            }
        }
    CHECK_MSG(bad == 0, "%u fractions differ from printf", bad);
}

static void limits(void)
{
    char out[YG_TIME_TEXT] = "x";
    int64_t end = yg__days_from_civil(10000, 1, 1) * MS_DAY;
    FMT(end - 1, "9999-12-31T23:59:59.999Z");
    CHECK(yg__time_format(end, out) == 0 && out[0] == 0);
    FMT(yg__days_from_civil(0, 1, 1) * MS_DAY, "0000-01-01T00:00:00.000Z");
    CHECK(yg__time_format(yg__days_from_civil(0, 1, 1) * MS_DAY - 1, out) == 0 && !out[0]);
    CHECK(yg__time_format(INT64_MIN, out) == 0 && !out[0]);
    CHECK(yg__time_format(INT64_MAX, out) == 0 && !out[0]);
}

int main(void)
{
    negative_times();
    leap_years();
    round_trip();
    fractions();
    against_gmtime();
    limits();
    TAP_DONE();
}
