/*
 * confval.c - durations, sizes and host:port of configuration files
 * (confval.h).  Strict on purpose: no sign, no spaces, no fractions, no
 * unit that is not listed, and no value that would wrap 64 bits, so that a
 * typo is an error at load time instead of a surprising setting.
 */
#include "core/confval.h"

#include <string.h>

#include "core/core.h"

/* Leading decimal digits of s into *n (no sign, no overflow); returns the
 * rest, or NULL when there are no digits or the number overflows. */
static const char *whole_number(const char *s, uint64_t *n)
{
    uint64_t v = 0;
    const char *p = s;
    for (; *p >= '0' && *p <= '9'; p++) {
        unsigned d = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - d) / 10)
            return NULL;
        v = v * 10 + d;
    }
    if (p == s)
        return NULL;
    *n = v;
    return p;
}

bool yg__parse_duration_ms(const char *s, uint64_t *ms)
{
    static const struct {
        const char *unit;
        uint64_t ms;
    } units[] = {{"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}, {"d", 86400000}};
    uint64_t n;
    const char *u = s ? whole_number(s, &n) : NULL;
    if (!u)
        return false;
    for (size_t i = 0; i < sizeof units / sizeof *units; i++)
        if (strcmp(u, units[i].unit) == 0) {
            if (n > UINT64_MAX / units[i].ms)
                return false;
            *ms = n * units[i].ms;
            return true;
        }
    return false;
}

bool yg__parse_size(const char *s, uint64_t *bytes)
{
    static const char *const units[] = {"b", "kb", "mb", "gb", "tb"};
    uint64_t n;
    const char *u = s ? whole_number(s, &n) : NULL;
    if (!u)
        return false;
    for (unsigned i = 0; i < sizeof units / sizeof *units; i++)
        if (yg_str_ieq(u, strlen(u), units[i], strlen(units[i]))) {
            unsigned shift = 10 * i;
            if (shift && n > (UINT64_MAX >> shift))
                return false;
            *bytes = n << shift;
            return true;
        }
    return false;
}

bool yg__parse_hostport(const char *s, char *host, size_t hl, unsigned *port, bool allow_zero)
{
    if (!s || !hl)
        return false;
    const char *colon, *h = s;
    size_t hn;
    if (*s == '[') {
        const char *close = strchr(s, ']');
        if (!close || close[1] != ':' || close == s + 1)
            return false;
        h = s + 1;
        hn = (size_t)(close - h);
        colon = close + 1;
        if (memchr(h, ':', hn) == NULL) /* brackets are for IPv6 only */
            return false;
    } else {
        colon = strrchr(s, ':');
        if (!colon)
            return false;
        hn = (size_t)(colon - s);
        if (memchr(s, ':', hn)) /* a bare IPv6 address needs brackets */
            return false;
    }
    for (size_t i = 0; i < hn; i++) {
        unsigned char ch = (unsigned char)h[i];
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '.' || ch == '-' || ch == '_' || ch == ':' ||
                  ch == '%';
        if (!ok)
            return false;
    }
    uint64_t p;
    const char *end = whole_number(colon + 1, &p);
    if (!end || *end || end - (colon + 1) > 5 || p > 65535 || (p == 0 && !allow_zero))
        return false;
    if (hn >= hl)
        return false;
    memcpy(host, h, hn);
    host[hn] = 0;
    *port = (unsigned)p;
    return true;
}
