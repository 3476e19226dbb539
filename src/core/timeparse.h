/*
 * timeparse.h - event timestamps to milliseconds since the Unix epoch (UTC).
 *
 * Correlation windows need one clock: every time a decoder finds in an event
 * is turned into int64 milliseconds here.  See timeparse.c for the accepted
 * forms and for how a syslog timestamp without a year gets one.
 */
#ifndef YG_CORE_TIMEPARSE_H
#define YG_CORE_TIMEPARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/errmsg.h"

/* Parse s (n bytes, not necessarily NUL-terminated).  Returns false, leaving
 * *ms untouched, if s is none of the accepted forms or names an impossible
 * date.  A year-less RFC 3164 time is placed relative to the wall clock. */
bool yg__time_parse(const char *s, size_t n, int64_t *ms);
/* The same with an explicit reference time for year-less timestamps (the
 * file's modification time, or a fixed clock in tests). */
bool yg__time_parse_ref(const char *s, size_t n, int64_t ref_ms, int64_t *ms);
/* The zone of times that carry none (`--timezone`): UTC, a fixed offset, or
 * a TZ database name (read through the C library; naming one sets the
 * process's TZ, so it is done once, before threads start). */
enum yg_tz_kind { YG_TZ_UTC, YG_TZ_FIXED, YG_TZ_NAMED };
struct yg_tz {
    enum yg_tz_kind kind;
    int off_min; /* YG_TZ_FIXED: minutes east of UTC */
    char name[64];
};
/* "UTC", "+09:00", "-0700", "+09", or "Asia/Tokyo"; false with a reason. */
bool yg__tz_parse(const char *spec, struct yg_tz *tz, struct yg_errmsg *why);
/* A civil time read on the zone's clock (as epoch ms) to UTC epoch ms. */
int64_t yg__tz_to_utc(const struct yg_tz *tz, int64_t local_ms);
/* Like yg__time_parse_ref, but a time without a zone (and a year-less
 * syslog time) is read in tz (NULL: UTC); *zoned (may be NULL) tells
 * whether the text carried its own zone or was an epoch number. */
bool yg__time_parse_tz(const char *s, size_t n, int64_t ref_ms, const struct yg_tz *tz, int64_t *ms,
                       bool *zoned);
/* The one form alerts carry: RFC 3339 in UTC with milliseconds,
 * 2025-06-02T01:10:00.000Z (24 characters; years 0 to 9999, else empty).
 * Returns the length. */
#define YG_TIME_TEXT 32
size_t yg__time_format(int64_t ms, char out[YG_TIME_TEXT]);
/* The same form for secs seconds since the epoch and a fraction of frac
 * written with `digits` digits (0: no fraction; 3: milliseconds, 6:
 * microseconds, 9: nanoseconds; frac < 10^digits).  Times before 1970 are
 * floored: the second of -0.5 s is 1969-12-31T23:59:59.  Every ISO 8601
 * time the engine writes comes from here.  Returns the length, 0 (and an
 * empty string) for a year outside 0 to 9999. */
size_t yg__time_format_frac(int64_t secs, uint32_t frac, unsigned digits, char out[YG_TIME_TEXT]);
/* Days from 1970-01-01 to the proleptic Gregorian date y-m-d, and back (a
 * negative day count is before 1970). */
int64_t yg__days_from_civil(int64_t y, unsigned m, unsigned d);
void yg__civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);

#endif
