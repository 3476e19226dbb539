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

/* Parse s (n bytes, not necessarily NUL-terminated).  Returns false, leaving
 * *ms untouched, if s is none of the accepted forms or names an impossible
 * date.  A year-less RFC 3164 time is placed relative to the wall clock. */
bool yg__time_parse(const char *s, size_t n, int64_t *ms);
/* The same with an explicit reference time for year-less timestamps (the
 * file's modification time, or a fixed clock in tests). */
bool yg__time_parse_ref(const char *s, size_t n, int64_t ref_ms, int64_t *ms);
/* Days from 1970-01-01 to the proleptic Gregorian date y-m-d. */
int64_t yg__days_from_civil(int64_t y, unsigned m, unsigned d);

#endif
