/*
 * jsonstr.c - the JSON string writer (jsonstr.h).
 *
 * Plain runs are found sixteen bytes at a time and copied into space
 * reserved once; only an escape makes the output longer than the input.
 */
#include "core/jsonstr.h"

#include "core/utf8.h"

static const char hex[] = "0123456789abcdef";

/* Valid UTF-8 at s + i is copied to o as it is: its length, or 0 when the
 * byte there starts none (it is escaped instead). */
static inline size_t utf8_copy(char *o, const unsigned char *s, size_t i, size_t n)
{
    size_t len = yg__utf8_valid_len(s + i, n - i);
    if (len)
        memcpy(o, s + i, len);
    return len;
}

/* The JSON escape of c at o (2 or 6 bytes); returns its end. */
static inline char *esc_byte(char *o, unsigned char c)
{
    if (c == '"' || c == '\\' || c == '\n' || c == '\r' || c == '\t') {
        o[0] = '\\';
        o[1] = c == '\n' ? 'n' : c == '\r' ? 'r' : c == '\t' ? 't' : (char)c;
        return o + 2;
    }
    memcpy(o, "\\u00", 4);
    o[4] = hex[c >> 4];
    o[5] = hex[c & 15];
    return o + 6;
}

/* The body writer behind every JSON string the engine writes: plain runs
 * are copied into space reserved once; each escape reserves again for the
 * rest, since it is the only thing that makes the output longer than the
 * input. */
static yg_err body(struct yg_buf *out, const char *str, size_t n, bool unesc, unsigned char sep)
{
    const unsigned char *s = (const unsigned char *)str;
    yg_err err;
    if ((out->cap - out->n <= n || out->n + n > out->toobig) && (err = yg_buf_reserve(out, n)))
        return err;
    char *o = out->p + out->n;
    size_t i = 0;
    while (i < n) {
        size_t j = yg__json_plain_run(s, i, n);
        memcpy(o, s + i, j - i);
        o += j - i;
        if ((i = j) == n)
            break;
        unsigned char c = s[i];
        size_t len = c >= 0x80 ? utf8_copy(o, s, i, n) : 0;
        if (len) {
            o += len;
            i += len;
            continue;
        }
        if (c == '\\' && unesc && i + 1 < n) {
            /* A log writer's escape: printable bytes were escaped only
             * because they were special to the writer; others stay visible
             * as the writer spelt them. */
            int v = -1, skip = 2;
            if (s[i + 1] == '\\' || s[i + 1] == '"') {
                v = s[i + 1];
            } else if (s[i + 1] == 'x' && n - i >= 4 && yg__hexval(s[i + 2]) >= 0 &&
                       yg__hexval(s[i + 3]) >= 0) {
                v = yg__hexval(s[i + 2]) << 4 | yg__hexval(s[i + 3]);
                skip = 4;
                if (!((v >= 0x20 && v < 0x7f) || (sep && v == sep)))
                    v = -1;
            }
            if (v >= 0) {
                i += (size_t)skip;
                if (v >= 0x20 && v != '"' && v != '\\') {
                    *o++ = (char)v;
                    continue;
                }
                c = (unsigned char)v; /* escaped for JSON below */
                i--;
            }
        }
        /* JSON escape of c (at most 6 bytes for 1 input byte). */
        out->n = (size_t)(o - out->p);
        if ((err = yg_buf_reserve(out, n - i + 5)))
            return err;
        o = out->p + out->n;
        o = esc_byte(o, c);
        i++;
    }
    out->n = (size_t)(o - out->p);
    return YG_OK;
}

yg_err yg__json_body(struct yg_buf *out, const char *s, size_t n)
{
    return body(out, s, n, false, 0);
}

yg_err yg_buf_add_json_str(struct yg_buf *out, const char *s, size_t n)
{
    yg_err err = yg_buf_addc(out, '"');
    if (!err)
        err = body(out, s, n, false, 0);
    return err ? err : yg_buf_addc(out, '"');
}

yg_err yg__json_str_unesc(struct yg_buf *out, const char *s, size_t n, unsigned char sep)
{
    yg_err err = yg_buf_addc(out, '"');
    if (!err)
        err = body(out, s, n, true, sep);
    return err ? err : yg_buf_addc(out, '"');
}

void yg__json_str_fput(FILE *f, const char *s, size_t n)
{
    struct yg_buf b;
    yg_buf_init(&b, 0);
    if (yg_buf_add_json_str(&b, s, n) == YG_OK)
        fwrite(b.p, 1, b.n, f);
    else
        fputs("\"\"", f);
    yg_buf_free(&b);
}

/* ---- into reserved room (yg__json_body_at) ---------------------------- *
 * With room for the worst case known, plain runs are stored sixteen bytes
 * at a time with no length-sized copy, and an escape costs two stores
 * instead of a reservation.  The output equals yg__json_body's, byte for
 * byte (test_fmt_m365 compares them at every offset). */

/* 1 for the bytes yg__json_plain_run passes over: printable ASCII other
 * than `"` and `\\`. */
static const unsigned char json_plain[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

char *yg__json_body_at(char *o, const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < n) {
        size_t j;
#if defined(__SSE2__)
        if (n - i >= 16) {
            const __m128i q = _mm_set1_epi8('"'), bs = _mm_set1_epi8('\\'),
                          lim = _mm_set1_epi8((char)(0x20 ^ 0x80)), top = _mm_set1_epi8((char)0x80);
            __m128i v = _mm_loadu_si128((const __m128i *)(s + i));
            /* Stored whole, in bounds: o is at most 6i past the start and
             * 16 <= n - i.  Bytes past a hit are overwritten next. */
            _mm_storeu_si128((__m128i *)o, v);
            __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, q), _mm_cmpeq_epi8(v, bs)),
                                       _mm_cmplt_epi8(_mm_xor_si128(v, top), lim));
            unsigned m = (unsigned)(_mm_movemask_epi8(hit) | _mm_movemask_epi8(v));
            if (!m) {
                i += 16;
                o += 16;
                continue;
            }
            j = i + (size_t)__builtin_ctz(m);
        } else
#endif
        {
            /* Short strings (most names and values) and tails: the test and
             * the copy in one pass, as yg__json_plain_run tests. */
            for (j = i; j < n && json_plain[s[j]]; j++)
                o[j - i] = (char)s[j];
        }
        o += j - i;
        if ((i = j) == n)
            break;
        unsigned char c = s[i];
        size_t len = c >= 0x80 ? utf8_copy(o, s, i, n) : 0;
        if (len) {
            o += len;
            i += len;
            continue;
        }
        o = esc_byte(o, c);
        i++;
    }
    return o;
}
