/*
 * jsonstr.h - the one JSON string writer.
 *
 * Every JSON string the engine writes goes through here, with one policy:
 * printable ASCII is copied; `"` and `\` are escaped, and so are the
 * control characters (\n, \r, \t by name, the others as \u00XX); valid
 * UTF-8 (core/utf8.h: no overlongs, no surrogates, nothing above U+10FFFF)
 * is copied as it is; every other byte becomes \u00XX, so it stays visible
 * and the output is always valid JSON, whatever bytes came in.  DEL (0x7f)
 * needs no escape in JSON and is copied.
 *
 * yg_buf_add_json_str (core/core.h) writes a whole string, quotes included.
 */
#ifndef YG_CORE_JSONSTR_H
#define YG_CORE_JSONSTR_H

#include <stdio.h>

#include "core/core.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

static inline int yg__hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Index of the first byte at or after i that needs attention in a JSON
 * string: a quote, a backslash, a control byte or a non-ASCII byte. */
static inline size_t yg__json_plain_run(const unsigned char *s, size_t i, size_t n)
{
#if defined(__SSE2__)
    const __m128i q = _mm_set1_epi8('"'), bs = _mm_set1_epi8('\\'),
                  lim = _mm_set1_epi8((char)(0x20 ^ 0x80)), top = _mm_set1_epi8((char)0x80);
    while (n - i >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(s + i));
        /* Unsigned c < 0x20 is signed (c ^ 0x80) < (0x20 ^ 0x80). */
        __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, q), _mm_cmpeq_epi8(v, bs)),
                                   _mm_cmplt_epi8(_mm_xor_si128(v, top), lim));
        unsigned m = (unsigned)(_mm_movemask_epi8(hit) | _mm_movemask_epi8(v));
        if (m)
            return i + (size_t)__builtin_ctz(m);
        i += 16;
    }
#endif
    while (i < n && s[i] >= 0x20 && s[i] < 0x80 && s[i] != '"' && s[i] != '\\')
        i++;
    return i;
}

/* Write s as a JSON string to f (for reports printed straight to a stream);
 * when memory runs out, the empty string "" is written instead, so the
 * document stays valid JSON. */
void yg__json_str_fput(FILE *f, const char *s, size_t n);

/* Write the bytes of s as the body of a JSON string (no quotes) at o, which
 * has room for 6n bytes (every byte may become \u00XX); returns the end of
 * what was written.  For writers that reserve once for a whole record
 * (src/decode/fmt_m365.c); the bytes are yg__json_body's. */
char *yg__json_body_at(char *o, const char *s, size_t n);

/* Append the bytes of s as the body of a JSON string (no quotes). */
YG_NODISCARD yg_err yg__json_body(struct yg_buf *out, const char *s, size_t n);

/* Append s as a JSON string (quotes included) after undoing log escapes:
 * `\\` -> `\`, `\"` -> `"`, `\xHH` -> the byte when it is printable ASCII
 * (0x20-0x7e) or equal to `sep` (a field separator the writer had to
 * escape; 0 for none); any other `\xHH` and any other backslash stay as
 * written.  Everything else as yg_buf_add_json_str. */
YG_NODISCARD yg_err yg__json_str_unesc(struct yg_buf *out, const char *s, size_t n,
                                       unsigned char sep);

#endif
