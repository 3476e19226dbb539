/*
 * jsonlex.c - JSON tokens (see jsonlex.h).
 */
#include "core/jsonlex.h"

#include "core/jsonstr.h"
#include "core/utf8.h"

static bool hex4(const char *b, size_t i, size_t n, uint32_t *out)
{
    if (n - i < 4)
        return false;
    uint32_t v = 0;
    for (size_t k = 0; k < 4; k++) {
        int h = yg__hexval((unsigned char)b[i + k]);
        if (h < 0)
            return false;
        v = v * 16 + (uint32_t)h;
    }
    *out = v;
    return true;
}

yg_err yg__jlex_str(const char *b, size_t i, size_t n, size_t *end, unsigned *flags,
                    const char **why)
{
    unsigned fl = 0;
    for (;;) {
        /* The common case: a run of printable ASCII. */
        i = yg__json_plain_run((const unsigned char *)b, i, n);
        if (i >= n)
            goto unterminated;
        unsigned char c = (unsigned char)b[i];
        if (c == '"')
            break;
        if (c < 0x20) {
            *end = i;
            *why = "control character inside a string (must be escaped)";
            return YG_ESYNTAX;
        }
        if (c >= 0x80) {
            fl |= YG_JLEX_HIGH;
            i++;
            continue;
        }
        fl |= YG_JLEX_ESC;
        if (i + 1 >= n)
            goto unterminated;
        char x = b[i + 1];
        uint32_t cp;
        if (x == 'u') {
            if (!hex4(b, i + 2, n, &cp)) {
                *end = i;
                *why = "invalid \\u escape (expected 4 hex digits)";
                return YG_ESYNTAX;
            }
            i += 6;
        } else if (x == '"' || x == '\\' || x == '/' || x == 'b' || x == 'f' || x == 'n' ||
                   x == 'r' || x == 't') {
            i += 2;
        } else {
            *end = i;
            *why = "invalid escape in string";
            return YG_ESYNTAX;
        }
    }
    *end = i;
    *flags = fl;
    return YG_OK;
unterminated:
    *end = n;
    *why = "unterminated string";
    return YG_ESYNTAX;
}

size_t yg__jlex_unescape(const char *s, size_t n, char *o)
{
    size_t on = 0;
    for (size_t i = 0; i < n;) {
        const char *bs = memchr(s + i, '\\', n - i);
        size_t run = bs ? (size_t)(bs - (s + i)) : n - i;
        memcpy(o + on, s + i, run);
        on += run;
        i += run;
        if (i >= n)
            break;
        char x = s[i + 1];
        i += 2;
        switch (x) {
        case 'b': o[on++] = '\b'; break;
        case 'f': o[on++] = '\f'; break;
        case 'n': o[on++] = '\n'; break;
        case 'r': o[on++] = '\r'; break;
        case 't': o[on++] = '\t'; break;
        case 'u': {
            uint32_t cp = 0, lo = 0;
            unsigned used;
            (void)hex4(s, i, n, &cp); /* validated by yg__jlex_str */
            i += 4;
            if (n - i >= 6 && s[i] == '\\' && s[i + 1] == 'u' && !hex4(s, i + 2, n, &lo))
                lo = 0;
            cp = yg__utf16_join(cp, lo, &used);
            if (used == 2)
                i += 6;
            /* \uXXXX is 6 bytes and gives at most 3 (4 for a pair of 12). */
            on += yg__utf8_put(o + on, cp);
            break;
        }
        default: o[on++] = x; break; /* '"', '\\', '/' */
        }
    }
    o[on] = 0;
    return on;
}

yg_err yg__jlex_str_decode(const char *b, size_t i, size_t n, char *o, size_t ocap, size_t *end,
                           size_t *on, unsigned *flags, const char **why)
{
    static const char simple[256] = {['"'] = '"',  ['\\'] = '\\', ['/'] = '/',  ['b'] = '\b',
                                     ['f'] = '\f', ['n'] = '\n',  ['r'] = '\r', ['t'] = '\t'};
    unsigned fl = 0;
    size_t w = 0;
#if defined(__SSE2__)
    const __m128i q = _mm_set1_epi8('"'), bs = _mm_set1_epi8('\\'),
                  lim = _mm_set1_epi8((char)(0x20 ^ 0x80)), top = _mm_set1_epi8((char)0x80);
#endif
    for (;;) {
        /* The plain bytes up to the next quote, backslash or control byte,
         * sixteen at a time: each store may run up to 16 bytes past the
         * copy, which ocap leaves room for. */
#if defined(__SSE2__)
        while (n - i >= 16 && ocap - w >= 16) {
            __m128i v = _mm_loadu_si128((const __m128i *)(b + i));
            _mm_storeu_si128((__m128i *)(o + w), v);
            __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, q), _mm_cmpeq_epi8(v, bs)),
                                       _mm_cmplt_epi8(_mm_xor_si128(v, top), lim));
            unsigned m = (unsigned)_mm_movemask_epi8(hit);
            unsigned high = (unsigned)_mm_movemask_epi8(v);
            if (m) {
                unsigned k = (unsigned)__builtin_ctz(m);
                fl |= (high & ((1u << k) - 1)) ? YG_JLEX_HIGH : 0;
                i += k;
                w += k;
                goto special;
            }
            fl |= high ? YG_JLEX_HIGH : 0;
            i += 16;
            w += 16;
        }
#endif
        for (; i < n; i++) {
            unsigned char c = (unsigned char)b[i];
            if (c == '"' || c == '\\' || c < 0x20)
                break;
            if (w + 1 >= ocap)
                return YG_ELIMIT;
            fl |= c >= 0x80 ? YG_JLEX_HIGH : 0;
            o[w++] = (char)c;
        }
#if defined(__SSE2__)
    special:
#endif
        if (i >= n)
            goto unterminated;
        unsigned char c = (unsigned char)b[i];
        if (c == '"')
            break;
        if (c != '\\') {
            *end = i;
            *why = "control character inside a string (must be escaped)";
            return YG_ESYNTAX;
        }
        fl |= YG_JLEX_ESC;
        if (i + 1 >= n)
            goto unterminated;
        unsigned char x = (unsigned char)b[i + 1];
        if (x == 'u') {
            uint32_t cp, lo = 0;
            unsigned used;
            if (!hex4(b, i + 2, n, &cp)) {
                *end = i;
                *why = "invalid \\u escape (expected 4 hex digits)";
                return YG_ESYNTAX;
            }
            /* A pair's second half is joined here when well-formed; when
             * not, the next turn checks it on its own (as yg__jlex_str). */
            if (n - i >= 12 && b[i + 6] == '\\' && b[i + 7] == 'u' && !hex4(b, i + 8, n, &lo))
                lo = 0;
            if (cp < 0x80)
                fl |= YG_JLEX_HIDE;
            cp = yg__utf16_join(cp, lo, &used);
            /* Its UTF-8 bytes, then the NUL. */
            if (ocap - w < (cp < 0x80 ? 2u : cp < 0x800 ? 3u : cp < 0x10000 ? 4u : 5u))
                return YG_ELIMIT;
            i += used == 2 ? 12 : 6;
            w += yg__utf8_put(o + w, cp);
        } else if (simple[x]) {
            if (ocap - w < 2)
                return YG_ELIMIT;
            if (x == '/')
                fl |= YG_JLEX_HIDE;
            o[w++] = simple[x];
            i += 2;
        } else {
            *end = i;
            *why = "invalid escape in string";
            return YG_ESYNTAX;
        }
    }
    o[w] = 0;
    *end = i;
    *on = w;
    *flags = fl;
    return YG_OK;
unterminated:
    *end = n;
    *why = "unterminated string";
    return YG_ESYNTAX;
}

void yg__jlex_linecol(const char *buf, size_t off, unsigned *line, unsigned *col)
{
    unsigned l = 1, c = 1;
    for (size_t i = 0; i < off; i++) {
        if (buf[i] == '\n') {
            l++;
            c = 1;
        } else {
            c++;
        }
    }
    *line = l;
    *col = c;
}
