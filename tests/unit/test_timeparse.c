/* Event timestamps to epoch milliseconds: ISO 8601 in its common shapes,
 * epoch numbers by magnitude, RFC 3164 with the year inferred from a
 * reference time, Apache access-log times; impossible dates are refused. */
#include "tap.h"

#include <time.h>

#include "core/timeparse.h"

static int64_t ref_ms; /* reference clock for year-less syslog times */

static bool parse(const char *s, int64_t *ms)
{
    return yg__time_parse_ref(s, strlen(s), ref_ms, ms);
}

#define OK(s, want)                                                                                \
    do {                                                                                           \
        int64_t got_ = -1;                                                                         \
        CHECK_MSG(parse(s, &got_) && got_ == (int64_t)(want), "%s -> %lld, want %lld", s,          \
                  (long long)got_, (long long)(want));                                             \
    } while (0)
#define BAD(s)                                                                                     \
    do {                                                                                           \
        int64_t got_ = 12345;                                                                      \
        CHECK_MSG(!parse(s, &got_) && got_ == 12345, "%s accepted", s);                            \
    } while (0)

/* 2024-05-01T10:00:00Z: 19844 days after the epoch (2024-05-01 is day
 * 19844: 54 years incl. 13 leap days = 19723, + Jan..Apr of a leap year =
 * 121) and 10 h: 19844 * 86400 + 36000 = 1714557600 s. */
#define T0 1714557600000ll

int main(void)
{
    CHECK(yg__days_from_civil(1970, 1, 1) == 0);
    CHECK(yg__days_from_civil(2000, 3, 1) == 11017);
    CHECK(yg__days_from_civil(1969, 12, 31) == -1);
    CHECK(yg__days_from_civil(2024, 5, 1) == 19844);

    /* ISO 8601 / RFC 3339 */
    OK("2024-05-01T10:00:00Z", T0);
    OK("2024-05-01T10:00:00z", T0);
    OK("2024-05-01 10:00:00", T0); /* no zone: UTC */
    OK("2024-05-01t10:00:00", T0);
    OK("2024-05-01T10:00", T0);             /* no seconds */
    OK("2024-05-01", T0 - 36000000);        /* midnight */
    OK("2024-05-01T10:00:00.5Z", T0 + 500); /* one fraction digit = 500 ms */
    OK("2024-05-01T10:00:00.123Z", T0 + 123);
    OK("2024-05-01T10:00:00.1239999Z", T0 + 123); /* 7 digits (Windows): cut, not rounded */
    OK("2024-05-01T10:00:00.123456789Z", T0 + 123);
    OK("2024-05-01T10:00:00,25Z", T0 + 250); /* ISO allows a comma */
    OK("2024-05-01T12:00:00+02:00", T0);     /* 12:00 at +2 h is 10:00 UTC */
    OK("2024-05-01T12:00:00+0200", T0);
    OK("2024-05-01T12:00:00+02", T0);
    OK("2024-05-01T05:30:00-04:30", T0);   /* 05:30 + 4:30 = 10:00 */
    OK("2024-05-01 12:00:00 +02:00", T0);  /* one space before the zone */
    OK("  2024-05-01T10:00:00Z \r\n", T0); /* surrounding blanks */
    OK("2024-02-29T00:00:00Z", (int64_t)yg__days_from_civil(2024, 2, 29) * 86400000);
    OK("1970-01-01T00:00:00Z", 0);
    OK("1969-12-31T23:59:59.999Z", -1);
    OK("2016-12-31T23:59:60Z", 1483228800000ll); /* leap second = next minute's start */
    BAD("2023-02-29T00:00:00Z");                 /* not a leap year */
    BAD("2024-04-31T00:00:00Z");
    BAD("2024-13-01T00:00:00Z");
    BAD("2024-05-01T24:00:00Z");
    BAD("2024-05-01T10:60:00Z");
    BAD("2024-05-01T10:00:00+25:00");
    BAD("2024-05-01T10:00:00.Z");
    BAD("2024-05-01X10:00:00");
    BAD("2024-05-01T10:00:00Zjunk");
    BAD("2024-5-1T10:00:00Z");

    /* epoch numbers */
    OK("1714557600", T0);                /* 10 digits: seconds */
    OK("1714557600123", T0 + 123);       /* 13 digits: milliseconds */
    OK("1714557600123456", T0 + 123);    /* microseconds */
    OK("1714557600123456789", T0 + 123); /* nanoseconds */
    OK("1714557600.5", T0 + 500);        /* a fraction means seconds */
    OK("0", 0);
    OK("-1", -1000);
    OK("99999999999", 99999999999000ll); /* largest seconds value: just below 1e11 */
    OK("100000000000", 100000000000ll);  /* 1e11 is read as milliseconds */
    BAD("17145576001234567890");         /* 20 digits */
    BAD("12ab");
    BAD("1.2.3");
    BAD("");
    BAD("   ");

    /* RFC 3164: reference 2024-05-10T00:00:00Z */
    ref_ms = T0 + 9 * 86400000ll - 36000000;
    OK("May  1 10:00:00", T0);
    OK("May 1 10:00:00", T0);
    OK("may 01 10:00:00", T0);
    OK("May  1 10:00:00.123", T0 + 123);
    OK("May 1 2024 10:00:00", T0);               /* explicit year */
    OK("Jun  5 10:00:00", T0 + 35 * 86400000ll); /* 26 days ahead of the reference: this year */
    OK("Jun 15 10:00:00", T0 + 45 * 86400000ll - 366 * 86400000ll); /* 36 days ahead: last year
                                                                      (2023-06-15 = 2024-06-15
                                                                      minus 366 days, 2024 leap) */
    /* Reference 2025-01-02: "Dec 31" is 2024-12-31, "Feb 29" goes back to 2024. */
    ref_ms = (int64_t)yg__days_from_civil(2025, 1, 2) * 86400000;
    OK("Dec 31 23:00:00", (int64_t)yg__days_from_civil(2024, 12, 31) * 86400000 + 82800000);
    OK("Feb 29 00:00:00", (int64_t)yg__days_from_civil(2024, 2, 29) * 86400000);
    /* Reference 2024-12-31: "Jan  1" is the next day, next year. */
    ref_ms = (int64_t)yg__days_from_civil(2024, 12, 31) * 86400000;
    OK("Jan  1 00:00:00", (int64_t)yg__days_from_civil(2025, 1, 1) * 86400000);
    BAD("Foo  1 10:00:00");
    BAD("May 32 10:00:00");
    BAD("May  1 10:00");
    BAD("May  1 25:00:00");
    BAD("Feb 30 2024 00:00:00");

    /* Apache / NCSA: 10/Oct/2000:13:55:36 -0700 is 20:55:36 UTC = 971211336 s */
    OK("10/Oct/2000:13:55:36 -0700", 971211336000ll);
    OK("[10/Oct/2000:13:55:36 -0700]", 971211336000ll);
    OK("10/Oct/2000:20:55:36 +0000", 971211336000ll);
    OK("10/Oct/2000:20:55:36", 971211336000ll);
    BAD("10/Oct/2000:13:55:36 -07001");
    BAD("[10/Oct/2000:13:55:36 -0700");
    BAD("32/Oct/2000:13:55:36 -0700");

    /* PAN-OS: the ISO order with slashes; NetScaler: month first, or
     * YYYY/MM/DD:hh:mm:ss; GMT/UTC or nothing is UTC. */
    OK("2024/05/01 10:00:00", T0);
    OK("2024/05/01:10:00:00", T0);
    OK("05/01/2024:10:00:00", T0);
    OK("05/01/2024:10:00:00 GMT", T0);
    OK("05/01/2024:10:00:00 UTC", T0);
    OK("05/01/2024:12:00:00 +0200", T0);
    OK("05/01/2024 10:00:00.250", T0 + 250);
    BAD("13/01/2024:10:00:00");
    BAD("05/01/2024:10:00:00 XYZ");
    BAD("2024/05-01 10:00:00");
    BAD("2024-05-01:10:00:00");

    /* The wall-clock variant agrees on every form with a year. */
    int64_t ms = 0;
    CHECK(yg__time_parse("2024-05-01T10:00:00Z", 20, &ms) && ms == T0);
    CHECK(!yg__time_parse(NULL, 0, &ms));
    /* Without a reference, a year-less time takes the clock's: within the
     * last year and a month ahead (the clock is read only for such times). */
    {
        struct timespec now;
        CHECK(clock_gettime(CLOCK_REALTIME, &now) == 0);
        int64_t now_ms = (int64_t)now.tv_sec * 1000;
        CHECK(yg__time_parse("Mar  7 12:00:00", 15, &ms));
        CHECK_MSG(ms > now_ms - 367 * 86400000ll && ms <= now_ms + 32 * 86400000ll,
                  "year-less time %lld against now %lld", (long long)ms, (long long)now_ms);
    }
    /* Zones: whether the text named one, and a zone for those that do not. */
    {
        struct yg_tz utc, tokyo9, minus7, la;
        struct yg_errmsg why = {""};
        CHECK(yg__tz_parse("UTC", &utc, &why) && utc.kind == YG_TZ_UTC);
        CHECK(yg__tz_parse("+09:00", &tokyo9, &why) && tokyo9.kind == YG_TZ_FIXED &&
              tokyo9.off_min == 540);
        CHECK(yg__tz_parse("-0700", &minus7, &why) && minus7.off_min == -420);
        struct yg_tz z;
        CHECK(yg__tz_parse("+00:00", &z, &why) && z.kind == YG_TZ_UTC);
        CHECK_MSG(!yg__tz_parse("Mars/Olympus_Mons", &z, &why) && strstr(why.msg, "no such zone"),
                  "%s", why.msg);
        CHECK(!yg__tz_parse("../../etc/passwd", &z, &why) && strstr(why.msg, "not a zone"));
        CHECK(!yg__tz_parse("+25:00", &z, &why));
        int64_t t = 0;
        bool zoned = true;
        /* Zone-less: read on the given clock. */
        CHECK(yg__time_parse_tz("2024-05-01 19:00:00", 19, 0, &tokyo9, &t, &zoned) && t == T0 &&
              !zoned);
        CHECK(yg__time_parse_tz("2024-05-01 10:00:00", 19, 0, NULL, &t, &zoned) && t == T0);
        CHECK(yg__time_parse_tz("2024-05-01T03:00:00", 19, 0, &minus7, &t, NULL) && t == T0);
        /* A zone in the text, or an epoch, is never moved. */
        CHECK(yg__time_parse_tz("2024-05-01T10:00:00Z", 20, 0, &tokyo9, &t, &zoned) && t == T0 &&
              zoned);
        CHECK(yg__time_parse_tz("2024-05-01T12:00:00+02:00", 25, 0, &tokyo9, &t, &zoned) &&
              t == T0 && zoned);
        CHECK(yg__time_parse_tz("1714557600", 10, 0, &tokyo9, &t, &zoned) && t == T0 && zoned);
        CHECK(yg__time_parse_tz("05/01/2024:10:00:00 GMT", 23, 0, &tokyo9, &t, &zoned) && t == T0 &&
              zoned);
        CHECK(yg__time_parse_tz("05/01/2024:19:00:00", 19, 0, &tokyo9, &t, &zoned) && t == T0 &&
              !zoned);
        CHECK(yg__time_parse_tz("[01/May/2024:10:00:00 +0000]", 28, 0, &tokyo9, &t, &zoned) &&
              t == T0 && zoned);
        /* Year-less syslog on a +09:00 clock, read on 2024-01-01 05:00 UTC
         * (14:00 local): "Dec 31 23:00:00" is the day before, 14:00 UTC. */
        int64_t ref = (int64_t)yg__days_from_civil(2024, 1, 1) * 86400000 + 5 * 3600000;
        CHECK(yg__time_parse_tz("Dec 31 23:00:00", 15, ref, &tokyo9, &t, &zoned) && !zoned &&
              t == (int64_t)yg__days_from_civil(2023, 12, 31) * 86400000 + 14 * 3600000);
        /* A TZ database zone follows daylight saving time: Los Angeles is
         * -07:00 in May and -08:00 in January. */
        CHECK(yg__tz_parse("America/Los_Angeles", &la, &why) && la.kind == YG_TZ_NAMED);
        CHECK(yg__time_parse_tz("2024-05-01 03:00:00", 19, 0, &la, &t, NULL) && t == T0);
        CHECK(yg__time_parse_tz("2024-01-15 02:00:00", 19, 0, &la, &t, NULL) &&
              t == (int64_t)yg__days_from_civil(2024, 1, 15) * 86400000 + 10 * 3600000);
        /* 01:30 happens twice on 2024-11-03: the first (daylight) one,
         * whatever was converted just before. */
        const char *before[] = {"2024-11-03 03:00:00", "2024-05-01 03:00:00",
                                "2024-01-15 02:00:00"};
        for (int i = 0; i < 3; i++) {
            CHECK(yg__time_parse_tz(before[i], 19, 0, &la, &t, NULL));
            CHECK_MSG(yg__time_parse_tz("2024-11-03 01:30:00", 19, 0, &la, &t, NULL) &&
                          t == (int64_t)yg__days_from_civil(2024, 11, 3) * 86400000 + 8 * 3600000 +
                                   1800000,
                      "after %s: %lld", before[i], (long long)t);
        }
        /* 02:30 does not exist on 2024-03-10: read as standard time. */
        CHECK(yg__time_parse_tz("2024-03-10 02:30:00", 19, 0, &la, &t, NULL) &&
              t == (int64_t)yg__days_from_civil(2024, 3, 10) * 86400000 + 10 * 3600000 + 1800000);
        CHECK(yg__time_parse_tz("2024-01-15 02:00:00.250", 23, 0, &la, &t, NULL) &&
              t == (int64_t)yg__days_from_civil(2024, 1, 15) * 86400000 + 10 * 3600000 + 250);
    }

    /* The one output form. */
    {
        char out[YG_TIME_TEXT];
        CHECK(yg__time_format(0, out) == 24 && !strcmp(out, "1970-01-01T00:00:00.000Z"));
        CHECK(yg__time_format(-1, out) == 24 && !strcmp(out, "1969-12-31T23:59:59.999Z"));
        CHECK(yg__time_format(T0 + 123, out) == 24 && !strcmp(out, "2024-05-01T10:00:00.123Z"));
        CHECK(yg__time_format((int64_t)yg__days_from_civil(2024, 2, 29) * 86400000 + 86399999,
                              out) == 24 &&
              !strcmp(out, "2024-02-29T23:59:59.999Z"));
        CHECK(yg__time_format(1748826600000ll, out) && !strcmp(out, "2025-06-02T01:10:00.000Z"));
        CHECK(yg__time_format((int64_t)yg__days_from_civil(10000, 1, 1) * 86400000, out) == 0 &&
              out[0] == 0);
        /* Every day of 1900..2100 formats back to the date it came from. */
        int bad = 0;
        for (int64_t d = yg__days_from_civil(1900, 1, 1); d < yg__days_from_civil(2100, 1, 1);
             d++) {
            int y, m, dd;
            yg__time_format(d * 86400000 + 3723004, out);
            if (sscanf(out, "%d-%d-%dT", &y, &m, &dd) != 3 ||
                yg__days_from_civil(y, (unsigned)m, (unsigned)dd) != d ||
                strcmp(out + 10, "T01:02:03.004Z") != 0)
                bad++;
        }
        CHECK_MSG(bad == 0, "%d days format wrongly", bad);
    }
    TAP_DONE();
}
