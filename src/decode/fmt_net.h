/*
 * fmt_net.h - helpers shared by the web server and network sensor formats
 * (fmt_w3c.c, fmt_combined.c, fmt_zeek.c, fmt_zeek_json.c, fmt_suricata.c).
 *
 * Two things these formats have in common live here:
 *
 *  - Text log writers (Apache, nginx, Zeek's ASCII writer) protect their
 *    separators with backslash escapes.  yg__json_str_unesc() undoes the
 *    escapes of printable characters while writing the JSON string, so a
 *    rule sees `"` where Apache wrote `\"` and nginx wrote `\x22`, but a
 *    control byte stays the four characters `\x00` (the spelling Zeek's
 *    JSON writer uses and SigmaHQ's Zeek rules match on).
 *  - Zeek JSON and Suricata EVE are one JSON object per line whose nested
 *    objects become dotted keys (yg__json_flatten).  The flattener copies
 *    the already-escaped string bytes instead of decoding and re-encoding
 *    them, so it needs no scratch memory and no per-file state.
 */
#ifndef YG_DECODE_FMT_NET_H
#define YG_DECODE_FMT_NET_H

#include "decode/format.h"
#include "core/jsonstr.h"

/* Append n bytes: the inline fast path of yg_buf_add for the many small
 * pieces of a record (the buffer's NUL terminator is restored by the last
 * yg_buf_addc of the record). */
static inline yg_err yg__put(struct yg_buf *b, const void *p, size_t n)
{
    if (YG_LIKELY(b->cap - b->n > n && b->n + n <= b->toobig)) {
        memcpy(b->p + b->n, p, n);
        b->n += n;
        return YG_OK;
    }
    return yg_buf_add(b, p, n);
}

static inline yg_err yg__putc(struct yg_buf *b, char c)
{
    if (YG_LIKELY(b->cap - b->n > 1 && b->n < b->toobig)) {
        b->p[b->n++] = c;
        return YG_OK;
    }
    return yg_buf_addc(b, c);
}

/* The JSON string writers (yg__json_body, yg__json_str_unesc) are in
 * core/jsonstr.h. */

/* The start of a decoder with per-file header state (W3C `#Fields`, Zeek
 * `#fields`): e cleared and a trailing CR dropped from *n; false (e set:
 * YG_EINVAL) when the file has no state. */
static inline bool yg__state_begin(const void *st, const char *line, size_t *n,
                                   struct yg_decode_err *e)
{
    e->col = 0;
    e->msg = NULL;
    if (!st) {
        e->msg = "no decoder state";
        return false;
    }
    if (*n && line[*n - 1] == '\r')
        (*n)--;
    return true;
}

/* The end of a W3C or Zeek record that failed: out as it was before the
 * record, and e says why (at the field being written, col0, when the
 * decoder left no message). */
static inline yg_err yg__record_undo(yg_err err, struct yg_buf *out, size_t start, size_t col0,
                                     struct yg_decode_err *e)
{
    if (!e->msg) {
        e->col = col0 + 1;
        e->msg = err == YG_ENOMEM ? "out of memory" : "decoded event too large";
    }
    out->n = start;
    if (out->p)
        out->p[out->n] = 0;
    return err;
}

/* ---- inline field writers of the web log decoders ----------------------- */

/* Whether n more bytes fit in b both under its cap (with the NUL after
 * them) and under its size limit: then a field can be written at b->p +
 * b->n without a call, and the general writers would not have refused it. */
static inline bool yg__room(const struct yg_buf *b, size_t n)
{
    return b->n <= b->toobig && n <= b->toobig - b->n && n < b->cap - b->n;
}

/* Copy n bytes (short ones without a call): key names, already escaped. */
static inline __attribute__((always_inline)) void yg__copy_small(char *o, const char *s, size_t n)
{
#if defined(__SSE2__)
    if (n - 1 < 16) {
        uint64_t a, b;
        yg__short_load(s, n, &a, &b);
        yg__short_store(o, n, a, b);
        return;
    }
    if (n - 17 < 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)s),
                y = _mm_loadu_si128((const __m128i *)(s + n - 16));
        _mm_storeu_si128((__m128i *)o, x);
        _mm_storeu_si128((__m128i *)(o + n - 16), y);
        return;
    }
#endif
    memcpy(o, s, n);
}

/*
 * Copy s[0..n) to o when no byte of it needs a JSON escape or a log
 * writer's unescape (printable ASCII other than `"` and `\`), which is
 * what almost every field of a web log is: the body of its JSON string is
 * then the bytes themselves.  Sixteen bytes at a time, from loads of the
 * string's own bytes only.  Returns the end of the copy, or NULL when some
 * byte needs the general writer (o[0..n) may then hold part of the copy).
 * o must have room for n bytes.  DEL counts as needing the general writer,
 * which copies it: the output is the same either way.
 */
static inline __attribute__((always_inline)) char *yg__json_plain_copy(char *o, const char *s,
                                                                       size_t n)
{
#if defined(__SSE2__)
    if (n <= 16) {
        if (!n)
            return o;
        uint64_t a, b, fa, fb;
        yg__short_load(s, n, &a, &b);
        fa = a, fb = b;
        yg__short_fill(n, &fa, &fb);
        if (!yg__short_plain(fa, fb))
            return NULL;
        yg__short_store(o, n, a, b);
        return o + n;
    }
    size_t i = 0;
    for (; n - i > 16; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(s + i));
        if (_mm_movemask_epi8(yg__vec_bad(v)))
            return NULL;
        _mm_storeu_si128((__m128i *)(o + i), v);
    }
    __m128i v = _mm_loadu_si128((const __m128i *)(s + n - 16));
    if (_mm_movemask_epi8(yg__vec_bad(v)))
        return NULL;
    _mm_storeu_si128((__m128i *)(o + n - 16), v);
    return o + n;
#else
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
            return NULL;
        o[i] = (char)c;
    }
    return o + n;
#endif
}

/* The index of the first byte at or after i that is c, or n. */
static inline size_t yg__find_byte(const char *s, size_t i, size_t n, char c)
{
#if defined(__SSE2__)
    const __m128i k = _mm_set1_epi8(c);
    for (; i + 16 <= n; i += 16) {
        unsigned m = (unsigned)_mm_movemask_epi8(
            _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(s + i)), k));
        if (m)
            return i + (size_t)__builtin_ctz(m);
    }
#endif
    while (i < n && s[i] != c)
        i++;
    return i;
}

/* ---- JSON lines flattened to dotted keys -------------------------------- */

struct yg_json_flatten {
    /* Called for every string value directly under the root object (raw
     * bytes between the quotes, escapes not decoded); may be NULL. */
    void (*root_str)(void *ud, const char *k, size_t kn, const char *v, size_t vn);
    /* Gives the name to write for a key directly under the root object, or
     * NULL to keep it; may be NULL. */
    const char *(*root_rename)(const char *k, size_t kn);
    void *ud;
};

/*
 * Flatten the JSON object in line[0..n) into one flat JSON object appended
 * to out: nested objects become dotted keys (`{"a":{"b":1}}` -> `"a.b"`),
 * every scalar becomes a JSON string of its text, an array of scalars stays
 * an array of strings, null values are left out (Sigma's `null` is an absent
 * field), and the leaves of an array of objects repeat their key once per
 * element (the engine reads repeated keys as one field with several values,
 * exactly like the original array).  Only whitespace may surround the
 * object.  YG_ESYNTAX or YG_ELIMIT: e says where (1-based byte column) and
 * why, and out is as it was.
 */
YG_NODISCARD yg_err yg__json_flatten(const char *line, size_t n, struct yg_buf *out,
                                     const struct yg_json_flatten *how, struct yg_decode_err *e);

/* ---- Zeek ----------------------------------------------------------------- */

/* The static name of the Zeek log `path` (`conn`, `dns`, ...), or "unknown"
 * for a log type Yagura does not list. */
const char *yg__zeek_service(const char *path, size_t n);

/* Zeek writes record fields as `id.orig_h`; with Log::default_scope_sep set
 * to "_" (as in the OTRF data sets) the same field is `id_orig_h`.  Returns
 * the dotted name for such a field of Zeek's standard logs, else NULL. */
const char *yg__zeek_dotted(const char *k, size_t kn);

/* The Sigma category a Zeek log also serves, or NULL (dns -> "dns"). */
const char *yg__zeek_category(const char *service);

#endif
