/*
 * json.c - the hot-path JSON scanner (see json.h).
 *
 * Written for throughput on security logs: most bytes are inside strings,
 * so the string loop looks for the quote or backslash with memchr-style
 * scanning and only falls back to per-byte work when an escape is present.
 * Nesting is handled with an explicit stack (no recursion) so depth is a
 * counted limit, not a stack overflow.
 */
#include "decode/json.h"

#include "core/jsonlex.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* Most room taken at once for decoding a string with escapes (see
 * scan_string); log records are far smaller. */
#define DECODE_ROOM 65536

static inline size_t skip_ws(const char *b, size_t i, size_t n)
{
    return yg__jlex_ws(b, i, n);
}

/* Parse a string starting after the opening quote at b[i].  On success sets
 * out and outn (a view, or a copy in the arena) and returns the index after the closing
 * quote; returns 0 on error. */
static size_t scan_string(const char *b, size_t i, size_t n, struct yg_arena *a, const char **out,
                          size_t *outn, struct yg_json_err *e)
{
    size_t start = i;
#if defined(__SSE2__)
    /* Sixteen bytes at a time to the first quote, backslash or control
     * character: most of a log line is string content. */
    {
        const __m128i q = _mm_set1_epi8('"'), bs = _mm_set1_epi8('\\'), lim = _mm_set1_epi8(0x1f),
                      top = _mm_set1_epi8((char)0x80);
        while (n - i >= 16) {
            __m128i v = _mm_loadu_si128((const __m128i *)(b + i));
            /* Unsigned c <= 0x1f, via the signed compare on c ^ 0x80. */
            __m128i ctl = _mm_cmpgt_epi8(_mm_xor_si128(lim, top), _mm_xor_si128(v, top));
            __m128i hit =
                _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, q), _mm_cmpeq_epi8(v, bs)), ctl);
            int m = _mm_movemask_epi8(hit);
            if (m) {
                i += (size_t)__builtin_ctz((unsigned)m);
                break;
            }
            i += 16;
        }
    }
#endif
    /* Fast path: no escapes. */
    while (i < n) {
        unsigned char c = (unsigned char)b[i];
        if (c == '"') {
            *out = b + start;
            *outn = i - start;
            return i + 1;
        }
        if (c == '\\')
            break;
        if (YG_UNLIKELY(c < 0x20)) {
            e->offset = i;
            e->msg = "control character inside a string (must be escaped)";
            return 0;
        }
        i++;
    }
    if (i >= n) {
        e->offset = n;
        e->msg = "unterminated string";
        return 0;
    }
    /* Slow path: check and decode the rest in one pass (core/jsonlex.c)
     * into room taken from the arena, the unused end given back after.  The
     * room is the input left (the string cannot be longer), at most
     * DECODE_ROOM past the plain start; a longer string is measured and
     * decoded again into room of its own size. */
    size_t room = n - start + 1;
    if (room > (i - start) + DECODE_ROOM)
        room = (i - start) + DECODE_ROOM;
    size_t end, on;
    unsigned flags;
    const char *why;
    char *o;
    yg_err err;
    for (;;) {
        o = yg_arena_alloc(a, room);
        if (!o) {
            e->offset = start;
            e->msg = "out of memory decoding a string";
            return 0;
        }
        memcpy(o, b + start, i - start);
        err = yg__jlex_str_decode(b, i, n, o + (i - start), room - (i - start), &end, &on, &flags,
                                  &why);
        if (err != YG_ELIMIT)
            break;
        yg_arena_shrink(a, o, room, 0);
        if (yg__jlex_str(b, i, n, &end, &flags, &why)) {
            err = YG_ESYNTAX;
            break;
        }
        room = end - start + 1;
    }
    if (err) {
        e->offset = end;
        e->msg = why;
        return 0;
    }
    on += i - start;
    yg_arena_shrink(a, o, room, on + 1);
    if (flags & YG_JLEX_HIDE)
        e->hides = true;
    *out = o;
    *outn = on;
    return end + 1;
}

static size_t scan_number(const char *b, size_t i, size_t n, struct yg_json_err *e)
{
    size_t end;
    if (yg__jlex_num(b, i, n, &end))
        return end;
    e->offset = end;
    e->msg = "invalid number";
    return 0;
}

struct frame {
    int32_t path;   /* path of this container */
    bool is_object; /* else array */
};

/* true, false, null or a number at b[*i] into v. */
static yg_err scan_atom(const char *b, size_t *ip, size_t n, struct yg_val *v,
                        struct yg_json_err *e)
{
    size_t i = *ip;
    char c = b[i];
    size_t l = yg__jlex_lit(b, i, n);
    if (l) {
        *v = (struct yg_val){b + i, (uint32_t)l, c == 'n' ? YG_VT_NULL : YG_VT_BOOL};
        *ip = i + l;
        return YG_OK;
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
        size_t j = scan_number(b, i, n, e);
        if (!j)
            return YG_ESYNTAX;
        *v = (struct yg_val){b + i, (uint32_t)(j - i), YG_VT_NUM};
        *ip = j;
        return YG_OK;
    }
    e->offset = i;
    e->msg = "invalid value (expected a string, number, object, array, true, false or null)";
    return YG_ESYNTAX;
}

/* Is the key at b[i..] (after its opening quote) k, closed by a quote?  k
 * needs no escape, so equal bytes then a quote are that key; k is readable
 * for 16 bytes (struct yg_json_sink, guess). */
static inline bool key_is(const char *b, size_t i, size_t n, const char *k, size_t kn)
{
#if defined(__SSE2__)
    if (kn < 16 && n - i >= 16) {
        __m128i eq = _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(b + i)),
                                    _mm_loadu_si128((const __m128i *)k));
        unsigned want = (1u << kn) - 1;
        return ((unsigned)_mm_movemask_epi8(eq) & want) == want && b[i + kn] == '"';
    }
#endif
    return n - i > kn && b[i + kn] == '"' && memcmp(b + i, k, kn) == 0;
}

/* An object's key at b[*i] and its ':'; *cur_path: the path its value
 * belongs to (-2: ignored by the sink, with its subtree). */
static yg_err scan_key(const char *b, size_t *ip, size_t n, struct yg_arena *a,
                       const struct yg_json_sink *sink, int32_t parent, int32_t *cur_path,
                       struct yg_json_err *e)
{
    size_t i = *ip;
    if (i >= n || b[i] != '"') {
        e->offset = i;
        e->msg = "expected a string key in object";
        return YG_ESYNTAX;
    }
    const char *k;
    size_t kn, j;
    int32_t guessed = -1;
    if (sink->guess && parent >= -1) {
        /* The guessed key needs no escape, so equal bytes followed by a
         * quote are that key, closed. */
        guessed = sink->guess(sink->ud, parent, &k, &kn);
        if (guessed >= 0 && key_is(b, i + 1, n, k, kn))
            j = i + 2 + kn;
        else
            guessed = -1;
    }
    if (guessed < 0 && !(j = scan_string(b, i + 1, n, a, &k, &kn, e)))
        return YG_ESYNTAX;
    j = skip_ws(b, j, n);
    if (j >= n || b[j] != ':') {
        e->offset = j;
        e->msg = "expected ':' after object key";
        return YG_ESYNTAX;
    }
    *ip = skip_ws(b, j + 1, n);
    /* A parent ignored by the sink (-2) keeps its subtree ignored. */
    *cur_path = parent < -1 ? parent : guessed >= 0 ? guessed : sink->key(sink->ud, parent, k, kn);
    if (*cur_path < 0 && *cur_path != -2)
        *cur_path = -2;
    return YG_OK;
}

/* What follows a value. */
enum next_slot { NEXT_DONE, NEXT_ELEMENT, NEXT_KEY };

/* After a value: close the containers it ends, find the next slot. */
static yg_err after_value(const char *b, size_t *ip, size_t n, const struct frame *st,
                          unsigned *depth, enum next_slot *next, struct yg_json_err *e)
{
    size_t i = *ip;
    for (;;) {
        if (*depth == 0) {
            *ip = i;
            *next = NEXT_DONE;
            return YG_OK;
        }
        i = skip_ws(b, i, n);
        if (i >= n) {
            e->offset = n;
            e->msg = "unexpected end of input inside a document";
            return YG_ESYNTAX;
        }
        const struct frame *f = &st[*depth - 1];
        if (b[i] == ',') {
            *ip = skip_ws(b, i + 1, n);
            *next = f->is_object ? NEXT_KEY : NEXT_ELEMENT;
            return YG_OK;
        }
        if (b[i] == (f->is_object ? '}' : ']')) {
            i++;
            --*depth;
            continue;
        }
        e->offset = i;
        e->msg = f->is_object ? "expected ',' or '}' in object" : "expected ',' or ']' in array";
        return YG_ESYNTAX;
    }
}

yg_err yg__json_scan(const char *b, size_t n, size_t *used, const struct yg_json_sink *sink,
                     struct yg_arena *a, struct yg_json_err *e)
{
    struct frame st[YG_MAX_JSON_DEPTH + 1];
    unsigned depth = 0;
    int32_t cur_path = -1; /* path the next value belongs to */
    size_t i = skip_ws(b, 0, n);
    yg_err err;
    e->offset = 0;
    e->msg = NULL;
    e->hides = false;
    for (;;) {
        /* ---- parse a value at i, for path cur_path ---- */
        if (i >= n) {
            e->offset = n;
            e->msg = depth ? "unexpected end of input inside a document" : "no JSON value";
            return YG_ESYNTAX;
        }
        char c = b[i];
        struct yg_val v;
        if (c == '{' || c == '[') {
            size_t j = skip_ws(b, i + 1, n);
            char close = c == '{' ? '}' : ']';
            if (j < n && b[j] == close) {
                /* Empty container: a leaf so `exists` and keyword logic see it. */
                v = (struct yg_val){b + i, (uint32_t)(j + 1 - i), YG_VT_OBJ};
                i = j + 1;
            } else {
                if (depth >= YG_MAX_JSON_DEPTH) {
                    e->offset = i;
                    e->msg = "JSON nested deeper than the limit";
                    return YG_ELIMIT;
                }
                st[depth].path = cur_path;
                st[depth].is_object = c == '{';
                depth++;
                i = j;
                if (c == '{' &&
                    (err = scan_key(b, &i, n, a, sink, st[depth - 1].path, &cur_path, e)))
                    return err;
                continue; /* an array's first element has the array's path */
            }
        } else if (c == '"') {
            const char *sv;
            size_t sn;
            size_t j = scan_string(b, i + 1, n, a, &sv, &sn, e);
            if (!j)
                return YG_ESYNTAX;
            v = (struct yg_val){sv, (uint32_t)sn, YG_VT_STR};
            i = j;
        } else if ((err = scan_atom(b, &i, n, &v, e))) {
            return err;
        }
        if (cur_path >= 0 && sink->leaf)
            sink->leaf(sink->ud, cur_path, &v);
        enum next_slot next;
        if ((err = after_value(b, &i, n, st, &depth, &next, e)))
            return err;
        if (next == NEXT_DONE) {
            *used = i;
            return YG_OK;
        }
        if (next == NEXT_ELEMENT)
            cur_path = st[depth - 1].path;
        else if ((err = scan_key(b, &i, n, a, sink, st[depth - 1].path, &cur_path, e)))
            return err;
    }
}
