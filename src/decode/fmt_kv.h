/*
 * fmt_kv.h - pieces shared by the appliance decoders that write `key=value`
 * pairs or key/value lists (SonicWall, Sophos Firewall, Check Point, Junos,
 * F5 APM, and for the writers of keys and escaped values also CEF, LEEF and
 * FortiGate): a set of the keys already written, so that a record never
 * holds a key twice (SonicWall repeats `msg=`, and the common VPN fields
 * `user` and `src_ip` must not shadow a vendor's own field of that name),
 * the scanner of space-separated `key=value` pairs, and the writers of a
 * key and of a value whose backslash escapes are resolved.
 *
 * Header-only and static: each decoder is its own translation unit and the
 * registry in format.c stays the only shared list.
 */
#ifndef YG_DECODE_FMT_KV_H
#define YG_DECODE_FMT_KV_H

#include "decode/format.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* Keys written so far in one record.  A 1024-bit filter on (length, first
 * two and last byte) skips the comparisons for nearly every new key (a
 * record has a few dozen); beyond YG_KV_KEYS keys the record fails with
 * YG_ELIMIT (the limit is documented in docs/yagura-decode.md). */
#define YG_KV_KEYS 512
struct yg_kvset {
    uint64_t filter[16];
    size_t n;
    struct yg_str k[YG_KV_KEYS];
};

static inline void yg__kv_init(struct yg_kvset *s)
{
    memset(s->filter, 0, sizeof s->filter);
    s->n = 0;
}

static inline unsigned yg__kv_bit(const char *k, size_t kn)
{
    unsigned h = (unsigned)kn * 0x9e37u;
    if (kn)
        h += (unsigned char)k[0] * 131u + (unsigned char)k[kn - 1] * 31u +
             (unsigned char)k[kn > 1] * 7u;
    return (h ^ h >> 10) & 1023u;
}

/* Whether k, whose filter bit is b, was already written. */
static inline bool yg__kv_seen_bit(const struct yg_kvset *s, unsigned b, const char *k, size_t kn)
{
    if (!(s->filter[b >> 6] >> (b & 63) & 1u))
        return false;
    for (size_t i = 0; i < s->n; i++)
        if (s->k[i].n == kn && memcmp(s->k[i].p, k, kn) == 0)
            return true;
    return false;
}

/* Whether k was already written. */
static inline bool yg__kv_seen(const struct yg_kvset *s, const char *k, size_t kn)
{
    return yg__kv_seen_bit(s, yg__kv_bit(k, kn), k, kn);
}

/*
 * Append `"k":"v"` unless k was already written (the first occurrence wins,
 * as a reader of the line sees it first).  k must outlive the set (a view
 * into the line or a literal).  YG_ELIMIT when the set is full.  Always
 * inlined: it is a few instructions around the call of yg__json_kv, once
 * per field, and a call of its own cost about as much as its work.
 */
static inline __attribute__((always_inline)) YG_NODISCARD yg_err
yg__kv_put(struct yg_kvset *s, struct yg_buf *out, bool *first, const char *k, size_t kn,
           const char *v, size_t vn)
{
    unsigned b = yg__kv_bit(k, kn);
    if (yg__kv_seen_bit(s, b, k, kn))
        return YG_OK;
    if (s->n == YG_KV_KEYS)
        return YG_ELIMIT;
    s->filter[b >> 6] |= (uint64_t)1 << (b & 63);
    s->k[s->n++] = (struct yg_str){k, kn};
    return yg__json_kv(out, first, k, kn, v, vn);
}

/* On a failed yg__kv_put: a full key set (YG_ELIMIT) is refused at the key
 * that starts at col0 of the line.  Called on the error path only, so that
 * the per-field path stays one test of err. */
static inline void yg__kv_limit_at(yg_err err, size_t col0, struct yg_decode_err *e)
{
    if (err == YG_ELIMIT) {
        e->col = col0 + 1;
        e->msg = "more distinct keys than the 512 a record may have";
    }
}

/* yg__kv_put with a NUL-terminated key; a macro so that the length of a
 * literal key is known at compile time (this is the decoders' hot path). */
#define yg__kv_putz(s, out, first, k, v, vn) yg__kv_put(s, out, first, k, strlen(k), v, vn)

/*
 * The first i in [i, n) where m[i] is c, or n.  Values are a few bytes
 * long, so the first sixteen bytes are looked at inline (with SSE2, when
 * that many remain) before a library call would be worth its cost.
 */
static inline size_t yg__kv_find(const char *m, size_t i, size_t n, char c)
{
#if defined(__SSE2__)
    if (n - i >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(m + i));
        unsigned hit = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(c)));
        if (hit)
            return i + (size_t)__builtin_ctz(hit);
        i += 16;
    }
#endif
    const char *p = i < n ? memchr(m + i, c, n - i) : NULL;
    return p ? (size_t)(p - m) : n;
}

/* The end of a key: the first `=`, space or `"` at or after i, or n. */
static inline size_t yg__kv_key_end(const char *m, size_t i, size_t n)
{
#if defined(__SSE2__)
    while (n - i >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(m + i));
        unsigned hit = (unsigned)_mm_movemask_epi8(
            _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('=')),
                                      _mm_cmpeq_epi8(v, _mm_set1_epi8(' '))),
                         _mm_cmpeq_epi8(v, _mm_set1_epi8('"'))));
        if (hit)
            return i + (size_t)__builtin_ctz(hit);
        i += 16;
    }
#endif
    while (i < n && m[i] != '=' && m[i] != ' ' && m[i] != '"')
        i++;
    return i;
}

/* One `key=value` pair; quoted values exclude their quotes. */
struct yg_kvpair {
    struct yg_str k, v;
    size_t k0; /* where the key starts in the scanned text */
};

/*
 * The next pair of m[*i..n), spaces before it skipped.  A value quoted with
 * `"` (or `'`, which SonicWall uses for appName) runs to the next same quote
 * that ends the text or is followed by a space; an unquoted value runs to
 * the next space.  Returns 1 for a pair, 0 at the end, -1 on an error
 * (e->col 0-based within m, e->msg set).
 */
static inline int yg__kv_next(const char *m, size_t n, size_t *i, struct yg_kvpair *kv,
                              struct yg_decode_err *e)
{
    size_t j = *i;
    while (j < n && m[j] == ' ')
        j++;
    if (j >= n) {
        *i = j;
        return 0;
    }
    size_t k0 = j;
    j = yg__kv_key_end(m, j, n);
    if (j == k0 || j >= n || m[j] != '=') {
        e->col = j < n ? j : k0; /* where `=` was expected, or the key that ran out */
        e->msg = "expected key=value";
        return -1;
    }
    kv->k = (struct yg_str){m + k0, j - k0};
    kv->k0 = k0;
    j++;
    if (j < n && (m[j] == '"' || m[j] == '\'')) {
        char q = m[j];
        size_t open = j, v0 = j + 1, at = v0;
        for (;;) {
            const char *p = at < n ? memchr(m + at, q, n - at) : NULL;
            if (!p) {
                e->col = open;
                e->msg = "unterminated quoted value";
                return -1;
            }
            at = (size_t)(p - m);
            if (at + 1 == n || m[at + 1] == ' ')
                break;
            at++; /* a quote inside the text */
        }
        kv->v = (struct yg_str){m + v0, at - v0};
        j = at + 1;
    } else {
        size_t v0 = j;
        j = yg__kv_find(m, j, n, ' ');
        kv->v = (struct yg_str){m + v0, j - v0};
    }
    *i = j;
    return 1;
}

static inline bool yg__str_is(struct yg_str s, const char *lit)
{
    size_t n = strlen(lit);
    return s.n == n && memcmp(s.p, lit, n) == 0;
}

/* `"key":`, after a comma unless it is the first: keys are nearly always
 * plain ASCII and written in one step; others go through the JSON escaper. */
static inline yg_err yg__kv_key(struct yg_buf *out, bool comma, const char *k, size_t kn)
{
    yg_err err = yg_buf_reserve(out, kn + 4);
    if (err)
        return err;
    char *w = out->p + out->n;
    if (comma)
        *w++ = ',';
    *w++ = '"';
    for (size_t i = 0; i < kn; i++) {
        unsigned char c = (unsigned char)k[i];
        if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
            goto escaped;
        w[i] = (char)c;
    }
    w += kn;
    *w++ = '"';
    *w++ = ':';
    out->n = (size_t)(w - out->p);
    return YG_OK;
escaped:
    if (comma && (err = yg_buf_addc(out, ',')))
        return err;
    if ((err = yg_buf_add_json_str(out, k, kn)))
        return err;
    return yg_buf_addc(out, ':');
}

/*
 * Append s as a JSON string with its escapes resolved: a backslash before a
 * character of lit stands for that character (CEF `\|` and `\=`, FortiGate
 * `\"`), and with nl, `\n` and `\r` stand for line breaks.  Any other
 * backslash is kept as written.
 */
static inline yg_err yg__kv_unescaped(struct yg_buf *out, const char *s, size_t n, const char *lit,
                                      bool nl)
{
    if (!n || !memchr(s, '\\', n))
        return yg_buf_add_json_str(out, s, n);
    yg_err err;
    size_t from = 0;
    YG_TRY(yg_buf_addc(out, '"'));
    for (size_t k = 0; k + 1 < n; k++) {
        if (s[k] != '\\')
            continue;
        char c = s[k + 1];
        if (c && strchr(lit, c)) {
            YG_TRY(yg__json_frag(out, s + from, k - from));
            from = k + 1; /* the escaped character starts the next piece */
            k++;
        } else if (nl && (c == 'n' || c == 'r')) {
            YG_TRY(yg__json_frag(out, s + from, k - from));
            YG_TRY(yg_buf_add(out, c == 'n' ? "\\n" : "\\r", 2));
            from = k + 2;
            k++;
        }
    }
    YG_TRY(yg__json_frag(out, s + from, n - from));
    err = yg_buf_addc(out, '"');
done:
    return err;
}

/* Characters of a CEF extension key or a LEEF attribute key: ArcSight keys
 * are alphanumeric, vendors add `_`, `.`, `-` and array brackets. */
static inline bool yg__kv_cef_key_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-' || c == '[' || c == ']';
}

/* Length of such a `key=` at s[i..] (the key without `=`), or 0: where a
 * value that may hold spaces ends, the next key starts. */
static inline size_t yg__kv_cef_key_at(const char *s, size_t n, size_t i)
{
    size_t k = i;
    while (k < n && yg__kv_cef_key_char((unsigned char)s[k]))
        k++;
    return k > i && k < n && s[k] == '=' ? k - i : 0;
}

/* The sniffer's confidence in a line whose CEF or LEEF header parsed: the
 * tag (`CEF:`) right at the start of the syslog message is certain, further
 * into the line likely. */
static inline int yg__kv_tag_sniff(const char *line, size_t n, const char *tag, size_t tn)
{
    struct yg_syslog s;
    yg__syslog_split(line, n, &s);
    return s.msg.n >= tn && memcmp(s.msg.p, tag, tn) == 0 ? 98 : 80;
}

/* yg__fmt_done for an appliance decoder, whose YG_ELIMIT is the key set
 * that filled up (the record's own limit, not the buffer's). */
static inline yg_err yg__kv_done(yg_err err, struct yg_buf *out, size_t start,
                                 struct yg_decode_err *e)
{
    if (err == YG_ELIMIT && !e->msg) {
        e->col = 1;
        e->msg = "more fields than a record may have";
    }
    return yg__fmt_done(err, out, start, e);
}

#endif
